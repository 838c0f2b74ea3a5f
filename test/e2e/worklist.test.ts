// The worklist through the browser shell in Chromium: real studies imported by upload (button and
// drag and drop), names decoded from their character sets, sorting, filtering and searching, the
// rejected files listed with their reasons, the language switched, a study opened and closed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { importThroughUi, openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

const CHARSETS = join(PYDICOM_DATA, 'charset_files');
const CHINESE = { file: join(CHARSETS, 'chrX2.dcm'), uid: '1.3.6.1.4.1.5962.1.2.0.1175775771.5714.0' };
const RUSSIAN = { file: join(CHARSETS, 'chrRuss.dcm'), uid: '1.3.6.1.4.1.5962.1.2.0.1175775772.5729.0' };
const CT = shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');

const rows = (page: Page) => page.locator('[data-testid="worklist-row"]');
const row = (page: Page, uid: string) => page.locator(`[data-testid="worklist-row"][data-study-uid="${uid}"]`);
const columnTexts = (page: Page, column: string) => page.locator(`[data-testid="worklist-row"] [data-column="${column}"]`).allInnerTexts();

describe('worklist in the browser shell', () => {
  let room: ReadingRoom;
  let scratch: string;
  let ctUid: string;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'amur-'));
    room = await openReadingRoom();
  });
  after(async () => {
    await room?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('starts empty, in English, with the empty-worklist hint', async () => {
    const { page } = room;
    assert.equal(await rows(page).count(), 0);
    assert.match(await page.locator('[data-testid="worklist-empty"]').innerText(), /No studies yet/);
  });

  test('imports real files by upload and shows their names decoded', async () => {
    const { page } = room;
    const summary = await importThroughUi(page, [CHINESE.file, RUSSIAN.file, CT]);
    assert.match(summary, /Imported: 3\. Already in the store: 0\. Rejected: 0\./);
    await rows(page).nth(2).waitFor();
    assert.equal(await rows(page).count(), 3);
    const zh = row(page, CHINESE.uid);
    assert.equal(await zh.locator('[data-testid="pn-ideographic"]').innerText(), '王小东');
    assert.equal(await zh.locator('[data-testid="pn-alphabetic"]').innerText(), 'Wang XiaoDong');
    assert.equal(await zh.locator('[data-column="patientId"]').innerText(), 'X2EXAMPLE');
    assert.equal(await row(page, RUSSIAN.uid).locator('[data-column="patientName"]').innerText(), 'Люкceмбypг');
    ctUid = (await page.locator('[data-testid="worklist-row"]:has([data-column="modality"]:text-is("CT"))').getAttribute('data-study-uid'))!;
    const ct = row(page, ctUid);
    assert.equal(await ct.locator('[data-column="studyDate"]').innerText(), 'Aug 26, 2004, 6:50 PM');
    assert.equal(await ct.locator('[data-column="images"]').innerText(), '1');
    assert.equal(await ct.locator('[data-column="status"]').innerText(), 'New');
    assert.equal(await ct.locator('[data-column="source"]').innerText(), 'Local media');
    await page.screenshot({ path: join(screenshotDir(), 'worklist-en.png') });
  });

  test('importing the same files again reports them as already stored', async () => {
    const summary = await importThroughUi(room.page, [CHINESE.file]);
    assert.match(summary, /Imported: 0\. Already in the store: 1\./);
    assert.equal(await rows(room.page).count(), 3);
  });

  test('rejected files are listed by name with a reason', async () => {
    const notDicom = join(scratch, 'notes.txt');
    writeFileSync(notDicom, 'this is not a DICOM file\n');
    const truncated = join(scratch, 'truncated.dcm');
    writeFileSync(truncated, readFileSync(CT).subarray(0, 300));
    const summary = await importThroughUi(room.page, [notDicom, truncated]);
    assert.match(summary, /Rejected: 2\./);
    const items = room.page.locator('[data-testid="import-rejected"] li');
    assert.equal(await items.count(), 2);
    const texts = await items.allInnerTexts();
    for (const name of ['notes.txt', 'truncated.dcm']) {
      const line = texts.find((t) => t.startsWith(`${name}:`));
      assert.ok(line, `${name} is listed by its own name, not a temporary path: ${texts.join(' | ')}`);
      assert.ok(line.length > name.length + 5, `with a reason: ${line}`);
      assert.doesNotMatch(line, /uploads/, 'the host folder is not shown');
    }
    await room.page.screenshot({ path: join(screenshotDir(), 'worklist-rejected.png') });
    await room.page.getByRole('button', { name: 'Close' }).click();
    assert.equal(await rows(room.page).count(), 3);
  });

  test('sorts by a column both ways, filters by modality and searches any spelling of a name', async () => {
    const { page } = room;
    await page.locator('[data-testid="sort-patientId"]').click();
    assert.deepEqual(await columnTexts(page, 'patientId'), ['1CT1', 'SCSRUSS', 'X2EXAMPLE']);
    await page.locator('[data-testid="sort-patientId"]').click();
    assert.deepEqual(await columnTexts(page, 'patientId'), ['X2EXAMPLE', 'SCSRUSS', '1CT1']);
    assert.equal(await page.locator('th:has([data-testid="sort-patientId"])').getAttribute('aria-sort'), 'descending');

    await page.locator('[data-testid="filter-modality"]').selectOption('CT');
    assert.deepEqual(await columnTexts(page, 'patientId'), ['1CT1']);
    await page.locator('[data-testid="filter-modality"]').selectOption('');
    assert.equal(await rows(page).count(), 3);

    await page.locator('[data-testid="worklist-search"]').fill('小东');
    assert.deepEqual(await columnTexts(page, 'patientId'), ['X2EXAMPLE']);
    await page.locator('[data-testid="worklist-search"]').fill('wang xiao');
    assert.deepEqual(await columnTexts(page, 'patientId'), ['X2EXAMPLE']);
    await page.locator('[data-testid="worklist-search"]').fill('nobody-like-this');
    assert.match(await page.locator('[data-testid="worklist-empty"]').innerText(), /No study matches/);
    await page.locator('[data-testid="worklist-search"]').fill('');
    assert.equal(await rows(page).count(), 3);
  });

  test('switching the language changes every label and the date format', async () => {
    const { page } = room;
    await page.locator('[data-testid="language"]').selectOption('zh-CN');
    await page.locator('[data-testid="sort-patientName"]:text("患者")').waitFor();
    assert.equal(await page.locator('h1').innerText(), '阿穆尔');
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal(await row(page, ctUid).locator('[data-column="status"]').innerText(), '新检查');
    assert.match(await row(page, ctUid).locator('[data-column="studyDate"]').innerText(), /^2004年8月26日/);
    assert.equal(await row(page, ctUid).locator('[data-column="source"]').innerText(), '本地介质');
    assert.equal(await page.locator('[data-testid="import-files"]').innerText(), '导入文件…');
    assert.match(await page.locator('[data-testid="worklist-count"]').innerText(), /显示 3 项检查/);
    await page.screenshot({ path: join(screenshotDir(), 'worklist-zh-CN.png') });

    await page.locator('[data-testid="language"]').selectOption('ru');
    await page.locator('[data-testid="sort-patientName"]:text("Пациент")').waitFor();
    assert.equal(await row(page, ctUid).locator('[data-column="status"]').innerText(), 'Новое');
    assert.match(await row(page, ctUid).locator('[data-column="studyDate"]').innerText(), /^26 авг\. 2004/);
    assert.match(await page.locator('[data-testid="worklist-count"]').innerText(), /Показано 3 исследования из 3/);
    await page.screenshot({ path: join(screenshotDir(), 'worklist-ru.png') });

    // The choice survives a reload (it is the one thing kept in browser storage) ...
    await page.reload();
    await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();
    assert.equal(await page.locator('[data-testid="language"]').inputValue(), 'ru');
    // ... and nothing about patients is stored there.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.equal(stored, '{"amur.language":"ru"}{}');
    await page.locator('[data-testid="language"]').selectOption('en');
  });

  test('a study opens by double click or Enter, and the worklist comes back', async () => {
    const { page } = room;
    await row(page, CHINESE.uid).dblclick();
    await page.locator(`[data-testid="viewer"][data-study-uid="${CHINESE.uid}"]`).waitFor();
    assert.equal(await page.locator('[data-testid="app"]').getAttribute('data-screen'), 'viewer');
    assert.doesNotMatch(page.url(), /1\.3\.6\.1|key=/, 'neither the study nor the secret is in the address');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-open.png') });
    await page.locator('[data-testid="back-to-worklist"]').click();
    await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();

    // Keyboard only: "/" to the search, ArrowDown into the rows, Enter to open.
    await page.locator('[data-testid="sort-patientId"]').click(); // ascending: 1CT1, SCSRUSS, X2EXAMPLE
    await page.locator('h1').click();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'worklist-search');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-study-uid')), RUSSIAN.uid);
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid="viewer"][data-study-uid="${RUSSIAN.uid}"]`).waitFor();
    await page.goBack();
    await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();
    // Back on the worklist, the study just read has the focus, so reading goes on from there.
    await page.waitForFunction((uid) => document.activeElement?.getAttribute('data-study-uid') === uid, RUSSIAN.uid);
  });

  test('a folder is imported with a progress bar fed by the importer\'s events', async () => {
    const { page } = room;
    const folder = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
    // Record what the import panel shows while the import runs (the app's own signals, no timing).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { importSeen: string[] }).importSeen = seen;
      new MutationObserver(() => {
        const status = document.querySelector('[data-testid="import-status"]') as HTMLElement;
        const bar = document.querySelector('[data-testid="import-progress"]') as HTMLProgressElement | null;
        const entry = `${status.dataset.state}|${bar ? `${bar.value}/${bar.max}` : ''}|${status.querySelector('.progress span')?.textContent ?? ''}`;
        if (seen.at(-1) !== entry) seen.push(entry);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    const before = Number(await page.locator('[data-testid="import-status"]').getAttribute('data-finished'));
    await page.locator('[data-testid="import-folder-input"]').setInputFiles(folder);
    await page.locator(`[data-testid="import-status"][data-finished="${before + 1}"]`).waitFor();
    assert.match(await page.locator('[data-testid="import-result"]').innerText(), /Imported: 28\. Already in the store: 0\. Rejected: 0\./);
    const seen = await page.evaluate(() => (window as unknown as { importSeen: string[] }).importSeen);
    assert.ok(seen.some((e) => e.startsWith('uploading|')), `the upload showed its progress: ${seen.join(' ; ')}`);
    assert.ok(
      seen.some((e) => /^importing\|\d+\/28\|Importing: \d+ of 28 files$/.test(e)),
      `the importer's progress events reached the bar: ${seen.join(' ; ')}`,
    );
    const ge = page.locator('[data-testid="worklist-row"]:has([data-column="images"]:text-is("28"))');
    await ge.waitFor();
    assert.equal(await ge.locator('[data-column="modality"]').innerText(), 'CT');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  test('the host logged nothing about the patients it served', () => {
    const out = room.app.output();
    for (const s of ['Wang', '王', 'Люк', 'X2EXAMPLE', 'SCSRUSS', CHINESE.uid, 'chrX2', 'notes.txt']) {
      assert.ok(!out.includes(s), `amur serve printed ${s}`);
    }
  });

  test('files dropped on the worklist are imported', async () => {
    const { page } = room;
    const file = join(CHARSETS, 'chrH31.dcm');
    const bytes = readFileSync(file).toString('base64');
    const dt = await page.evaluateHandle(([name, b64]) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], name, { type: 'application/dicom' }));
      return transfer;
    }, [basename(file), bytes] as const);
    const before = Number(await page.locator('[data-testid="import-status"]').getAttribute('data-finished'));
    const target = page.locator('[data-testid="worklist"]');
    await target.dispatchEvent('dragenter', { dataTransfer: dt });
    await target.dispatchEvent('dragover', { dataTransfer: dt });
    await target.dispatchEvent('drop', { dataTransfer: dt });
    await page.locator(`[data-testid="import-status"][data-finished="${before + 1}"]`).waitFor();
    assert.match(await page.locator('[data-testid="import-result"]').innerText(), /Imported: 1\./);
    await rows(page).nth(4).waitFor();
    assert.equal(await rows(page).count(), 5);
  });

  test('the received column and filter count from this computer\'s clock', async () => {
    const { page } = room;
    const total = await rows(page).count();
    const time = row(page, CHINESE.uid).locator('[data-column="received"] time');
    const importedAt = new Date((await time.getAttribute('datetime'))!);
    assert.equal(await time.innerText(), new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'short' }).format(importedAt));
    // The page's clock is set to just after the import, so "today" holds even across midnight.
    await page.clock.setFixedTime(new Date(importedAt.getTime() + 1000));
    await page.locator('[data-testid="filter-received"]').selectOption('today');
    assert.equal(await rows(page).count(), total, 'everything was received today');
    // Ten days later (the page's clock only), nothing was received today or this week, all this month.
    await page.clock.setFixedTime(new Date(Date.now() + 10 * 86_400_000));
    await page.locator('[data-testid="filter-received"]').selectOption('7d');
    assert.match(await page.locator('[data-testid="worklist-empty"]').innerText(), /No study matches/);
    await page.locator('[data-testid="filter-received"]').selectOption('30d');
    assert.equal(await rows(page).count(), total);
    await page.locator('[data-testid="filter-received"]').selectOption('');
  });
});
