// The outbox on its own: queueing is idempotent and crash-tidy, items are claimed once, a dead
// sender's item is taken up again, failures keep their reason and back off. At rest its copies are
// sealed under the study's key (no patient in them, none passes for another, a clear copy an
// earlier version queued is sealed), delivery opens them, and after the study's key is shredded
// an item fails with a translated reason. Delivery to a real exchange (Orthanc) is tested in
// test/roundtrip.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { unlockTestHome } from '../../test/vault.js';
import { AmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import { StudyStore } from '../store/store.js';
import { backoffSeconds, deliver, enqueue, getItem, listOutbox, readOutboxFile, type OutboxTarget } from './outbox.js';

let home: string;
let store: StudyStore;
let src: string;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'amur-outbox-'));
  await unlockTestHome(home);
  store = StudyStore.open(home);
  src = join(home, 'signed');
  mkdirSync(src);
  writeFileSync(join(src, 'report-sr.dcm'), 'sr bytes');
  writeFileSync(join(src, 'report-pdf.dcm'), 'pdf object bytes');
  writeFileSync(join(src, 'report.pdf'), '%PDF-1.7');
});

/** Every file under the item folders of the outbox. */
function outboxFiles(): string[] {
  const base = join(store.root, 'outbox');
  return readdirSync(base, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => join(e.parentPath, e.name));
}
afterEach(() => {
  store.close();
  rmSync(home, { recursive: true, force: true });
});

function input() {
  return {
    StudyInstanceUID: '2.25.1',
    agreementId: 'A-1',
    instances: [
      { path: join(src, 'report-sr.dcm'), SOPInstanceUID: '2.25.10', SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33' },
      { path: join(src, 'report-pdf.dcm'), SOPInstanceUID: '2.25.11', SOPClassUID: '1.2.840.10008.5.1.4.1.1.104.1' },
    ],
    keep: [join(src, 'report.pdf')],
  };
}

/** An exchange kept in memory, to test the outbox's own bookkeeping; Orthanc is used elsewhere. */
class Recorder implements OutboxTarget {
  held = new Set<string>();
  stores = 0;
  failNext?: AmurError;
  async hasInstance(_s: string, sop: string) {
    return this.held.has(sop);
  }
  async store(_s: string, instances: Buffer[]) {
    this.stores++;
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    for (const b of instances) this.held.add(b.toString() === 'sr bytes' ? '2.25.10' : '2.25.11');
  }
}

describe('outbox', () => {
  test('queueing copies the files and is idempotent by SOP Instance UID', () => {
    const a = enqueue(store, input());
    const b = enqueue(store, input());
    assert.equal(a.id, b.id);
    assert.equal(listOutbox(store).length, 1);
    assert.equal(a.status, 'queued');
    assert.deepEqual(a.files, ['report.pdf']);
    assert.deepEqual(a.instances.map((i) => i.file), ['report-sr.dcm', 'report-pdf.dcm']);
    rmSync(src, { recursive: true });
    assert.equal(getItem(store, a.id)!.instances.length, 2, 'the item does not depend on the signing folder');
  });

  test("a dead process's half-queued folders are removed, a live one's are not", () => {
    const base = join(store.root, 'outbox');
    mkdirSync(base, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid!;
    mkdirSync(join(base, `.tmp-${dead}.x`));
    mkdirSync(join(base, `${dead}.00000000-0000-0000-0000-000000000000`));
    mkdirSync(join(base, `${process.pid}.11111111-1111-1111-1111-111111111111`));
    enqueue(store, input());
    const left = readdirSync(base);
    assert.ok(!left.includes(`.tmp-${dead}.x`));
    assert.ok(!left.includes(`${dead}.00000000-0000-0000-0000-000000000000`));
    assert.ok(left.includes(`${process.pid}.11111111-1111-1111-1111-111111111111`));
  });

  test('delivery sends what the exchange lacks, once, and a retry after a lost answer sends nothing', async () => {
    const item = enqueue(store, input());
    const target = new Recorder();
    target.held.add('2.25.10'); // the SR arrived before a lost answer
    const r = await deliver(store, () => target);
    assert.deepEqual(r, { delivered: [item.id], failed: [] });
    assert.equal(target.stores, 1);
    assert.equal(getItem(store, item.id)!.status, 'delivered');
    const again = await deliver(store, () => target, { ignoreBackoff: true });
    assert.deepEqual(again.delivered, []);
    assert.equal(target.stores, 1);
  });

  test('a failure keeps its reason, backs off, and is retried by hand at once', async () => {
    const item = enqueue(store, input());
    const target = new Recorder();
    target.failNext = new AmurError('exchange.unreachable', { host: '127.0.0.1:1' });
    const now = new Date('2026-12-06T10:00:00Z');
    const r = await deliver(store, () => target, { now });
    assert.equal(r.failed[0]!.code, 'exchange.unreachable');
    const failed = getItem(store, item.id)!;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.nextAttemptAt, new Date(now.getTime() + 30_000).toISOString());
    assert.deepEqual((await deliver(store, () => target, { now })).delivered, [], 'not before the backoff');
    assert.deepEqual((await deliver(store, () => target, { now, ignoreBackoff: true })).delivered, [item.id]);
    assert.equal(getItem(store, item.id)!.error, undefined);
  });

  test("an item left 'sending' by a killed process is taken up again", async () => {
    const item = enqueue(store, input());
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    store.db.prepare("UPDATE outbox SET status = 'sending', claimed_by = ? WHERE id = ?").run(dead, item.id);
    const target = new Recorder();
    assert.deepEqual((await deliver(store, () => target)).delivered, [item.id]);
  });

  test("an item another live process is sending is left to it", async () => {
    const item = enqueue(store, input());
    store.db.prepare("UPDATE outbox SET status = 'sending', claimed_by = ? WHERE id = ?").run(process.ppid, item.id);
    assert.deepEqual((await deliver(store, () => new Recorder())).delivered, []);
    assert.ok(existsSync(join(store.root, 'outbox')));
  });

  test('the copies are sealed, and delivery and readers open them', async () => {
    const item = enqueue(store, input());
    const files = outboxFiles();
    assert.equal(files.length, 3);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of ['sr bytes', 'pdf object bytes', '%PDF']) assert.ok(!bytes.includes(n), `${f} holds ${n} in clear`);
    }
    assert.equal(readOutboxFile(store, item, 'report.pdf').toString(), '%PDF-1.7');
    assert.equal(readOutboxFile(store, item, 'report-sr.dcm').toString(), 'sr bytes');
    const target = new Recorder();
    assert.deepEqual((await deliver(store, () => target)).delivered, [item.id]);
    assert.deepEqual([...target.held].sort(), ['2.25.10', '2.25.11'], 'the exchange got the plaintext');
  });

  test('a copy put in another\'s place does not pass for it', async () => {
    const item = enqueue(store, input());
    const dir = join(store.root, store.db.prepare('SELECT dir FROM outbox WHERE id = ?').pluck().get(item.id) as string);
    copyFileSync(join(dir, 'report-pdf.dcm'), join(dir, 'report-sr.dcm'));
    const r = await deliver(store, () => new Recorder());
    assert.deepEqual(r.failed.map((f) => f.code), ['vault.fileDamaged'], 'its name is bound in: it fails authentication');
  });

  test('after the study\'s key is shredded the item fails with a translated reason, not a crash', async () => {
    const item = enqueue(store, input());
    assert.equal(store.keys.shred('2.25.1'), true);
    const r = await deliver(store, () => new Recorder());
    assert.deepEqual(r.failed.map((f) => [f.item, f.code]), [[item.id, 'vault.studyKeyGone']]);
    const failed = getItem(store, item.id)!;
    assert.equal(failed.status, 'failed');
    for (const lang of LANGUAGES) {
      const text = errorMessage(new AmurError(failed.error!.code, failed.error!.params), lang);
      assert.ok(text.includes('2.25.1') && !text.includes('errors.'), `${lang}: ${text}`);
    }
    assert.throws(() => readOutboxFile(store, item, 'report.pdf'), (e: unknown) => e instanceof AmurError && e.code === 'vault.studyKeyGone');
  });

  test('copies an earlier version queued in clear are sealed before delivery', async () => {
    const item = enqueue(store, input());
    const dir = join(store.root, store.db.prepare('SELECT dir FROM outbox WHERE id = ?').pluck().get(item.id) as string);
    // As an earlier version left it: clear copies, and no marker saying that all are sealed.
    for (const f of ['report-sr.dcm', 'report-pdf.dcm', 'report.pdf']) copyFileSync(join(src, f), join(dir, f));
    rmSync(join(store.root, 'outbox', '.sealed'));
    const target = new Recorder();
    assert.deepEqual((await deliver(store, () => target)).delivered, [item.id]);
    for (const f of outboxFiles()) assert.ok(!readFileSync(f).includes('bytes'), `${f} is sealed`);
    assert.equal(readOutboxFile(store, item, 'report.pdf').toString(), '%PDF-1.7');
  });

  test('backoff doubles from 30 s to at most an hour', () => {
    assert.deepEqual([1, 2, 3, 8, 20].map(backoffSeconds), [30, 60, 120, 3600, 3600]);
  });
});
