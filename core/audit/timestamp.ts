// Trusted time for the audit trail (product rule 5): the newest checkpoint (the chain's head, signed
// by the workstation) is time-stamped by an RFC 3161 authority, so that the trail up to it provably
// existed at that time, which neither the local clock nor the workstation's own key can prove.
// Offline, checkpoints simply wait: the next stamp, when a TSA answers, covers everything before it.
// The TSA is the one given, or that of an agreement in force (the agreement names it).
import { listAgreements, getAgreement } from '../agreements/index.js';
import { AmurError, isAmurError } from '../common/errors.js';
import { readTimestampToken, requestTimestamp } from '../signing/timestamp.js';
import { AuditLog } from './log.js';
import { auditTrail } from './index.js';

export interface AuditStamp {
  /** The checkpoint stamped (the event it closes), when one was. */
  seq?: number;
  /** The TSA's time for it. */
  genTime?: string;
  tsa?: string;
  /** Nothing new to stamp since the last stamp. */
  upToDate?: boolean;
  /** Every TSA tried failed: the code and host of the last failure (the checkpoint waits for the next try). */
  failed?: { code: string; params: Record<string, string | number> };
}

/** The TSAs of the agreements in force, in agreement order, each once. */
export function agreementTsas(home: string, now = new Date()): string[] {
  const urls: string[] = [];
  for (const s of listAgreements(home, now)) {
    if (!s.active) continue;
    try {
      const a = getAgreement(home, s.id, now);
      if (a.tsaUrl && !urls.includes(a.tsaUrl)) urls.push(a.tsaUrl);
    } catch {
      // An agreement that no longer verifies names no TSA worth asking.
    }
  }
  return urls;
}

export async function timestampAuditHead(home: string, options: { tsaUrl?: string; timeoutMs?: number } = {}): Promise<AuditStamp> {
  const log = auditTrail(home);
  const head = log.latestCheckpoint();
  if (!head || log.isTimestamped(head.seq)) return { upToDate: true };
  const urls = options.tsaUrl ? [options.tsaUrl] : agreementTsas(home);
  if (!urls.length) throw new AmurError('audit.noTsa', {});
  let failed: AuditStamp['failed'];
  for (const url of urls) {
    try {
      const token = await requestTimestamp(url, AuditLog.checkpointDigest(head), { timeoutMs: options.timeoutMs });
      log.attachTimestamp(head.seq, token);
      const info = readTimestampToken(token);
      return { seq: head.seq, genTime: info.tstInfo.genTime.toISOString(), tsa: new URL(url).host };
    } catch (e) {
      if (!isAmurError(e)) throw e;
      failed = { code: e.code, params: e.params };
    }
  }
  return { failed };
}
