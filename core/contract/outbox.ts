// The outbox as the UI sees it: signed reports waiting for delivery to the partner's exchange
// (core/outbox). Read-only here: delivery itself is `amur deliver` (or the host's own delivery).

export type OutboxEntryStatus = 'queued' | 'sending' | 'delivered' | 'failed';

/** One item of the outbox: one signed report (its SR and PDF objects) for one study. */
export interface OutboxEntry {
  id: string;
  StudyInstanceUID: string;
  agreementId: string;
  status: OutboxEntryStatus;
  /** Delivery attempts so far. */
  attempts: number;
  /** DICOM objects in the item (the SR, the Encapsulated PDF). */
  instanceCount: number;
  /** Why the last attempt failed: an i18n code (errors.<code>) and its parameters. */
  error?: { code: string; params: Record<string, string | number> };
  /** ISO 8601 UTC: when a failed item is tried again. */
  nextAttemptAt?: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC. */
  deliveredAt?: string;
}

export interface OutboxService {
  /** Every item, oldest first. The UI refreshes it on a timer and when a report is signed. */
  listOutbox(): Promise<OutboxEntry[]>;
}
