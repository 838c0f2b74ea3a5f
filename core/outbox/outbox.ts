// The outbox: signed reports waiting to go back to the partner's exchange. A report signed for a
// case is queued here (its files copied under store/outbox/<id>/, then a row), so everything up to
// the outbox works offline, and delivery happens whenever the link is up.
//
// Exactly once: before sending an instance the exchange is asked whether it already holds that SOP
// Instance UID (a retry after a lost response finds it there and sends nothing), and Orthanc keeps
// one copy of an instance stored twice anyway. An item is claimed by the process that sends it
// (claimed_by = pid) inside a write transaction; a 'sending' item whose process died (kill -9) is
// taken up again by the next delivery. A failed item keeps its reason and is retried with backoff.
//
// Trusted time: a report signed while its TSA was unreachable is time-stamped here, before it is
// sent (tsaFor). The Certified Timestamp lies outside what the DICOM signature signs, so the
// stamped file is still validly signed; it replaces the queued file by rename, and the outbox keeps
// no hash of its files that this would contradict. A TSA still down fails the item like the exchange.
//
// At rest: the copies under store/outbox/<id>/ are sealed under the study's key (the store's file
// format), each with its item and name bound in ("outbox:<item id>:<file>", and the SOP Instance
// UID for a DICOM object), so that no copy passes for another and a purge's shredded key leaves
// them unreadable. Delivery and time-stamping open them in memory; nothing is written in clear.
import { audit } from '../audit/index.js';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AmurError, isAmurError, type ErrorParams } from '../common/errors.js';
import { replaceFile } from '../common/fs.js';
import { addDicomTimestamps, requestTimestamp, signaturesWithoutTimestamp } from '../signing/index.js';
import type { StudyStore } from '../store/store.js';
import { isSealedFile } from '../vault/file-cipher.js';

export type OutboxStatus = 'queued' | 'sending' | 'delivered' | 'failed';

export interface OutboxInstance {
  SOPInstanceUID: string;
  SOPClassUID: string;
  /** File name inside the item's folder. */
  file: string;
}

export interface OutboxItem {
  id: string;
  StudyInstanceUID: string;
  agreementId: string;
  status: OutboxStatus;
  attempts: number;
  instances: OutboxInstance[];
  /** The other files kept with the item (the PDF, the SM2 package): delivered only as DICOM. */
  files: string[];
  error?: { code: string; params: ErrorParams };
  nextAttemptAt?: string;
  createdAt: string;
  deliveredAt?: string;
}

/** What delivery needs of an exchange: a look-up and STOW-RS. */
export interface OutboxTarget {
  /** The exchange's host, as the audit trail names the other end of a transfer. */
  peer?: string;
  hasInstance(StudyInstanceUID: string, SOPInstanceUID: string): Promise<boolean>;
  store(StudyInstanceUID: string, instances: Buffer[]): Promise<void>;
}

interface Row {
  id: string;
  StudyInstanceUID: string;
  agreement_id: string;
  dir: string;
  instances: string;
  status: OutboxStatus;
  attempts: number;
  error_code: string | null;
  error_params: string | null;
  next_attempt_at: string | null;
  claimed_by: number | null;
  created_at: string;
  delivered_at: string | null;
}

function fromRow(store: StudyStore, r: Row): OutboxItem {
  const instances = JSON.parse(r.instances) as OutboxInstance[];
  const dir = join(store.root, r.dir);
  const dicom = new Set(instances.map((i) => i.file));
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => !dicom.has(f)).sort() : [];
  return {
    id: r.id,
    StudyInstanceUID: r.StudyInstanceUID,
    agreementId: r.agreement_id,
    status: r.status,
    attempts: r.attempts,
    instances,
    files,
    ...(r.error_code ? { error: { code: r.error_code, params: JSON.parse(r.error_params ?? '{}') as ErrorParams } } : {}),
    ...(r.next_attempt_at ? { nextAttemptAt: r.next_attempt_at } : {}),
    createdAt: r.created_at,
    ...(r.delivered_at ? { deliveredAt: r.delivered_at } : {}),
  };
}

export interface EnqueueInput {
  StudyInstanceUID: string;
  agreementId: string;
  /** DICOM objects to deliver (the SR and the Encapsulated PDF), with their UIDs. */
  instances: { path: string; SOPInstanceUID: string; SOPClassUID: string }[];
  /** Files kept with them (report.pdf, the SM2 package). */
  keep?: string[];
  /** The plaintext of a given path (files kept sealed); by default each is read as it is. */
  read?: (path: string) => Buffer;
}

/** What is bound into an outbox copy: its item, its name and, for a DICOM object, its SOP Instance UID. */
export function outboxContext(itemId: string, file: string, SOPInstanceUID?: string): string {
  return SOPInstanceUID ? `outbox:${itemId}:${file}:${SOPInstanceUID}` : `outbox:${itemId}:${file}`;
}

function readPlain(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new AmurError('vault.fileReadFailed', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
}

/**
 * Queues signed objects. Idempotent by SOP Instance UID: the same signed SR queued twice is one
 * item. The files are copied into a temp folder and renamed into place before the row is written;
 * a crash in between leaves a folder no row names, removed by the next enqueue.
 */
export function enqueue(store: StudyStore, input: EnqueueInput): OutboxItem {
  const existing = findBySop(store, input.instances.map((i) => i.SOPInstanceUID));
  if (existing) return existing;
  const id = randomUUID();
  const base = join(store.root, 'outbox');
  mkdirSync(base, { recursive: true });
  sweepOrphans(store, base);
  sealLeftInClear(store);
  const read = input.read ?? readPlain;
  const put = (name: string, plain: Buffer, SOPInstanceUID?: string) =>
    writeFileSync(join(tmp, name), store.sealForStudy(input.StudyInstanceUID, outboxContext(id, name, SOPInstanceUID), plain), { flag: 'wx', mode: 0o600 });
  const tmp = join(base, `.tmp-${process.pid}.${id}`);
  const dirName = `${process.pid}.${id}`;
  mkdirSync(tmp);
  const instances: OutboxInstance[] = [];
  try {
    for (const i of input.instances) {
      const file = basename(i.path);
      put(file, read(i.path), i.SOPInstanceUID);
      instances.push({ SOPInstanceUID: i.SOPInstanceUID, SOPClassUID: i.SOPClassUID, file });
    }
    for (const k of input.keep ?? []) put(basename(k), read(k));
    // The row and the folder's rename commit together: a failed rename rolls the row back.
    store.db.transaction(() => {
      store.db.prepare(`
        INSERT INTO outbox (id, StudyInstanceUID, agreement_id, dir, instances, status, created_at)
        VALUES (?, ?, ?, ?, ?, 'queued', ?)`).run(id, input.StudyInstanceUID, input.agreementId, join('outbox', dirName),
        JSON.stringify(instances), new Date().toISOString());
      renameSync(tmp, join(base, dirName));
    }).immediate();
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // A file that does not open or cannot be read says so itself, translated and naming the file.
    if (isAmurError(e)) throw e;
    throw new AmurError('outbox.enqueueFailed', { detail: (e as Error).message }, { cause: e });
  }
  return getItem(store, id)!;
}

function findBySop(store: StudyStore, sops: string[]): OutboxItem | undefined {
  for (const r of store.db.prepare('SELECT * FROM outbox').all() as Row[]) {
    const uids = (JSON.parse(r.instances) as OutboxInstance[]).map((i) => i.SOPInstanceUID);
    if (sops.some((s) => uids.includes(s))) return fromRow(store, r);
  }
  return undefined;
}

/**
 * Removes what a process that died in enqueue left: a temp folder, or a folder renamed into place
 * whose row was never committed. Both names carry the pid that made them, so a live enqueue's
 * folders are never touched.
 */
function sweepOrphans(store: StudyStore, base: string): void {
  const known = new Set((store.db.prepare('SELECT dir FROM outbox').all() as { dir: string }[]).map((r) => basename(r.dir)));
  for (const name of readdirSync(base)) {
    const pid = /^(?:\.tmp-)?(\d+)\./.exec(name)?.[1];
    if (pid && !known.has(name) && !alive(Number(pid))) rmSync(join(base, name), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function getItem(store: StudyStore, id: string): OutboxItem | undefined {
  const r = store.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as Row | undefined;
  return r && fromRow(store, r);
}

export function listOutbox(store: StudyStore): OutboxItem[] {
  return (store.db.prepare('SELECT * FROM outbox ORDER BY created_at, id').all() as Row[]).map((r) => fromRow(store, r));
}

/** Seconds to wait before retry n (1-based): 30 s doubling, at most an hour. */
export function backoffSeconds(attempts: number): number {
  return Math.min(3600, 30 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claims the items due for delivery: queued ones, failed ones whose wait is over (all failed ones
 * when `ignoreBackoff`, as when a person asks), and 'sending' ones whose process is gone.
 */
function claim(store: StudyStore, now: Date, ignoreBackoff: boolean, only?: string[]): Row[] {
  return store.db.transaction(() => {
    const rows = (store.db.prepare("SELECT * FROM outbox WHERE status <> 'delivered' ORDER BY created_at, id").all() as Row[])
      .filter((r) => !only || only.includes(r.id))
      .filter((r) => {
        if (r.status === 'queued') return true;
        if (r.status === 'failed') return ignoreBackoff || !r.next_attempt_at || r.next_attempt_at <= now.toISOString();
        return r.claimed_by === null || !alive(r.claimed_by);
      });
    const set = store.db.prepare("UPDATE outbox SET status = 'sending', claimed_by = ?, attempts = attempts + 1 WHERE id = ?");
    for (const r of rows) set.run(process.pid, r.id);
    return rows;
  }).immediate();
}

/** The plaintext of a copy in an item's folder; a translated error naming the file when it does not open. */
export function readOutboxFile(store: StudyStore, item: Pick<OutboxItem, 'id' | 'StudyInstanceUID' | 'instances'>, file: string): Buffer {
  const row = store.db.prepare('SELECT dir FROM outbox WHERE id = ?').pluck().get(item.id) as string | undefined;
  if (row === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(file)) throw new AmurError('outbox.fileNotFound', { item: item.id, file });
  return openCopy(store, item.id, item.StudyInstanceUID, join(store.root, row, file), item.instances.find((i) => i.file === file)?.SOPInstanceUID);
}

function openCopy(store: StudyStore, itemId: string, StudyInstanceUID: string, path: string, SOPInstanceUID?: string): Buffer {
  return store.openForStudy(StudyInstanceUID, outboxContext(itemId, basename(path), SOPInstanceUID), readPlain(path), path);
}

/** Adds the missing Certified Timestamps to a queued DICOM file: opened, stamped, sealed again, replaced by rename. */
async function timestampFile(store: StudyStore, row: Row, i: OutboxInstance, tsaUrl: string): Promise<void> {
  const path = join(store.root, row.dir, i.file);
  const bytes = openCopy(store, row.id, row.StudyInstanceUID, path, i.SOPInstanceUID);
  if (signaturesWithoutTimestamp(bytes, path).length === 0) return;
  const stamped = await addDicomTimestamps(bytes, (sig) => requestTimestamp(tsaUrl, createHash('sha256').update(sig).digest()), path);
  try {
    replaceFile(path, store.sealForStudy(row.StudyInstanceUID, outboxContext(row.id, i.file, i.SOPInstanceUID), stamped));
  } catch (e) {
    throw new AmurError('vault.fileWriteFailed', { path, detail: (e as Error).message }, { cause: e });
  }
}

export interface DeliveryResult {
  delivered: string[];
  failed: { item: string; code: string; params: ErrorParams }[];
}

/**
 * Delivers what is due. targetFor gives the exchange of an agreement (it throws a translated
 * AmurError when the agreement is no longer usable); a failure of one item never stops the others.
 */
export async function deliver(
  store: StudyStore,
  targetFor: (agreementId: string) => OutboxTarget,
  options: {
    now?: Date;
    ignoreBackoff?: boolean;
    only?: string[];
    onItem?: (item: OutboxItem) => void;
    /** The TSA of an agreement (its tsaUrl): signatures without a Certified Timestamp get one first. */
    tsaFor?: (agreementId: string) => string | undefined;
  } = {},
): Promise<DeliveryResult> {
  const now = options.now ?? new Date();
  const result: DeliveryResult = { delivered: [], failed: [] };
  sealLeftInClear(store);
  for (const row of claim(store, now, options.ignoreBackoff ?? false, options.only)) {
    const instances = JSON.parse(row.instances) as OutboxInstance[];
    let target: OutboxTarget | undefined;
    try {
      target = targetFor(row.agreement_id);
      const tsaUrl = options.tsaFor?.(row.agreement_id);
      if (tsaUrl) for (const i of instances) await timestampFile(store, row, i, tsaUrl);
      const missing: Buffer[] = [];
      for (const i of instances) {
        if (!(await target.hasInstance(row.StudyInstanceUID, i.SOPInstanceUID))) {
          missing.push(openCopy(store, row.id, row.StudyInstanceUID, join(store.root, row.dir, i.file), i.SOPInstanceUID));
        }
      }
      if (missing.length) await target.store(row.StudyInstanceUID, missing);
      for (const i of instances) {
        if (!(await target.hasInstance(row.StudyInstanceUID, i.SOPInstanceUID))) {
          throw new AmurError('outbox.notStored', { sop: i.SOPInstanceUID });
        }
      }
      store.db.prepare(`UPDATE outbox SET status = 'delivered', claimed_by = NULL, error_code = NULL, error_params = NULL,
        next_attempt_at = NULL, delivered_at = ? WHERE id = ?`).run(new Date().toISOString(), row.id);
      result.delivered.push(row.id);
      audit(store.home, { action: 'report.deliver', outcome: 'success', role: 'reader', agreement: row.agreement_id, studies: [row.StudyInstanceUID],
        detail: { item: row.id, instances: instances.length, ...(target.peer ? { peer: target.peer } : {}) } });
    } catch (e) {
      const err = isAmurError(e) ? e : new AmurError('outbox.deliveryFailed', { detail: (e as Error).message }, { cause: e });
      const next = new Date(now.getTime() + backoffSeconds(row.attempts + 1) * 1000).toISOString();
      store.db.prepare(`UPDATE outbox SET status = 'failed', claimed_by = NULL, error_code = ?, error_params = ?,
        next_attempt_at = ? WHERE id = ?`).run(err.code, JSON.stringify(err.params), next, row.id);
      result.failed.push({ item: row.id, code: err.code, params: err.params });
      audit(store.home, { action: 'report.deliver', outcome: 'seriousFailure', role: 'reader', agreement: row.agreement_id, studies: [row.StudyInstanceUID],
        detail: { item: row.id, code: err.code, ...(target?.peer ? { peer: target.peer } : {}) } });
    }
    const item = getItem(store, row.id);
    if (item) options.onItem?.(item);
  }
  return result;
}

/** In store/outbox: every copy there is sealed (an earlier version's clear copies were sealed in place). */
const SEALED_MARKER = '.sealed';

/**
 * Seals the copies an earlier version queued in clear, once: each is sealed and renamed over
 * itself, so a crash leaves every copy whole, clear or sealed, and the next call goes on; the
 * marker written at the end makes later calls cost one stat.
 */
function sealLeftInClear(store: StudyStore): void {
  const base = join(store.root, 'outbox');
  const done = join(base, SEALED_MARKER);
  if (existsSync(done)) return;
  mkdirSync(base, { recursive: true });
  for (const r of store.db.prepare('SELECT * FROM outbox').all() as Row[]) {
    const dir = join(store.root, r.dir);
    if (!existsSync(dir)) continue;
    const instances = JSON.parse(r.instances) as OutboxInstance[];
    for (const file of readdirSync(dir)) {
      const path = join(dir, file);
      if (file.startsWith('.') || isSealedFile(path)) continue;
      const sop = instances.find((i) => i.file === file)?.SOPInstanceUID;
      replaceFile(path, store.sealForStudy(r.StudyInstanceUID, outboxContext(r.id, file, sop), readPlain(path)));
    }
  }
  writeFileSync(done, '');
}

