// Patient data at rest, checked as a hospital's security officer would, through the CLI's contract
// (README "Encrypted store"): a store is created encrypted with the passphrase from
// AMUR_PASSPHRASE_FILE or --passphrase-file; without one a command refuses, with a wrong one too,
// both before touching anything; nothing under AMUR_HOME shows the patient's name or ID in clear
// and Debian's sqlite3 cannot read the catalogue; a store that an earlier version left in clear is
// encrypted when first opened, with progress, and survives kill -9 in the middle of that.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StudyStore } from '../core/store/store.js';
import { openVaultDatabase } from '../core/vault/database.js';
import { lockVault } from '../core/vault/session.js';
import { readDicomHeaderFromFile } from '../core/dicom/header.js';
import { shared, REPO_ROOT } from './shared-data.js';
import { filesUnder, holds } from './leak-scan.js';
import { unlockTestHome } from './vault.js';

const AMUR = join(REPO_ROOT, 'bin', 'amur.js');
const headCt = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
let work: string;

interface Run { code: number | null; out: string; err: string }

function run(home: string, args: string[], env: NodeJS.ProcessEnv = {}, lang = 'en'): Run {
  const base: NodeJS.ProcessEnv = { ...process.env, AMUR_HOME: home, AMUR_LANG: lang, ...env };
  for (const [k, v] of Object.entries(base)) if (v === undefined) delete base[k];
  const r = spawnSync(process.execPath, [AMUR, ...args], { encoding: 'utf8', input: '', env: base, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The files under dir that hold any of the needles (raw bytes, as a forensic scan of a disk would). */
function filesHolding(dir: string, needles: Buffer[]): string[] {
  return filesUnder(dir).filter((f) => holds(readFileSync(f), needles).length > 0);
}

let patient: { name: string; id: string };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** SOP Instance UID → sha256 of the source file, to check what the store gives back. */
const sourceHashes = new Map<string, string>();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'amur-vault-cli-'));
  for (const n of readdirSync(headCt).filter((x) => x.endsWith('.dcm'))) {
    const h = await readDicomHeaderFromFile(join(headCt, n));
    sourceHashes.set(h.attributes.SOPInstanceUID!, sha(readFileSync(join(headCt, n))));
    patient ??= { name: String(h.attributes.PatientName ?? ''), id: String(h.attributes.PatientID ?? '') };
  }
  assert.ok(patient.name.length >= 4 && patient.id.length >= 4, `the head CT names its patient (${JSON.stringify(patient)})`);
});
after(() => rmSync(work, { recursive: true, force: true }));

const needles = () => [patient.name, patient.id].map((s) => Buffer.from(s, 'latin1'));

describe('the encrypted store through the CLI', () => {
  it('without a passphrase every command that needs the store refuses, saying how, and creates nothing', () => {
    const home = join(work, 'no-passphrase');
    for (const args of [['studies', '--json'], ['import', headCt]]) {
      const r = run(home, args, { AMUR_PASSPHRASE_FILE: undefined });
      assert.notEqual(r.code, 0, `${args[0]} refused`);
      assert.match(r.err, /AMUR_PASSPHRASE_FILE/);
      assert.match(r.err, /--passphrase-file/);
    }
    const ru = run(home, ['studies'], { AMUR_PASSPHRASE_FILE: undefined }, 'ru');
    assert.match(ru.err, /зашифрованы/);
    const zh = run(home, ['studies'], { AMUR_PASSPHRASE_FILE: undefined }, 'zh-CN');
    assert.match(zh.err, /加密/);
    assert.equal(existsSync(home), false, 'nothing was created');
  });

  it('a new store is encrypted: the catalogue unreadable by sqlite3, no file with the patient in clear', async () => {
    const home = join(work, 'new');
    const r = run(home, ['import', headCt, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).imported, 28);
    assert.ok(existsSync(join(home, 'vault.json')));
    const cat = spawnSync('sqlite3', [join(home, 'store', 'catalogue.sqlite'), 'SELECT count(*) FROM studies'], { encoding: 'utf8' });
    assert.notEqual(cat.status, 0);
    assert.match(cat.stderr, /not a database/);
    assert.deepEqual(filesHolding(home, needles()), [], 'no file under AMUR_HOME holds the patient name or ID');
    // The key opens it all again: the catalogue, and each file exactly as imported.
    const list = JSON.parse(run(home, ['studies', '--json']).out) as { PatientName: string; PatientID: string }[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.PatientID, patient.id);
    await unlockTestHome(home);
    const store = StudyStore.open(home);
    try {
      for (const [uid, hash] of sourceHashes) assert.equal(sha((await store.readInstance(uid))!), hash, uid);
    } finally {
      store.close();
    }
  });

  it('a wrong passphrase is refused by name, and the store stays as it was; --passphrase-file works like the variable', () => {
    const home = join(work, 'new');
    const wrong = join(work, 'wrong-passphrase');
    writeFileSync(wrong, 'not the passphrase\n');
    const before = readFileSync(join(home, 'store', 'catalogue.sqlite'));
    for (const [env, args] of [
      [{ AMUR_PASSPHRASE_FILE: wrong }, ['studies', '--json']],
      [{ AMUR_PASSPHRASE_FILE: undefined }, ['studies', '--json', '--passphrase-file', wrong]],
    ] as const) {
      const r = run(home, [...args], env);
      assert.notEqual(r.code, 0);
      assert.match(r.err, /Wrong passphrase/);
      assert.equal(r.out, '');
    }
    assert.ok(readFileSync(join(home, 'store', 'catalogue.sqlite')).equals(before));
    const missing = run(home, ['studies', '--passphrase-file', join(work, 'nowhere')], { AMUR_PASSPHRASE_FILE: undefined });
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /Cannot read the passphrase file/);
    const right = run(home, ['studies', '--json', '--passphrase-file', process.env.AMUR_PASSPHRASE_FILE!], { AMUR_PASSPHRASE_FILE: undefined });
    assert.equal(right.code, 0, right.err);
    assert.equal(JSON.parse(right.out).length, 1);
    // The audit trail has the vault's creation and both refusals, and nothing of what was typed.
    const events = JSON.parse(run(home, ['audit', 'list', '--json']).out) as { action: string; detail: Record<string, unknown> }[];
    assert.equal(events.filter((e) => e.action === 'key.change' && e.detail.operation === 'vault.create').length, 1);
    assert.equal(events.filter((e) => e.action === 'access.refused' && e.detail.reason === 'vault.wrongPassphrase').length, 2);
    assert.ok(!readFileSync(join(home, 'audit', 'audit.sqlite')).includes(Buffer.from('not the passphrase')));
  });

  it('the passphrase is changed without re-encrypting anything: the old one is refused after, the new one opens', () => {
    const home = join(work, 'change');
    assert.equal(run(home, ['import', join(headCt, readdirSync(headCt).find((n) => n.endsWith('.dcm'))!)]).code, 0);
    const info = JSON.parse(run(home, ['vault', 'info', '--json'], { AMUR_PASSPHRASE_FILE: undefined }).out) as { kdf: { name: string; N: number } };
    assert.deepEqual([info.kdf.name, info.kdf.N], ['scrypt', 2 ** 17]);
    const stored = readFileSync(join(home, 'store', 'catalogue.sqlite'));
    const next = join(work, 'next-passphrase');
    writeFileSync(next, 'a new passphrase, 新口令\n');
    const wrongFirst = run(home, ['vault', 'passphrase', '--new-passphrase-file', next, '--passphrase-file', next], { AMUR_PASSPHRASE_FILE: undefined });
    assert.notEqual(wrongFirst.code, 0, 'changing needs the current passphrase');
    assert.match(wrongFirst.err, /Wrong passphrase/);
    const changed = run(home, ['vault', 'passphrase', '--new-passphrase-file', next]);
    assert.equal(changed.code, 0, changed.err);
    assert.match(changed.out, /passphrase is changed/);
    assert.match(run(home, ['studies']).err, /Wrong passphrase/, 'the old passphrase no longer opens it');
    const list = run(home, ['studies', '--json'], { AMUR_PASSPHRASE_FILE: next });
    assert.equal(list.code, 0, list.err);
    assert.equal((JSON.parse(list.out) as unknown[]).length, 1);
    assert.ok(readFileSync(join(home, 'store', 'catalogue.sqlite')).equals(stored), 'nothing was re-encrypted');
    const events = JSON.parse(run(home, ['audit', 'list', '--json']).out) as { action: string; detail: Record<string, unknown> }[];
    assert.equal(events.filter((e) => e.action === 'key.change' && e.detail.operation === 'vault.passphrase').length, 1);
  });

  it('a store an earlier version left in clear is encrypted on first open, with progress, even after kill -9 midway', async () => {
    const home = join(work, 'old');
    assert.equal(run(home, ['import', headCt]).code, 0);
    await makeClear(home);
    assert.ok(filesHolding(join(home, 'store'), needles()).length > 0, 'the clear store shows the patient');
    // First open, killed as soon as the encryption has started; then opened again.
    const child = spawn(process.execPath, [AMUR, 'studies', '--json'], { env: { ...process.env, AMUR_HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => {
      child.stderr!.once('data', () => child.kill('SIGKILL'));
      child.on('exit', () => resolve());
    });
    const r = run(home, ['studies', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as unknown[]).length, 1);
    assert.deepEqual(filesHolding(join(home, 'store'), needles()), [], 'nothing of the store is left in clear');
    assert.equal(readdirSync(join(home, 'store', 'tmp')).length, 0);
    lockVault(home);
    await unlockTestHome(home);
    const store = StudyStore.open(home);
    try {
      assert.equal(store.allFilePaths().length, 28, 'no row lost, none twice');
      for (const [uid, hash] of sourceHashes) assert.equal(sha((await store.readInstance(uid))!), hash, uid);
    } finally {
      store.close();
    }
    const fresh = join(work, 'old-progress');
    assert.equal(run(fresh, ['import', headCt]).code, 0);
    await makeClear(fresh);
    const shown = run(fresh, ['studies']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.err, /Encrypting the store left in clear by an earlier version \(files\): 28 of 28/);
  });
});

/**
 * Turns an encrypted store back into what a version before encryption at rest left: a clear
 * catalogue at schema 4 and clear files; the vault stays (the passphrase is the one the user
 * chooses when upgrading).
 */
async function makeClear(home: string): Promise<void> {
  lockVault(home);
  await unlockTestHome(home);
  const store = StudyStore.open(home);
  const files = await Promise.all(store.allFilePaths().map(async (f) => ({ path: store.absolutePath(f.file_path), bytes: (await store.readInstance(f.SOPInstanceUID))! })));
  store.close();
  for (const f of files) writeFileSync(f.path, f.bytes);
  const db = openVaultDatabase(home, join(home, 'store', 'catalogue.sqlite'), 'catalogue/1');
  // Back to the schema of version 4: undo what migrations 5 (keys), 6 (triage population), 7
  // (derived UIDs) and 8 (PatientAge, study reports) added.
  db.exec(`DROP TABLE study_keys; DROP TABLE vault_state; ALTER TABLE triage_results DROP COLUMN population; ALTER TABLE instances DROP COLUMN derived_uids;
    DROP TABLE study_reports; ALTER TABLE studies DROP COLUMN PatientAge;`);
  for (const f of files) db.prepare('UPDATE instances SET file_size = ? WHERE file_path = ?').run(f.bytes.length, f.path.slice(join(home, 'store').length + 1));
  db.pragma('user_version = 4');
  db.pragma('journal_mode = DELETE');
  db.pragma("rekey = ''");
  db.close();
  lockVault(home);
}
