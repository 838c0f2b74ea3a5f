/// <reference lib="dom" />
// The worklist's reading status and the columns a reader expects, in Chromium through the browser
// shell. Two real studies made at test time with dcmodify from real files: the GE head CT (28 images)
// stating PatientAge, PatientSex and an accession number, and pydicom's MR_small given a birth date
// (its age is counted from it). The worklist shows age, sex, accession and body part, sorts by age;
// a second window of the same workstation keeps the worklist open while the first reads the CT: a
// length drawn makes its row "In progress" there without a reload, undo makes it "New" again, the
// report editor's draft makes it "In progress" to stay, and the other window's language is the
// reader's own (Russian). A partner's case whose signed report waits in the outbox is Reported, and
// turns Delivered on the open worklist when a delivery by another process lands (the running app's
// delivery rounds look). Every wait is for a signal the app sets (data-status, data-count).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { recordCase } from '../../core/cases/cases.js';
import { importPaths } from '../../core/importer/importer.js';
import { enqueue } from '../../core/outbox/outbox.js';
import { StudyStore } from '../../core/store/store.js';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { unlockTestHome } from '../vault.js';
import { openApp, openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const MR = join(PYDICOM_DATA, 'test_files', 'MR_small.dcm');
const VIEWPORT = '[data-testid="viewport"]';

/** Copies of real files with the attributes set by dcmtk's dcmodify (the exact command is here). */
function modified(files: string[], dir: string, set: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  const out = files.map((f, i) => {
    const to = join(dir, `${String(i).padStart(2, '0')}.dcm`);
    copyFileSync(f, to);
    return to;
  });
  const args = ['-nb', ...Object.entries(set).flatMap(([k, v]) => ['-i', `${k}=${v}`]), ...out];
  const r = spawnSync('dcmodify', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `dcmodify ${args.join(' ')}: ${r.stderr}`);
  return out;
}

const row = (page: Page, text: string) => page.locator('[data-testid="worklist-row"]', { hasText: text });
const cell = (page: Page, text: string, column: string) => row(page, text).locator(`[data-column="${column}"]`);
const statusIs = (page: Page, text: string, status: string) =>
  row(page, text).locator(`[data-column="status"] [data-status="${status}"]`).waitFor();

describe('worklist status and columns in the browser shell', () => {
  let scratch: string;
  let room: ReadingRoom;
  let other: Page;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'amur-'));
    const ct = modified(readdirSync(HEAD_CT).sort().map((f) => join(HEAD_CT, f)), join(scratch, 'ct'),
      { PatientAge: '047Y', PatientSex: 'F', AccessionNumber: 'ACC-2026-0042' });
    const mr = modified([MR], join(scratch, 'mr'), { PatientBirthDate: '19800101', AccessionNumber: 'ACC-2026-0043' });
    room = await openReadingRoom({ files: [...ct, ...mr], viewport: { width: 1920, height: 1080 } });
    // The reader's second window on the same workstation: the worklist stays open there.
    other = await room.context.newPage();
    await openApp(other, { ...room.app, url: room.app.origin });
  });
  after(async () => {
    await room?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('shows age, sex, accession and body part, each new study as New, and sorts by age', async () => {
    const { page } = room;
    await row(page, 'ACC-2026-0043').waitFor();
    // PatientAge as the CT states it; the MR's counted from its birth date to its study date (2004-08-26).
    assert.equal(await cell(page, 'ACC-2026-0042', 'age').innerText(), '47 y');
    assert.equal(await cell(page, 'ACC-2026-0043', 'age').innerText(), '24 y');
    assert.equal(await cell(page, 'ACC-2026-0042', 'sex').innerText(), 'F');
    assert.equal(await cell(page, 'ACC-2026-0042', 'sex').locator('[data-sex]').getAttribute('title'), 'Female');
    assert.equal(await cell(page, 'ACC-2026-0042', 'bodyPart').innerText(), 'Head');
    assert.equal(await cell(page, 'ACC-2026-0042', 'accession').innerText(), 'ACC-2026-0042');
    for (const acc of ['ACC-2026-0042', 'ACC-2026-0043']) assert.equal(await cell(page, acc, 'status').innerText(), 'New');
    for (const [id, label] of [['age', 'Age'], ['sex', 'Sex'], ['accession', 'Accession'], ['bodyPart', 'Body part']]) {
      assert.equal(await page.locator(`[data-testid="sort-${id}"]`).innerText(), label);
    }
    await page.click('[data-testid="sort-age"]');
    assert.deepEqual(await page.locator('[data-testid="worklist-row"] [data-column="accession"]').allInnerTexts(), ['ACC-2026-0043', 'ACC-2026-0042']);
    await page.click('[data-testid="sort-age"]');
    assert.deepEqual(await page.locator('[data-testid="worklist-row"] [data-column="accession"]').allInnerTexts(), ['ACC-2026-0042', 'ACC-2026-0043']);
    await page.screenshot({ path: join(screenshotDir(), 'worklist-columns-en.png') });
  });

  test('the other window follows the reading: a measurement makes the study In progress, undo makes it New, a draft keeps it In progress', async () => {
    const { page } = room;
    await other.locator('[data-testid="language"]').selectOption('ru');
    await other.locator('[data-testid="sort-age"]:text("Возраст")').waitFor();
    assert.equal(await cell(other, 'ACC-2026-0042', 'status').innerText(), 'Новое');

    await row(page, 'ACC-2026-0042').dblclick();
    await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
    await page.waitForSelector(`${VIEWPORT}[data-image-index="0"]`);
    await page.waitForSelector('[data-testid="measurement-list"][data-state="ready"]');
    const box = (await page.locator(VIEWPORT).boundingBox())!;
    const from = { x: box.x + box.width * 0.3, y: box.y + box.height * 0.2 };
    const to = { x: box.x + box.width * 0.6, y: box.y + box.height * 0.25 };
    // A tool the toolbar has no room for is in its overflow menu.
    const tool = page.locator('[data-testid="tool-measure-Length"]');
    if (!(await tool.isVisible())) await page.click('[data-testid="toolbar-more"]');
    await tool.click();
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 10, from.y + ((to.y - from.y) * i) / 10);
    await page.mouse.up();
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');

    // Without a reload, in the other window, in its own language.
    await statusIs(other, 'ACC-2026-0042', 'in-progress');
    assert.equal(await cell(other, 'ACC-2026-0042', 'status').innerText(), 'В работе');
    assert.equal(await cell(other, 'ACC-2026-0043', 'status').innerText(), 'Новое', 'the other study is untouched');

    await page.click('[data-testid="measure-undo"]');
    await page.waitForSelector('[data-testid="measurement-list"][data-count="0"]');
    await statusIs(other, 'ACC-2026-0042', 'new');

    // The report editor makes (and autosaves) a draft: the study is being reported.
    await page.click('[data-testid="toggle-report"]');
    await page.waitForSelector('[data-testid="report-editor"][data-state="ready"]');
    await statusIs(other, 'ACC-2026-0042', 'in-progress');
    await other.screenshot({ path: join(screenshotDir(), 'worklist-status-ru.png') });

    // Back on the worklist of the first window the study reads the same.
    await page.click('[data-testid="back-to-worklist"]');
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await statusIs(page, 'ACC-2026-0042', 'in-progress');
    assert.equal(await cell(page, 'ACC-2026-0042', 'status').innerText(), 'In progress');
  });

  test('at 1280×720 in every language the new columns read whole: labels on one line and not cut off, values not cut off (a long accession on hover)', async () => {
    const { page } = room;
    await page.setViewportSize({ width: 1280, height: 720 });
    try {
      for (const lang of ['zh-CN', 'ru', 'en']) {
        await page.locator('[data-testid="language"]').selectOption(lang);
        await page.locator(`html[lang="${lang}"]`).waitFor();
        const heads = await page.locator('table.studies thead th').evaluateAll((ths) => ths.map((th) => {
          const button = th.querySelector('button')!;
          const range = document.createRange();
          range.selectNodeContents(button);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
          const cell = th.getBoundingClientRect();
          const inner = cell.right - parseFloat(getComputedStyle(th).paddingRight);
          return {
            id: button.dataset.testid!.replace('sort-', ''), label: button.textContent ?? '', lines, left: cell.left, right: cell.right,
            clipped: range.getBoundingClientRect().right > inner + 0.5 || button.scrollWidth > button.clientWidth + 0.5,
          };
        }));
        for (const h of heads) assert.equal(h.lines, 1, `${lang}: "${h.label}" is on one line`);
        for (let i = 1; i < heads.length; i++) assert.ok(heads[i]!.left >= heads[i - 1]!.right - 1, `${lang}: "${heads[i - 1]!.label}" and "${heads[i]!.label}" do not overlap`);
        for (const id of ['age', 'sex', 'accession', 'bodyPart', 'status']) {
          const h = heads.find((x) => x.id === id);
          assert.ok(h && !h.clipped, `${lang}: the label "${h?.label}" of ${id} is shown whole`);
        }
        const cut = await page.locator('[data-testid="worklist-row"]').evaluateAll((rows) => rows.flatMap((r) =>
          ['age', 'sex', 'accession', 'bodyPart', 'status'].map((c) => {
            const td = r.querySelector<HTMLElement>(`[data-column="${c}"]`)!;
            const inner = (td.querySelector<HTMLElement>('.status-badge') ?? td);
            // A long accession number (SH, up to 16 characters) may be cut, and then reads whole on hover.
            const whole = inner.scrollWidth <= inner.clientWidth + 0.5 || (c === 'accession' && td.title === td.innerText);
            return whole ? '' : `${c}: ${td.innerText}`;
          }).filter(Boolean)));
        assert.deepEqual(cut, [], `${lang}: no value of the new columns is cut off`);
        await page.screenshot({ path: join(screenshotDir(), `worklist-columns-1280-${lang}.png`) });
      }
    } finally {
      await page.locator('[data-testid="language"]').selectOption('en');
      await page.setViewportSize({ width: 1920, height: 1080 });
    }
  });
});

describe('the worklist follows a delivery', () => {
  let home: string;
  let room: ReadingRoom;
  let uid: string;
  let item: string;
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'amur-e2e-status-'));
    await unlockTestHome(home);
    const store = StudyStore.open(home);
    try {
      uid = (await importPaths(store, [join(PYDICOM_DATA, 'charset_files', 'chrRuss.dcm')], { workers: 0 })).studies[0]!;
      const now = Date.now();
      recordCase(store, {
        StudyInstanceUID: uid, agreementId: 'HRB-2026-01', partner: 'Harbin First Hospital', requestId: 'REQ-8001', consentRef: 'CONSENT-8001',
        priority: 'routine', receivedAt: new Date(now - 3_600_000).toISOString(), deadlineAt: new Date(now + 20 * 3_600_000).toISOString(),
        exchangeUrl: 'https://exchange.invalid/dicom-web',
      });
      // A signed report waiting (a real SR file standing in), its last try failed and the next one
      // far off, so the app's own rounds leave it alone until another process delivers it.
      item = enqueue(store, { StudyInstanceUID: uid, agreementId: 'HRB-2026-01',
        instances: [{ path: join(PYDICOM_DATA, 'test_files', 'test-SR.dcm'), SOPInstanceUID: '2.25.8001', SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33' }] }).id;
      store.db.prepare("UPDATE outbox SET status = 'failed', attempts = 1, error_code = 'exchange.unreachable', next_attempt_at = ? WHERE id = ?")
        .run(new Date(now + 24 * 3_600_000).toISOString(), item);
    } finally {
      store.close();
    }
    room = await openReadingRoom({ home, env: { AMUR_DELIVERY_INTERVAL: '1' }, locale: 'zh-CN' });
  });
  after(async () => {
    await room?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test('a report delivered by another process turns the study Delivered without a reload', async () => {
    const { page } = room;
    const status = page.locator(`[data-testid="worklist-row"][data-study-uid="${uid}"] [data-column="status"]`);
    await status.locator('[data-status="reported"]').waitFor();
    assert.equal(await status.innerText(), '已出报告');
    const store = StudyStore.open(home);
    try {
      store.db.prepare("UPDATE outbox SET status = 'delivered', error_code = NULL, next_attempt_at = NULL, delivered_at = ? WHERE id = ?")
        .run(new Date().toISOString(), item);
    } finally {
      store.close();
    }
    await status.locator('[data-status="delivered"]').waitFor();
    assert.equal(await status.innerText(), '已送达');
  });
});
