// Rule 1 at the moment of signing: a report for a partner's study is signed only under an active
// agreement whose modalities cover the study, by a reader the agreement names; the signed report
// then goes into the outbox for delivery. A study from local media (no case) is signed as before.
// The CLI (`amur report sign`) and the report service both sign through here.
import { commonName, oneLine } from '../signing/certificates.js';
import { audit } from '../audit/index.js';
import { join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { authorisedReader, coversModality } from '../agreements/index.js';
import { AmurError } from '../common/errors.js';
import { enqueue, type OutboxItem } from '../outbox/outbox.js';
import { REPORT_FILES, PACKAGE_FILES, type SignedReport } from '../reports/sign.js';
import { COMPREHENSIVE_SR } from '../reports/sr.js';
import type { StudyStore } from '../store/store.js';
import { activeAgreement } from './access.js';
import { getCase, type CaseRecord } from './cases.js';

const ENCAPSULATED_PDF_CLASS = '1.2.840.10008.5.1.4.1.1.104.1';

/** Throws the translated reason this signer may not sign for the study (and audits the refusal); returns its case, if any. */
export function assertMaySign(store: StudyStore, home: string, StudyInstanceUID: string, signer: X509Certificate, now = new Date()): CaseRecord | undefined {
  const c = getCase(store, StudyInstanceUID);
  if (!c) return undefined;
  try {
    return checkMaySign(store, home, c, signer, now);
  } catch (e) {
    audit(home, { action: 'access.refused', outcome: 'minorFailure', role: 'reader', user: commonName(signer), agreement: c.agreementId, studies: [StudyInstanceUID], detail: { code: e instanceof AmurError ? e.code : 'error' } });
    throw e;
  }
}

/** Records a signed report in the audit trail: a signature, or an amendment's when it replaces an earlier report. */
export function auditSignature(store: StudyStore, StudyInstanceUID: string, signed: SignedReport, signer: X509Certificate, amends: boolean): void {
  audit(store.home, {
    action: amends ? 'report.amend' : 'report.sign',
    outcome: 'success',
    role: 'reader',
    user: commonName(signer),
    agreement: getCase(store, StudyInstanceUID)?.agreementId,
    studies: [StudyInstanceUID],
    detail: { sr: signed.sr.SOPInstanceUID },
  });
}

function checkMaySign(store: StudyStore, home: string, c: CaseRecord, signer: X509Certificate, now: Date): CaseRecord {
  const StudyInstanceUID = c.StudyInstanceUID;
  const agreement = activeAgreement(home, c.agreementId, now);
  const modalities = store.listSeries(StudyInstanceUID).map((s) => s.Modality).filter((m) => m && !['SR', 'DOC', 'PR', 'KO'].includes(m));
  if (!coversModality(agreement, modalities)) {
    throw new AmurError('cases.modalityNotCovered', { agreement: agreement.id, modalities: [...new Set(modalities)].join(', ') });
  }
  if (!authorisedReader(agreement, signer)) {
    throw new AmurError('cases.signerNotAuthorised', { subject: oneLine(signer.subject), agreement: agreement.id });
  }
  return c;
}

/**
 * Queues a signed report of a case for delivery: the SR and the Encapsulated PDF, with the PDF and
 * SM2 package kept beside. `read` gives a file's plaintext when the signed folder is sealed (the
 * copy the report service keeps); by default the files are read as they are (a folder of the user's).
 */
export function queueSignedReport(store: StudyStore, c: CaseRecord, signed: SignedReport, read?: (path: string) => Buffer): OutboxItem {
  const keep = [REPORT_FILES.pdf, PACKAGE_FILES.manifest, PACKAGE_FILES.signature]
    .map((n) => join(signed.dir, n))
    .filter((p) => signed.files.includes(p));
  return enqueue(store, {
    StudyInstanceUID: c.StudyInstanceUID,
    agreementId: c.agreementId,
    instances: [
      { path: join(signed.dir, REPORT_FILES.sr), SOPInstanceUID: signed.sr.SOPInstanceUID, SOPClassUID: COMPREHENSIVE_SR },
      { path: join(signed.dir, REPORT_FILES.encapsulatedPdf), SOPInstanceUID: signed.encapsulatedPdf.SOPInstanceUID, SOPClassUID: ENCAPSULATED_PDF_CLASS },
    ],
    keep,
    ...(read ? { read } : {}),
  });
}
