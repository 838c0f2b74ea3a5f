// The OutboxService of the contract over the local store: what the UI shows of the outbox. It only
// reads (core/outbox/outbox.ts owns the table); delivery is done elsewhere.
import type { OutboxEntry, OutboxService } from '../contract/outbox.js';
import type { StudyStore } from '../store/store.js';
import { listOutbox, type OutboxItem } from './outbox.js';

export function toOutboxEntry(i: OutboxItem): OutboxEntry {
  return {
    id: i.id,
    StudyInstanceUID: i.StudyInstanceUID,
    agreementId: i.agreementId,
    status: i.status,
    attempts: i.attempts,
    instanceCount: i.instances.length,
    ...(i.error ? { error: { code: i.error.code, params: { ...i.error.params } } } : {}),
    ...(i.nextAttemptAt ? { nextAttemptAt: i.nextAttemptAt } : {}),
    createdAt: i.createdAt,
    ...(i.deliveredAt ? { deliveredAt: i.deliveredAt } : {}),
  };
}

export class LocalOutboxService implements OutboxService {
  constructor(private readonly store: StudyStore) {}

  async listOutbox(): Promise<OutboxEntry[]> {
    return listOutbox(this.store).map(toOutboxEntry);
  }
}
