// Forwarding the audit trail to a real audit record repository: Debian's rsyslogd, started by the
// test as a syslog-over-TLS receiver (imtcp with the OpenSSL stream driver, RFC 5425) on a free
// port, certificates made by openssl here, every message it takes written to a file. What arrives
// is checked with xmllint against the DICOM audit message schema.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { AUDIT_DOCUMENT_SCHEMA, AUDIT_MESSAGE_SCHEMA } from '../core/audit/atna.js';
import { AUDIT_ACTIONS, type AuditEvent } from '../core/audit/event.js';
import { ATNA_MSGID, AuditForwarder, loadRepositoryConfig, syslogFrame, type AuditSource, type RepositoryConfig } from '../core/audit/syslog.js';
import { errorMessage } from '../core/i18n/index.js';

const root = mkdtempSync(join(tmpdir(), 'amur-syslog-'));
const receivers: Receiver[] = [];
after(async () => {
  for (const r of receivers) await r.kill('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

function sh(cmd: string, args: string[], cwd = root): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** A CA and a server certificate for localhost / 127.0.0.1 signed by it, in dir. */
function makePki(dir: string, client = false): void {
  mkdirSync(dir, { recursive: true });
  sh('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test Audit CA'], dir);
  writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const leaf = (name: string) => {
    sh('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : 'reader-ws-1'}`], dir);
    sh('openssl', ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', 'ext'], dir);
  };
  leaf('server');
  if (client) leaf('client');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port (rsyslogd is listening). */
async function waitListening(port: number, child: ChildProcess, deadline = Date.now() + 15_000): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`rsyslogd exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error('rsyslogd did not start listening');
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Receiver {
  port: number;
  out: string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts rsyslogd in the foreground as the current user, taking RFC 5425 syslog on `port`. */
async function startReceiver(name: string, port: number, pki: string, out: string, authMode = 'anon'): Promise<Receiver> {
  const work = join(root, name);
  mkdirSync(work, { recursive: true });
  const conf = join(work, 'rsyslog.conf');
  // Direct queues: the message is written to the file by the thread that read it, so what
  // rsyslogd has read before it closes a connection is on disk (no in-memory queue to lose).
  writeFileSync(conf, `
global(workDirectory="${work}" maxMessageSize="64k" parser.escapeControlCharactersOnReceive="off"
  DefaultNetstreamDriver="ossl" DefaultNetstreamDriverCAFile="${pki}/ca.pem"
  DefaultNetstreamDriverCertFile="${pki}/server.pem" DefaultNetstreamDriverKeyFile="${pki}/server.key")
main_queue(queue.type="Direct")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="${authMode}")
input(type="imtcp" port="${port}")
template(name="fields" type="string" string="%pri% %hostname% %app-name% %procid% %msgid% %msg%\\n")
action(type="omfile" file="${out}" template="fields" flushOnTXEnd="on" asyncWriting="off")
`);
  const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(work, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  try {
    await waitListening(port, child);
  } catch (e) {
    throw new Error(`${(e as Error).message}: ${stderr}`, { cause: e });
  }
  const r: Receiver = {
    port, out,
    kill: (signal) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    }),
  };
  receivers.push(r);
  return r;
}

interface Received { pri: string; hostname: string; app: string; procid: string; msgid: string; xml: string; seq: number }

/** The receiver's file, one message a line; a line that is not a whole message fails the test. */
function received(out: string): Received[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8').split('\n').filter(Boolean).map((line) => {
    const m = /^(\d+) (\S+) (\S+) (\S+) (\S+) \uFEFF?(<AuditMessage>.*<\/AuditMessage>)$/.exec(line);
    assert.ok(m, `not a whole audit message: ${line.slice(0, 200)}`);
    const seq = /<ParticipantObjectIdentification ParticipantObjectID="(\d+)" ParticipantObjectTypeCode="2"><ParticipantObjectIDTypeCode csd-code="event"/.exec(m[6]!);
    return { pri: m[1]!, hostname: m[2]!, app: m[3]!, procid: m[4]!, msgid: m[5]!, xml: m[6]!, seq: Number(seq![1]) };
  });
}

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every received message against the standard's schema, in one xmllint run. */
function assertValid(messages: Received[]): void {
  const dir = mkdtempSync(join(root, 'xml-'));
  const files = messages.map((m, i) => {
    const f = join(dir, `${i}.xml`);
    writeFileSync(f, m.xml);
    return f;
  });
  const r = spawnSync('xmllint', ['--noout', '--relaxng', fileURLToPath(AUDIT_MESSAGE_SCHEMA), ...files], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** The tiny in-memory AuditSource: a list of events and a mark. */
class MemorySource implements AuditSource {
  events: AuditEvent[] = [];
  mark = 0;
  marks: number[] = [];
  add(n: number): void {
    for (let i = 0; i < n; i++) {
      const seq = this.events.length + 1;
      this.events.push({
        seq, time: new Date(Date.UTC(2026, 11, 7, 8, 0, 0, seq)).toISOString(), action: AUDIT_ACTIONS[seq % AUDIT_ACTIONS.length]!,
        outcome: 'success', user: 'Иванов И.И. <reader> & 张', role: 'reader', workstation: 'reader-ws-1', agreement: 'AG-1',
        studies: [`1.2.826.0.1.3680043.8.498.${seq}`], detail: { peer: 'exchange.example', n: seq },
      });
    }
  }
  eventsAfter(seq: number, limit: number): AuditEvent[] {
    return this.events.filter((e) => e.seq > seq).slice(0, limit);
  }
  forwardedUpTo(): number { return this.mark; }
  markForwarded(seq: number): void { this.mark = seq; this.marks.push(seq); }
}

function config(pki: string, port: number, extra: Partial<RepositoryConfig> = {}): RepositoryConfig {
  return { host: 'localhost', port, ca: readFileSync(join(pki, 'ca.pem')), file: 'repository.json', ...extra };
}

/** Sequence numbers in the order they first arrived (a re-sent batch may repeat some). */
function firstArrivals(msgs: Received[]): number[] {
  const seen = new Set<number>();
  return msgs.map((m) => m.seq).filter((s) => (seen.has(s) ? false : (seen.add(s), true)));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('audit forwarding over syslog/TLS to rsyslogd', () => {
  const pki = join(root, 'pki');
  const otherPki = join(root, 'other-pki');
  before(() => {
    makePki(pki, true);
    makePki(otherPki);
  });

  it('frames an RFC 5424 message with octet counting over its UTF-8 bytes', () => {
    const src = new MemorySource();
    src.add(1);
    const frame = syslogFrame(src.events[0]!, { procId: '77' });
    const sp = frame.indexOf(0x20);
    const len = Number(frame.subarray(0, sp).toString('ascii'));
    assert.equal(len, frame.length - sp - 1, 'LEN counts the octets after "LEN SP"');
    assert.match(frame.subarray(sp + 1).toString('utf8'), new RegExp(`^<85>1 2026-12-07T08:00:00\\.001Z reader-ws-1 amur 77 ${ATNA_MSGID.replace('+', '\\+')} - \\uFEFF<AuditMessage>`));
  });

  it('every event arrives, in order, each a valid DICOM audit message with the ATNA header', async () => {
    const port = await freePort();
    const out = join(root, 'all.log');
    await startReceiver('all', port, pki, out);
    const src = new MemorySource();
    src.add(45);
    const f = new AuditForwarder(src, config(pki, port), { batch: 20 });
    const r = await f.forwardOnce();
    assert.equal(r.error, undefined, r.error && errorMessage(r.error));
    assert.deepEqual({ sent: r.sent, pending: r.pending }, { sent: 45, pending: 0 });
    assert.deepEqual(src.marks, [20, 40, 45], 'the mark moves batch by batch');
    // The forwarder returned only after rsyslogd had read everything; its file holds it all.
    const msgs = received(out);
    assert.deepEqual(msgs.map((m) => m.seq), range(45));
    for (const m of msgs) assert.deepEqual([m.pri, m.hostname, m.app, m.msgid], ['85', 'reader-ws-1', 'amur', ATNA_MSGID]);
    assertValid(msgs);
    // Nothing new: nothing sent, nothing arrives twice.
    assert.deepEqual(await f.forwardOnce(), { sent: 0, pending: 0 });
    assert.equal(received(out).length, 45);
  });

  it('the repository down at start: events stay queued, and all arrive once it is up', async () => {
    const port = await freePort();
    const out = join(root, 'late.log');
    const src = new MemorySource();
    src.add(12);
    const f = new AuditForwarder(src, config(pki, port), { batch: 5, retryMinMs: 50, retryMaxMs: 200, intervalMs: 50 });
    const first = await f.forwardOnce();
    assert.equal(first.error?.code, 'audit.repository.unreachable');
    assert.deepEqual({ sent: first.sent, pending: first.pending, mark: src.mark }, { sent: 0, pending: 12, mark: 0 });
    assert.match(errorMessage(first.error, 'en'), new RegExp(`localhost:${port}`));
    f.start();
    try {
      src.add(3);
      await startReceiver('late', port, pki, out);
      await waitFor('all 15 events', () => src.mark === 15 && received(out).length >= 15);
    } finally {
      await f.stop();
    }
    const msgs = received(out);
    assert.deepEqual(firstArrivals(msgs), range(15));
    assertValid(msgs);
  });

  it('the repository killed in the middle and restarted: no event is lost, order kept', async () => {
    const port = await freePort();
    const out = join(root, 'killed.log');
    let rx = await startReceiver('killed-1', port, pki, out);
    const src = new MemorySource();
    const f = new AuditForwarder(src, config(pki, port), { batch: 4, retryMinMs: 50, retryMaxMs: 200, intervalMs: 20 });
    f.start();
    try {
      // Events keep coming while the receiver dies (kill -9) and comes back.
      const producer = (async () => {
        for (let i = 0; i < 40; i++) {
          src.add(1);
          await new Promise((r) => setTimeout(r, 15));
        }
      })();
      await waitFor('a first part to arrive', () => received(out).length >= 8);
      await rx.kill('SIGKILL');
      const markAtKill = src.mark;
      assert.ok(markAtKill < 40, 'killed while events were still being forwarded');
      await waitFor('events to queue up while it is down', () => src.events.length >= markAtKill + 6);
      assert.ok(src.mark <= markAtKill + 4, 'nothing marked while the repository is down, beyond a batch taken before the kill');
      rx = await startReceiver('killed-2', port, pki, out);
      await producer;
      // A loaded machine (CI runs other suites' processes) slows rsyslogd's restart and the back-off.
      await waitFor('all 40 events', () => src.mark === 40 && new Set(received(out).map((m) => m.seq)).size === 40, 90_000);
    } finally {
      await f.stop();
    }
    const msgs = received(out);
    assert.deepEqual(firstArrivals(msgs), range(40));
    assertValid(msgs);
  });

  it('an untrusted server certificate is refused with a translated reason naming the host', async () => {
    const port = await freePort();
    const out = join(root, 'untrusted.log');
    await startReceiver('untrusted', port, otherPki, out);
    const src = new MemorySource();
    src.add(3);
    const r = await new AuditForwarder(src, config(pki, port)).forwardOnce();
    assert.equal(r.error?.code, 'audit.repository.untrusted');
    assert.deepEqual({ sent: r.sent, pending: r.pending, mark: src.mark }, { sent: 0, pending: 3, mark: 0 });
    for (const lang of ['en', 'ru', 'zh-CN'] as const) {
      const msg = errorMessage(r.error, lang);
      assert.ok(msg.includes(`localhost:${port}`) && !msg.includes('errors.audit'), `${lang}: ${msg}`);
    }
    assert.notEqual(errorMessage(r.error, 'ru'), errorMessage(r.error, 'en'));
    assert.equal(received(out).length, 0);
  });

  it('mutual TLS: a repository that demands a client certificate takes the configured one and refuses none', async () => {
    const port = await freePort();
    const out = join(root, 'mtls.log');
    await startReceiver('mtls', port, pki, out, 'x509/certvalid');
    const src = new MemorySource();
    src.add(2);
    const without = await new AuditForwarder(src, config(pki, port)).forwardOnce();
    assert.ok(without.error, 'refused without a client certificate');
    assert.equal(src.mark, 0);
    const withCert = await new AuditForwarder(src, config(pki, port, {
      cert: readFileSync(join(pki, 'client.pem')), key: readFileSync(join(pki, 'client.key')),
    })).forwardOnce();
    assert.equal(withCert.error, undefined, withCert.error && errorMessage(withCert.error));
    assert.equal(src.mark, 2);
    assert.deepEqual(received(out).map((m) => m.seq), [1, 2]);
  });
});

describe('repository configuration (AMUR_HOME/audit/repository.json)', () => {
  const home = join(root, 'home');
  const file = join(home, 'audit', 'repository.json');
  const write = (v: unknown) => {
    mkdirSync(join(home, 'audit'), { recursive: true });
    writeFileSync(file, typeof v === 'string' ? v : JSON.stringify(v));
  };
  const refused = (code: string) => {
    assert.throws(() => loadRepositoryConfig(home), (e: any) => {
      assert.equal(e.code, code);
      for (const lang of ['en', 'ru', 'zh-CN'] as const) {
        const msg = errorMessage(e, lang);
        assert.ok(msg.includes(file) && !msg.includes('errors.'), `${lang}: ${msg}`);
      }
      return true;
    });
  };

  it('reads the URL and the PEM files, paths relative to the file', () => {
    makePki(join(home, 'audit', 'pki'), true);
    write({ url: 'syslog-tls://arr.hospital.example:6514', ca: 'pki/ca.pem', cert: 'pki/client.pem', key: join(home, 'audit', 'pki', 'client.key') });
    const c = loadRepositoryConfig(home);
    assert.deepEqual([c.host, c.port], ['arr.hospital.example', 6514]);
    assert.ok(c.ca.toString().includes('BEGIN CERTIFICATE') && c.cert && c.key);
  });

  it('refuses a missing file, bad JSON, a bad URL, no CA, an unreadable file and a certificate without its key', () => {
    rmSync(file, { force: true });
    refused('audit.repository.missing');
    write('{ not json');
    refused('audit.repository.badJson');
    write({ url: 'https://arr:6514', ca: 'pki/ca.pem' });
    refused('audit.repository.badUrl');
    write({ url: 'syslog-tls://arr:99999', ca: 'pki/ca.pem' });
    refused('audit.repository.badUrl');
    write({ url: 'syslog-tls://arr:6514' });
    refused('audit.repository.noCa');
    write({ url: 'syslog-tls://arr:6514', ca: 'pki/nowhere.pem' });
    refused('audit.repository.unreadableFile');
    write({ url: 'syslog-tls://arr:6514', ca: 'pki/ca.pem', cert: 'pki/client.pem' });
    refused('audit.repository.certWithoutKey');
  });
});

describe('amur audit forward and export, from a workstation\'s own trail', () => {
  const pki = join(root, 'cli-pki');
  const home = join(root, 'cli-home');
  const amur = (args: string[], lang = 'en') => {
    const r = spawnSync(process.execPath, [join(fileURLToPath(new URL('..', import.meta.url)), 'bin', 'amur.js'), ...args],
      { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: lang } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  before(() => {
    makePki(pki);
    mkdirSync(join(home, 'audit'), { recursive: true });
    // Events made by real commands: three verifications of an empty trail, each recorded after it.
    for (let i = 0; i < 3; i++) assert.equal(amur(['audit', 'verify']).code, 0);
  });

  it('forward sends the trail to rsyslogd, queues it while the repository is down, and sends only what is new', async () => {
    const port = await freePort();
    writeFileSync(join(home, 'audit', 'repository.json'), JSON.stringify({ url: `syslog-tls://localhost:${port}`, ca: join(pki, 'ca.pem') }));
    const down = amur(['audit', 'forward', '--json'], 'zh-CN');
    assert.equal(down.code, 1);
    assert.deepEqual(JSON.parse(down.out).sent, 0);
    assert.match(down.err, /localhost/);
    const out = join(root, 'cli.log');
    await startReceiver('cli', port, pki, out);
    const up = amur(['audit', 'forward', '--json']);
    assert.equal(up.code, 0, up.err);
    assert.deepEqual(JSON.parse(up.out), { sent: 3, pending: 0 });
    const msgs = received(out);
    assert.deepEqual(msgs.map((m) => m.seq), [1, 2, 3]);
    assertValid(msgs);
    assert.deepEqual(JSON.parse(amur(['audit', 'forward', '--json']).out), { sent: 0, pending: 0 });
  });

  it('export writes one AuditMessages document that the standard\'s grammar accepts, and records its own use', () => {
    const file = join(root, 'export.xml');
    const before = (JSON.parse(amur(['audit', 'list', '--json']).out) as unknown[]).length;
    const r = amur(['audit', 'export', '--out', file, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).events, before);
    const doc = readFileSync(file, 'utf8');
    assert.equal(doc.match(/<AuditMessage>/g)?.length, before);
    const lint = spawnSync('xmllint', ['--noout', '--relaxng', fileURLToPath(AUDIT_DOCUMENT_SCHEMA), file], { encoding: 'utf8' });
    assert.equal(lint.status, 0, lint.stderr);
    const since = amur(['audit', 'export', '--since', '2999-01-01T00:00:00Z', '--out', file, '--json']);
    assert.equal(JSON.parse(since.out).events, 0);
    const last = (JSON.parse(amur(['audit', 'list', '--json']).out) as { action: string; detail: { use?: string } }[]).at(-1)!;
    assert.deepEqual([last.action, last.detail.use], ['audit.export', 'export']);
  });
});
