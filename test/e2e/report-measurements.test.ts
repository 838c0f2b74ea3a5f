/// <reference lib="dom" />
// Measuring and reporting in the browser shell, as a radiologist does it: a real head CT imported by
// upload, a length drawn with the mouse and its value shown in mm (computed by the host from Pixel
// Spacing), the page reloaded and the measurement still there and drawn, undo/redo, then the report
// editor opened from the viewer, a finding picked and text typed, the page reloaded and the draft
// still there. Every wait is for a signal the app sets (data-count, data-revision, data-save-state).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { shared } from '../shared-data.js';
import { readingRoomForTests, screenshotDir } from './harness.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const VIEWPORT = '[data-testid="viewport"]';
const PIXEL_SPACING = 0.4882812;

async function openHeadCt(page: Page): Promise<void> {
  await page.locator('[data-testid="worklist-row"]', { hasText: 'CT' }).first().dblclick();
  await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
  await page.waitForSelector(`${VIEWPORT}[data-image-index="0"]`);
  await page.waitForSelector('[data-testid="measurement-list"][data-state="ready"]');
}

/** The viewport's zoom, from its overlay ("Zoom: 152%"): screen pixels per image pixel. */
async function scale(page: Page): Promise<number> {
  const text = await page.locator('[data-testid="viewport-overlay"]').first().innerText();
  const m = /(\d[\d,.\s]*)\s*%/.exec(text);
  assert.ok(m, `zoom in the overlay: ${text}`);
  return Number(m[1]!.replace(/[,\s]/g, '')) / 100;
}

/** Page coordinates of an image pixel position, for the fitted, unpanned 512x512 image. */
async function toPage(page: Page, ix: number, iy: number): Promise<{ x: number; y: number }> {
  const box = (await page.locator(VIEWPORT).boundingBox())!;
  const z = await scale(page);
  return { x: box.x + box.width / 2 + (ix - 256) * z, y: box.y + box.height / 2 + (iy - 256) * z };
}

/** Drags the mouse from a to b in small steps, as a hand does. */
async function drag(page: Page, a: { x: number; y: number }, b: { x: number; y: number }): Promise<void> {
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(a.x + ((b.x - a.x) * i) / 10, a.y + ((b.y - a.y) * i) / 10);
  await page.mouse.up();
}

/** How bright the canvas is at a point of the page (0..255, the mean of R, G and B). */
async function brightnessAt(page: Page, x: number, y: number): Promise<number> {
  return page.$eval(`${VIEWPORT} canvas`, (c, p) => {
    const canvas = c as HTMLCanvasElement;
    const r = canvas.getBoundingClientRect();
    const cx = Math.round(((p.x - r.left) * canvas.width) / r.width);
    const cy = Math.round(((p.y - r.top) * canvas.height) / r.height);
    const d = canvas.getContext('2d')!.getImageData(cx - 1, cy - 1, 3, 3).data;
    let best = 0;
    for (let i = 0; i < d.length; i += 4) best = Math.max(best, (d[i]! + d[i + 1]! + d[i + 2]!) / 3);
    return best;
  }, { x, y });
}

describe('measurements and the report editor in the browser shell', () => {
  const room = readingRoomForTests({ files: readdirSync(HEAD_CT).map((f) => join(HEAD_CT, f)) });
  // Where the line is drawn, in page coordinates, and what it should measure.
  let from: { x: number; y: number };
  let to: { x: number; y: number };
  let shown: string;

  before(() => openHeadCt(room().page));

  test('a length drawn with the mouse is listed in mm, as the host measured it', async () => {
    const { page } = room();
    // In the air in front of the face, so the drawn line stands out against black.
    from = await toPage(page, 150, 20);
    to = await toPage(page, 330, 40);
    const zoom = await scale(page);
    // From the toolbar's overflow menu when the toolbar has no room for it.
    const tool = page.locator('[data-testid="tool-measure-Length"]');
    if (!(await tool.isVisible())) await page.click('[data-testid="toolbar-more"]');
    await tool.click();
    await drag(page, from, to);
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
    const row = page.locator('[data-testid="measurement"]').first();
    assert.equal(await row.getAttribute('data-tool'), 'Length');
    shown = await row.locator('[data-testid="measurement-values"]').innerText();
    const m = /^([\d.,]+) mm$/.exec(shown.trim());
    assert.ok(m, `a length in mm: "${shown}"`);
    const expected = (Math.hypot(to.x - from.x, to.y - from.y) / zoom) * PIXEL_SPACING;
    // The overlay's zoom is rounded to a percent, so allow a few percent.
    assert.ok(Math.abs(Number(m[1]!.replace(',', '')) - expected) / expected < 0.03, `${shown} vs ${expected.toFixed(1)} mm`);
    await page.screenshot({ path: join(screenshotDir(), 'measure-length.png') });
    // The line itself is on the canvas: its middle is drawn bright over the black air.
    const beside = await brightnessAt(page, (from.x + to.x) / 2, (from.y + to.y) / 2 + 15);
    const on = await brightnessAt(page, (from.x + to.x) / 2, (from.y + to.y) / 2);
    assert.ok(beside < 40 && on > 100, `the line is drawn (${on} on it, ${beside} beside it)`);
  });

  test('after a reload the measurement is listed and drawn again', async () => {
    const { page } = room();
    await page.reload();
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await openHeadCt(page);
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
    assert.equal(await page.locator('[data-testid="measurement-values"]').first().innerText(), shown);
    await page.waitForFunction(
      (p) => {
        const c = document.querySelector('[data-testid="viewport"] canvas') as HTMLCanvasElement | null;
        if (!c) return false;
        const r = c.getBoundingClientRect();
        const d = c.getContext('2d')!.getImageData(Math.round(((p.x - r.left) * c.width) / r.width) - 1, Math.round(((p.y - r.top) * c.height) / r.height) - 1, 3, 3).data;
        for (let i = 0; i < d.length; i += 4) if ((d[i]! + d[i + 1]! + d[i + 2]!) / 3 > 100) return true;
        return false;
      },
      { x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 },
    );
    await page.screenshot({ path: join(screenshotDir(), 'measure-length-reloaded.png') });
  });

  test('undo removes it, redo brings it back (buttons and Ctrl+Z / Ctrl+Y)', async () => {
    const { page } = room();
    await page.click('[data-testid="measure-undo"]');
    await page.waitForSelector('[data-testid="measurement-list"][data-count="0"]');
    await page.click('[data-testid="measure-redo"]');
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
    await page.locator(VIEWPORT).hover();
    await page.keyboard.press('Control+z');
    await page.waitForSelector('[data-testid="measurement-list"][data-count="0"]');
    await page.keyboard.press('Control+y');
    await page.waitForSelector('[data-testid="measurement-list"][data-count="1"]');
  });

  test('the report editor opens from the viewer; a picked finding and typed text survive a reload', async () => {
    const { page } = room();
    await page.click('[data-testid="toggle-report"]');
    await page.waitForSelector('[data-testid="report-editor"][data-state="ready"]');
    const finding = page.locator('[data-testid="report-finding"]').first();
    const findingId = (await finding.getAttribute('data-finding-id'))!;
    await finding.check();
    const text = page.locator('textarea[data-testid^="report-text-"]').first();
    const textId = (await text.getAttribute('data-testid'))!;
    // Free text is marked with the language it is written in.
    await page.selectOption(`[data-testid="${textId.replace('report-text-', 'report-text-lang-')}"]`, 'ru');
    await text.fill('Очаговых изменений не выявлено.');
    await page.waitForSelector('[data-testid="report-editor"][data-save-state="saved"]');
    await page.screenshot({ path: join(screenshotDir(), 'report-editor.png') });

    await page.reload();
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await openHeadCt(page);
    await page.click('[data-testid="toggle-report"]');
    await page.waitForSelector('[data-testid="report-editor"][data-state="ready"]');
    assert.ok(await page.locator(`[data-testid="report-finding"][data-finding-id="${findingId}"]`).isChecked(), 'the finding is still picked');
    assert.equal(await page.locator(`[data-testid="${textId}"]`).inputValue(), 'Очаговых изменений не выявлено.');
    assert.equal(await page.locator(`[data-testid="${textId.replace('report-text-', 'report-text-lang-')}"]`).inputValue(), 'ru');
    await page.screenshot({ path: join(screenshotDir(), 'report-editor-reloaded.png') });
  });
});
