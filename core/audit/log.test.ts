import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3-multiple-ciphers';
import { AuditLog } from './log.js';

const homes: string[] = [];
after(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }); });

/** A log of ten events, closed, so a test can tamper with its database as an intruder would. */
function tenEvents(): { home: string; db: () => Database.Database } {
  const home = mkdtempSync(join(tmpdir(), 'amur-audit-'));
  homes.push(home);
  const log = AuditLog.open(home);
  for (let i = 1; i <= 10; i++) {
    log.record({ action: i % 2 ? 'study.open' : 'study.view', outcome: 'success', role: 'reader', studies: [`1.2.3.${i}`], detail: { n: i } });
  }
  log.close();
  return { home, db: () => new Database(join(home, 'audit', 'audit.sqlite')) };
}

function verify(home: string) {
  const log = AuditLog.open(home);
  try { return log.verify(); } finally { log.close(); }
}

describe('audit log', () => {
  let world: ReturnType<typeof tenEvents>;
  beforeEach(() => { world = tenEvents(); });

  it('an untouched log verifies, with its events in order and its study index', () => {
    const r = verify(world.home);
    assert.deepEqual(r, { events: 10, valid: true, problems: [] });
    const log = AuditLog.open(world.home);
    try {
      assert.deepEqual(log.list().map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      const forStudy = log.list({ study: '1.2.3.4' });
      assert.equal(forStudy.length, 1);
      assert.equal(forStudy[0]!.action, 'study.view');
      assert.deepEqual(forStudy[0]!.detail, { n: 4 });
      assert.match(forStudy[0]!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    } finally { log.close(); }
  });

  it('an edited field is caught, naming the event', () => {
    const db = world.db();
    db.prepare("UPDATE events SET outcome = 'majorFailure' WHERE seq = 4").run();
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.deepEqual(r.problems.map((p) => [p.event, p.reason]), [[4, 'edited']]);
  });

  it('an edited event whose hash was recomputed is still caught by its checkpoint', () => {
    // The intruder rewrites event 4 and gives it a fresh hash: the chain link of event 5 and the
    // signed checkpoint of event 4 both disagree.
    const db = world.db();
    db.prepare("UPDATE events SET user = 'someone-else', hash = ? WHERE seq = 4").run('ab'.repeat(32));
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.ok(r.problems.some((p) => p.event === 4 && p.reason === 'edited'), JSON.stringify(r.problems));
  });

  it('a deleted event is caught', () => {
    const db = world.db();
    db.prepare('DELETE FROM events WHERE seq = 6').run();
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.deepEqual(r.problems.map((p) => [p.event, p.reason]), [[6, 'deleted']]);
  });

  it('a deletion hidden by renumbering the events after it is still caught', () => {
    const db = world.db();
    db.prepare('DELETE FROM events WHERE seq = 6').run();
    for (let s = 7; s <= 10; s++) db.prepare('UPDATE events SET seq = ? WHERE seq = ?').run(s - 1, s);
    db.prepare('DELETE FROM checkpoints WHERE seq = 10').run();
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.ok(r.problems.some((p) => p.event === 6 && p.reason === 'deleted'), JSON.stringify(r.problems));
  });

  it('two events swapped are caught as reordered', () => {
    const db = world.db();
    db.prepare('UPDATE events SET seq = -1 WHERE seq = 3').run();
    db.prepare('UPDATE events SET seq = 3 WHERE seq = 4').run();
    db.prepare('UPDATE events SET seq = 4 WHERE seq = -1').run();
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.ok(r.problems.length > 0 && r.problems.every((p) => p.reason === 'reordered'), JSON.stringify(r.problems));
    assert.ok(r.problems.some((p) => p.event === 3));
  });

  it('a truncated tail is caught by the signed checkpoints', () => {
    const db = world.db();
    db.prepare('DELETE FROM events WHERE seq > 7').run();
    db.close();
    const r = verify(world.home);
    assert.equal(r.valid, false);
    assert.deepEqual(r.problems.map((p) => [p.event, p.reason]), [[8, 'truncated']]);
    assert.match(r.problems[0]!.detail, /#8 to #10/);
  });

  it('a tail truncated with its checkpoints is caught by the head file', () => {
    const db = world.db();
    db.prepare('DELETE FROM events WHERE seq > 7').run();
    db.prepare('DELETE FROM checkpoints WHERE seq > 7').run();
    db.close();
    const r = verify(world.home);
    assert.deepEqual(r.problems.map((p) => [p.event, p.reason]), [[8, 'truncated']]);
  });

  it('a forged checkpoint is caught', () => {
    const db = world.db();
    db.prepare('UPDATE checkpoints SET signature = ? WHERE seq = 5').run(Buffer.alloc(64, 7));
    db.close();
    const r = verify(world.home);
    assert.deepEqual(r.problems.map((p) => [p.event, p.reason]), [[5, 'checkpoint']]);
  });

  it('appending goes on from where the chain ends, across processes opening the log anew', () => {
    const log = AuditLog.open(world.home);
    try {
      const e = log.record({ action: 'application.stop', outcome: 'success', role: 'system' });
      assert.equal(e.seq, 11);
      assert.deepEqual(log.verify(), { events: 11, valid: true, problems: [] });
    } finally { log.close(); }
  });

  it('the forwarding cursor never goes backwards', () => {
    const log = AuditLog.open(world.home);
    try {
      assert.equal(log.forwardedUpTo(), 0);
      log.markForwarded(6);
      log.markForwarded(3);
      assert.equal(log.forwardedUpTo(), 6);
      assert.deepEqual(log.eventsAfter(6, 2).map((e) => e.seq), [7, 8]);
    } finally { log.close(); }
  });

  it('a missing head file alone is not a problem (a new log has none until its first event)', () => {
    unlinkSync(join(world.home, 'audit', 'head.json'));
    assert.equal(verify(world.home).valid, true);
  });
});
