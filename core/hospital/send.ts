// `amur hospital send`: one study from the hospital's PACS to the exchange, de-identified under an
// agreement. Each instance is de-identified as it arrives (core/deid, PS3.15 Annex E with the
// agreement's options), gets the case's attributes (core/cases), and goes to the exchange by
// STOW-RS in batches. The re-identification map is written before anything leaves.
//
// Resumable and idempotent: UIDs map to the same de-identified UIDs every time (the map), the
// case keeps the request, priority and time of the first send, and the instances that reached the
// exchange are recorded; sending again sends only what is missing, and the exchange keeps one
// copy of an instance anyway.
import { audit } from '../audit/index.js';
import { type Agreement, coversModality, isActive } from '../agreements/index.js';
import { caseAttributes, type Priority } from '../cases/cases.js';
import { AmurError } from '../common/errors.js';
import { deidentifyForAgreement, type ReidMap } from '../deid/index.js';
import type { DicomWebClient } from '../exchange/index.js';
import type { Pacs } from './pacs.js';
import type { HospitalState } from './state.js';

export interface SendRequest {
  agreement: Agreement;
  pacs: Pacs;
  exchange: DicomWebClient;
  map: ReidMap;
  state: HospitalState;
  StudyInstanceUID: string;
  requestId: string;
  consentRef: string;
  priority: Priority;
  now?: Date;
  onProgress?: (p: { received: number; sent: number }) => void;
}

export interface SendResult {
  /** The de-identified StudyInstanceUID, as the exchange and the reader know it. */
  study: string;
  instances: number;
}

/** Instances per STOW-RS request. */
const BATCH = 32;

/** Sends one study (see above) and records the transfer, or its failure, in the hospital's audit trail. */
export async function sendStudy(r: SendRequest): Promise<SendResult> {
  const peer = r.exchange.host;
  try {
    const result = await sendDeidentified(r);
    audit(r.state.home, { action: 'hospital.send', outcome: 'success', role: 'hospital', agreement: r.agreement.id,
      studies: [r.StudyInstanceUID, result.study], detail: { instances: result.instances, peer } });
    return result;
  } catch (e) {
    audit(r.state.home, { action: 'hospital.send', outcome: 'seriousFailure', role: 'hospital', agreement: r.agreement.id,
      studies: [r.StudyInstanceUID], detail: { code: e instanceof AmurError ? e.code : 'error', peer } });
    throw e;
  }
}

async function sendDeidentified(r: SendRequest): Promise<SendResult> {
  const now = r.now ?? new Date();
  const a = r.agreement;
  if (!isActive(a, now)) throw new AmurError('hospital.agreementInactive', { agreement: a.id });
  const previous = r.state.caseOf(a.id, r.StudyInstanceUID);
  const sentAt = previous ? new Date(previous.sentAt) : now;
  const requestId = previous?.requestId ?? r.requestId;
  const consentRef = previous?.consentRef ?? r.consentRef;
  const priority = previous?.priority ?? r.priority;

  let study = previous?.deidStudyUID ?? '';
  let received = 0;
  let sent = 0;
  let batch: { bytes: Buffer; sop: string }[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const result = await r.exchange.store(batch.map((b) => b.bytes), study);
    if (result.failed.length) {
      throw new AmurError('hospital.exchangeRefused', { sop: result.failed[0]!.sop, reason: result.failed[0]!.reason });
    }
    r.state.markSent(a.id, study, batch.map((b) => b.sop));
    sent += batch.length;
    batch = [];
    r.onProgress?.({ received, sent });
  };

  await r.pacs.retrieveStudy(r.StudyInstanceUID, async (bytes) => {
    received++;
    const out = deidentifyForAgreement(r.map, a.id, bytes, {
      options: a.deidentification.options,
      allowBurnedIn: a.deidentification.allowBurnedInAnnotation,
      add: (subjectId) =>
        caseAttributes({ agreementId: a.id, partner: a.partner.nameLatin, requestId, consentRef, priority, sentAt, subjectId }),
    });
    if (!coversModality(a, [out.modality].filter(Boolean))) {
      throw new AmurError('hospital.modalityNotCovered', { agreement: a.id, modality: out.modality });
    }
    if (!study) {
      study = out.StudyInstanceUID;
      r.state.recordCase({
        agreementId: a.id,
        originalStudyUID: r.StudyInstanceUID,
        deidStudyUID: study,
        requestId,
        consentRef,
        priority,
        sentAt: sentAt.toISOString(),
      });
    }
    if (r.state.wasSent(a.id, out.SOPInstanceUID)) {
      sent++;
      return;
    }
    batch.push({ bytes: out.bytes, sop: out.SOPInstanceUID });
    if (batch.length >= BATCH) await flush();
  });
  await flush();
  if (received === 0) throw new AmurError('hospital.studyNotFound', { study: r.StudyInstanceUID });
  return { study, instances: received };
}
