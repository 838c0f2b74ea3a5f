// The audit trail (product rule 7): every access and transfer, append-only and tamper-evident, in
// AMUR_HOME/audit/audit.sqlite. The reader's workstation and the hospital side both keep one.
//
// - Hash chain: each event stores the hash of the one before it and its own hash, SHA-256 over that
//   previous hash and the event's canonical form. Editing an event breaks its own hash; deleting or
//   moving one breaks the link of the event after it. The sequence number is not hashed: the links
//   order the events, so a renumbering shows as what it hides (a deletion, a move).
// - Checkpoints: every append also writes a checkpoint, the head of the chain (sequence number and
//   hash) signed with the workstation's own Ed25519 key, in the same transaction, and copies it to
//   audit/head.json. Deleting events at the end leaves a checkpoint (or a head file) that names an
//   event that is no longer there, so truncation is caught as well, which a chain alone cannot do.
//   The key lives beside the log: someone who can rewrite the log, the checkpoints, the head file
//   and re-sign them with the key can forge a shorter history. What stops that is a copy outside:
//   events forwarded to the hospital's audit repository (core/audit/syslog.ts) and checkpoints
//   time-stamped by a TSA (core/signing/timestamp.ts).
// - Several processes append at once (the app, `amur` commands, the hospital's scheduler): each
//   append is one IMMEDIATE transaction, so the chain is extended by one writer at a time.
import Database from 'better-sqlite3-multiple-ciphers';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import { readTimestampToken, verifyTimestampToken } from '../signing/timestamp.js';
import type { AuditAction, AuditEvent, AuditRecord } from './event.js';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, AUDIT_ROLES } from './event.js';

const ZERO_HASH = '0'.repeat(64);
const CHECKPOINT_DOMAIN = 'amur-audit-checkpoint-v1';

/** What `amur audit verify` found wrong, naming the event (its sequence number) and why. */
export interface AuditProblem {
  event: number;
  reason: 'edited' | 'deleted' | 'reordered' | 'truncated' | 'checkpoint';
  /** A sentence in English for the log file and the JSON; the UI translates `reason`. */
  detail: string;
}

export interface AuditVerification {
  events: number;
  valid: boolean;
  problems: AuditProblem[];
  /** The newest checkpoint an RFC 3161 authority time-stamped: the trail up to it existed then. */
  timestamped?: { event: number; genTime: string; tsa?: string };
}

interface Row {
  seq: number;
  time: string;
  action: string;
  outcome: string;
  user: string;
  role: string;
  workstation: string;
  agreement: string | null;
  studies: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  time: string;
  signature: Buffer;
  key_id: string;
  tsa_token: Buffer | null;
}

/** The exact bytes an event's hash covers: field order fixed, detail keys sorted. */
function canonical(e: Omit<AuditEvent, 'seq'>): string {
  const detail: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(e.detail).sort()) detail[k] = e.detail[k]!;
  return JSON.stringify([e.time, e.action, e.outcome, e.user, e.role, e.workstation, e.agreement ?? null, e.studies, detail]);
}

function chainHash(prev: string, e: Omit<AuditEvent, 'seq'>): string {
  return createHash('sha256').update(prev, 'hex').update(canonical(e)).digest('hex');
}

function checkpointBytes(seq: number, hash: string, time: string): Buffer {
  return Buffer.from(`${CHECKPOINT_DOMAIN}\n${seq}\n${hash}\n${time}`);
}

function rowToEvent(r: Row): AuditEvent {
  return {
    seq: r.seq,
    time: r.time,
    action: r.action as AuditAction,
    outcome: r.outcome as AuditEvent['outcome'],
    user: r.user,
    role: r.role as AuditEvent['role'],
    workstation: r.workstation,
    ...(r.agreement !== null ? { agreement: r.agreement } : {}),
    studies: JSON.parse(r.studies) as string[],
    detail: JSON.parse(r.detail) as AuditEvent['detail'],
  };
}

/** The OS account running this process: the user of an event when no signer identity acted. */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export class AuditLog {
  readonly dir: string;
  private readonly db: Database.Database;
  private readonly key: KeyObject;
  private readonly publicKey: KeyObject;
  readonly keyId: string;
  private readonly workstation: string;
  private closed = false;
  private statements?: Record<'last' | 'insert' | 'addStudy' | 'checkpoint', Database.Statement>;

  static open(home: string): AuditLog {
    return new AuditLog(join(home, 'audit'));
  }

  private constructor(dir: string) {
    this.dir = dir;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      ({ privateKey: this.key, publicKey: this.publicKey } = this.workstationKey());
      this.keyId = createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
      this.db = new Database(join(dir, 'audit.sqlite'));
      this.db.pragma('busy_timeout = 60000');
      this.db.pragma('journal_mode = WAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS events (
          seq          INTEGER PRIMARY KEY,
          time         TEXT NOT NULL,
          action       TEXT NOT NULL,
          outcome      TEXT NOT NULL,
          user         TEXT NOT NULL,
          role         TEXT NOT NULL,
          workstation  TEXT NOT NULL,
          agreement    TEXT,
          studies      TEXT NOT NULL,
          detail       TEXT NOT NULL,
          prev_hash    TEXT NOT NULL,
          hash         TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS event_studies (
          StudyInstanceUID TEXT NOT NULL,
          seq              INTEGER NOT NULL,
          PRIMARY KEY (StudyInstanceUID, seq)
        );
        CREATE TABLE IF NOT EXISTS checkpoints (
          seq        INTEGER PRIMARY KEY,
          hash       TEXT NOT NULL,
          time       TEXT NOT NULL,
          signature  BLOB NOT NULL,
          key_id     TEXT NOT NULL,
          tsa_token  BLOB
        );
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    } catch (e) {
      if (e instanceof AmurError) throw e;
      throw new AmurError('audit.openFailed', { path: dir, detail: (e as Error).message }, { cause: e });
    }
    this.workstation = hostname();
  }

  /** The workstation's signing key for checkpoints: made on first use, private part readable by this user only. */
  private workstationKey(): { privateKey: KeyObject; publicKey: KeyObject } {
    const priv = join(this.dir, 'workstation-key.pem');
    if (existsSync(priv)) {
      const privateKey = createPrivateKey(readFileSync(priv));
      return { privateKey, publicKey: createPublicKey(privateKey) };
    }
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const tmp = `${priv}.${process.pid}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    try {
      // Two processes creating the key at once: the first rename wins and both use that key.
      if (existsSync(priv)) throw new Error('exists');
      renameSync(tmp, priv);
    } catch {
      const privateKey2 = createPrivateKey(readFileSync(priv));
      return { privateKey: privateKey2, publicKey: createPublicKey(privateKey2) };
    }
    writeFileSync(join(this.dir, 'workstation-key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    return { privateKey, publicKey };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  /** Appends one event (with its checkpoint) and returns it as stored. */
  record(r: AuditRecord): AuditEvent {
    if (!AUDIT_ACTIONS.includes(r.action) || !AUDIT_OUTCOMES.includes(r.outcome) || !AUDIT_ROLES.includes(r.role)) {
      throw new AmurError('audit.badEvent', { action: String(r.action) });
    }
    const base: Omit<AuditEvent, 'seq'> = {
      time: new Date().toISOString(),
      action: r.action,
      outcome: r.outcome,
      user: r.user ?? osUser(),
      role: r.role,
      workstation: this.workstation,
      ...(r.agreement ? { agreement: r.agreement } : {}),
      studies: [...new Set(r.studies ?? [])],
      detail: r.detail ?? {},
    };
    let event!: AuditEvent;
    let checkpoint!: { seq: number; hash: string; time: string; signature: Buffer };
    const st = this.statements ??= {
      last: this.db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
      insert: this.db.prepare(`INSERT INTO events (seq, time, action, outcome, user, role, workstation, agreement, studies, detail, prev_hash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      addStudy: this.db.prepare('INSERT OR IGNORE INTO event_studies (StudyInstanceUID, seq) VALUES (?, ?)'),
      checkpoint: this.db.prepare('INSERT INTO checkpoints (seq, hash, time, signature, key_id) VALUES (?, ?, ?, ?, ?)'),
    };
    this.db.transaction(() => {
      const last = st.last.get() as { seq: number; hash: string } | undefined;
      const seq = (last?.seq ?? 0) + 1;
      const prev = last?.hash ?? ZERO_HASH;
      const hash = chainHash(prev, base);
      st.insert.run(
        seq, base.time, base.action, base.outcome, base.user, base.role, base.workstation, base.agreement ?? null,
        JSON.stringify(base.studies), JSON.stringify(base.detail), prev, hash);
      for (const s of base.studies) st.addStudy.run(s, seq);
      const signature = sign(null, checkpointBytes(seq, hash, base.time), this.key);
      st.checkpoint.run(seq, hash, base.time, signature, this.keyId);
      event = { seq, ...base };
      checkpoint = { seq, hash, time: base.time, signature };
    }).immediate();
    this.writeHead(checkpoint);
    return event;
  }

  /**
   * The newest checkpoint, also kept outside the database: an event and checkpoint deleted together
   * from the database still leave the head file naming them. Written by rename, so it is whole.
   * Two writers racing may leave the older of their two heads; that only makes the head file name
   * an event a little earlier than the last, never one that does not exist.
   */
  private writeHead(c: { seq: number; hash: string; time: string; signature: Buffer }): void {
    const path = join(this.dir, 'head.json');
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ seq: c.seq, hash: c.hash, time: c.time, signature: c.signature.toString('base64'), keyId: this.keyId }));
    renameSync(tmp, path);
  }

  private readHead(): { seq: number; hash: string; time: string; signature: string } | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, 'head.json'), 'utf8')) as { seq: number; hash: string; time: string; signature: string };
    } catch {
      return undefined;
    }
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  /** Events in order, optionally from a time (inclusive, ISO 8601) or for one study. */
  list(options: { since?: string; study?: string; afterSeq?: number; limit?: number } = {}): AuditEvent[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (options.since) { where.push('e.time >= ?'); params.push(new Date(options.since).toISOString()); }
    if (options.afterSeq !== undefined) { where.push('e.seq > ?'); params.push(options.afterSeq); }
    if (options.study) { where.push('e.seq IN (SELECT seq FROM event_studies WHERE StudyInstanceUID = ?)'); params.push(options.study); }
    const sql = `SELECT e.* FROM events e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.seq${options.limit ? ` LIMIT ${Math.floor(options.limit)}` : ''}`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(rowToEvent);
  }

  // The forwarding cursor, for core/audit/syslog.ts's AuditSource.
  eventsAfter(seq: number, limit: number): AuditEvent[] {
    return this.list({ afterSeq: seq, limit });
  }

  forwardedUpTo(): number {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = 'forwardedUpTo'").get() as { value: string } | undefined;
    return r ? Number(r.value) : 0;
  }

  markForwarded(seq: number): void {
    // Never backwards: two forwarders racing must not make events be sent a third time.
    this.db.prepare(`INSERT INTO meta (key, value) VALUES ('forwardedUpTo', ?)
      ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))`).run(String(seq));
  }

  /** The newest checkpoint, for time-stamping it. */
  latestCheckpoint(): { seq: number; hash: string; time: string } | undefined {
    return this.db.prepare('SELECT seq, hash, time FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number; hash: string; time: string } | undefined;
  }

  isTimestamped(seq: number): boolean {
    return (this.db.prepare('SELECT tsa_token IS NOT NULL AS t FROM checkpoints WHERE seq = ?').get(seq) as { t: number } | undefined)?.t === 1;
  }

  /** Stores a TSA's token for a checkpoint (its imprint: SHA-256 of the checkpoint's signed bytes). */
  attachTimestamp(seq: number, token: Buffer): void {
    this.db.prepare('UPDATE checkpoints SET tsa_token = ? WHERE seq = ?').run(token, seq);
  }

  /** The digest a checkpoint's time-stamp covers. */
  static checkpointDigest(c: { seq: number; hash: string; time: string }): Buffer {
    return createHash('sha256').update(checkpointBytes(c.seq, c.hash, c.time)).digest();
  }

  /** Checks the whole chain, every checkpoint and the head file; names each event that is wrong and how. */
  verify(options: { tsaTrust?: X509Certificate[] } = {}): AuditVerification {
    const rows = this.db.prepare('SELECT * FROM events ORDER BY seq').all() as Row[];
    const checkpoints = this.db.prepare('SELECT seq, hash, time, signature, key_id, tsa_token FROM checkpoints ORDER BY seq').all() as CheckpointRow[];
    const problems: AuditProblem[] = [];
    const byHash = new Map<string, Row>();
    for (const r of rows) byHash.set(r.hash, r);
    const bySeq = new Map<number, Row>();
    for (const r of rows) bySeq.set(r.seq, r);

    const signedHash = new Map<number, string>();
    for (const c of checkpoints) signedHash.set(c.seq, c.hash);
    let prevHash = ZERO_HASH;
    let prevSeq = 0;
    for (const r of rows) {
      if (chainHash(r.prev_hash, rowToEvent(r)) !== r.hash) {
        problems.push({ event: r.seq, reason: 'edited', detail: `event #${r.seq} does not match its hash: its content was changed` });
      } else if (r.prev_hash !== prevHash) {
        // The link to the event before is broken: that event sits elsewhere (moved), was rewritten
        // with a new hash (edited), or is gone (deleted).
        const pred = byHash.get(r.prev_hash);
        const before = bySeq.get(prevSeq);
        if (pred) {
          problems.push({ event: r.seq, reason: 'reordered', detail: `event #${r.seq} was recorded after the event now at #${pred.seq}, not after #${prevSeq}` });
        } else if (r.seq === prevSeq + 1 && before && signedHash.has(before.seq) && signedHash.get(before.seq) !== before.hash) {
          problems.push({ event: before.seq, reason: 'edited', detail: `event #${before.seq} was rewritten: it differs from its signed checkpoint` });
        } else {
          problems.push({ event: prevSeq + 1, reason: 'deleted', detail: r.seq - prevSeq > 2
            ? `events #${prevSeq + 1} to #${r.seq - 1} are missing`
            : `the event recorded before #${r.seq} is missing` });
        }
      } else if (r.seq !== prevSeq + 1) {
        problems.push({ event: r.seq, reason: 'reordered', detail: `event #${r.seq} follows #${prevSeq} in the chain: it was renumbered` });
      }
      prevHash = r.hash;
      prevSeq = r.seq;
    }

    const lastSeq = rows.length ? rows[rows.length - 1]!.seq : 0;
    for (const c of checkpoints) {
      if (c.key_id !== this.keyId || !verify(null, checkpointBytes(c.seq, c.hash, c.time), this.publicKey, c.signature)) {
        problems.push({ event: c.seq, reason: 'checkpoint', detail: `the checkpoint at event #${c.seq} is not signed by this workstation's key` });
        continue;
      }
      const r = bySeq.get(c.seq);
      if (!r && c.seq > lastSeq) continue; // reported once below, as truncation
      if (!problems.some((p) => p.event === c.seq) && r?.hash !== c.hash) {
        if (byHash.has(c.hash)) continue; // moved: reported where the chain breaks
        problems.push(r
          ? { event: c.seq, reason: 'edited', detail: `event #${c.seq} differs from its signed checkpoint` }
          : { event: c.seq, reason: 'deleted', detail: `event #${c.seq} is missing` });
      }
    }
    const head = this.readHead();
    const headSeq = head && verify(null, checkpointBytes(head.seq, head.hash, head.time), this.publicKey, Buffer.from(head.signature, 'base64')) ? head.seq : 0;
    if (head && headSeq === 0) {
      problems.push({ event: head.seq, reason: 'checkpoint', detail: `the head file's checkpoint (#${head.seq}) is not signed by this workstation's key` });
    }
    const signedEnd = Math.max(headSeq, ...checkpoints.map((c) => c.seq));
    if (signedEnd > lastSeq) {
      problems.push({ event: lastSeq + 1, reason: 'truncated', detail: `events #${lastSeq + 1} to #${signedEnd} were signed but are gone` });
    }
    // Time-stamps: each token must be for its checkpoint (and, with the TSA's trust given, by a
    // trusted TSA); the newest good one is reported.
    let timestamped: AuditVerification['timestamped'];
    for (const c of checkpoints) {
      if (!c.tsa_token) continue;
      const digest = AuditLog.checkpointDigest(c);
      if (options.tsaTrust) {
        const t = verifyTimestampToken(c.tsa_token, digest, options.tsaTrust);
        if (!t.valid) {
          problems.push({ event: c.seq, reason: 'checkpoint', detail: `the time-stamp of the checkpoint at event #${c.seq} does not verify (${t.problems.map((p) => p.code).join(', ')})` });
          continue;
        }
        timestamped = { event: c.seq, genTime: t.genTime!, ...(t.tsa ? { tsa: t.tsa } : {}) };
      } else {
        let info: ReturnType<typeof readTimestampToken>['tstInfo'] | undefined;
        try { info = readTimestampToken(c.tsa_token).tstInfo; } catch { info = undefined; }
        if (!info || !info.hashedMessage.equals(digest)) {
          problems.push({ event: c.seq, reason: 'checkpoint', detail: `the time-stamp of the checkpoint at event #${c.seq} is not for that checkpoint` });
          continue;
        }
        timestamped = { event: c.seq, genTime: info.genTime.toISOString() };
      }
    }
    problems.sort((a, b) => a.event - b.event);
    return { events: rows.length, valid: problems.length === 0, problems, ...(timestamped ? { timestamped } : {}) };
  }
}
