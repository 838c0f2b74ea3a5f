/// <reference lib="dom" />
// Every lossless transfer syntax draws the same picture as the uncompressed original, end to end:
// dcmtk and gdcm re-encode one CT slice, each copy becomes its own study (new UIDs, its own Patient
// ID), all are imported through the UI, and the canvas of each, in the same window, must be
// byte-identical to the uncompressed one's. This covers the host's decoding, the binary transport
// and the renderer's image building together.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { parseInstance } from '../../core/imaging/decode.js';
import { shared } from '../shared-data.js';
import { openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

const ORIGINAL = shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');

/** name → how to make it from the original (a command writing `out`), its transfer syntax. */
const VARIANTS: { name: string; make: (src: string, out: string) => void; ts: string }[] = [
  { name: 'uncompressed', make: (s, o) => copyFileSync(s, o), ts: '1.2.840.10008.1.2.1' },
  { name: 'big-endian', make: (_s, o) => copyFileSync(shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_big_endian.dcm'), o), ts: '1.2.840.10008.1.2.2' },
  { name: 'deflate', make: (s, o) => execFileSync('dcmconv', ['+td', s, o]), ts: '1.2.840.10008.1.2.1.99' },
  { name: 'rle', make: (s, o) => execFileSync('dcmcrle', [s, o]), ts: '1.2.840.10008.1.2.5' },
  { name: 'jpeg-lossless', make: (s, o) => execFileSync('dcmcjpeg', ['+e1', s, o]), ts: '1.2.840.10008.1.2.4.70' },
  { name: 'jpeg-ls', make: (s, o) => execFileSync('dcmcjpls', [s, o]), ts: '1.2.840.10008.1.2.4.80' },
  { name: 'jpeg2000', make: (s, o) => execFileSync('gdcmconv', ['--j2k', s, o]), ts: '1.2.840.10008.1.2.4.90' },
];

interface Drawn {
  sha256: string;
  mean: number;
}

async function drawnCanvas(page: Page): Promise<Drawn> {
  return page.$eval('[data-testid="viewport"] canvas', async (c) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i];
    const digest = await crypto.subtle.digest('SHA-256', d);
    const sha256 = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { sha256, mean: sum / (d.length / 4) };
  });
}

describe('every lossless transfer syntax draws the uncompressed picture', () => {
  let room: ReadingRoom;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'amur-'));
    const files = VARIANTS.map((v) => {
      const out = join(dir, `${v.name}.dcm`);
      v.make(ORIGINAL, out);
      chmodSync(out, 0o644);
      // Its own study, series and instance, so the store keeps every copy; the Patient ID names it.
      execFileSync('dcmodify', ['-nb', '-gst', '-gse', '-gin', '-m', `(0010,0020)=TS-${v.name}`, out]);
      assert.equal(parseInstance(readFileSync(out)).TransferSyntaxUID, v.ts, `${v.name}: the tool wrote the syntax under test`);
      return out;
    });
    room = await openReadingRoom({ files });
  });
  after(async () => {
    await room?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('same canvas bytes in the brain window for every variant', async () => {
    const { page } = room;
    const drawn = new Map<string, Drawn>();
    for (const v of VARIANTS) {
      const row = page.locator('[data-testid="worklist-row"]', { hasText: `TS-${v.name}` });
      await row.waitFor();
      await row.dblclick();
      await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
      await page.hover('[data-testid="viewport"]');
      await page.keyboard.press('1');
      await page.waitForFunction(() => /W: 80 L: 40/.test(document.querySelector('[data-testid="overlay-window"]')?.textContent ?? ''));
      drawn.set(v.name, await drawnCanvas(page));
      if (v.name === 'jpeg2000') await page.screenshot({ path: join(screenshotDir(), 'viewer-ct1-jpeg2000.png') });
      await page.click('[data-testid="back-to-worklist"]');
      await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    }
    const reference = drawn.get('uncompressed')!;
    assert.ok(reference.mean > 5, 'the uncompressed slice is drawn, not blank');
    for (const [name, d] of drawn) assert.equal(d.sha256, reference.sha256, `${name} draws the same pixels as the uncompressed slice`);
  });
});
