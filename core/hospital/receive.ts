// `amur hospital receive`: the signed reports the readers put on the exchange for this hospital's
// studies are fetched, verified, re-identified, signed by the hospital and filed into its PACS.
//
// Verification first, on the reader's original as it arrived: every signature must be valid, made
// by a reader the agreement names (by certificate), at a time inside the agreement's validity.
// Anything else (unsigned, tampered, signed by someone else) is kept aside with the reason under
// hospital/rejected/ and never filed. An accepted original is archived unchanged under
// hospital/archive/ (it stays verifiable against the reader's certificate); the re-identified
// object carries the hospital's own signature. Each report is filed once: what became of it is
// recorded by SOP Instance UID before the next is looked at.
import { audit } from '../audit/index.js';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Agreement } from '../agreements/index.js';
import { AmurError, isAmurError, type ErrorParams } from '../common/errors.js';
import type { DicomWebClient } from '../exchange/index.js';
import { signDicom, verifyFile, type SigningIdentity } from '../signing/index.js';
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
  const archive = join(r.state.dir, 'archive', a.id);
  const rejectedDir = join(r.state.dir, 'rejected', a.id);
  mkdirSync(archive, { recursive: true });
  mkdirSync(rejectedDir, { recursive: true });

  for (const study of r.state.deidStudies(a.id)) {
    const instances = (await r.exchange.searchInstances(study)) as Json[];
    for (const i of instances) {
      const sop = val(i, '00080018');
      if (!REPORT_SOP_CLASSES.has(val(i, '00080016')) || r.state.received(a.id, sop)) continue;
      const bytes = await r.exchange.retrieveInstance(study, val(i, '0020000E'), sop);
      const tmp = join(r.state.dir, `.${process.pid}.${sop}.dcm`);
      writeFileSync(tmp, bytes);
      try {
        checkReport(tmp, readers, readerPrints, a);
        const re = reidentify(bytes, a.id, r.map, r.now);
        const signed = signDicom(re.bytes, r.identity, { now: r.now });
        await r.pacs.store([{ bytes: signed, SOPInstanceUID: re.SOPInstanceUID, StudyInstanceUID: re.StudyInstanceUID }]);
        const kept = join(archive, `${sop}.dcm`);
        renameSync(tmp, kept);
        r.state.recordReceived(a.id, sop, study, { status: 'filed', filedStudyUID: re.StudyInstanceUID }, kept);
        result.filed++;
        audit(r.state.home, { action: 'hospital.reidentify', outcome: 'success', role: 'hospital', agreement: a.id,
          studies: [study, re.StudyInstanceUID], detail: { sop, filed: re.SOPInstanceUID } });
        audit(r.state.home, { action: 'hospital.receive', outcome: 'success', role: 'hospital', agreement: a.id,
          studies: [re.StudyInstanceUID], detail: { sop: re.SOPInstanceUID, peer: r.exchange.host } });
      } catch (e) {
        if (!isAmurError(e) || e.code.startsWith('exchange.') || e.code === 'hospital.pacsRefused') {
          // The PACS or the link failed, not the report: nothing is recorded, the next run retries.
          throw e;
        }
        const kept = join(rejectedDir, `${sop}.dcm`);
        renameSync(tmp, kept);
        r.state.recordReceived(a.id, sop, study, { status: 'rejected', code: e.code, params: e.params }, kept);
        result.rejected.push({ sopInstanceUID: sop, code: e.code, params: e.params });
        audit(r.state.home, { action: 'verification.failure', outcome: 'seriousFailure', role: 'hospital', agreement: a.id,
          studies: [study], detail: { sop, code: e.code, peer: r.exchange.host } });
      }
    }
  }
  return result;
}

/** Throws the reason a report may not be filed; returns when every check passed. */
function checkReport(path: string, readers: X509Certificate[], readerPrints: Set<string>, a: Agreement): void {
  const v = verifyFile(path, readers);
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
