/// <reference lib="dom" />
// Measurements that are correct and intended, as a radiologist checks them in the browser shell:
// an arrow with its text is drawn and listed; a click or a twitch of the hand with a tool armed
// saves nothing; a study opened after drawing in another starts on window/level, so a click that
// only focuses its viewport draws nothing; a value reads the same on the image, in the list and in
// the signed report's PDF; a measurement left out of the report is not in it; a row names its
// series and image and takes the viewport there. Every wait is for a signal the app sets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { studyReferenceFromFiles } from '../../core/reports/study.js';
import { makePki, type TestPki } from '../fixtures/pki/pki.js';
import { headCtFiles } from '../report-fixtures.js';
import { REPO_ROOT, shared } from '../shared-data.js';
import { openReadingRoom, type ReadingRoom, type RunningApp, screenshotDir } from './harness.js';

const GE_DIR = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const VIEWPORT = '[data-testid="viewport"]';
const PIXEL_SPACING = 0.4882812;
type Point = { x: number; y: number };

/** The viewport's zoom, from its overlay ("Zoom: 152%"): screen pixels per image pixel. */
async function scale(page: Page): Promise<number> {
  const text = await page.locator('[data-testid="viewport-overlay"]').first().innerText();
  const m = /(\d[\d,.\s]*)\s*%/.exec(text);
  assert.ok(m, `zoom in the overlay: ${text}`);
  return Number(m[1]!.replace(/[,\s]/g, '')) / 100;
}

/** Page coordinates of an image pixel position, for the fitted, unpanned 512x512 image. */
async function toPage(page: Page, ix: number, iy: number): Promise<Point> {
  const box = (await page.locator(VIEWPORT).boundingBox())!;
  const z = await scale(page);
  return { x: box.x + box.width / 2 + (ix - 256) * z, y: box.y + box.height / 2 + (iy - 256) * z };
}

async function drag(page: Page, a: Point, b: Point): Promise<void> {
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(a.x + ((b.x - a.x) * i) / 10, a.y + ((b.y - a.y) * i) / 10);
  await page.mouse.up();
}

/** Presses a measurement tool's button, from the toolbar's overflow menu when it does not fit. */
async function chooseTool(page: Page, name: string): Promise<void> {
  const button = page.locator(`[data-testid="tool-measure-${name}"]`);
  if (!(await button.isVisible())) await page.locator('[data-testid="toolbar-more"]').click();
  await button.click();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
}

/** How bright the canvas is around a point of the page (0..255, the brightest of 3x3 pixels). */
async function brightnessAt(page: Page, p: Point): Promise<number> {
  return page.$eval(`${VIEWPORT} canvas`, (c, q) => {
    const canvas = c as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const cx = Math.round(((q.x - r.left) * canvas.width) / r.width);
    const cy = Math.round(((q.y - r.top) * canvas.height) / r.height);
    const d = canvas.getContext('2d')!.getImageData(cx - 1, cy - 1, 3, 3).data;
    let best = 0;
    for (let i = 0; i < d.length; i += 4) best = Math.max(best, (d[i]! + d[i + 1]! + d[i + 2]!) / 3);
    return best;
  }, { x: p.x, y: p.y });
}

/** The label drawn beside a measurement on the image, as the viewport says it (data-measurement-labels). */
async function imageLabel(page: Page, trackingUID: string): Promise<string> {
  const handle = await page.waitForFunction(
    ([sel, uid]) => {
      const raw = document.querySelector(sel!)?.getAttribute('data-measurement-labels');
      const hit = raw ? (JSON.parse(raw) as { uid: string; text: string }[]).find((l) => l.uid === uid) : undefined;
      return hit?.text;
    },
    [VIEWPORT, trackingUID],
  );
  return (await handle.jsonValue()) as string;
}

const rows = (page: Page) => page.locator('[data-testid="measurement"]');

describe('measurements are correct and intended (browser shell, Chromium)', () => {
  let app: RunningApp;
  let room: ReadingRoom;
  let pki: TestPki;
  const ge = studyReferenceFromFiles(readdirSync(GE_DIR).map((f) => join(GE_DIR, f))).StudyInstanceUID;
  const philips = studyReferenceFromFiles(headCtFiles()).StudyInstanceUID;
  const amur = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: app.home } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  };

  async function open(page: Page, StudyInstanceUID: string): Promise<void> {
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${StudyInstanceUID}"]`).dblclick();
    await page.waitForSelector(`[data-testid="viewer"][data-study-uid="${StudyInstanceUID}"][data-state="ready"]`);
    await page.waitForSelector(`${VIEWPORT}[data-image-index="0"]`);
    await page.waitForSelector('[data-testid="measurement-list"][data-state="ready"]');
  }

  before(async () => {
    pki = makePki();
    room = await openReadingRoom({
      viewport: { width: 1920, height: 1080 },
      prepare: async (running) => {
        app = running;
        amur(['import', GE_DIR]);
        amur(['import', join(headCtFiles()[0]!, '..')]);
        // The same study's one-image scout, a second series to come back from.
        amur(['import', join(headCtFiles()[0]!, '..', '..', 'S1000', 'I10')]);
        amur(['identity', 'import', pki.file('rsa.p12'), '--name', 'ivanov', '--passphrase-file', pki.file('passphrase.txt')]);
      },
    });
    await open(room.page, ge);
  });
  after(async () => {
    await room?.close();
    pki?.remove();
  });

  test('an arrow with its text is drawn and listed once OK is pressed', async () => {
    const { page } = room;
    const tip = await toPage(page, 200, 20);
    const tail = await toPage(page, 300, 40);
    await chooseTool(page, 'ArrowAnnotate');
    await drag(page, tip, tail);
    await page.locator('[data-testid="arrow-text"]').fill('Air artefact');
    await page.locator('.measure-ask button[type="submit"]').click();
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
    const row = rows(page).first();
    assert.equal(await row.getAttribute('data-tool'), 'ArrowAnnotate');
    assert.match(await row.innerText(), /Air artefact/);
    // Drawn on the canvas: the arrow's shaft is bright over the black air in front of the face.
    const mid = { x: (tip.x + tail.x) / 2, y: (tip.y + tail.y) / 2 };
    await page.waitForFunction(
      ([sel, p]) => {
        const c = document.querySelector(`${sel} canvas`) as HTMLCanvasElement | null;
        if (!c) return false;
        const r = c.getBoundingClientRect();
        const d = c.getContext('2d')!.getImageData(Math.round(((p.x - r.left) * c.width) / r.width) - 1, Math.round(((p.y - r.top) * c.height) / r.height) - 1, 3, 3).data;
        for (let i = 0; i < d.length; i += 4) if ((d[i]! + d[i + 1]! + d[i + 2]!) / 3 > 100) return true;
        return false;
      },
      [VIEWPORT, mid] as const,
    );
    assert.ok((await brightnessAt(page, { x: mid.x, y: mid.y + 20 })) < 40, 'beside the arrow the air stays dark');
    await page.screenshot({ path: join(screenshotDir(), 'measure-arrow-text.png') });
  });

  test('a click-click and a tiny click-move-click save nothing; the next real line is the only one saved', async () => {
    const { page } = room;
    const before = await rows(page).count();
    // A click starts a shape that follows the mouse and the next click ends it (cornerstone-tools'
    // click-move-click drawing): two clicks on one spot make a rectangle of nothing.
    await chooseTool(page, 'RectangleRoi');
    const at = await toPage(page, 256, 200);
    await page.mouse.click(at.x, at.y);
    await page.mouse.move(at.x + 1, at.y + 1);
    await page.mouse.click(at.x + 1, at.y + 1);
    await chooseTool(page, 'Length');
    await page.mouse.click(at.x + 20, at.y);
    await page.mouse.move(at.x + 22, at.y + 1);
    await page.mouse.click(at.x + 22, at.y + 1);
    // An arrow of two clicks on one spot does not even ask for its text.
    await chooseTool(page, 'ArrowAnnotate');
    await page.mouse.click(at.x, at.y + 20);
    await page.mouse.click(at.x, at.y + 20);
    await chooseTool(page, 'Length');
    // A real line after them: saves run one after another, so once it is listed, any earlier save would be too.
    const from = await toPage(page, 150, 60);
    const to = await toPage(page, 330, 60);
    await drag(page, from, to);
    await page.waitForSelector(`[data-testid="measurement-list"][data-count="${before + 1}"]`);
    const last = rows(page).last();
    assert.equal(await last.getAttribute('data-tool'), 'Length');
    const mm = Number(/([\d.]+) mm/.exec(await last.locator('[data-testid="measurement-values"]').innerText())![1]);
    const expected = (Math.hypot(to.x - from.x, to.y - from.y) / (await scale(page))) * PIXEL_SPACING;
    assert.ok(Math.abs(mm - expected) / expected < 0.03, `the listed length is the dragged line from its own start (${mm} vs ${expected.toFixed(1)} mm)`);
    assert.equal(await rows(page).count(), before + 1, 'neither the rectangle, the tiny line nor the tiny arrow was saved');
    assert.equal(await page.locator('[data-testid="arrow-text"]').count(), 0, 'the tiny arrow asked for no text');
    assert.deepEqual(await rows(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-tool'))), ['ArrowAnnotate', 'Length']);
  });

  test('the same value on the image, in the list and (later) in the signed PDF; each row names its series and image', async () => {
    const { page } = room;
    await chooseTool(page, 'EllipticalRoi');
    await drag(page, await toPage(page, 200, 230), await toPage(page, 290, 300));
    await page.waitForSelector('[data-testid="measurement-list"][data-count="3"]');
    // A probe in the brain: its label is the modality value in HU, as the list says, not the stored value.
    await chooseTool(page, 'Probe');
    const probeAt = await toPage(page, 256, 330);
    await page.mouse.click(probeAt.x, probeAt.y);
    await page.waitForSelector('[data-testid="measurement-list"][data-count="4"]');
    assert.match(await page.locator('[data-testid="measurement"][data-tool="Probe"] [data-testid="measurement-values"]').innerText(), /^-?\d+\.\d HU$/);
    // Only lengths and regions can enter the report's measurement groups, so only they have the choice.
    assert.deepEqual(await page.locator('[data-testid="measurement"]:has([data-testid="measurement-in-report"])').evaluateAll((els) => els.map((e) => e.getAttribute('data-tool'))), ['Length', 'EllipticalRoi']);
    for (let i = 0; i < 4; i++) {
      const row = rows(page).nth(i);
      if ((await row.getAttribute('data-tool')) === 'ArrowAnnotate') continue;
      const uid = (await row.getAttribute('data-tracking-uid'))!;
      const listed = await row.locator('[data-testid="measurement-values"]').innerText();
      assert.equal(await imageLabel(page, uid), listed.trim(), 'the label on the image reads as the list');
      assert.match(listed, /^(area )?-?\d+\.\d (mm|HU)/, `one decimal: ${listed}`);
      assert.match(await row.locator('[data-testid="measurement-where"]').innerText(), /^Series \d+, image 1\/\d+$/);
    }
    await page.screenshot({ path: join(screenshotDir(), 'measure-labels.png') });
    // In Russian and Chinese the label and the list change together: the words, units and decimal sign.
    const ellipse = page.locator('[data-testid="measurement"][data-tool="EllipticalRoi"]');
    const uid = (await ellipse.getAttribute('data-tracking-uid'))!;
    for (const [lang, pattern] of [['ru', /^площадь \d+,\d мм²; среднее -?\d+,\d HU/], ['zh-CN', /^面积 \d+\.\d 平方毫米; 均值 -?\d+\.\d HU/]] as const) {
      await page.locator('[data-testid="language"]').selectOption(lang);
      await page.waitForFunction(([sel, re]) => new RegExp(re!).test(document.querySelector(sel!)?.textContent ?? ''), [
        '[data-testid="measurement"][data-tool="EllipticalRoi"] [data-testid="measurement-values"]', pattern.source,
      ]);
      const listed = (await ellipse.locator('[data-testid="measurement-values"]').innerText()).trim();
      await page.waitForFunction(
        ([sel, id, text]) => (JSON.parse(document.querySelector(sel!)?.getAttribute('data-measurement-labels') ?? '[]') as { uid: string; text: string }[]).some((l) => l.uid === id && l.text === text),
        [VIEWPORT, uid, listed],
      );
    }
    await page.screenshot({ path: join(screenshotDir(), 'measure-labels-zh.png') });
    await page.locator('[data-testid="language"]').selectOption('en');
  });

  test('pressing a row takes the viewport to the measurement\'s image', async () => {
    const { page } = room;
    await page.locator(VIEWPORT).hover();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`${VIEWPORT}[data-image-index="5"]`);
    await rows(page).last().locator('[data-testid="measurement-go"]').click();
    await page.waitForSelector(`${VIEWPORT}[data-image-index="0"]`);
  });

  test('another study opens on window/level: a click draws nothing and a drag changes the window', async () => {
    const { page } = room;
    await chooseTool(page, 'RectangleRoi');
    await page.locator('[data-testid="back-to-worklist"]').click();
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await open(page, philips);
    assert.equal(await page.locator('[data-testid="tool-Wwwc"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('[data-testid^="tool-measure-"][aria-pressed="true"]').count(), 0, 'no measurement tool is armed');
    const window = await page.locator('[data-testid="overlay-window"]').innerText();
    const c = await toPage(page, 256, 256);
    await page.mouse.click(c.x, c.y);
    await drag(page, c, { x: c.x + 80, y: c.y + 40 });
    await page.waitForFunction(([sel, w]) => document.querySelector(sel!)?.textContent !== w, ['[data-testid="overlay-window"]', window]);
    assert.equal(await page.locator('[data-testid="measurement-list"]').getAttribute('data-count'), '0');
  });

  test('pressing a row of another series puts that series in the viewport at the measurement\'s image', async () => {
    const { page } = room;
    const viewport = page.locator(VIEWPORT);
    await viewport.hover();
    // To the 28 slices (the scout has one image), then to the sixth slice.
    if (!/\/\s*28\b/.test(await page.locator('[data-testid="overlay-image"]').innerText())) {
      const scout = await viewport.getAttribute('data-series-uid');
      await page.keyboard.press(']');
      await page.waitForSelector(`${VIEWPORT}:not([data-series-uid="${scout}"])[data-image-index="0"]`);
    }
    const slices = (await viewport.getAttribute('data-series-uid'))!;
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`${VIEWPORT}[data-image-index="5"]`);
    await chooseTool(page, 'Length');
    await drag(page, await toPage(page, 200, 250), await toPage(page, 300, 250));
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
    const row = rows(page).first();
    assert.match(await row.locator('[data-testid="measurement-where"]').innerText(), /^Series \d+, image 6\/28$/);
    await page.locator('[data-testid="tool-Wwwc"]').click();
    await viewport.hover();
    await page.keyboard.press('[');
    await page.waitForSelector(`${VIEWPORT}:not([data-series-uid="${slices}"])[data-image-index="0"]`);
    await row.locator('[data-testid="measurement-go"]').click();
    await page.waitForSelector(`${VIEWPORT}[data-series-uid="${slices}"][data-image-index="5"]`);
  });

  test('a measurement left out of the report is not in the signed PDF; the kept one prints the listed number', async () => {
    const { page } = room;
    await page.locator('[data-testid="back-to-worklist"]').click();
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await open(page, ge);
    await page.waitForSelector('[data-testid="measurement-list"][data-count="4"]');
    const ellipse = page.locator('[data-testid="measurement"][data-tool="EllipticalRoi"]');
    const lengthLabel = (await page.locator('[data-testid="measurement"][data-tool="Length"] .measurement-label').innerText()).trim();
    const ellipseLabel = (await ellipse.locator('.measurement-label').innerText()).trim();
    const area = /area (\d+\.\d) mm/.exec(await ellipse.locator('[data-testid="measurement-values"]').innerText())![1]!;
    const revision = await page.locator('[data-testid="measurement-list"]').getAttribute('data-revision');
    await page.locator('[data-testid="measurement"][data-tool="Length"] [data-testid="measurement-in-report"]').click();
    await page.waitForSelector(`[data-testid="measurement"][data-tool="Length"][data-in-report="false"]`);
    assert.notEqual(await page.locator('[data-testid="measurement-list"]').getAttribute('data-revision'), revision);

    await page.locator('[data-testid="toggle-report"]').click();
    await page.waitForSelector('[data-testid="report-editor"][data-state="ready"]');
    // The report editor shows the same choice.
    assert.equal(await page.locator('[data-testid="report-measurement"][data-in-report="true"]').count(), 1);
    await page.locator('[data-testid="report-impression-en"]').fill('Normal appearances of the brain.');
    await page.locator('[data-testid="report-impression-zh-CN"]').fill('脑实质未见异常。');
    await page.waitForSelector('[data-testid="report-editor"][data-save-state="saved"]');
    await page.locator('[data-testid="report-passphrase"]').fill(pki.passphrase);
    await page.locator('[data-testid="report-sign-button"]').click();
    const signed = page.locator('[data-testid="signed-report"]');
    await signed.waitFor();
    const out = mkdtempSync(join(tmpdir(), 'amur-e2e-measure-'));
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), signed.first().locator('[data-testid="signed-report-pdf"]').click()]);
      await download.saveAs(join(out, 'report.pdf'));
      const text = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
      assert.ok(text.includes(`${ellipseLabel} —`), `the kept ellipse is in the PDF: ${text.slice(0, 400)}`);
      assert.ok(text.includes(`${area} mm`), `the PDF prints the listed area ${area} mm²`);
      assert.ok(!text.includes(`${lengthLabel} —`), 'the length left out of the report is not in the PDF');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
