// The audit trail's second way out (product rule 7): its events, as DICOM audit messages
// (core/audit/atna.ts), sent to the hospital's audit record repository the way IHE ATNA's Record
// Audit Event transaction does: syslog messages (RFC 5424) over TLS (RFC 5425). The copy there is
// what makes the trail's tamper evidence hold against someone who controls the workstation.
//
// Delivery is at-least-once. The log keeps every event and how far forwarding got; the forwarder
// sends what lies after that, in order, and moves the mark only once the repository has taken the
// bytes. RFC 5425 has no acknowledgement, so "taken" is made as strong as plain syslog allows: each
// batch ends with a TLS close_notify and a TCP half-close, and the mark moves only when the
// repository has closed its side in answer, which it does after reading everything before our end.
// A crash, a kill or a cut link before that leaves the mark where it was: the batch is sent again
// (a repository can drop the duplicates by workstation and sequence number, atna.ts carries both).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import { AmurError, isAmurError } from '../common/errors.js';
import { auditMessageXml } from './atna.js';
import type { AuditEvent } from './event.js';

/** What the forwarder reads: the audit log implements it (core/audit/log.ts). */
export interface AuditSource {
  /** Up to `limit` events with a sequence number above `seq`, in order. */
  eventsAfter(seq: number, limit: number): AuditEvent[];
  /** The highest sequence number the repository has taken (0 before the first). */
  forwardedUpTo(): number;
  /** Records that every event up to `seq` has been taken. */
  markForwarded(seq: number): void;
}

/** AMUR_HOME/audit/repository.json, read and checked. */
export interface RepositoryConfig {
  host: string;
  port: number;
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The file it came from, for messages. */
  file: string;
}

/** Reads and checks the repository's configuration; every problem is an AmurError naming the file. */
export function loadRepositoryConfig(home: string): RepositoryConfig {
  const file = join(home, 'audit', 'repository.json');
  if (!existsSync(file)) throw new AmurError('audit.repository.missing', { path: file });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AmurError('audit.repository.badJson', { path: file, detail: (e as Error).message }, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new AmurError('audit.repository.badJson', { path: file, detail: 'not an object' });
  const c = raw as Record<string, unknown>;
  const m = typeof c.url === 'string' ? /^syslog-tls:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})\/?$/.exec(c.url) : null;
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new AmurError('audit.repository.badUrl', { path: file, value: String(c.url ?? '') });
  const host = m[1]!.replace(/^\[|\]$/g, '');
  // Paths are relative to the configuration file, so a folder of them can be copied as a whole.
  const read = (field: 'ca' | 'cert' | 'key'): Buffer | undefined => {
    const v = c[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) throw new AmurError('audit.repository.badField', { path: file, field });
    const p = isAbsolute(v) ? v : resolve(dirname(file), v);
    try {
      return readFileSync(p);
    } catch (e) {
      throw new AmurError('audit.repository.unreadableFile', { path: file, field, file: p, detail: (e as Error).message }, { cause: e });
    }
  };
  const ca = read('ca');
  if (!ca) throw new AmurError('audit.repository.noCa', { path: file });
  const cert = read('cert');
  const key = read('key');
  if (Boolean(cert) !== Boolean(key)) throw new AmurError('audit.repository.certWithoutKey', { path: file });
  return { host, port, ca, ...(cert ? { cert, key } : {}), file };
}

// DICOM PS3.15 A.6 (SYSLOG-TLS) and IHE ITI-20: facility 10 (security/authorization), severity 5
// (normal but significant), so PRI is <85>. MSGID: A.6 names "DICOM+RFC3881" for messages of the
// DICOM format (A.5); older ITI-20 text asks for "IHE+RFC-3881", meant for RFC 3881 messages, which
// these are not. A repository that filters on the latter needs its filter widened, not our MSGID changed.
const PRI = 10 * 8 + 5;
export const ATNA_MSGID = 'DICOM+RFC3881';

/** RFC 5424 header fields are printable US-ASCII without spaces; anything else becomes '_'. */
function headerField(s: string, max: number): string {
  const v = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v || '-';
}

/** One event as an RFC 5424 message framed for RFC 5425: "LEN SP MSG", LEN in octets. */
export function syslogFrame(event: AuditEvent, options: { appName?: string; procId?: string } = {}): Buffer {
  // The MSG is UTF-8 and says so with a BOM, as RFC 5424 asks of MSG-UTF8. TIMESTAMP is the
  // event's own time, HOSTNAME the workstation that recorded it, so a re-sent event reads the same.
  const header = `<${PRI}>1 ${event.time} ${headerField(event.workstation, 255)} ${headerField(options.appName ?? 'amur', 48)} `
    + `${headerField(options.procId ?? String(process.pid), 128)} ${ATNA_MSGID} - `;
  const msg = Buffer.concat([Buffer.from(header, 'ascii'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(auditMessageXml(event), 'utf8')]);
  return Buffer.concat([Buffer.from(`${msg.length} `, 'ascii'), msg]);
}

export interface ForwardResult {
  sent: number;
  pending: number;
  /** Why forwarding stopped early, translated at the edge (errorMessage). */
  error?: AmurError;
}

export interface ForwarderOptions {
  /** Events per connection (default 500). */
  batch?: number;
  /** How long to wait for the repository to answer a connection or a close (default 15 s). */
  timeoutMs?: number;
  /** Back-off while the repository is unreachable: first wait and ceiling (default 1 s, 5 min). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How often the running forwarder looks for new events (default 10 s). */
  intervalMs?: number;
  appName?: string;
}

const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME|IP_ADDRESS|ALTNAME|UNTRUSTED|CHAIN/;

export class AuditForwarder {
  private running = false;
  private timer?: NodeJS.Timeout;
  private current?: Promise<ForwardResult>;
  private delay: number;
  private readonly o: Required<Omit<ForwarderOptions, 'appName'>> & { appName: string };

  constructor(private readonly source: AuditSource, private readonly config: RepositoryConfig, options: ForwarderOptions = {}) {
    this.o = { batch: 500, timeoutMs: 15_000, retryMinMs: 1000, retryMaxMs: 300_000, intervalMs: 10_000, appName: 'amur', ...options };
    this.delay = this.o.retryMinMs;
  }

  /** Sends everything pending, batch by batch; one call of `amur audit forward`. Never throws. */
  forwardOnce(): Promise<ForwardResult> {
    // One run at a time: two would send the same events twice and race on the mark.
    if (!this.current) this.current = this.run().finally(() => (this.current = undefined));
    return this.current;
  }

  /** Forwards now and then every interval, backing off (doubling) while the repository is unreachable. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.delay = this.o.retryMinMs;
    this.schedule(0);
  }

  /** Stops the loop and waits for a batch in flight (its mark moves only if it completed). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      void this.forwardOnce().then((r) => {
        if (r.error) this.delay = Math.min(this.delay * 2, this.o.retryMaxMs);
        const wait = r.error ? this.delay : this.o.intervalMs;
        if (!r.error) this.delay = this.o.retryMinMs;
        this.schedule(wait);
      });
    }, ms);
    this.timer.unref?.();
  }

  private pending(): number {
    return this.source.eventsAfter(this.source.forwardedUpTo(), 1_000_000).length;
  }

  private async run(): Promise<ForwardResult> {
    let sent = 0;
    try {
      for (;;) {
        const events = this.source.eventsAfter(this.source.forwardedUpTo(), this.o.batch);
        if (!events.length) break;
        await this.sendBatch(events);
        // Only now, with the repository's side closed after reading everything, does the mark move.
        this.source.markForwarded(events[events.length - 1]!.seq);
        sent += events.length;
      }
      return { sent, pending: 0 };
    } catch (e) {
      const error = isAmurError(e) ? e : new AmurError('audit.repository.failed', { host: this.config.host, detail: (e as Error).message }, { cause: e });
      return { sent, pending: this.pending(), error };
    }
  }

  private sendBatch(events: AuditEvent[]): Promise<void> {
    const { host, port } = this.config;
    const frames = Buffer.concat(events.map((e) => syslogFrame(e, { appName: this.o.appName })));
    return new Promise<void>((resolveBatch, reject) => {
      let done = false;
      let socket: TLSSocket | undefined = undefined;
      const finish = (err?: AmurError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (err) {
          socket?.destroy();
          reject(err);
        } else resolveBatch();
      };
      const timer = setTimeout(() => finish(new AmurError('audit.repository.timeout', { host, port })), this.o.timeoutMs);
      let secured = false;
      let ended = false;
      socket = connect({
        host, port, ca: this.config.ca, cert: this.config.cert, key: this.config.key,
        minVersion: 'TLSv1.2',
        // The server's certificate must chain to the configured CA and name the host: Node checks
        // both by default; servername makes SNI and the name check use the configured host.
        servername: /^[\d.]+$|:/.test(host) ? undefined : host,
        rejectUnauthorized: true,
      }, () => {
        secured = true;
        // write's callback: the frames are flushed to the socket; end then half-closes.
        socket!.write(frames, (err) => {
          if (err) return finish(new AmurError('audit.repository.connectionLost', { host, port, detail: err.message }));
          socket!.end();
        });
      });
      socket.on('data', () => {
        // A syslog receiver sends nothing; whatever it sends is ignored.
      });
      socket.on('end', () => {
        ended = true;
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        if (!secured && CERT_ERRORS.test(code)) {
          finish(new AmurError('audit.repository.untrusted', { host, port, detail: `${code}: ${err.message}` }));
        } else if (!secured) {
          finish(new AmurError('audit.repository.unreachable', { host, port, detail: code || err.message }));
        } else {
          finish(new AmurError('audit.repository.connectionLost', { host, port, detail: code || err.message }));
        }
      });
      socket.on('close', (hadError) => {
        if (!secured) return finish(new AmurError('audit.repository.unreachable', { host, port, detail: 'closed during the TLS handshake' }));
        // The repository closed after our end: it has read the whole batch.
        if (!hadError && ended) finish();
        else finish(new AmurError('audit.repository.connectionLost', { host, port, detail: 'closed before the batch was taken' }));
      });
    });
  }
}
