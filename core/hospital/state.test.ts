// The hospital side's data at rest: its state database is SQLCipher under the home's vault (a
// clear one an earlier version left is encrypted on first open, data kept, and Debian's sqlite3
// can no longer read it), and the reports it keeps are sealed, bound to their agreement and SOP.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3-multiple-ciphers';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../test/shared-data.js';
import { unlockTestHome } from '../../test/vault.js';
import { AmurError, isAmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import { MAGIC } from '../vault/file-cipher.js';
import { keepReport, keptPath, readKeptReport } from './files.js';
import { HospitalState } from './state.js';

const work = mkdtempSync(join(tmpdir(), 'amur-hospital-state-'));
after(() => rmSync(work, { recursive: true, force: true }));

const sqlite3 = (path: string, sql: string) => spawnSync('sqlite3', [path, sql], { encoding: 'utf8' });
const code = (e: unknown) => (isAmurError(e) ? e.code : String(e));
/** A stand-in for a reader's report as it arrived: DICOM preamble, DICM, and identifying text. */
const report = (text: string) => Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from(text)]);

const AGREEMENT = 'GZ-2026-01';
const SOP_A = '2.25.111';
const SOP_B = '2.25.222';

/** What the earlier version left: a clear state.sqlite (its schema), clear kept reports, a clear temp file. */
function earlierVersionHome(home: string): void {
  const dir = join(home, 'hospital');
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'state.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE cases (agreement_id TEXT NOT NULL, original_study_uid TEXT NOT NULL, deid_study_uid TEXT NOT NULL,
      request_id TEXT NOT NULL, consent_ref TEXT NOT NULL, priority TEXT NOT NULL, sent_at TEXT NOT NULL,
      PRIMARY KEY (agreement_id, original_study_uid));
    CREATE TABLE sent (agreement_id TEXT NOT NULL, deid_sop_uid TEXT NOT NULL, deid_study_uid TEXT NOT NULL, sent_at TEXT NOT NULL,
      PRIMARY KEY (agreement_id, deid_sop_uid));
    CREATE TABLE received (agreement_id TEXT NOT NULL, sop_uid TEXT NOT NULL, deid_study_uid TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('filed', 'rejected')), filed_study_uid TEXT, reason_code TEXT, reason_params TEXT,
      archived TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (agreement_id, sop_uid));`);
  db.prepare('INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?)').run(AGREEMENT, '1.2.840.777.1', '2.25.999', 'REQ-1', 'CONSENT-1', 'urgent', '2026-06-01T10:00:00.000Z');
  db.prepare('INSERT INTO sent VALUES (?, ?, ?, ?)').run(AGREEMENT, '2.25.998', '2.25.999', '2026-06-01T10:00:01.000Z');
  const archived = join(dir, 'archive', AGREEMENT, `${SOP_A}.dcm`);
  const rejected = join(dir, 'rejected', AGREEMENT, `${SOP_B}.dcm`);
  db.prepare('INSERT INTO received VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(AGREEMENT, SOP_A, '2.25.999', 'filed', '1.2.840.777.1', null, null, archived, '2026-06-02T10:00:00.000Z');
  db.prepare('INSERT INTO received VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(AGREEMENT, SOP_B, '2.25.999', 'rejected', null, 'hospital.unsigned', '{}', rejected, '2026-06-02T10:00:00.000Z');
  db.close();
  mkdirSync(join(dir, 'archive', AGREEMENT), { recursive: true });
  mkdirSync(join(dir, 'rejected', AGREEMENT), { recursive: true });
  writeFileSync(archived, report('FINDINGS-ARCHIVED-IN-CLEAR'));
  writeFileSync(rejected, report('FINDINGS-REJECTED-IN-CLEAR'));
  // receive's temp copy, left by a process (pid 1999999999: long gone) killed mid-check.
  writeFileSync(join(dir, `.1999999999.${SOP_A}.dcm`), report('FINDINGS-TEMP-IN-CLEAR'));
}

describe('hospital state at rest', () => {
  it('a locked home is refused before anything is made', () => {
    const home = join(work, 'locked');
    assert.throws(() => new HospitalState(home), (e) => e instanceof AmurError && e.code === 'vault.locked');
    assert.equal(existsSync(join(home, 'hospital')), false);
  });

  it('an earlier version\'s clear state and reports are encrypted on first open, their data kept', async () => {
    const home = join(work, 'migrated');
    earlierVersionHome(home);
    const db = join(home, 'hospital', 'state.sqlite');
    assert.equal(sqlite3(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'").stdout.trim(), '3', 'clear before');

    await unlockTestHome(home);
    let state = new HospitalState(home);
    assert.equal(state.caseOf(AGREEMENT, '1.2.840.777.1')?.requestId, 'REQ-1');
    assert.deepEqual(state.deidStudies(AGREEMENT), ['2.25.999']);
    assert.equal(state.wasSent(AGREEMENT, '2.25.998'), true);
    assert.deepEqual(state.received(AGREEMENT, SOP_A), { status: 'filed', filedStudyUID: '1.2.840.777.1' });
    assert.deepEqual(state.received(AGREEMENT, SOP_B), { status: 'rejected', code: 'hospital.unsigned', params: {} });
    const a = state.keptReport(AGREEMENT, SOP_A)!;
    const b = state.keptReport(AGREEMENT, SOP_B)!;
    assert.equal(a.status, 'filed');
    assert.equal(b.path, keptPath(state.dir, 'rejected', AGREEMENT, SOP_B));
    state.close();

    const r = sqlite3(db, 'SELECT count(*) FROM sqlite_schema');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /file is not a database/);
    for (const [path, text] of [[a.path, 'FINDINGS-ARCHIVED-IN-CLEAR'], [b.path, 'FINDINGS-REJECTED-IN-CLEAR']] as const) {
      const bytes = readFileSync(path);
      assert.ok(bytes.subarray(0, MAGIC.length).equals(MAGIC), `${path} is sealed`);
      assert.ok(!bytes.includes(text), `${path} holds nothing in clear`);
      assert.ok(readKeptReport(home, path, AGREEMENT, path === a.path ? SOP_A : SOP_B).equals(report(text)), 'the original, byte for byte');
    }
    assert.equal(existsSync(join(home, 'hospital', `.1999999999.${SOP_A}.dcm`)), false, 'the clear temp file is gone');

    // Opened again: nothing to migrate, the same data.
    state = new HospitalState(home);
    assert.equal(state.caseOf(AGREEMENT, '1.2.840.777.1')?.priority, 'urgent');
    state.close();
  });

  it('commands started together on an earlier version\'s clear state migrate it once, and lose nothing', async () => {
    const home = join(work, 'together');
    earlierVersionHome(home);
    // Four processes at once (a scheduler's send and receive, twice): each opens, records a row, closes.
    // Each waits, loaded and unlocked, for the others: then they open at the same moment.
    const barrier = join(work, 'together-barrier');
    mkdirSync(barrier);
    const child = (n: number) => new Promise<number>((resolve) => {
      const script = `import { existsSync, writeFileSync } from 'node:fs';
        import { unlockTestHome } from ${JSON.stringify(join(REPO_ROOT, 'test', 'vault.ts'))};
        import { HospitalState } from ${JSON.stringify(join(REPO_ROOT, 'core', 'hospital', 'state.ts'))};
        await unlockTestHome(process.argv[1]);
        writeFileSync(${JSON.stringify(barrier)} + '/ready-${n}', '');
        while (!existsSync(${JSON.stringify(barrier)} + '/go')) await new Promise((r) => setTimeout(r, 2));
        const s = new HospitalState(process.argv[1]);
        if (s.caseOf('${AGREEMENT}', '1.2.840.777.1')?.requestId !== 'REQ-1') process.exit(3);
        s.markSent('${AGREEMENT}', '2.25.999', ['2.25.5000${n}']);
        s.close();`;
      const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, home], { stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', (c) => resolve(c ?? -1));
    });
    const done = Promise.all([0, 1, 2, 3].map(child));
    const until = Date.now() + 60_000;
    while (readdirSync(barrier).length < 4 && Date.now() < until) await delay(10);
    writeFileSync(join(barrier, 'go'), '');
    assert.deepEqual(await done, [0, 0, 0, 0]);
    await unlockTestHome(home);
    const state = new HospitalState(home);
    for (const n of [0, 1, 2, 3]) assert.equal(state.wasSent(AGREEMENT, `2.25.5000${n}`), true, `process ${n}'s row`);
    assert.equal(state.wasSent(AGREEMENT, '2.25.998'), true, 'the earlier version\'s row');
    state.close();
    assert.match(sqlite3(join(home, 'hospital', 'state.sqlite'), 'SELECT count(*) FROM sqlite_schema').stderr, /file is not a database/);
    assert.equal(existsSync(join(home, 'hospital', 'state.sqlite.lock')), false);
    const events = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'audit', 'list', '--json'], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home } });
    const encrypted = (JSON.parse(events.stdout) as { action: string; detail: Record<string, unknown> }[])
      .filter((e) => e.action === 'key.change' && e.detail.operation === 'database.encrypt');
    assert.equal(encrypted.length, 1, 'encrypted once, by one of them');
  });

  it('a kept report opens only with its home\'s key, and only as itself', async () => {
    const home = join(work, 'kept');
    await unlockTestHome(home);
    const state = new HospitalState(home);
    const a = keptPath(state.dir, 'archive', AGREEMENT, SOP_A);
    const b = keptPath(state.dir, 'archive', AGREEMENT, SOP_B);
    keepReport(home, a, AGREEMENT, SOP_A, report('REPORT A'));
    keepReport(home, b, AGREEMENT, SOP_B, report('REPORT B'));
    assert.ok(!readFileSync(a).includes('REPORT A'));
    assert.ok(readKeptReport(home, a, AGREEMENT, SOP_A).equals(report('REPORT A')));
    // One report's file put in another's place is refused, not read as the other.
    copyFileSync(a, b);
    assert.throws(() => readKeptReport(home, b, AGREEMENT, SOP_B), (e) => code(e).startsWith('vault.file'));
    assert.throws(() => readKeptReport(home, a, 'SH-2026-02', SOP_A), (e) => code(e).startsWith('vault.file'));
    // Another home's vault has another key.
    const other = join(work, 'other');
    await unlockTestHome(other);
    assert.throws(() => readKeptReport(other, a, AGREEMENT, SOP_A), (e) => code(e) === 'vault.fileWrongKey');
    // A SOP Instance UID that is not a UID never names a file.
    assert.throws(() => keptPath(state.dir, 'archive', AGREEMENT, '../../../etc/x'), (e) => code(e) === 'hospital.badUid');
    assert.throws(() => readKeptReport(home, join(state.dir, 'nowhere.dcm'), AGREEMENT, SOP_A), (e) => code(e) === 'hospital.keptMissing');
    state.close();
  });

  it('the new refusals are translated in every language', () => {
    for (const [c, params] of [
      ['hospital.badUid', { uid: 'x' }],
      ['hospital.keepFailed', { path: '/p', detail: 'ENOSPC' }],
      ['hospital.keptMissing', { sop: SOP_A, agreement: AGREEMENT }],
      ['hospital.outUnwritable', { path: '/p', detail: 'EACCES' }],
    ] as const) {
      for (const lang of LANGUAGES) {
        const m = errorMessage(new AmurError(c, params), lang);
        assert.ok(!m.includes(c) && !m.includes('{{'), `${c} in ${lang}: ${m}`);
      }
    }
  });
});
