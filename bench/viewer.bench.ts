/// <reference lib="dom" />
// Viewer benchmark (issue 3): the time to the first drawn image after opening a study, the time
// per image while scrolling a long CT series (cold, then once cached), and memory while doing it,
// through the real app: `amur serve` and Debian's Chromium, as the end-to-end tests run it.
// The series: the 28-slice GE head CT from the shared data copied into one 500-slice series, every
// file with a new SOP Instance UID (dcmodify -gin) and its own Instance Number, all in one new
// study and series. Targets: first image < 100 ms; scrolling < 16 ms per image once cached;
// memory bounded by the image cache setting.
// Issue 13 adds the figures as the radiologist feels them: from the harness's own call (playwright's
// dblclick on a worklist row, its keyboard press in the viewer) to the page signalling the image
// drawn, beside the same harness call on an empty page whose handler only adds an element, measured
// in the same run and subtracted. Two series: a 22-slice MR-like one (made from a shared MR slice)
// and the 500-slice CT.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BrowserContext, Page } from 'playwright-core';
import { readDicomHeaderFromFile } from '../core/dicom/header.js';
import { LocalImagingService } from '../core/imaging/service.js';
import { importPaths } from '../core/importer/importer.js';
import { StudyStore } from '../core/store/store.js';
import { unlockFromEnvironment } from '../core/vault/session.js';
import { openApp, openBrowser, startApp } from '../test/e2e/harness.js';
import { shared } from '../test/shared-data.js';
import { numberOption, type Bench, type BenchContext } from './lib/bench.js';
import { makeSeriesFromSlices } from './lib/corpus.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { fmtMs, summarize, type Summary } from './lib/stats.js';

/** Resident memory (KiB) of a process and of every descendant, from ps. */
function treeRssKiB(rootPid: number, filter?: (command: string) => boolean): number {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid, rss, ...comm]) => ({ pid: +pid, ppid: +ppid, rss: +rss, comm: comm.join(' ') }));
  const children = new Map<number, typeof rows>();
  for (const r of rows) children.set(r.ppid, [...(children.get(r.ppid) ?? []), r]);
  let total = 0;
  const walk = (pid: number, self?: (typeof rows)[number]) => {
    if (self && (!filter || filter(self.comm))) total += self.rss;
    for (const c of children.get(pid) ?? []) walk(c.pid, c);
  };
  walk(rootPid, rows.find((r) => r.pid === rootPid));
  return total;
}

/** Opens the study's worklist row in the page and returns ms from the double click to image 0 drawn. */
function timeFirstImage(page: Page, study: string): Promise<number> {
  return page.evaluate(
    (uid) =>
      new Promise<number>((resolve) => {
        const row = document.querySelector(`[data-testid="worklist-row"][data-study-uid="${uid}"]`)!;
        const t0 = performance.now();
        const mo = new MutationObserver(() => {
          if (document.querySelector('[data-testid="viewport"][data-image-index="0"]')) {
            mo.disconnect();
            resolve(performance.now() - t0);
          }
        });
        mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-image-index'] });
        row.dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));
      }),
    study,
  );
}

const p95 = (x: Summary) => {
  const sorted = [...x.samples_ms].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))];
};

/**
 * The page's signal reaching the harness: a binding the page calls (through the DevTools protocol,
 * the same channel that carries the harness's own input), resolved in Node when it arrives.
 */
class Signals {
  private waiting: { want: string; resolve(t: number): void } | undefined;

  async attach(page: Page): Promise<void> {
    await page.exposeBinding('amurBenchSignal', (_source, value: string) => {
      const t = performance.now();
      if (this.waiting?.want !== value) return;
      this.waiting.resolve(t);
      this.waiting = undefined;
    });
  }

  /** Resolves with the Node clock when the page next signals `value`; call it before the action. */
  next(value: string): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = { want: value, resolve };
    });
  }
}

type SignalWindow = typeof globalThis & { amurBenchSignal(value: string): void };

/** In the app: the viewport reporting image 0 drawn signals 'first'. Armed before each open. */
function armFirstImage(page: Page): Promise<void> {
  return page.evaluate(() => {
    const mo = new MutationObserver(() => {
      if (document.querySelector('[data-testid="viewport"][data-image-index="0"]')) {
        mo.disconnect();
        (window as unknown as SignalWindow).amurBenchSignal('first');
      }
    });
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-image-index'] });
  });
}

/** In the app's viewer: every image drawn signals its index. */
function armScroll(page: Page): Promise<void> {
  return page.evaluate(() => {
    const el = document.querySelector('[data-testid="viewport"]') as HTMLElement;
    new MutationObserver(() => (window as unknown as SignalWindow).amurBenchSignal(`image:${el.dataset.imageIndex}`)).observe(el, {
      attributes: true,
      attributeFilter: ['data-image-index'],
    });
  });
}

/**
 * The harness's baseline: a page with one row whose double click adds an element and whose key
 * press changes an attribute, observed and signalled exactly as the app's image drawn is.
 */
async function baselinePage(context: BrowserContext, signals: Signals): Promise<Page> {
  const page = await context.newPage();
  await signals.attach(page);
  await page.setContent(`<!doctype html><html><body>
<table><tbody><tr data-testid="row" tabindex="0"><td>row</td></tr></tbody></table><div id="shown" data-image-index="0"></div>
<script>
  const shown = document.getElementById('shown');
  document.querySelector('tr').addEventListener('dblclick', () => {
    const el = document.createElement('div');
    el.dataset.opened = '1';
    document.body.append(el);
  });
  addEventListener('keydown', (e) => {
    const next = () => { shown.dataset.imageIndex = String(Number(shown.dataset.imageIndex) + 1); };
    if (e.key === 'ArrowDown') next();
    // The same change made in the next animation frame, where a canvas app (cornerstone) draws.
    if (e.key === 'PageDown') requestAnimationFrame(next);
    if (e.key === 'Home') shown.dataset.imageIndex = '0';
  });
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (n.dataset && n.dataset.opened) { n.remove(); window.amurBenchSignal('first'); }
  }).observe(document.body, { childList: true });
  new MutationObserver(() => window.amurBenchSignal('image:' + shown.dataset.imageIndex)).observe(shown, { attributes: true, attributeFilter: ['data-image-index'] });
</script></body></html>`);
  return page;
}

/** ms from the harness's dblclick call on `selector` to the page signalling 'first'. */
async function userDblclick(page: Page, signals: Signals, selector: string): Promise<number> {
  const drawn = signals.next('first');
  const t0 = performance.now();
  await page.dblclick(selector);
  return (await drawn) - t0;
}

/** ms from each harness key press (ArrowDown) to the page signalling the next index drawn. */
async function userScroll(page: Page, signals: Signals, steps: number, key = 'ArrowDown'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= steps; i++) {
    const drawn = signals.next(`image:${i}`);
    const t0 = performance.now();
    await page.keyboard.press(key);
    out.push((await drawn) - t0);
  }
  return out;
}

async function userHome(page: Page, signals: Signals): Promise<void> {
  const drawn = signals.next('image:0');
  await page.keyboard.press('Home');
  await drawn;
}

interface Net {
  app: Summary;
  harness: Summary;
  /** app − harness, of the medians and of the p95s. */
  net_median_ms: number;
  net_p95_ms: number;
}

function net(app: number[], harness: number[]): Net {
  const a = summarize(app);
  const h = summarize(harness);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { app: a, harness: h, net_median_ms: r(a.median_ms - h.median_ms), net_p95_ms: r(p95(a) - p95(h)) };
}

/** Presses ArrowDown `steps` times, each after the previous image is drawn: ms per step and draw ms. */
function scroll(page: Page, steps: number): Promise<{ step_ms: number[]; render_ms: number[] }> {
  return page.evaluate(async (n) => {
    const el = document.querySelector('[data-testid="viewport"]') as HTMLElement;
    const step: number[] = [];
    const render: number[] = [];
    for (let i = 0; i < n; i++) {
      const target = String(Number(el.dataset.imageIndex) + 1);
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const mo = new MutationObserver(() => {
          if (el.dataset.imageIndex === target) {
            mo.disconnect();
            resolve();
          }
        });
        mo.observe(el, { attributes: true });
        dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown' }));
      });
      step.push(performance.now() - t0);
      render.push(Number(el.dataset.renderMs));
    }
    return { step_ms: step, render_ms: render };
  }, steps);
}

async function goHome(page: Page): Promise<void> {
  await page.evaluate(() => dispatchEvent(new KeyboardEvent('keydown', { key: 'Home' })));
  await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
}

function cacheBytes(page: Page): Promise<number> {
  // The viewer shows its cache use; the figure refreshes twice a second.
  return page.evaluate(
    () =>
      new Promise<number>((resolve) =>
        setTimeout(() => resolve(Number(document.querySelector('[data-testid="cache-usage"]')?.getAttribute('data-cache-bytes'))), 700),
      ),
  );
}

const bench: Bench = {
  name: 'viewer',
  description: 'viewer: first image after opening a study, ms per image scrolling a 500-slice CT, memory',
  async run(ctx: BenchContext) {
    const slices = numberOption(ctx, 'slices', ctx.options.quick ? 120 : 500);
    const reps = numberOption(ctx, 'reps', ctx.options.quick ? 3 : 5);
    const userReps = numberOption(ctx, 'user-reps', ctx.options.quick ? 5 : 20);
    const mrSlices = 22;
    const boundedMB = numberOption(ctx, 'cache-mb', 128);
    const src = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
    const seriesDir = join(ctx.tmpRoot, `viewer-ct${slices}`);
    ctx.log(`making a ${slices}-slice series in ${seriesDir}`);
    const ct = await makeSeriesFromSlices(src, slices, seriesDir, ['(0008,103E)=BENCH LONG SERIES']);
    // No 22-slice MR in the shared data: one 256×256 MR slice (dicomweb-client's sample3.dcm) made
    // into a 22-image series in a study of its own, the size of a routine MR sequence.
    const mrSource = join(ctx.tmpRoot, 'viewer-mr-source');
    mkdirSync(mrSource, { recursive: true });
    copyFileSync(shared('dicom', 'dicomweb-client', 'testData', 'sample3.dcm'), join(mrSource, 'sample3.dcm'));
    const mrDir = join(ctx.tmpRoot, `viewer-mr${mrSlices}`);
    const mr = await makeSeriesFromSlices(mrSource, mrSlices, mrDir, ['(0008,103E)=BENCH MR SERIES']);

    const home = mkdtempSync(join(ctx.tmpRoot, 'viewer-home-'));
    try {
      await unlockFromEnvironment(home, process.env);
      const store = StudyStore.open(home);
      const summary = await importPaths(store, [seriesDir, mrDir]);
      if (summary.imported !== slices + mrSlices) throw new Error(`imported ${summary.imported} of ${slices + mrSlices}`);

      // Host-side decode alone (one decoder thread, as on this 2-core machine), cold then warm.
      const files = store.db.prepare('SELECT i.SOPInstanceUID FROM instances i JOIN series s ON s.id = i.series_id WHERE s.SeriesInstanceUID = ?').all(ct.series) as { SOPInstanceUID: string }[];
      const imaging = new LocalImagingService({ instanceFile: (u) => store.instanceFile(u) });
      await imaging.ready();
      const decode: number[] = [];
      for (const { SOPInstanceUID } of files.slice(0, 100)) {
        const t0 = performance.now();
        await imaging.getImageFrame(SOPInstanceUID, 0);
        decode.push(performance.now() - t0);
      }
      await imaging.dispose();
      // The same slices from their clear source files through the same decoder: what encryption
      // at rest adds to every image shown (opening the sealed file in the decoder thread).
      const plainFiles = new Map<string, string>();
      for (const f of readdirSync(seriesDir)) {
        const h = await readDicomHeaderFromFile(join(seriesDir, f));
        plainFiles.set(h.attributes.SOPInstanceUID!, join(seriesDir, f));
      }
      const plainImaging = new LocalImagingService({ instanceFile: (u) => plainFiles.get(u) });
      await plainImaging.ready();
      const decodePlain: number[] = [];
      for (const { SOPInstanceUID } of files.slice(0, 100)) {
        const t0 = performance.now();
        await plainImaging.getImageFrame(SOPInstanceUID, 0);
        decodePlain.push(performance.now() - t0);
      }
      await plainImaging.dispose();
      store.close();
      const decodeSummary = summarize(decode);
      const decodePlainSummary = summarize(decodePlain);
      ctx.log(`host decode ${fmtMs(decodeSummary.median_ms)} per slice sealed, ${fmtMs(decodePlainSummary.median_ms)} clear`);

      const app = await startApp({ home });
      const b = await openBrowser();
      try {
        const { page } = b;
        const ctRow = `[data-testid="worklist-row"][data-study-uid="${ct.study}"]`;
        await openApp(page, app);
        const first: number[] = [];
        for (let r = 0; r < reps; r++) {
          // A reload empties the page's image cache: every repetition opens the study cold.
          if (r > 0) {
            await page.reload();
            await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
          }
          await page.locator(ctRow).waitFor();
          first.push(await timeFirstImage(page, ct.study));
        }
        const firstSummary = summarize(first);
        ctx.log(`first image ${fmtMs(firstSummary.median_ms)} (median of ${reps})`);

        // Default cache: the whole series fits. Pass 1 scrolls while prefetch fills the cache; pass 2 is cached.
        await page.hover('[data-testid="viewport"]');
        const cold = await scroll(page, slices - 1);
        await goHome(page);
        const warm = await scroll(page, slices - 1);
        const defaultCache = await cacheBytes(page);
        const rssDefault = { renderer_kib: treeRssKiB(process.pid, (c) => /chrom/i.test(c)), host_kib: treeRssKiB(app.child.pid!) };

        // A bounded cache smaller than the series: memory must stay under it while scrolling all of it.
        await page.evaluate((mb) => localStorage.setItem('amur.viewer.cacheMB', String(mb)), boundedMB);
        await page.reload();
        await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
        await timeFirstImage(page, ct.study);
        const bounded = await scroll(page, slices - 1);
        await goHome(page);
        const boundedAgain = await scroll(page, slices - 1);
        const boundedCache = await cacheBytes(page);
        const rssBounded = { renderer_kib: treeRssKiB(process.pid, (c) => /chrom/i.test(c)), host_kib: treeRssKiB(app.child.pid!) };
        await page.evaluate(() => localStorage.removeItem('amur.viewer.cacheMB'));

        // As the radiologist feels it: from the harness's call to the page's signal, beside the same
        // call on the baseline page, interleaved so that a busy moment of the machine hits both.
        const signals = new Signals();
        await signals.attach(page);
        const base = await baselinePage(b.context, signals);
        const opens: Record<string, Net> = {};
        for (const [name, study] of [['mr', mr.study], ['ct', ct.study]] as const) {
          const appMs: number[] = [];
          const harnessMs: number[] = [];
          const row = `[data-testid="worklist-row"][data-study-uid="${study}"]`;
          for (let r = 0; r < userReps; r++) {
            // The app's page is reloaded first and left idle on its worklist (no prefetch of the
            // study opened before still running), then the harness's baseline, then the app.
            await page.bringToFront();
            await page.reload();
            await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
            await page.locator(row).waitFor();
            await base.bringToFront();
            harnessMs.push(await userDblclick(base, signals, '[data-testid="row"]'));
            await page.bringToFront();
            await armFirstImage(page);
            appMs.push(await userDblclick(page, signals, row));
          }
          opens[name] = net(appMs, harnessMs);
          ctx.log(`user-level open ${name}: ${fmtMs(opens[name].app.median_ms)} − harness ${fmtMs(opens[name].harness.median_ms)} = ${opens[name].net_median_ms} ms net`);
        }
        // The CT is open (its last repetition): scroll it by key presses, first pass and cached.
        await page.hover('[data-testid="viewport"]');
        await armScroll(page);
        const userCold = await userScroll(page, signals, slices - 1);
        await userHome(page, signals);
        const userWarm = await userScroll(page, signals, slices - 1);
        await base.bringToFront();
        const harnessCold = await userScroll(base, signals, slices - 1);
        await userHome(base, signals);
        const harnessWarm = await userScroll(base, signals, slices - 1);
        await userHome(base, signals);
        const harnessFrame = await userScroll(base, signals, slices - 1, 'PageDown');
        const userScrolls = {
          cold: net(userCold, harnessCold),
          warm: net(userWarm, harnessWarm),
          // Against a harness page that makes its change in the next animation frame, as cornerstone draws.
          cold_vs_frame: net(userCold, harnessFrame),
          warm_vs_frame: net(userWarm, harnessFrame),
        };
        ctx.log(`user-level scroll: first pass ${userScrolls.cold.net_median_ms} ms net, cached ${userScrolls.warm.net_median_ms} ms net of the harness`);
        await base.close();

        const s = {
          cold: summarize(cold.step_ms),
          warm: summarize(warm.step_ms),
          warm_render: summarize(warm.render_ms),
          bounded: summarize(bounded.step_ms),
          bounded_again: summarize(boundedAgain.step_ms),
        };
        const json = {
          slices,
          reps,
          host_decode: decodeSummary,
          host_decode_clear: decodePlainSummary,
          host_decode_sealed_over_clear: decodePlainSummary.median_ms ? Number((decodeSummary.median_ms / decodePlainSummary.median_ms).toFixed(2)) : undefined,
          first_image: firstSummary,
          scroll: s,
          user_level: { reps: userReps, mr_slices: mrSlices, open: opens, scroll: userScrolls },
          memory: {
            default_cache_mb: 512,
            default_cache_bytes: defaultCache,
            default_rss: rssDefault,
            bounded_cache_mb: boundedMB,
            bounded_cache_bytes: boundedCache,
            bounded_rss: rssBounded,
          },
          machine: machineInfo(ctx.repoRoot),
        };
        const m = json.machine;
        const mib = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
        const userRow = (label: string, n: Net) =>
          `| ${label} | ${fmtMs(n.app.median_ms)} | ${fmtMs(p95(n.app))} | ${fmtMs(n.harness.median_ms)} | ${fmtMs(p95(n.harness))} | **${n.net_median_ms.toFixed(1)} ms** | ${n.net_p95_ms.toFixed(1)} ms |`;
        const md = `## viewer: first image, scrolling, memory

Machine: ${m.cpu_count} × ${m.cpu_model}, Node ${m.node_version}, load ${m.load_average_1m_at_start} at start, commit ${m.git_commit?.slice(0, 10)}${m.git_dirty ? ' (dirty)' : ''}, ${m.date}.
Series: ${slices} slices (512×512, 16-bit, explicit VR LE) made from the 28-slice GE head CT with new UIDs. \`amur serve\` and Debian's Chromium (headless), as the end-to-end tests run them; times measured inside the page from the user's action to the viewport reporting the image drawn (cornerstone's IMAGE_RENDERED).

| measure | median | p95 | min | max | target |
| --- | --- | --- | --- | --- | --- |
| first image after opening the study (double click → drawn), cold page cache, ${reps} runs | ${fmtMs(firstSummary.median_ms)} | | ${fmtMs(firstSummary.min_ms)} | ${fmtMs(firstSummary.max_ms)} | < 100 ms |
| scroll one image (ArrowDown → drawn), first pass, prefetch running | ${fmtMs(s.cold.median_ms)} | ${fmtMs(p95(s.cold))} | ${fmtMs(s.cold.min_ms)} | ${fmtMs(s.cold.max_ms)} | |
| scroll one image, cached (second pass) | ${fmtMs(s.warm.median_ms)} | ${fmtMs(p95(s.warm))} | ${fmtMs(s.warm.min_ms)} | ${fmtMs(s.warm.max_ms)} | < 16 ms |
| of which cornerstone's drawing (renderTimeInMs) | ${fmtMs(s.warm_render.median_ms)} | ${fmtMs(p95(s.warm_render))} | ${fmtMs(s.warm_render.min_ms)} | ${fmtMs(s.warm_render.max_ms)} | |
| scroll one image, cache bounded to ${boundedMB} MiB, first pass | ${fmtMs(s.bounded.median_ms)} | ${fmtMs(p95(s.bounded))} | ${fmtMs(s.bounded.min_ms)} | ${fmtMs(s.bounded.max_ms)} | |
| scroll one image, cache bounded to ${boundedMB} MiB, second pass | ${fmtMs(s.bounded_again.median_ms)} | ${fmtMs(p95(s.bounded_again))} | ${fmtMs(s.bounded_again.min_ms)} | ${fmtMs(s.bounded_again.max_ms)} | |
| host decode of one slice (worker thread, no page), sealed file of the store | ${fmtMs(decodeSummary.median_ms)} | | ${fmtMs(decodeSummary.min_ms)} | ${fmtMs(decodeSummary.max_ms)} | |
| the same slices from their clear files (encryption off) | ${fmtMs(decodePlainSummary.median_ms)} | | ${fmtMs(decodePlainSummary.min_ms)} | ${fmtMs(decodePlainSummary.max_ms)} | sealed/clear ${decodePlainSummary.median_ms ? (decodeSummary.median_ms / decodePlainSummary.median_ms).toFixed(2) : '–'}× |

As the radiologist feels it (issue 13): from the harness's call (playwright-core's \`page.dblclick\` on the study's worklist row; \`page.keyboard.press('ArrowDown')\` in the viewer) to the page's signal reaching the harness (a MutationObserver on the viewport's \`data-image-index\`, set on IMAGE_RENDERED, calls an exposed binding). The harness row is the same call on a page whose double-click handler only adds an element and whose key handler only changes an attribute, signalled the same way, interleaved with the app's runs; net = app − harness. Opening: ${userReps} runs each, page reloaded before each (cold page cache). Scrolling: ${slices - 1} key presses per pass.

| user-level measure | app median | app p95 | harness median | harness p95 | net median | net p95 |
| --- | --- | --- | --- | --- | --- | --- |
${userRow(`open the ${mrSlices}-image MR series (double click → first image drawn)`, opens.mr)}
${userRow(`open the ${slices}-image CT series`, opens.ct)}
${userRow(`scroll the ${slices}-image CT, first pass (ArrowDown → drawn)`, userScrolls.cold)}
${userRow(`scroll the ${slices}-image CT, cached`, userScrolls.warm)}
${userRow(`scroll, first pass, against the harness changing its page in the next animation frame`, userScrolls.cold_vs_frame)}
${userRow(`scroll, cached, against the harness changing its page in the next animation frame`, userScrolls.warm_vs_frame)}

The last two rows: cornerstone draws in requestAnimationFrame, so a drawn image cannot reach the harness before the next frame; the harness page there makes its change in the next frame too (PageDown on that page), which is the floor for any canvas drawn by the browser.

A cached step cannot be shorter than the wait for the browser's next animation frame (cornerstone draws in requestAnimationFrame; 16.7 ms at 60 Hz), so the scroll rows measure latency to the next frame; the drawing row is the work per image.

Memory after scrolling the whole series: image cache ${mib(defaultCache)} of 512 MiB (default setting), Chromium ${Math.round(rssDefault.renderer_kib / 1024)} MiB RSS, host ${Math.round(rssDefault.host_kib / 1024)} MiB RSS; with the cache set to ${boundedMB} MiB: cache ${mib(boundedCache)}, Chromium ${Math.round(rssBounded.renderer_kib / 1024)} MiB RSS, host ${Math.round(rssBounded.host_kib / 1024)} MiB RSS.
`;
        const out = writeResults(ctx.resultsDir, 'viewer', json, md);
        ctx.log(`first ${fmtMs(firstSummary.median_ms)}, cached scroll ${fmtMs(s.warm.median_ms)}/image, draw ${fmtMs(s.warm_render.median_ms)}, bounded cache ${mib(boundedCache)}; ${out.md}`);
      } finally {
        await b.close();
        await app.stop();
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};

export default bench;
