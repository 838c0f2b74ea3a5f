// How the reader reaches an agreement's exchange: the agreement names the DICOMweb root, the
// credentials imported with it (user and password, optionally a client certificate) open it.
// Only an agreement that verifies (core/agreements re-checks its signature on every load) and is
// active today gives a client.
import { type Agreement, credentialsFor, getAgreement, isActive, listAgreements } from '../agreements/index.js';
import { AmurError } from '../common/errors.js';
import { DicomWebClient } from '../exchange/index.js';
import type { PullSource } from './pull.js';

export function exchangeClient(home: string, agreement: Agreement): DicomWebClient {
  const c = credentialsFor(home, agreement.id);
  if (agreement.exchange.clientCertificateRequired && !(c?.clientCert && c.clientKey)) {
    throw new AmurError('cases.clientCertificateMissing', { agreement: agreement.id });
  }
  return new DicomWebClient({
    url: agreement.exchange.url,
    ...(c?.username !== undefined ? { username: c.username, password: c.password ?? '' } : {}),
    ...(c?.ca ? { ca: c.ca } : {}),
    ...(c?.clientCert ? { cert: c.clientCert } : {}),
    ...(c?.clientKey ? { key: c.clientKey } : {}),
  });
}

/** The active agreement with this ID, verified; a translated refusal otherwise. */
export function activeAgreement(home: string, id: string, now = new Date()): Agreement {
  const a = getAgreement(home, id);
  if (!isActive(a, now)) throw new AmurError('cases.agreementInactive', { agreement: id, from: a.validFrom, to: a.validTo });
  return a;
}

/** The exchanges to pull from: one agreement, or every active one. */
export function pullSources(home: string, only?: string, now = new Date()): PullSource[] {
  const ids = only ? [only] : listAgreements(home).filter((a) => a.active).map((a) => a.id);
  return ids.map((id) => {
    const agreement = activeAgreement(home, id, now);
    return { agreement, client: exchangeClient(home, agreement) };
  });
}
