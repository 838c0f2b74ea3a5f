// Trusted time for the audit trail: `amur audit timestamp` has the newest checkpoint time-stamped by a
// real RFC 3161 authority (`openssl ts` behind HTTP, test/tsa.ts). The token is checked by OpenSSL
// itself against the checkpoint's digest, and by `amur audit verify --tsa-trust`; a token altered in
// the database is caught; with the TSA down the command fails with a translated reason naming it,
// the checkpoint waits, and the next try stamps everything recorded since.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../core/audit/log.js';
import { makePki } from './fixtures/pki/pki.js';
import { headCtFiles } from './report-fixtures.js';
import { REPO_ROOT } from './shared-data.js';
import { deadTsaUrl, startTsa, type TestTsa } from './tsa.js';

const work = mkdtempSync(join(tmpdir(), 'amur-audit-ts-'));
const home = join(work, 'home');
let tsa: TestTsa;

/** Runs amur asynchronously: the TSA answers from this process, so it must not be blocked by spawnSync. */
function amur(args: string[], lang = 'en'): Promise<{ code: number | null; out: string; err: string; json: () => any }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { env: { ...process.env, AMUR_HOME: home, AMUR_LANG: lang } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.on('close', (code) => resolve({ code, out, err, json: () => JSON.parse(out) }));
  });
}

function sqlite(sql: string): string {
  const r = spawnSync('sqlite3', [join(home, 'audit', 'audit.sqlite'), sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

async function importOne(i: number): Promise<void> {
  const dir = join(work, `in-${i}`);
  mkdirSync(dir, { recursive: true });
  cpSync(headCtFiles()[i]!, join(dir, 'slice.dcm'));
  assert.equal((await amur(['import', dir])).code, 0);
}

before(async () => {
  tsa = await startTsa();
  await importOne(0);
  await importOne(1);
});
after(async () => {
  await tsa?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('audit checkpoints time-stamped by an RFC 3161 authority', async () => {
  it('the newest checkpoint is stamped; OpenSSL verifies the token against the checkpoint', async () => {
    const r = await amur(['audit', 'timestamp', '--tsa', tsa.url, '--json']);
    assert.equal(r.code, 0, r.err);
    const stamp = r.json() as { seq: number; genTime: string };
    assert.equal(stamp.seq, 3); // one more than before the vault: its creation is the trail's first event
    assert.ok(Math.abs(Date.parse(stamp.genTime) - Date.now()) < 120_000, stamp.genTime);
    const [seq, hash, time, hex] = sqlite(`SELECT seq, hash, time, hex(tsa_token) FROM checkpoints WHERE seq = ${stamp.seq}`).split('|');
    const digest = AuditLog.checkpointDigest({ seq: Number(seq), hash: hash!, time: time! });
    const openssl = tsa.opensslVerify(Buffer.from(hex!, 'hex'), digest);
    assert.ok(openssl.ok, openssl.out);
    assert.deepEqual((await amur(['audit', 'timestamp', '--tsa', tsa.url, '--json'])).json(), { upToDate: true });
  });

  it('amur audit verify checks the token against the TSA\'s trust and reports the time', async () => {
    const v = (await amur(['audit', 'verify', '--tsa-trust', tsa.caFile, '--json'])).json() as { valid: boolean; timestamped?: { event: number; genTime: string } };
    assert.equal(v.valid, true);
    assert.equal(v.timestamped?.event, 3);
    // A CA that did not issue the TSA's certificate: the time-stamp is not trusted.
    const pki = makePki();
    try {
      const other = await amur(['audit', 'verify', '--tsa-trust', pki.file('ca.pem'), '--json']);
      assert.equal(other.code, 1);
      assert.deepEqual((other.json() as { problems: { event: number; reason: string }[] }).problems.map((p) => [p.event, p.reason]), [[3, 'checkpoint']]);
    } finally {
      pki.remove();
    }
  });

  it('with the TSA down the checkpoint waits, with a translated reason; the next stamp covers what came since', async () => {
    await importOne(2);
    const down = await amur(['audit', 'timestamp', '--tsa', await deadTsaUrl(), '--json'], 'ru');
    assert.equal(down.code, 1);
    assert.match(down.err, /Служба штампов времени 127\.0\.0\.1:\d+ недоступна/);
    const waiting = sqlite('SELECT count(*) FROM checkpoints WHERE tsa_token IS NOT NULL');
    assert.equal(waiting, '1');
    const r = await amur(['audit', 'timestamp', '--tsa', tsa.url, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.ok((r.json() as { seq: number }).seq > 3);
  });

  it('a token altered in the database is caught', async () => {
    sqlite("UPDATE checkpoints SET tsa_token = X'3082000130' || substr(tsa_token, 6) WHERE tsa_token IS NOT NULL AND seq = 3");
    const v = await amur(['audit', 'verify', '--json']);
    assert.equal(v.code, 1);
    const problems = (v.json() as { problems: { event: number; reason: string }[] }).problems;
    assert.deepEqual(problems.map((p) => [p.event, p.reason]), [[3, 'checkpoint']]);
  });
});
