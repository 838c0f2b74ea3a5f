/// <reference lib="dom" />
// What a reader sees of a PDF drawn by renderer/pdf/PdfPages.tsx, for the e2e tests: how many pages
// were drawn, whether each page's canvas shows ink on white (not a blank or black sheet), and the
// SHA-256 of the bytes drawn (the component's data-sha256: the page's CSP lets it fetch nothing but
// its own origin, blob: URLs included), to compare with the bytes poppler reads; and how closely a
// page matches poppler's drawing of it (fonts: a glyph drawn in another face or not at all shows). Also a
// watch on the page's Content-Security-Policy violations (the events, not only the console).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';

export interface DrawnPdf {
  /** data-pages: the pages pdf.js found. */
  pages: number;
  /** Canvases on screen, one a page. */
  canvases: number;
  /** Per page: the share of sampled pixels that are dark (ink) and that are near white (paper). */
  ink: { dark: number; white: number }[];
  /** The SHA-256 (hex) of the bytes the page drew. */
  sha256: string;
}

/** Waits until the PDF inside `scope` is drawn (data-state="ready", its bytes named) and reads what is on screen. */
export async function drawnPdf(scope: Locator): Promise<DrawnPdf> {
  const el = scope.locator('[data-testid="pdf-pages"][data-state="ready"][data-sha256]');
  await el.waitFor();
  return el.evaluate((box) => {
    const ink = [...box.querySelectorAll('canvas')].map((c) => {
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let dark = 0, white = 0, n = 0;
      // Every 7th pixel: enough to see text, cheap on a large canvas.
      for (let i = 0; i < data.length; i += 4 * 7) {
        const y = 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
        if (y < 100) dark++;
        if (y > 240) white++;
        n++;
      }
      return { dark: dark / n, white: white / n };
    });
    return { pages: Number(box.getAttribute('data-pages')), canvases: box.querySelectorAll('canvas').length, ink, sha256: box.getAttribute('data-sha256') ?? '' };
  });
}

/** The SHA-256 (hex) of bytes, as the component names them. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The page count poppler's pdfinfo reads from these bytes. */
export function popplerPages(bytes: Uint8Array): number {
  const dir = mkdtempSync(join(tmpdir(), 'amur-pdfinfo-'));
  try {
    const file = join(dir, 'x.pdf');
    writeFileSync(file, bytes);
    return Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Starts collecting the page's securitypolicyviolation events (from now on, in this document);
 * the returned function reads them.
 */
export async function watchCspViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { __cspViolations?: string[] };
    if (w.__cspViolations) return;
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations.slice());
}

/**
 * How closely pdf.js's drawing of one page matches poppler's (pdftoppm at the canvas's size): of
 * the pixels that are ink in either, the share that are ink in both (each side allowed a pixel
 * of anti-aliasing). A missing or substituted font (CJK or Cyrillic drawn as boxes, or in another
 * face) moves or drops glyphs and brings this well down; the same glyphs keep it high.
 */
export async function inkAgreement(scope: Locator, bytes: Uint8Array, page = 1): Promise<number> {
  const canvas = scope.locator(`[data-testid="pdf-pages"] canvas[data-page="${page}"]`);
  const url = await canvas.evaluate((c: HTMLCanvasElement) => c.toDataURL('image/png'));
  const ours = PNG.sync.read(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'));
  const dir = mkdtempSync(join(tmpdir(), 'amur-pdftoppm-'));
  try {
    writeFileSync(join(dir, 'x.pdf'), bytes);
    execFileSync('pdftoppm', ['-f', String(page), '-l', String(page), '-scale-to-x', String(ours.width), '-scale-to-y', String(ours.height), '-png', '-singlefile', join(dir, 'x.pdf'), join(dir, 'p')]);
    const theirs = PNG.sync.read(readFileSync(join(dir, 'p.png')));
    const w = Math.min(ours.width, theirs.width), h = Math.min(ours.height, theirs.height);
    const dark = (img: PNG, x: number, y: number, limit: number) => {
      const i = (y * img.width + x) * 4;
      return 0.299 * img.data[i]! + 0.587 * img.data[i + 1]! + 0.114 * img.data[i + 2]! < limit;
    };
    const near = (img: PNG, x: number, y: number) => {
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx, yy = y + dy;
        if (xx >= 0 && yy >= 0 && xx < w && yy < h && dark(img, xx, yy, 200)) return true;
      }
      return false;
    };
    let either = 0, both = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const a = dark(ours, x, y, 128), b = dark(theirs, x, y, 128);
      if (!a && !b) continue;
      either++;
      if ((!a || near(theirs, x, y)) && (!b || near(ours, x, y))) both++;
    }
    return either ? both / either : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
