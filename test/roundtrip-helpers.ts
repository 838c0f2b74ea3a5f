// Small tools of the round-trip tests (on dcmtk and pydicom, not Amur's code) and the CLI of both sides.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import type { OrthancInstance } from './orthanc.js';
import { REPO_ROOT, SHARED } from './shared-data.js';

/** dcmdump's full text of a file, converted to UTF-8 by dcmtk. */
export function dcmdumpText(path: string): string {
  return execFileSync('dcmdump', ['+U8', '-M', '+L', path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** A copy of a signed object with its signatures removed and a new SOP Instance UID: a forgery. */
export function forgeUnsignedCopy(bytes: Buffer): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'amur-forge-'));
  try {
    const p = join(dir, 'x.dcm');
    writeFileSync(p, bytes);
    // -gin: a new SOP Instance UID, in the dataset and the file meta header alike.
    execFileSync('dcmodify', ['-nb', '-e', '(fffa,fffa)', '-gin', p]);
    return readFileSync(p);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- The round-trip world: the CLI of both sides, the Orthancs' REST API, the agreement. ----

export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  json: () => any;
}

function cliEnv(home: string, lang: string): NodeJS.ProcessEnv {
  return { ...process.env, AMUR_HOME: home, AMUR_LANG: lang };
}

/** `amur ARGS` with its own AMUR_HOME, waited for. */
export function amur(home: string, args: string[], lang = 'en', timeoutMs = 300_000): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8',
    input: '',
    timeout: timeoutMs,
    env: cliEnv(home, lang),
  });
  return { code: r.status ?? -1, signal: r.signal, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

/** `amur ARGS` running in the background, so that the test can break its network or kill it. */
export function amurInBackground(home: string, args: string[], lang = 'en', env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...cliEnv(home, lang), ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code: code ?? -1, signal, out, err, json: () => JSON.parse(out) }));
  });
  return { child, done };
}

export function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what}: ${r.err}${r.out}`);
  return r;
}

/** A request to an Orthanc's REST API (the tests' own view of what it holds). */
export async function rest(o: OrthancInstance, path: string, init: RequestInit = {}): Promise<Response> {
  const auth = Buffer.from(`${o.credentials.username}:${o.credentials.password}`).toString('base64');
  return fetch(`${o.restUrl}${path}`, { ...init, headers: { Authorization: `Basic ${auth}`, ...(init.headers ?? {}) } });
}

export async function restJson<T = any>(o: OrthancInstance, path: string, init: RequestInit = {}): Promise<T> {
  const r = await rest(o, path, init);
  assert.ok(r.ok, `${o.name} ${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

export async function upload(o: OrthancInstance, dir: string): Promise<void> {
  for (const f of readdirSync(dir)) {
    const res = await rest(o, '/instances', { method: 'POST', body: new Uint8Array(readFileSync(join(dir, f))) });
    assert.equal(res.status, 200, `upload ${f}`);
  }
}

/** Every instance file the Orthanc holds, written into a folder. */
export async function download(o: OrthancInstance, into: string): Promise<string[]> {
  mkdirSync(into, { recursive: true });
  const ids = await restJson<string[]>(o, '/instances');
  const files: string[] = [];
  for (const id of ids) {
    const p = join(into, `${id}.dcm`);
    writeFileSync(p, Buffer.from(await (await rest(o, `/instances/${id}/file`)).arrayBuffer()));
    files.push(p);
  }
  return files;
}

export function credentialsFile(dir: string, o: OrthancInstance, name: string): string {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(o.credentials));
  return p;
}

/** The partner's studies (test/roundtrip-studies.py, pydicom): folder and StudyInstanceUID of each. */
export function makePartnerStudies(into: string, salt: string): Record<'ct-gb18030' | 'ot-cyrillic', { dir: string; uid: string }> {
  const made = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'test', 'roundtrip-studies.py'), SHARED, into], {
    encoding: 'utf8',
    env: { ...process.env, AMUR_TEST_SALT: salt },
  });
  assert.equal(made.status, 0, made.stderr);
  const studies = {} as Record<'ct-gb18030' | 'ot-cyrillic', { dir: string; uid: string }>;
  for (const name of ['ct-gb18030', 'ot-cyrillic'] as const) {
    const dir = join(into, name);
    const uid = /\(0020,000d\) UI \[([0-9.]+)\]/.exec(dcmdumpText(join(dir, readdirSync(dir)[0]!)))![1]!;
    studies[name] = { dir, uid };
  }
  return studies;
}

/**
 * The agreement GZ-2026-01, made and signed by the hospital (rsa.p12 of the test PKI), naming the
 * reader ec.pem, imported on both sides with the exchange's credentials.
 */
export function makeAgreement(o: {
  pki: TestPki;
  dir: string;
  homes: string[];
  exchangeUrl: string;
  credentials: string;
  extra?: string[];
}): string {
  const path = join(o.dir, 'agreement.json');
  ok(amur(o.homes[0]!, ['agreement', 'new', '--id', 'GZ-2026-01', '--partner', 'Guangzhou Partner Hospital',
    '--partner-zh', '广州合作医院', '--valid-from', '2026-01-01', '--valid-to', '2030-12-31', '--modalities', 'CT,MR,CR,DX,OT',
    '--reader', o.pki.file('ec.pem'), '--languages', 'zh-CN,ru', '--exchange', o.exchangeUrl,
    '--identity', o.pki.file('rsa.p12'), '--passphrase-file', o.pki.file('passphrase.txt'), '--out', path, ...(o.extra ?? [])]), 'agreement new');
  for (const home of o.homes) {
    ok(amur(home, ['agreement', 'import', path, '--trust', o.pki.file('ca.pem'), '--credentials', o.credentials]), 'agreement import');
  }
  return path;
}

/** A report drafted, filled in Russian and signed by the agreement's reader (ec.p12): queued for delivery. */
export function signReport(home: string, study: string, dir: string, name: string, pki: TestPki, template?: string): string {
  const draft = ok(amur(home, ['report', 'draft', '--study', study, '--reader', 'ru', ...(template ? ['--template', template] : [])]), 'draft').json();
  draft.findings = [{ id: 'normal' }];
  draft.impression = [{ lang: 'ru', text: 'Без острой патологии.' }];
  const draftPath = join(dir, `${name}.json`);
  writeFileSync(draftPath, JSON.stringify(draft));
  const out = join(dir, name);
  ok(amur(home, ['report', 'sign', draftPath, '--identity', pki.file('ec.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--out', out]), 'sign');
  return out;
}

/** What every round-trip test starts from: the test PKI, a scratch folder with both sides' homes, the partner's studies. */
export interface RoundTripWorld {
  pki: TestPki;
  tmp: string;
  hospitalHome: string;
  readerHome: string;
  studies: ReturnType<typeof makePartnerStudies>;
  remove(): void;
}

export function makeWorld(prefix: string): RoundTripWorld {
  const pki = makePki();
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  return {
    pki,
    tmp,
    hospitalHome: join(tmp, 'hospital'),
    readerHome: join(tmp, 'reader'),
    studies: makePartnerStudies(join(tmp, 'studies'), tmp),
    remove() {
      pki.remove();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
