/// <reference lib="dom" />
// The viewer through the browser shell in Chromium: a real 28-slice head CT imported by upload,
// opened from the worklist, scrolled with the keyboard and the wheel, windowed with presets, and
// checked on the canvas itself (a drawn image is not blank; a window changes what is drawn).
// Every wait is for the viewport's data-image-index, which the app sets only once an image is drawn.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { importThroughUi, openReadingRoom, type ReadingRoom, screenshotDir, toolbarControl } from './harness.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const PALETTE_US = shared('dicom', 'dicomweb-client', 'testData', 'US-PAL-8-10x-echo.dcm');
const VIEWPORT = '[data-testid="viewport"]';

interface CanvasStats {
  width: number;
  height: number;
  mean: number;
  std: number;
  /** Fraction of pixels that are not black. */
  lit: number;
  /** Fraction of pixels drawn (nearly) white. */
  white: number;
  /** Fraction of pixels whose red, green and blue differ (a colour image). */
  coloured: number;
}

async function canvasStats(page: Page): Promise<CanvasStats> {
  return page.$eval(`${VIEWPORT} canvas`, (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    let sq = 0;
    let lit = 0;
    let coloured = 0;
    let white = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3;
      sum += v;
      sq += v * v;
      if (v > 8) lit++;
      if (v > 247) white++;
      if (Math.abs(d[i] - d[i + 1]) > 8 || Math.abs(d[i + 1] - d[i + 2]) > 8) coloured++;
    }
    const mean = sum / n;
    return { width: canvas.width, height: canvas.height, mean, std: Math.sqrt(sq / n - mean * mean), lit: lit / n, white: white / n, coloured: coloured / n };
  });
}

async function drawnIndex(page: Page, index: number): Promise<string> {
  await page.waitForSelector(`${VIEWPORT}[data-image-index="${index}"]`);
  return (await page.getAttribute(VIEWPORT, 'data-sop-instance-uid'))!;
}

/** Opens the first study whose worklist row mentions `modality`, as a user does (double click). */
async function openStudy(page: Page, modality: string): Promise<void> {
  await page.locator('[data-testid="worklist-row"]', { hasText: modality }).first().dblclick();
  await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
}

describe('viewer in the browser shell', () => {
  let room: ReadingRoom;
  // Anything the page reports as broken: script errors and Content-Security-Policy refusals (the
  // policy has no 'unsafe-eval'; the viewer must not need it).
  const problems: string[] = [];
  before(async () => {
    const files = readdirSync(HEAD_CT).map((f) => join(HEAD_CT, f));
    assert.equal(files.length, 28);
    room = await openReadingRoom({
      onPage: (page) => {
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('console', (m) => {
          const url = m.location().url;
          // The browser asks for /favicon.ico on its own; the app has none.
          if (url.endsWith('/favicon.ico')) return;
          if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()} (${url})`);
        });
      },
      files: [...files, PALETTE_US],
    });
  });
  after(async () => {
    await room?.close();
  });

  test('opens the head CT on its first slice, drawn and not blank', async () => {
    const { page } = room;
    const rows = page.locator('[data-testid="worklist-row"]');
    await rows.nth(1).waitFor();
    await openStudy(page, 'CT');
    const uid0 = await drawnIndex(page, 0);
    assert.match(uid0, /^[0-9.]+$/);
    const s = await canvasStats(page);
    assert.ok(s.width > 200 && s.height > 200, `canvas ${s.width}x${s.height}`);
    assert.ok(s.lit > 0.1, `a tenth of the canvas at least is lit (${s.lit})`);
    assert.ok(s.std > 20, `the image has contrast (std ${s.std})`);
    assert.match(await page.locator('[data-testid="overlay-image"]').innerText(), /1 \/ 28/);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-head-ct-first.png') });
  });

  test('ArrowDown/ArrowUp, PageDown, End, Home and the wheel move through the stack', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    const first = await drawnIndex(page, 0);
    const seen = new Set([first]);
    for (let i = 1; i <= 3; i++) {
      await page.keyboard.press('ArrowDown');
      seen.add(await drawnIndex(page, i));
    }
    assert.equal(seen.size, 4, 'four distinct instances');
    await page.keyboard.press('ArrowUp');
    await drawnIndex(page, 2);
    await page.keyboard.press('End');
    await drawnIndex(page, 27);
    await page.keyboard.press('ArrowDown');
    // The last slice stays the last one.
    await page.keyboard.press('ArrowUp');
    await drawnIndex(page, 26);
    await page.keyboard.press('Home');
    assert.equal(await drawnIndex(page, 0), first);
    // PageDown moves ten images, as the help says.
    await page.keyboard.press('PageDown');
    await drawnIndex(page, 10);
    await page.mouse.wheel(0, 120);
    await drawnIndex(page, 11);
    await page.mouse.wheel(0, -120);
    await drawnIndex(page, 10);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-head-ct-slice4.png') });
  });

  test('window presets change the drawn pixels and the overlay', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    await page.keyboard.press('Home');
    await drawnIndex(page, 0);
    const overlay = page.locator('[data-testid="overlay-window"]');

    await page.selectOption('[data-testid="preset"]', 'brain');
    await page.waitForFunction(() => /W: 80 L: 40/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    const brain = await canvasStats(page);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-preset-brain.png') });

    await page.selectOption('[data-testid="preset"]', 'bone');
    await page.waitForFunction(() => /W: 1,800 L: 400/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    const bone = await canvasStats(page);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-preset-bone.png') });

    // A brain window (up to 80 HU) draws all bone white; a bone window (up to 1300 HU) only dense bone.
    assert.ok(brain.white > 2 * bone.white, `more white in the brain window (${brain.white} vs ${bone.white})`);
    assert.ok(bone.std > 5, 'the bone window still shows the skull');

    // Number keys apply the presets in list order: 4 = lung.
    await page.keyboard.press('4');
    await page.waitForFunction(() => /W: 1,500 L: -600/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    await page.keyboard.press('0');
    await page.waitForFunction(() => !/W: 1,500 L: -600/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    assert.match(await overlay.innerText(), /W: .* L: /);
  });

  test('dragging with the left button changes the window, as the overlay shows', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    await page.keyboard.press('Home');
    await drawnIndex(page, 0);
    await page.selectOption('[data-testid="preset"]', 'brain');
    await page.waitForFunction(() => /W: 80 L: 40/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    const box = await page.locator(VIEWPORT).boundingBox();
    assert.ok(box, 'the viewport is on screen');
    const x = box.x + box.width / 2;
    const y = box.y + box.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down({ button: 'left' });
    await page.mouse.move(x + 60, y + 40, { steps: 6 });
    await page.mouse.up({ button: 'left' });
    await page.waitForFunction(() => !/W: 80 L: 40/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
  });

  test('invert, rotate and reset act on the drawn image', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    await page.keyboard.press('1');
    await page.waitForFunction(() => /W: 80 L: 40/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    const before = await canvasStats(page);
    await page.keyboard.press('i');
    await page.waitForFunction((m) => {
      const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let s = 0;
      for (let i = 0; i < d.length; i += 4) s += d[i];
      return Math.abs(s / (d.length / 4) - m) > 20;
    }, before.mean);
    const inverted = await canvasStats(page);
    assert.ok(inverted.mean > before.mean, 'inverted: the black background turns white');
    const leftBefore = await page.locator('[data-testid="marker-left"]').innerText();
    await page.keyboard.press('r');
    await page.waitForFunction((l) => document.querySelector('[data-testid="marker-left"]')?.textContent !== l, leftBefore);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-inverted-rotated.png') });
    await page.keyboard.press('x');
    await page.waitForFunction((l) => document.querySelector('[data-testid="marker-left"]')?.textContent === l, leftBefore);
  });

  test('the help panel lists the shortcuts, and the viewer follows the language', async () => {
    const { page } = room;
    await page.click('[data-testid="help-toggle"]');
    const help = page.locator('[data-testid="help-panel"]');
    assert.match(await help.innerText(), /PageDown/);
    assert.match(await help.innerText(), /Next image/);
    await page.selectOption('[data-testid="language"]', 'zh-CN');
    await page.waitForFunction(() => /下一幅图像/.test(document.querySelector('[data-testid="help-panel"]')?.textContent ?? ''));
    assert.match(await page.locator('[data-testid="overlay-image"]').innerText(), /图像：/);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-zh-CN-help.png') });
    await page.selectOption('[data-testid="language"]', 'ru');
    await page.waitForFunction(() => /Следующее изображение/.test(document.querySelector('[data-testid="help-panel"]')?.textContent ?? ''));
    await page.click('[data-testid="help-toggle"]');
    await page.selectOption('[data-testid="language"]', 'en');
  });

  test('2×2 layout: the hovered viewport becomes the active one and scrolls', async () => {
    const { page } = room;
    await page.click('[data-testid="layout-2x2"]');
    const frames = page.locator('.viewport-frame');
    await frames.nth(3).waitFor();
    assert.equal(await frames.count(), 4);
    await frames.nth(3).hover();
    await page.waitForSelector('.viewport-frame[data-position="3"] [data-testid="viewport"][data-image-index="0"]');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('.viewport-frame[data-position="3"] [data-testid="viewport"][data-image-index="1"]');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-2x2.png') });
    await page.click('[data-testid="layout-1x1"]');
  });

  test('a palette-colour ultrasound cine loop is drawn in colour and plays', async () => {
    const { page } = room;
    await page.click('[data-testid="back-to-worklist"]');
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await openStudy(page, 'US');
    await drawnIndex(page, 0);
    const s = await canvasStats(page);
    assert.ok(s.coloured > 0.005, `colour pixels present (${s.coloured})`);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-us-palette.png') });
    await (await toolbarControl(page, 'cine-toggle')).click();
    // Cine wraps around the 10 frames; seeing frame 5 and then frame 0 again proves it loops.
    await drawnIndex(page, 5);
    await drawnIndex(page, 0);
    await (await toolbarControl(page, 'cine-toggle')).click();
  });

  test('an image the host cannot decode shows a translated reason, and the page logged no error', async () => {
    const { page } = room;
    await page.click('[data-testid="back-to-worklist"]');
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    // RT Dose with 32-bit pixels: imported (it is valid DICOM) but not displayable by this viewer.
    await importThroughUi(page, [join(PYDICOM_DATA, 'test_files', 'rtdose_1frame.dcm')]);
    await openStudy(page, 'RTDOSE');
    const alert = page.locator('.viewport-error[role="alert"]');
    await alert.waitFor();
    assert.match(await alert.innerText(), /The image cannot be shown: .*BitsAllocated 32/);
    assert.equal(await page.getAttribute(VIEWPORT, 'data-image-index'), null, 'nothing was drawn, so no index is claimed');
    await page.selectOption('[data-testid="language"]', 'ru');
    await page.waitForFunction(() => /Изображение нельзя показать/.test(document.querySelector('.viewport-error')?.textContent ?? ''));
    await page.selectOption('[data-testid="language"]', 'en');
    // The refused decode is reported by the host as an error reply, which is not a page error.
    assert.deepEqual(problems, []);
  });
});
