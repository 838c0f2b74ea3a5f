// `amur hospital receive`: the signed reports the readers put on the exchange for this hospital's
// studies are fetched, verified, re-identified, signed by the hospital and filed into its PACS.
//
// Verification first, on the reader's original as it arrived: every signature must be valid, made
// by a reader the agreement names (by certificate), at a time inside the agreement's validity.
// Anything else (unsigned, tampered, signed by someone else) is kept aside with the reason under
// hospital/rejected/ and never filed. An accepted original is archived unchanged under
// hospital/archive/ (it stays verifiable against the reader's certificate: `amur hospital
// original` gives it back); the re-identified object carries the hospital's own signature. Both
// are kept sealed under the home's key (./files.ts), and a report is checked and re-identified in
// memory: nothing of it is on the disk in clear. Each report is filed once: what became of it is
// recorded by SOP Instance UID before the next is looked at.
import { audit } from '../audit/index.js';
import { X509Certificate } from 'node:crypto';
import type { Agreement } from '../agreements/index.js';
import { AmurError, isAmurError, type ErrorParams } from '../common/errors.js';
import type { DicomWebClient } from '../exchange/index.js';
import { signDicom, verifyBytes, type SigningIdentity } from '../signing/index.js';
import { isUid, keepReport, keptPath } from './files.js';
import type { Pacs } from './pacs.js';
import { reidentify, type ReidLookup } from './reidentify.js';
import type { HospitalState } from './state.js';

/** Report objects a reader sends back: SR (basic, enhanced, comprehensive, 3D) and Encapsulated PDF. */
export const REPORT_SOP_CLASSES = new Set([
  '1.2.840.10008.5.1.4.1.1.88.11',
  '1.2.840.10008.5.1.4.1.1.88.22',
  '1.2.840.10008.5.1.4.1.1.88.33',
  '1.2.840.10008.5.1.4.1.1.88.34',
  '1.2.840.10008.5.1.4.1.1.104.1',
]);

export interface ReceiveRequest {
  agreement: Agreement;
  exchange: DicomWebClient;
  pacs: Pacs;
  map: ReidLookup;
  state: HospitalState;
  identity: SigningIdentity;
  now?: Date;
}

export interface ReceiveResult {
  filed: number;
  rejected: { sopInstanceUID: string; code: string; params: ErrorParams }[];
}

type Json = Record<string, { Value?: unknown[] }>;
const val = (o: Json, tag: string) => String(o[tag]?.Value?.[0] ?? '');

export async function receiveReports(r: ReceiveRequest): Promise<ReceiveResult> {
  const a = r.agreement;
  const result: ReceiveResult = { filed: 0, rejected: [] };
  const readers = a.readers.map((pem) => new X509Certificate(pem));
  const readerPrints = new Set(readers.map((c) => c.fingerprint256));

  for (const study of r.state.deidStudies(a.id)) {
    const instances = (await r.exchange.searchInstances(study)) as Json[];
    for (const i of instances) {
      const sop = val(i, '00080018');
      if (!REPORT_SOP_CLASSES.has(val(i, '00080016')) || r.state.received(a.id, sop)) continue;
      const bytes = await r.exchange.retrieveInstance(study, val(i, '0020000E'), sop);
      try {
        // The SOP Instance UID names the kept file: anything else is refused before it is used so.
        if (!isUid(sop)) throw new AmurError('hospital.badUid', { uid: sop.slice(0, 80) });
        checkReport(bytes, sop, readers, readerPrints, a);
        const re = reidentify(bytes, a.id, r.map, r.now);
        const signed = signDicom(re.bytes, r.identity, { now: r.now });
        await r.pacs.store([{ bytes: signed, SOPInstanceUID: re.SOPInstanceUID, StudyInstanceUID: re.StudyInstanceUID }]);
        const kept = keptPath(r.state.dir, 'archive', a.id, sop);
        keepReport(r.state.home, kept, a.id, sop, bytes);
        r.state.recordReceived(a.id, sop, study, { status: 'filed', filedStudyUID: re.StudyInstanceUID }, kept);
        result.filed++;
        audit(r.state.home, { action: 'hospital.reidentify', outcome: 'success', role: 'hospital', agreement: a.id,
          studies: [study, re.StudyInstanceUID], detail: { sop, filed: re.SOPInstanceUID } });
        audit(r.state.home, { action: 'hospital.receive', outcome: 'success', role: 'hospital', agreement: a.id,
          studies: [re.StudyInstanceUID], detail: { sop: re.SOPInstanceUID, peer: r.exchange.host } });
      } catch (e) {
        if (!isAmurError(e) || isNotTheReports(e.code)) {
          // The PACS, the link, the disk or the vault failed, not the report: nothing is recorded, the next run retries.
          throw e;
        }
        let kept = '';
        if (isUid(sop)) {
          kept = keptPath(r.state.dir, 'rejected', a.id, sop);
          keepReport(r.state.home, kept, a.id, sop, bytes);
        }
        r.state.recordReceived(a.id, sop, study, { status: 'rejected', code: e.code, params: e.params }, kept);
        result.rejected.push({ sopInstanceUID: sop, code: e.code, params: e.params });
        audit(r.state.home, { action: 'verification.failure', outcome: 'seriousFailure', role: 'hospital', agreement: a.id,
          studies: [study], detail: { sop, code: e.code, peer: r.exchange.host } });
      }
    }
  }
  return result;
}

/** A failure that is not the report's (so it is retried, not kept aside). */
function isNotTheReports(code: string): boolean {
  return code.startsWith('exchange.') || code.startsWith('vault.') || code === 'hospital.pacsRefused' || code === 'hospital.keepFailed';
}

/** Throws the reason a report may not be filed; returns when every check passed. */
function checkReport(bytes: Buffer, sop: string, readers: X509Certificate[], readerPrints: Set<string>, a: Agreement): void {
  const v = verifyBytes(bytes, readers, sop);
  if (v.signatures.length === 0) throw new AmurError('hospital.unsigned', {});
  for (const s of v.signatures) {
    const signer = 'signer' in s ? s.signer : undefined;
    if (signer && !readerPrints.has(signer.fingerprint256)) {
      throw new AmurError('hospital.notAReader', { subject: signer.subject, agreement: a.id });
    }
  }
  if (!v.valid) {
    // The verifier's own reason (tampered, expired, untrusted…), already translated in every language.
    const p = v.problems[0] ?? v.signatures.flatMap((s) => s.problems)[0];
    throw p ? new AmurError(p.code, p.params) : new AmurError('hospital.invalidSignature', {});
  }
  for (const s of v.signatures) {
    const at = 'signingTime' in s && s.signingTime ? new Date(s.signingTime) : undefined;
    if (at && (at.toISOString().slice(0, 10) < a.validFrom || at.toISOString().slice(0, 10) > a.validTo)) {
      throw new AmurError('hospital.signedOutsideAgreement', { date: at.toISOString(), agreement: a.id });
    }
  }
}
