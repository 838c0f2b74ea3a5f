// The audit trail as the rest of Amur uses it: `audit(home, record)` appends one event to the log
// under that home, opened once per process and closed when the process exits.
import { AuditLog } from './log.js';
import type { AuditEvent, AuditRecord } from './event.js';

export type { AuditAction, AuditEvent, AuditOutcome, AuditRecord, AuditRole } from './event.js';
export { AuditLog, osUser, type AuditProblem, type AuditVerification } from './log.js';

const logs = new Map<string, AuditLog>();
let exitHooked = false;

/** The audit log of this home, opened on first use. */
export function auditTrail(home: string): AuditLog {
  let log = logs.get(home);
  if (!log) {
    log = AuditLog.open(home);
    logs.set(home, log);
    if (!exitHooked) {
      exitHooked = true;
      process.once('exit', closeAuditTrails);
    }
  }
  return log;
}

/** Records one event. An event that cannot be written fails the action it records: nothing goes unaccounted. */
export function audit(home: string, record: AuditRecord): AuditEvent {
  return auditTrail(home).record(record);
}

export function closeAuditTrails(): void {
  for (const l of logs.values()) l.close();
  logs.clear();
}
