/// <reference lib="dom" />
// Reading conventions (issue 11) through the browser shell in Chromium, as a radiologist reads: a
// real head CT with its localizer (two series) and a chest DX whose file carries two named windows.
// The CT lists the CT windows, the DX its own windows first; a preset chosen from the list is shown
// as the active one and gives the arrow keys back to the images (↓ moves the slice, the window
// stays); PageDown moves ten images, as the help says; ] and [ change the series, Shift+2 and
// Shift+1 the layout, and with a Russian keyboard layout the keys act by their place (ъ is ]);
// Esc closes the help, then goes back to the worklist. The text on screen keeps
// WCAG AA contrast against what it is drawn on; the AI panel words the model's reason in the
// language on screen while the host speaks Russian; nothing the app loads answers 400 or more.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { headCtFiles } from '../report-fixtures.js';
import { REPO_ROOT } from '../shared-data.js';
import { cxrRows, makeDicoms, uid, type DicomSpec } from '../triage-fixtures.js';
import { importThroughUi, openReadingRoom, type ReadingRoom, screenshotDir, toolbarControl } from './harness.js';

const VIEWPORT = '[data-testid="viewport"]';
const PRESET = '[data-testid="preset"]';

async function drawn(page: Page, index: number): Promise<void> {
  await page.locator(`${VIEWPORT}[data-image-index="${index}"]`).waitFor();
}
const windowText = (page: Page) => page.locator('[data-testid="overlay-window"]').innerText();

/**
 * Text on screen whose contrast with what it is drawn on is under WCAG AA (4.5:1, 3:1 for large
 * text). The background is the first opaque one among the element and its ancestors, with the
 * translucent ones above it blended in; text over the images (the viewport's overlay) and disabled
 * controls (exempt in WCAG) are left out.
 */
async function lowContrast(page: Page): Promise<string[]> {
  // A string, not a function: the test runner's compiler would wrap the helpers' names in a
  // function the page does not have.
  return page.evaluate(`(() => {
    const parse = (c) => {
      const m = c.match(/rgba?\\(([^)]+)\\)/);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
    const lum = (rgb) => {
      const [r, g, b] = rgb.map((v) => {
        const c = v / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const backgroundOf = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let rgb = [255, 255, 255];
      for (const l of layers.reverse()) rgb = over(l, rgb);
      return rgb;
    };
    const out = new Set();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const text = (n.textContent || '').trim();
      const el = n.parentElement;
      if (!text || !el || el.closest('.viewport-frame, option, script, style, :disabled, [aria-disabled="true"]')) continue;
      const style = getComputedStyle(el);
      if (style.visibility !== 'visible') continue;
      const own = el.getBoundingClientRect();
      if (own.width <= 1 || own.height <= 1) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const b = range.getBoundingClientRect();
      if (b.width < 1 || b.height < 1) continue;
      const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
      if (!at || !(at === el || el.contains(at) || at.contains(el))) continue;
      const fg = parse(style.color);
      const bg = backgroundOf(el);
      const a = lum(over(fg, bg));
      const c = lum(bg);
      const ratio = (Math.max(a, c) + 0.05) / (Math.min(a, c) + 0.05);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.add('"' + text.slice(0, 40) + '" ' + style.color + ' on rgb(' + bg.map(Math.round).join(',') + ') = ' + ratio.toFixed(2));
    }
    return [...out];
  })()`);
}

describe('reading conventions: presets, reading keys, contrast, no failed request', () => {
  let room: ReadingRoom;
  let work: string;
  const failed: string[] = [];
  const dx: DicomSpec = {
    png: cxrRows()[0]!.filename, out: '', StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(),
    PatientID: 'PRESETS-DX', Modality: 'DX', BodyPartExamined: 'CHEST', ViewPosition: 'PA', variant: 'MONOCHROME1-12',
  };
  let ctStudy = '';
  const ctSeries: string[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'amur-keys-'));
    dx.out = join(work, 'dx.dcm');
    makeDicoms([dx], work);
    // Two windows named as a DX modality writes them (the processing's default first), by pydicom.
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import sys, pydicom',
      'ds = pydicom.dcmread(sys.argv[1])',
      'ds.WindowCenter = [3980, 2000]; ds.WindowWidth = [8160, 2000]',
      "ds.WindowCenterWidthExplanation = ['NORMAL', 'HARDER']",
      'ds.save_as(sys.argv[1])',
    ].join('\n'), dx.out], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    room = await openReadingRoom({
      // The host speaks Russian, the page English: what the host words must not leak into the page.
      env: { AMUR_LANG: 'ru' },
      viewport: { width: 1600, height: 1000 },
      onPage: (page) => page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
      }),
    });
    const ctDir = join(headCtFiles()[0]!, '..', '..');
    const ct = ['S2010', 'S1000'].flatMap((s) => readdirSync(join(ctDir, s)).filter((n) => /^I\d+$/.test(n)).map((n) => join(ctDir, s, n)));
    await importThroughUi(room.page, [...ct, dx.out]);
  });
  after(async () => {
    await room?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('a CT lists the CT windows; one chosen from the list is shown as active, and ↓ then moves the slice, not the window', async () => {
    const { page } = room;
    await page.locator('[data-testid="worklist-row"]', { hasText: 'CT' }).first().dblclick();
    const viewer = page.locator('[data-testid="viewer"][data-state="ready"]');
    await viewer.waitFor();
    ctStudy = (await viewer.getAttribute('data-study-uid'))!;
    await page.locator('[data-testid="series-thumbnail"]').nth(1).waitFor();
    for (const t of await page.locator('[data-testid="series-thumbnail"]').all()) ctSeries.push((await t.getAttribute('data-series-uid'))!);
    // The 28-slice series, whichever place it has among the thumbnails.
    const axial = page.locator('[data-testid="series-thumbnail"]', { hasText: '28' });
    await axial.click();
    const axialUid = (await axial.getAttribute('data-series-uid'))!;
    await page.locator(`${VIEWPORT}[data-series-uid="${axialUid}"][data-image-index="0"]`).waitFor();

    const select = page.locator(PRESET);
    assert.equal(await select.getAttribute('data-preset-kind'), 'ct');
    const ids = await select.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    assert.deepEqual(ids.filter((v) => v && v !== 'own').slice(0, 4), ['brain', 'subdural', 'stroke', 'lung']);

    await page.hover(VIEWPORT);
    await select.focus();
    await select.selectOption('lung');
    await page.waitForFunction(() => /W: 1,500 L: -600/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
    await page.locator(`${PRESET}[data-active-preset="lung"]`).waitFor();
    assert.equal(await select.inputValue(), 'lung', 'the list shows the preset in use');

    await page.keyboard.press('ArrowDown');
    await drawn(page, 1);
    assert.match(await windowText(page), /W: 1,500 L: -600/, '↓ left the window as chosen');
    assert.equal(await select.inputValue(), 'lung', '↓ did not choose another preset');

    // Another list (the cine rate, under "More…" when the bar is short) gives the keys back too,
    // and Esc then folds "More…" before it would leave the study.
    const rate = await toolbarControl(page, 'cine-rate');
    await rate.selectOption('20');
    await page.keyboard.press('ArrowDown');
    await drawn(page, 2);
    assert.equal(await rate.inputValue(), '20', '↓ did not change the rate');
    if (await page.locator('.viewer-toolbar-slot.open').count()) {
      await page.keyboard.press('Escape');
      await page.locator('.viewer-toolbar-slot:not(.open)').waitFor();
      assert.equal(await page.getAttribute('[data-testid="app"]', 'data-screen'), 'viewer', 'Esc folded More… only');
    }

    // A window dragged by hand is the reader's own: no preset is shown as active.
    const box = (await page.locator(VIEWPORT).boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 50, box.y + box.height / 2 + 30, { steps: 5 });
    await page.mouse.up();
    await page.locator(`${PRESET}[data-active-preset="custom"]`).waitFor();
    await page.keyboard.press('4');
    await page.locator(`${PRESET}[data-active-preset="lung"]`).waitFor();
  });

  test('PageDown and PageUp move ten images, as the help says', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    await page.keyboard.press('Home');
    await drawn(page, 0);
    await page.keyboard.press('PageDown');
    await drawn(page, 10);
    await page.keyboard.press('PageDown');
    await drawn(page, 20);
    await page.keyboard.press('PageUp');
    await drawn(page, 10);
    await page.click('[data-testid="help-toggle"]');
    const help = page.locator('[data-testid="help-panel"]');
    assert.match(await help.innerText(), /PageDown\s+Forward ten images/);
    assert.match(await help.innerText(), /\]\s+Next series/);
    assert.match(await help.innerText(), /Shift\+2/);
    await page.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });
    assert.equal(await page.getAttribute('[data-testid="app"]', 'data-screen'), 'viewer', 'the first Esc only closed the help');
  });

  test('] and [ show the next and previous series; Shift+2 and Shift+1 change the layout', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    const now = (await page.getAttribute(VIEWPORT, 'data-series-uid'))!;
    const i = ctSeries.indexOf(now);
    const other = i === 0 ? ctSeries[1] : ctSeries[0];
    await page.keyboard.press(i === 0 ? ']' : '[');
    await page.locator(`${VIEWPORT}[data-series-uid="${other}"][data-image-index="0"]`).waitFor();
    await page.keyboard.press(i === 0 ? '[' : ']');
    await page.locator(`${VIEWPORT}[data-series-uid="${now}"][data-image-index="0"]`).waitFor();

    // With a Russian keyboard layout the same keys give Cyrillic letters (ъ for ], к for R): they act by their place.
    const russianKey = (key: string, code: string) =>
      page.evaluate(([key, code]) => { dispatchEvent(new KeyboardEvent('keydown', { key, code, bubbles: true, cancelable: true })); }, [key, code]);
    await russianKey(i === 0 ? 'ъ' : 'х', i === 0 ? 'BracketRight' : 'BracketLeft');
    await page.locator(`${VIEWPORT}[data-series-uid="${other}"][data-image-index="0"]`).waitFor();
    await russianKey(i === 0 ? 'х' : 'ъ', i === 0 ? 'BracketLeft' : 'BracketRight');
    await page.locator(`${VIEWPORT}[data-series-uid="${now}"][data-image-index="0"]`).waitFor();
    const left = await page.locator('[data-testid="marker-left"]').innerText();
    await russianKey('к', 'KeyR');
    await page.waitForFunction((l) => document.querySelector('[data-testid="marker-left"]')?.textContent !== l, left);
    await russianKey('ч', 'KeyX');
    await page.waitForFunction((l) => document.querySelector('[data-testid="marker-left"]')?.textContent === l, left);

    // ц (the key of W) takes the left button back from an armed measurement tool.
    await (await toolbarControl(page, 'tool-measure-Length')).click();
    await page.locator('[data-testid="tool-measure-Length"][aria-pressed="true"]').waitFor();
    await page.locator('.viewer-toolbar-slot:not(.open)').waitFor();
    await russianKey('ц', 'KeyW');
    await page.locator('[data-testid="tool-measure-Length"][aria-pressed="false"]').waitFor();
    assert.equal(await page.getAttribute('[data-testid="tool-Wwwc"]', 'aria-pressed'), 'true');

    await page.keyboard.press('Shift+2');
    await page.locator('[data-testid="layout-1x2"][aria-pressed="true"]').waitFor();
    assert.equal(await page.locator('.viewport-frame').count(), 2);
    await page.screenshot({ path: join(screenshotDir(), 'reading-keys-1x2.png') });
    await page.keyboard.press('Shift+1');
    await page.locator('[data-testid="layout-1x1"][aria-pressed="true"]').waitFor();
    assert.equal(await page.locator('.viewport-frame').count(), 1);
  });

  test('text keeps WCAG AA contrast in the viewer with the report and the AI panel, and in the worklist', async () => {
    const { page } = room;
    await page.click('[data-testid="toggle-report"]');
    await page.locator('[data-testid="report-editor"][data-state="ready"]').waitFor();
    await page.locator('[data-testid="ai-panel"]:not([data-status="loading"])').waitFor();
    assert.deepEqual(await lowContrast(page), [], 'viewer');
    await page.click('[data-testid="toolbar-more"]');
    await page.locator('.viewer-toolbar-slot.open').waitFor();
    assert.deepEqual(await lowContrast(page), [], 'the unfolded toolbar');
    await page.click('[data-testid="toolbar-more"]');
    await page.click('[data-testid="help-toggle"]');
    await page.locator('[data-testid="help-panel"]').waitFor();
    assert.deepEqual(await lowContrast(page), [], 'the help panel');
    await page.click('[data-testid="help-toggle"]');
    await page.click('[data-testid="toggle-report"]');
  });

  test('Esc goes back to the worklist', async () => {
    const { page } = room;
    await page.hover(VIEWPORT);
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="app"][data-screen="worklist"]').waitFor();
    await page.locator('[data-testid="worklist"][data-state="ready"]').waitFor();
    assert.deepEqual(await lowContrast(page), [], 'worklist');
    assert.ok(ctStudy);
  });

  test("a DX lists the file's own windows first, by their names, and shows the first as active", async () => {
    const { page } = room;
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${dx.StudyInstanceUID}"]`).dblclick();
    await page.locator(`${VIEWPORT}[data-sop-instance-uid="${dx.SOPInstanceUID}"]`).waitFor();
    const select = page.locator(PRESET);
    assert.equal(await select.getAttribute('data-preset-kind'), 'file');
    const options = await select.locator('option:not([disabled])').evaluateAll((os) =>
      os.map((o) => ({ value: (o as HTMLOptionElement).value, text: o.textContent, w: o.getAttribute('data-window-width'), c: o.getAttribute('data-window-center') })),
    );
    assert.deepEqual(options[0], { value: 'file-0', text: "File's window: NORMAL (W 8,160 L 3,980)", w: '8160', c: '3980' });
    assert.deepEqual(options.slice(1).map((o) => o.value), ['file-1', 'range', 'own']);
    await page.locator(`${PRESET}[data-active-preset="file-0"]`).waitFor();
    assert.match(await windowText(page), /W: 8,160 L: 3,980/);
    await page.hover(VIEWPORT);
    await page.keyboard.press('2');
    await page.locator(`${PRESET}[data-active-preset="file-1"]`).waitFor();
    assert.match(await windowText(page), /W: 2,000 L: 2,000/);
    await page.screenshot({ path: join(screenshotDir(), 'reading-keys-dx-presets.png') });
  });

  test("the AI panel's reason is in the language on screen, not the host's (Russian)", async () => {
    const { page } = room;
    // The chest DX has no age, so the bundled model declines it, with a reason the host words in Russian.
    const reason = page.locator('[data-testid="ai-panel"][data-status="not-applicable"] [data-testid="ai-reason"]');
    await reason.waitFor();
    const code = (await reason.getAttribute('data-reason-code'))!;
    assert.match(code, /^triage\./);
    const catalogue = (lang: string, ns: string, key: string) =>
      key.split('.').reduce((o: any, k) => o?.[k], JSON.parse(readFileSync(join(REPO_ROOT, 'assets', 'i18n', lang, `${ns}.json`), 'utf8'))) as string;
    for (const lang of ['en', 'zh-CN'] as const) {
      await page.selectOption('[data-testid="language"]', lang);
      const head = `${catalogue(lang, 'ui-ai', 'ui.ai.status.not-applicable')}: ${catalogue(lang, 'triage', `errors.${code}`).split('{{')[0]}`;
      await page.waitForFunction((h) => document.querySelector('[data-testid="ai-reason"]')?.textContent?.startsWith(h), head);
      assert.doesNotMatch(await reason.innerText(), /[а-яё]/i, `no Russian in the ${lang} panel`);
      assert.doesNotMatch(await reason.innerText(), /\{\{/, 'every parameter is filled in');
    }
    await page.selectOption('[data-testid="language"]', 'en');
  });

  test('nothing the app loaded answered 400 or more', () => {
    assert.deepEqual(failed, []);
  });
});
