/// <reference lib="dom" />
// The viewer's AI panel and heatmap overlay through the browser shell: a real chest radiograph (the
// shared NIH set, written as DICOM by pydicom) is imported with a JPEG-LS copy of it (which must
// score the same), triaged by the host's bundled model in the background, and opened. The panel
// shows the stored score, the operating point and the assistive label; the heatmap is checked on
// the canvas itself: showing it changes the pixels, only on the image, hiding it gives back exactly
// the plain image, fading it changes them less, and it turns with the image. Every wait is for
// data-ai-heatmap / data-ai-heatmap-rotation, which the overlay sets only after drawing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../shared-data.js';
import { cxrRows, makeDicoms, nihPatientAge, uid, type DicomSpec } from '../triage-fixtures.js';
import { importThroughUi, openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'models', 'cxr-pneumonia', 'manifest.json'), 'utf8'));
// The model's recorded validation scores pick the most clearly flagged radiograph: it has heat to show.
// Adults only (NIH PNGs with their real age), in the model's age band and accepted by its OOD check.
const scores: { filename: string; score: number; view: string }[] = (JSON.parse(
  readFileSync(join(REPO_ROOT, 'models', 'cxr-pneumonia', 'train', 'val_scores.json'), 'utf8'),
) as { population: string; filename: string; score: number; view: string; in_age_band: boolean; accepted: boolean }[])
  .filter((r) => r.population === 'adult' && r.in_age_band && r.accepted);
const flagged = scores.reduce((a, b) => (b.score > a.score ? b : a));

const VIEWPORT = '[data-testid="viewport"]';
const PANEL = '[data-testid="ai-panel"]';

/** Keeps a copy of the viewport's canvas pixels in the page under a name. */
async function snap(page: Page, name: string): Promise<void> {
  await page.$eval(`${VIEWPORT} canvas`, (c, n) => {
    const canvas = c as HTMLCanvasElement;
    const w = window as unknown as { snaps?: Record<string, { w: number; h: number; d: Uint8ClampedArray }> };
    w.snaps ??= {};
    w.snaps[n] = { w: canvas.width, h: canvas.height, d: canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data };
  }, name);
}

interface Difference {
  /** Fraction of pixels that differ. */
  changed: number;
  /** Mean absolute difference over all colour samples, 0..255. */
  mean: number;
  /** Centroid of the difference, in canvas pixels from the canvas centre. */
  x: number;
  y: number;
  size: number;
  /** Changed pixels left or right of the central h x h square, where a square image fitted to the canvas lies. */
  outsideSquare: number;
}

async function difference(page: Page, a: string, b: string): Promise<Difference> {
  return page.evaluate(([a, b]) => {
    const snaps = (window as unknown as { snaps: Record<string, { w: number; h: number; d: Uint8ClampedArray }> }).snaps;
    const p = snaps[a];
    const q = snaps[b];
    if (p.w !== q.w || p.h !== q.h) throw new Error('canvas size changed');
    let changed = 0;
    let sum = 0;
    let mx = 0;
    let my = 0;
    let outsideSquare = 0;
    const left = (p.w - p.h) / 2 - 1;
    const right = (p.w + p.h) / 2 + 1;
    for (let i = 0, k = 0; i < p.d.length; i += 4, k++) {
      const d = Math.abs(p.d[i] - q.d[i]) + Math.abs(p.d[i + 1] - q.d[i + 1]) + Math.abs(p.d[i + 2] - q.d[i + 2]);
      if (d === 0) continue;
      changed++;
      const x = k % p.w;
      if (x < left || x > right) outsideSquare++;
      sum += d;
      mx += d * (k % p.w);
      my += d * Math.floor(k / p.w);
    }
    const n = p.d.length / 4;
    return { changed: changed / n, mean: sum / (3 * n), x: sum ? mx / sum - p.w / 2 : 0, y: sum ? my / sum - p.h / 2 : 0, size: Math.min(p.w, p.h), outsideSquare };
  }, [a, b]);
}

/** Waits until the overlay has drawn the given state (and rotation, if given). */
async function drawn(page: Page, state: string, rotation?: number): Promise<void> {
  const rot = rotation === undefined ? '' : `[data-ai-heatmap-rotation="${rotation}"]`;
  await page.locator(`${VIEWPORT}[data-ai-heatmap="${state}"]${rot}`).waitFor();
}

describe('the viewer AI panel and heatmap overlay', () => {
  let room: ReadingRoom;
  let work: string;
  const spec: DicomSpec = {
    png: flagged.filename, out: '', StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(),
    PatientID: 'AI-VIEWER', Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: flagged.view, variant: 'MONOCHROME2-8',
    PatientAge: nihPatientAge(cxrRows().find((r) => r.filename === flagged.filename)!),
  };
  const jls: DicomSpec = { ...spec, StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'AI-VIEWER-JLS' };
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    spec.out = join(work, 'flagged.dcm');
    jls.out = join(work, 'flagged-jls.dcm');
    makeDicoms([spec], work);
    // The same radiograph as another study, compressed losslessly to JPEG-LS by GDCM: the host
    // decodes it for triage with the same decoder as for display, so it must score the same.
    makeDicoms([jls], work);
    const conv = spawnSync('gdcmconv', ['--jpegls', jls.out, `${jls.out}.jls.dcm`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    assert.equal(conv.status, 0, conv.stderr);
    jls.out = `${jls.out}.jls.dcm`;
    room = await openReadingRoom();
  });
  after(async () => {
    await room?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('shows the triage result as assistive, and a heatmap that can be shown, faded, hidden and turned with the image', async () => {
    const { page } = room;
    await importThroughUi(page, [spec.out, jls.out]);
    const row = page.locator(`[data-testid="worklist-row"][data-study-uid="${spec.StudyInstanceUID}"]`);
    const jlsRow = page.locator(`[data-testid="worklist-row"][data-study-uid="${jls.StudyInstanceUID}"]`);
    await row.locator('[data-ai-priority="high"]').waitFor();
    await jlsRow.locator('[data-ai-priority="high"]').waitFor();
    assert.equal(await jlsRow.locator('.ai').innerText(), await row.locator('.ai').innerText(), 'the JPEG-LS copy scores as the original');
    await row.dblclick();
    await page.locator(`${VIEWPORT}[data-sop-instance-uid="${spec.SOPInstanceUID}"]`).waitFor();
    await page.locator(`${PANEL}[data-status="done"]`).waitFor();

    // The panel: the score the trained model gave this radiograph, flagged at the balanced point.
    const panel = page.locator(PANEL);
    assert.equal(await page.locator('[data-testid="ai-score"]').innerText(), `${Math.floor(flagged.score * 100)}%`);
    assert.equal(await page.locator('[data-testid="ai-finding"]').getAttribute('data-positive'), 'true');
    assert.match(await page.locator('[data-testid="ai-assistive"]').innerText(), /^Assistive only: .*the radiologist reads the images and decides\.$/);
    assert.match(
      await page.locator('[data-testid="ai-operating-point"]').innerText(),
      new RegExp(`balanced \\(flagged at a score of ${Math.floor(manifest.populations.find((p: { id: string }) => p.id === 'adult').operating_points.balanced * 100)}% or more\\)`),
    );
    assert.equal(await page.locator('[data-testid="ai-population"]').innerText(), 'Thresholds and figures of the population: adults.');
    const model = await page.locator('[data-testid="ai-model"]').innerText();
    assert.match(model, new RegExp(`${manifest.id} ${manifest.version.replace(/\./g, '\\.')}`));
    assert.match(model, new RegExp(manifest.sha256.slice(0, 12)));
    assert.equal(await page.locator('[data-testid="ai-heatmap-toggle"]').getAttribute('aria-pressed'), 'false', 'hidden until asked for');

    // Shown: the image's pixels change over a real part of it; hidden again: exactly the plain image.
    await drawn(page, 'off');
    await snap(page, 'off');
    await page.locator('[data-testid="ai-heatmap-toggle"]').click();
    await drawn(page, 'on:0.50');
    await snap(page, 'on');
    const shown = await difference(page, 'off', 'on');
    assert.ok(shown.changed > 0.05, `the heatmap changes ${shown.changed} of the canvas`);
    // The grid covers the whole image and nothing else: the square radiograph, fitted to a wider
    // canvas, has black bars left and right that the heat must not touch.
    assert.equal(shown.outsideSquare, 0, 'heat drawn outside the image');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-ai-heatmap.png') });

    // Faded: still there, but less.
    await page.locator('[data-testid="ai-heatmap-opacity"]').fill('20');
    await drawn(page, 'on:0.20');
    await snap(page, 'faint');
    const faint = await difference(page, 'off', 'faint');
    assert.ok(faint.mean > 0 && faint.mean < shown.mean * 0.6, `faded ${faint.mean} vs ${shown.mean}`);

    // The key hides it (the slider's focus is left first, as a reader's click on the image would).
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('a');
    await drawn(page, 'off');
    await snap(page, 'off-again');
    assert.equal((await difference(page, 'off', 'off-again')).changed, 0, 'hidden, the image is drawn exactly as before');

    // Turned with the image: rotating the view by 90° clockwise turns the heat's centroid with it.
    await page.locator('[data-testid="ai-heatmap-opacity"]').fill('100');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('a');
    await drawn(page, 'on:1.00', 0);
    await snap(page, 'full');
    const upright = await difference(page, 'off', 'full');
    // With a Russian keyboard layout the same key gives ф: it hides the heatmap all the same.
    await page.evaluate(() => { dispatchEvent(new KeyboardEvent('keydown', { key: 'ф', code: 'KeyA', bubbles: true, cancelable: true })); });
    await drawn(page, 'off', 0);
    await page.keyboard.press('r');
    await drawn(page, 'off', 90);
    await snap(page, 'off-90');
    await page.keyboard.press('a');
    await drawn(page, 'on:1.00', 90);
    await snap(page, 'full-90');
    const turned = await difference(page, 'off-90', 'full-90');
    const tolerance = 0.02 * upright.size + 2;
    assert.ok(Math.hypot(upright.x, upright.y) > 3 * tolerance, `the heat is off centre (${upright.x}, ${upright.y}), so the check can fail`);
    // Clockwise on screen (y down): (x, y) -> (-y, x).
    assert.ok(
      Math.hypot(turned.x + upright.y, turned.y - upright.x) < tolerance,
      `centroid ${turned.x},${turned.y} after rotation; expected ${-upright.y},${upright.x}`,
    );
    await page.keyboard.press('l');
    await drawn(page, 'on:1.00', 0);

    // The help panel lists the key; the panel speaks the reader's language.
    await page.keyboard.press('?');
    assert.match(await page.locator('[data-testid="help-panel"]').innerText(), /A\s+Show or hide the AI heatmap/);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="language"]').selectOption('zh-CN');
    await page.locator(`${PANEL} h2:text("AI 分诊")`).waitFor();
    assert.match(await panel.innerText(), /仅供辅助/);
    assert.match(await page.locator('[data-testid="ai-finding"]').innerText(), /肺炎/);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-ai-heatmap-zh-CN.png') });
    await page.locator('[data-testid="language"]').selectOption('ru');
    await page.locator(`${PANEL} h2:text("ИИ-сортировка")`).waitFor();
    assert.match(await panel.innerText(), /Только вспомогательно/);
    await page.locator('[data-testid="language"]').selectOption('en');
  });
});
