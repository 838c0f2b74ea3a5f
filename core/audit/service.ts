// The AuditService of the contract: the audit trail of one study, read from this home's log.
import type { AuditEvent, AuditService } from '../contract/audit.js';
import { AmurError } from '../common/errors.js';
import { auditTrail } from './index.js';

export class LocalAuditService implements AuditService {
  constructor(private readonly home: string) {}

  async listStudyAudit(StudyInstanceUID: string): Promise<AuditEvent[]> {
    if (typeof StudyInstanceUID !== 'string' || !/^[0-9.]{1,64}$/.test(StudyInstanceUID)) {
      throw new AmurError('audit.badArguments', {});
    }
    return auditTrail(this.home).list({ study: StudyInstanceUID });
  }
}
