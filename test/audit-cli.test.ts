// `amur audit verify` against a trail tampered with by Debian's sqlite3, the way someone with access
// to the workstation's disk would do it: an edited field, a deleted row, two rows swapped, the tail
// cut off (with and without its checkpoints). Each is caught, named by event and reason, with a
// translated message and a non-zero exit; an untouched trail verifies and exits 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makePki } from './fixtures/pki/pki.js';
import { headCtFiles } from './report-fixtures.js';
import { REPO_ROOT } from './shared-data.js';

interface Verdict { events: number; valid: boolean; problems: { event: number; reason: string; message: string }[] }

const work = mkdtempSync(join(tmpdir(), 'amur-audit-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function amur(home: string, args: string[], lang = 'en') {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: lang } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function sqlite(home: string, sql: string): void {
  const r = spawnSync('sqlite3', [join(home, 'audit', 'audit.sqlite'), sql], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** A trail of nine events made by real commands: the vault's creation, then imports of single slices, one study each time. */
let pristine = '';
before(() => {
  pristine = join(work, 'pristine');
  const files = headCtFiles().slice(0, 8);
  for (const [i, f] of files.entries()) {
    const dir = join(work, `in-${i}`);
    cpSync(f, join(dir, 'slice.dcm'), { recursive: true });
    const r = amur(pristine, ['import', dir, '--json']);
    assert.equal(r.code, 0, r.err);
  }
});

function copyOfTrail(name: string): string {
  const home = join(work, name);
  cpSync(pristine, home, { recursive: true });
  return home;
}

function verify(home: string, lang = 'en'): { code: number | null; v: Verdict } {
  const r = amur(home, ['audit', 'verify', '--json'], lang);
  return { code: r.code, v: JSON.parse(r.out) as Verdict };
}

describe('amur audit verify on a tampered trail', () => {
  it('an untouched trail is valid and exits 0', () => {
    const home = copyOfTrail('untouched');
    const { code, v } = verify(home);
    assert.equal(code, 0);
    assert.equal(v.valid, true);
    assert.equal(v.events, 9);
    assert.deepEqual(v.problems, []);
    const table = amur(home, ['audit', 'list']).out;
    assert.match(table, /Study imported/);
  });

  it('an edited field', () => {
    const home = copyOfTrail('edited');
    sqlite(home, "UPDATE events SET outcome = 'success', user = 'nobody' WHERE seq = 3;");
    const { code, v } = verify(home, 'ru');
    assert.equal(code, 1);
    assert.equal(v.valid, false);
    assert.deepEqual(v.problems.map((p) => [p.event, p.reason]), [[3, 'edited']]);
    assert.match(v.problems[0]!.message, /Событие №3 изменено/);
  });

  it('a deleted row', () => {
    const home = copyOfTrail('deleted');
    sqlite(home, 'DELETE FROM events WHERE seq = 5;');
    const { code, v } = verify(home, 'zh-CN');
    assert.equal(code, 1);
    assert.deepEqual(v.problems.map((p) => [p.event, p.reason]), [[5, 'deleted']]);
    assert.match(v.problems[0]!.message, /事件 #5 已被删除/);
  });

  it('two rows swapped', () => {
    const home = copyOfTrail('reordered');
    sqlite(home, 'UPDATE events SET seq = -1 WHERE seq = 2; UPDATE events SET seq = 2 WHERE seq = 3; UPDATE events SET seq = 3 WHERE seq = -1;');
    const { code, v } = verify(home);
    assert.equal(code, 1);
    assert.ok(v.problems.length > 0 && v.problems.every((p) => p.reason === 'reordered'), JSON.stringify(v.problems));
  });

  it('the tail cut off, and cut off with its checkpoints', () => {
    for (const [name, sql] of [['truncated', 'DELETE FROM events WHERE seq > 6;'], ['truncated-all', 'DELETE FROM events WHERE seq > 6; DELETE FROM checkpoints WHERE seq > 6;']]) {
      const home = copyOfTrail(name!);
      sqlite(home, sql!);
      const { code, v } = verify(home);
      assert.equal(code, 1, name);
      assert.deepEqual(v.problems.map((p) => [p.event, p.reason]), [[7, 'truncated']], name);
      assert.equal(v.events, 6);
    }
  });

  it('verifying is itself recorded, after the check', () => {
    const home = copyOfTrail('used');
    assert.equal(verify(home).v.events, 9);
    assert.equal(verify(home).v.events, 10, 'the first verification added one event');
    const last = (JSON.parse(amur(home, ['audit', 'list', '--json']).out) as { action: string }[]).at(-1)!;
    assert.equal(last.action, 'audit.export');
  });

  it('a file that fails `amur verify` is a verification failure in the trail, named by code, not by file', () => {
    const home = copyOfTrail('verify-failure');
    const pki = makePki();
    try {
      const r = amur(home, ['verify', headCtFiles()[0]!, '--trust', pki.file('ca.pem')]);
      assert.equal(r.code, 1);
    } finally {
      pki.remove();
    }
    const last = (JSON.parse(amur(home, ['audit', 'list', '--json']).out) as { action: string; outcome: string; detail: Record<string, string | number> }[]).at(-1)!;
    assert.deepEqual([last.action, last.outcome, last.detail.files], ['verification.failure', 'seriousFailure', 1]);
    assert.ok(!JSON.stringify(last).includes(headCtFiles()[0]!.split('/').at(-1)!), 'no file name in the event');
  });
});
