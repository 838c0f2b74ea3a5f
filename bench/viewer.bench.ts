/// <reference lib="dom" />
// Viewer benchmark (issue 3): the time to the first drawn image after opening a study, the time
// per image while scrolling a long CT series (cold, then once cached), and memory while doing it,
// through the real app: `amur serve` and Debian's Chromium, as the end-to-end tests run it.
// The series: the 28-slice GE head CT from the shared data copied into one 500-slice series, every
// file with a new SOP Instance UID (dcmodify -gin) and its own Instance Number, all in one new
// study and series. Targets: first image < 100 ms; scrolling < 16 ms per image once cached;
// memory bounded by the image cache setting.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
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

/** Opens the first worklist row in the page and returns ms from the double click to image 0 drawn. */
function timeFirstImage(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const row = document.querySelector('[data-testid="worklist-row"]')!;
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
  );
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
    const boundedMB = numberOption(ctx, 'cache-mb', 128);
    const src = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
    const seriesDir = join(ctx.tmpRoot, `viewer-ct${slices}`);
    ctx.log(`making a ${slices}-slice series in ${seriesDir}`);
    await makeSeriesFromSlices(src, slices, seriesDir, ['(0008,103E)=BENCH LONG SERIES']);

    const home = mkdtempSync(join(ctx.tmpRoot, 'viewer-home-'));
    try {
      await unlockFromEnvironment(home, process.env);
      const store = StudyStore.open(home);
      const summary = await importPaths(store, [seriesDir]);
      if (summary.imported !== slices) throw new Error(`imported ${summary.imported} of ${slices}`);

      // Host-side decode alone (one decoder thread, as on this 2-core machine), cold then warm.
      const files = store.db.prepare('SELECT SOPInstanceUID FROM instances').all() as { SOPInstanceUID: string }[];
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
        await openApp(page, app);
        const first: number[] = [];
        for (let r = 0; r < reps; r++) {
          // A reload empties the page's image cache: every repetition opens the study cold.
          if (r > 0) {
            await page.reload();
            await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
          }
          await page.locator('[data-testid="worklist-row"]').first().waitFor();
          first.push(await timeFirstImage(page));
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
        await timeFirstImage(page);
        const bounded = await scroll(page, slices - 1);
        await goHome(page);
        const boundedAgain = await scroll(page, slices - 1);
        const boundedCache = await cacheBytes(page);
        const rssBounded = { renderer_kib: treeRssKiB(process.pid, (c) => /chrom/i.test(c)), host_kib: treeRssKiB(app.child.pid!) };
        await page.evaluate(() => localStorage.removeItem('amur.viewer.cacheMB'));

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
        const p95 = (x: Summary) => {
          const sorted = [...x.samples_ms].sort((a, b) => a - b);
          return sorted[Math.floor(sorted.length * 0.95)];
        };
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
