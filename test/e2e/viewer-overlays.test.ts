/// <reference lib="dom" />
// What the viewer draws over the image, in Chromium through the browser shell, with the app in
// Russian (the orientation letters stay DICOM's A/P/R/L/H/F in every language):
// - a radiograph's markers from its Patient Orientation, swapped by a horizontal flip;
// - a head CT's markers from its Image Orientation (Patient);
// - the scale bar, as long on screen as its millimetres × zoom ÷ pixel spacing, refitted with the
//   layout, saying when the spacing is the detector's, absent when the file gives none;
// - a thumbnail dragged onto the second viewport of 1×2 loads that series there;
// - linked scrolling by position with a copy of the CT in reversed order, switched off by its toggle;
// - the reference line of the active axial slice on a sagittal image, where the plane equation puts it.
// Fixtures are real files changed by dcmtk's dcmodify at test time: the DX is a CT slice given
// a radiograph's attributes; the copy and the sagittal keep the CT's Frame of Reference.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { shared } from '../shared-data.js';
import { openStudyRow, readingRoomForTests, screenshotDir } from './harness.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const PALETTE_US = shared('dicom', 'dicomweb-client', 'testData', 'US-PAL-8-10x-echo.dcm');
const CT_SPACING = 0.4882812;
const DX_SPACING = 0.4;
const COPY_SERIES = '2.25.31415926535897932384626433832795028841';
const SAGITTAL_SERIES = '2.25.27182818284590452353602874713526624977';
const SAGITTAL_ORIGIN = [0, -125, 170];

const dir = mkdtempSync(join(tmpdir(), 'amur-overlays-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fixtures(): string[] {
  const ct = readdirSync(HEAD_CT).sort().map((f) => join(HEAD_CT, f));
  const dcmodify = (file: string, ...args: string[]) => execFileSync('dcmodify', ['-nb', '-imt', ...args, file]);
  // A projection radiograph: no plane, Patient Orientation rows → L, columns → F, detector spacing.
  const dx = join(dir, 'dx.dcm');
  copyFileSync(ct[0], dx);
  dcmodify(dx, '-gst', '-gse', '-gin', '-i', '(0008,0060)=DX', '-i', '(0008,0016)=1.2.840.10008.5.1.4.1.1.1.1', '-i', '(0008,1030)=CHEST PA',
    '-e', '(0020,0037)', '-e', '(0020,0032)', '-e', '(0028,0030)', '-e', '(0020,1041)', '-i', '(0020,0020)=L\\F', '-i', `(0018,1164)=${DX_SPACING}\\${DX_SPACING}`);
  // The CT again as another series of the same study and frame of reference, numbered backwards.
  const copies = ct.map((f, i) => {
    const out = join(dir, `copy-${i}.dcm`);
    copyFileSync(f, out);
    dcmodify(out, '-gin', '-i', `(0020,000e)=${COPY_SERIES}`, '-i', '(0020,0011)=99', '-i', '(0008,103e)=REVERSED COPY', '-i', `(0020,0013)=${ct.length - i}`);
    return out;
  });
  // A sagittal image at the mid-line: rows run posterior, columns run to the feet.
  const sagittal = join(dir, 'sagittal.dcm');
  copyFileSync(ct[0], sagittal);
  dcmodify(sagittal, '-gin', '-i', `(0020,000e)=${SAGITTAL_SERIES}`, '-i', '(0020,0011)=98', '-i', '(0008,103e)=SAGITTAL',
    '-i', '(0020,0037)=0\\1\\0\\0\\0\\-1', '-i', `(0020,0032)=${SAGITTAL_ORIGIN.join('\\')}`);
  return [...ct, ...copies, sagittal, dx, PALETTE_US];
}

const room = readingRoomForTests(() => ({ locale: 'ru-RU', viewport: { width: 1600, height: 1000 }, files: fixtures() }));
const ACTIVE = '[data-testid="viewport"]';
const frame = (position: number) => `.viewport-frame[data-position="${position}"]`;

/** Opens a study (harness.openStudyRow) and waits for its first image. */
async function openStudy(page: Page, text: string): Promise<void> {
  await openStudyRow(page, text);
  await page.waitForSelector(`${ACTIVE}[data-image-index="0"]`);
}

/** Waits until viewport `position` has drawn image `index`; on a timeout says what each viewport shows. */
async function drawn(page: Page, position: number, index: number): Promise<void> {
  try {
    await page.waitForSelector(`${frame(position)} .viewport-element[data-image-index="${index}"]`, { timeout: 10_000 });
  } catch (e) {
    const state = await page.$$eval('.viewport-frame', (fs) => fs.map((f) => `${f.getAttribute('data-position')}:${f.querySelector('.viewport-element')?.getAttribute('data-image-index')}:${f.querySelector('.viewport-element')?.getAttribute('data-testid')}`).join(' '));
    throw new Error(`viewport ${position} did not draw image ${index} (${state})`, { cause: e });
  }
}

async function markers(page: Page, scope = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const side of ['top', 'bottom', 'left', 'right']) out[side] = (await page.locator(`${scope} [data-testid="marker-${side}"]`.trim()).first().innerText()).trim();
  return out;
}

describe('viewer overlays in Chromium (ru)', () => {
  test('a radiograph shows its Patient Orientation as markers, DICOM letters in Russian too, and a flip swaps them', async () => {
    const { page } = room();
    await openStudy(page, 'CHEST PA');
    assert.equal(await page.getAttribute('[data-testid="marker-top"]', 'data-source'), 'PatientOrientation');
    assert.deepEqual(await markers(page), { top: 'H', bottom: 'F', left: 'R', right: 'L' });
    await page.hover(ACTIVE);
    await page.keyboard.press('h');
    await page.waitForFunction(() => document.querySelector('[data-testid="marker-right"]')?.textContent === 'R');
    assert.deepEqual(await markers(page), { top: 'H', bottom: 'F', left: 'L', right: 'R' });
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('[data-testid="marker-right"]')?.textContent === 'H');
    // Turned a quarter clockwise after the flip: what was at the top (H) is now at the right.
    assert.deepEqual(await markers(page), { top: 'L', bottom: 'R', left: 'F', right: 'H' });
  });

  test("the radiograph's scale bar is the detector's (Imager Pixel Spacing) and says so", async () => {
    const { page } = room();
    const bar = page.locator('[data-testid="scale-bar"]');
    assert.equal(await bar.getAttribute('data-source'), 'ImagerPixelSpacing');
    assert.equal(Number(await bar.getAttribute('data-spacing')), DX_SPACING);
    assert.match((await bar.getAttribute('title'))!, /Imager Pixel Spacing/);
    assert.match(await bar.innerText(), /\d+ мм \*/);
  });

  test('the head CT shows the letters its Image Orientation (Patient) gives (a tilted gantry: PF below)', async () => {
    const { page } = room();
    await openStudy(page, 'HEAD');
    assert.equal(await page.getAttribute('[data-testid="marker-top"]', 'data-source'), 'ImageOrientationPatient');
    // Rows along +x (patient left), columns along (0, 0.948, -0.317): posterior, then feet.
    assert.deepEqual(await markers(page), { top: 'AH', bottom: 'PF', left: 'R', right: 'L' });
  });

  test('the scale bar is its length × zoom ÷ pixel spacing on screen, and follows the zoom when the layout refits', async () => {
    const { page } = room();
    const check = async (scope: string) => {
      const bar = page.locator(`${scope} [data-testid="scale-bar"]`);
      const mm = Number(await bar.getAttribute('data-mm'));
      assert.equal(await bar.getAttribute('data-source'), 'PixelSpacing');
      // The zoom fitted to the window, from the canvas size and the image's 512 columns and rows.
      const canvas = (await page.locator(`${scope} canvas`).boundingBox())!;
      const zoom = Math.min(canvas.width, canvas.height) / 512;
      assert.ok(Math.abs(Number(await bar.getAttribute('data-zoom')) - zoom) < 0.01, `zoom ${await bar.getAttribute('data-zoom')} vs ${zoom}`);
      const line = (await page.locator(`${scope} .scale-bar-line`).boundingBox())!;
      const expected = (mm / CT_SPACING) * zoom;
      assert.ok(Math.abs(line.width - expected) < 2, `bar ${line.width}px for ${mm} mm, expected ${expected}px`);
      assert.ok(line.width <= canvas.width / 4 + 1, 'at most a quarter of the viewport');
      assert.match(await bar.innerText(), new RegExp(`${mm} мм`));
      return line.width / mm;
    };
    const single = await check(frame(0));
    await page.click('[data-testid="layout-1x2"]');
    await page.waitForSelector(`${frame(1)} .viewport-element[data-image-index="0"]`);
    // The narrower viewport is refitted; the bar's pixels per millimetre change with it.
    await page.waitForFunction((z) => Number(document.querySelector('.viewport-frame[data-position="0"] [data-testid="scale-bar"]')?.getAttribute('data-zoom')) < z - 0.01, single * CT_SPACING);
    const split = await check(frame(0));
    assert.ok(split < single, `${split} px/mm in 1×2 < ${single} in 1×1`);
  });

  test('a thumbnail dragged onto the second viewport shows that series there', async () => {
    const { page } = room();
    await page.dragAndDrop(`[data-testid="series-thumbnail"][data-series-uid="${COPY_SERIES}"]`, `${frame(1)} .viewport-element`);
    await page.waitForSelector(`${frame(1)} .viewport-element[data-series-uid="${COPY_SERIES}"][data-image-index="0"]`);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-overlays-1x2.png') });
  });

  test('linked scrolling keeps the two series at the same position, by position and not by index', async () => {
    const { page } = room();
    const other = `${frame(1)} .viewport-element`;
    await page.hover(`${frame(0)} .viewport-element`);
    assert.equal(await page.getAttribute('[data-testid="link-toggle"]', 'aria-pressed'), 'true');
    // The copy's first image (the top of the head) was drawn when it was dropped, and the CT went
    // to the same place, its last slice. From the CT's first slice, the copy follows to its last.
    await drawn(page, 0, 27);
    await page.keyboard.press('Home');
    await drawn(page, 0, 0);
    await drawn(page, 1, 27);
    for (let i = 1; i <= 5; i++) await page.keyboard.press('ArrowDown');
    await drawn(page, 0, 5);
    const position = await page.getAttribute(`${frame(0)} .viewport-element`, 'data-image-position');
    // The copy is numbered backwards: the same slice is its 28 - 1 - 5 = 22nd image.
    await drawn(page, 1, 22);
    assert.equal(await page.getAttribute(other, 'data-image-position'), position);
    await page.keyboard.press('End');
    await drawn(page, 1, 0);
    assert.equal(await page.getAttribute(other, 'data-image-position'), await page.getAttribute(`${frame(0)} .viewport-element`, 'data-image-position'));
    // Unlinked, the other viewport stays where it is.
    await page.click('[data-testid="link-toggle"]');
    assert.equal(await page.getAttribute('[data-testid="link-toggle"]', 'aria-pressed'), 'false');
    // A click on the image takes the keys back from the toolbar (where Home and End move along the buttons).
    await page.click(`${frame(0)} .viewport-element`);
    await page.keyboard.press('Home');
    await page.waitForSelector(`${frame(0)} .viewport-element[data-image-index="0"]`);
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`${frame(0)} .viewport-element[data-image-index="1"]`);
    assert.equal(await page.getAttribute(other, 'data-image-index'), '0');
    assert.equal(await page.locator('[data-testid="reference-line"]').count(), 0, 'no reference lines when unlinked');
    await page.click('[data-testid="link-toggle"]');
    await page.click(`${frame(0)} .viewport-element`);
  });

  test('the active axial slice is drawn as a reference line on a sagittal image, where its plane cuts it', async () => {
    const { page } = room();
    await page.dragAndDrop(`[data-testid="series-thumbnail"][data-series-uid="${SAGITTAL_SERIES}"]`, `${frame(1)} .viewport-element`);
    await page.waitForSelector(`${frame(1)} .viewport-element[data-series-uid="${SAGITTAL_SERIES}"][data-image-index="0"]`);
    await page.hover(`${frame(0)} .viewport-element`);
    await page.keyboard.press('Home');
    await page.waitForSelector(`${frame(0)} .viewport-element[data-image-index="0"]`);
    const lineAt = async () => {
      const line = page.locator(`${frame(1)} [data-testid="reference-line"]`);
      await line.waitFor();
      const [x1, y1, x2, y2] = (await line.getAttribute('data-line'))!.split(',').map(Number);
      const ipp = (await page.getAttribute(`${frame(0)} .viewport-element`, 'data-image-position'))!.split('\\').map(Number);
      // The axial plane through ipp with normal row × column = (0, 0.3173047, 0.9483237); on the
      // sagittal, a pixel (x, y) lies at (0, -125 + x·s, 170 - y·s). Solve for y at both ends.
      const n = [0, 0.3173047, 0.9483237];
      const yAt = (x: number) => (n[1] * (SAGITTAL_ORIGIN[1] + x * CT_SPACING - ipp[1]) + n[2] * (SAGITTAL_ORIGIN[2] - ipp[2])) / (n[2] * CT_SPACING);
      assert.ok(Math.abs(y1 - yAt(x1)) < 0.5 && Math.abs(y2 - yAt(x2)) < 0.5, `line ${[x1, y1, x2, y2]} vs y ${yAt(x1)}, ${yAt(x2)}`);
      assert.ok(x1 <= 0 && x2 >= 511, 'the line crosses the whole image');
      return (y1 + y2) / 2;
    };
    const low = await lineAt();
    for (let i = 1; i <= 10; i++) await page.keyboard.press('ArrowDown');
    await page.waitForSelector(`${frame(0)} .viewport-element[data-image-index="10"]`);
    await page.waitForFunction((y) => {
      const d = document.querySelector('.viewport-frame[data-position="1"] [data-testid="reference-line"]')?.getAttribute('data-line');
      return !!d && Math.abs((Number(d.split(',')[1]) + Number(d.split(',')[3])) / 2 - y) > 1;
    }, low);
    const high = await lineAt();
    // Slices higher in the head (larger z) cut the sagittal nearer its top.
    assert.ok(high < low, `line moved up: ${low} → ${high}`);
    // The sagittal is drawn, and the SVG is inside its viewport.
    const svg = (await page.locator(`${frame(1)} [data-testid="reference-line"] line`).boundingBox())!;
    const box = (await page.locator(`${frame(1)} .viewport-element`).boundingBox())!;
    assert.ok(svg.x >= box.x - 3 && svg.x + svg.width <= box.x + box.width + 3, `the line lies inside the viewport (${JSON.stringify(svg)} in ${JSON.stringify(box)})`);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-reference-line.png') });
  });

  test('in 2×2 every linked viewport follows, and the sagittal keeps its reference line', async () => {
    const { page } = room();
    await page.click('[data-testid="layout-2x2"]');
    // Viewports 3 and 4 show the series after the sagittal: the reversed copy.
    for (const p of [2, 3]) await page.waitForSelector(`${frame(p)} .viewport-element[data-series-uid="${COPY_SERIES}"][data-image-index]`);
    await page.hover(`${frame(0)} .viewport-element`);
    await page.keyboard.press('Home');
    await drawn(page, 0, 0);
    await page.keyboard.press('PageDown');
    await page.waitForFunction(() => Number(document.querySelector('.viewport-frame[data-position="0"] .viewport-element')?.getAttribute('data-image-index')) > 0);
    const index = Number(await page.getAttribute(`${frame(0)} .viewport-element`, 'data-image-index'));
    const position = await page.getAttribute(`${frame(0)} .viewport-element`, 'data-image-position');
    for (const p of [2, 3]) {
      await drawn(page, p, 27 - index);
      assert.equal(await page.getAttribute(`${frame(p)} .viewport-element`, 'data-image-position'), position);
    }
    await page.locator(`${frame(1)} [data-testid="reference-line"]`).waitFor();
    assert.equal(await page.locator(`${frame(2)} [data-testid="reference-line"]`).count(), 0, 'parallel slices cut nowhere');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-overlays-2x2.png') });
  });

  test('an image without pixel spacing has no scale bar', async () => {
    const { page } = room();
    await openStudy(page, 'US');
    assert.equal(await page.locator(`${ACTIVE} ~ [data-testid="viewport-overlay"] [data-testid="scale-bar"], ${frame(0)} [data-testid="scale-bar"]`).count(), 0);
  });
});
