// The first image after opening a study (issue 13), as the reader does it: the study's first image
// is asked for when its worklist row is pressed or reached by keyboard, before the double click or
// Enter has changed the screen; the viewer then opens on it; nothing of the viewer's code is
// fetched after the double click. Functional, not timed: the timing is bench/viewer.bench.ts.
// The host's request log is the WebSocket's frames (every contract call is one), read by the test.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readDicomHeaderFromFile } from '../../core/dicom/header.js';
import { shared } from '../shared-data.js';
import { readingRoomForTests } from './harness.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const MR = shared('dicom', 'dicomweb-client', 'testData', 'sample3.dcm');
const FRAME_CHANNEL = 'amur:imaging.getImageFrame';

interface FrameCall {
  SOPInstanceUID: string;
  prefetch: boolean;
}

/** The first instance of a series in the viewer's order (Instance Number), from the files themselves. */
async function firstByInstanceNumber(files: string[]): Promise<{ StudyInstanceUID: string; SOPInstanceUID: string }> {
  const headers = await Promise.all(files.map((f) => readDicomHeaderFromFile(f)));
  const first = headers.sort((a, b) => Number(a.attributes.InstanceNumber) - Number(b.attributes.InstanceNumber))[0]!;
  return { StudyInstanceUID: first.attributes.StudyInstanceUID!, SOPInstanceUID: first.attributes.SOPInstanceUID! };
}

describe('the first image of a study is asked for when its row is chosen', () => {
  const ctFiles = readdirSync(HEAD_CT).map((f) => join(HEAD_CT, f));
  const calls: FrameCall[] = [];
  const scripts: string[] = [];
  /** The contract's traffic in the order the page saw it: calls sent, results received (by call id). */
  const traffic: { dir: 'sent' | 'received'; id: number; channel?: string; SOPInstanceUID?: string }[] = [];
  const room = readingRoomForTests({
    files: [...ctFiles, MR],
    onPage: (page) => {
      page.on('websocket', (ws) => {
        ws.on('framesent', ({ payload }) => {
          if (typeof payload !== 'string') return;
          const msg = JSON.parse(payload) as { t: string; id: number; channel: string; args: [string, number, { prefetch?: boolean }?] };
          if (msg.t === 'call') traffic.push({ dir: 'sent', id: msg.id, channel: msg.channel, SOPInstanceUID: msg.channel === FRAME_CHANNEL ? msg.args[0] : undefined });
          if (msg.channel === FRAME_CHANNEL) calls.push({ SOPInstanceUID: msg.args[0], prefetch: msg.args[2]?.prefetch === true });
        });
        ws.on('framereceived', ({ payload }) => {
          // Results with binary attachments (frames) are not JSON text; the listings are.
          if (typeof payload !== 'string') return;
          const msg = JSON.parse(payload) as { t: string; id: number };
          if (msg.t === 'result' || msg.t === 'error') traffic.push({ dir: 'received', id: msg.id });
        });
      });
      page.on('request', (r) => {
        if (r.resourceType() === 'script') scripts.push(r.url());
      });
    },
  });

  const screen = (page: Page) => page.locator('[data-testid="app"]').getAttribute('data-screen');
  const drawnFirst = (page: Page, SOPInstanceUID: string) =>
    page.locator(`[data-testid="viewport"][data-image-index="0"][data-sop-instance-uid="${SOPInstanceUID}"]`).waitFor();

  test('pressing the row requests the first image while the worklist is still shown; the double click opens on it', async () => {
    const { page } = room();
    const ct = await firstByInstanceNumber(ctFiles);
    const row = page.locator(`[data-testid="worklist-row"][data-study-uid="${ct.StudyInstanceUID}"]`);
    await row.waitFor();
    const scriptsBefore = scripts.length;
    const box = (await row.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    // Decoded in the page's cache with the button still down: nothing has opened yet.
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${ct.StudyInstanceUID}"][data-first-image="loaded"]`).waitFor();
    assert.equal(await screen(page), 'worklist');
    assert.deepEqual(calls, [{ SOPInstanceUID: ct.SOPInstanceUID, prefetch: false }], 'only the first image was asked for, as a display request');
    // The series list names its first image, so the image is asked for before the listing of the
    // series' instances has come back (for a long series that listing costs more than the image).
    const listing = traffic.find((m) => m.dir === 'sent' && m.channel === 'amur:studies.listInstances')!;
    const listed = traffic.findIndex((m) => m.dir === 'received' && m.id === listing.id);
    const asked = traffic.findIndex((m) => m.dir === 'sent' && m.SOPInstanceUID === ct.SOPInstanceUID);
    assert.ok(listed >= 0 && asked >= 0 && asked < listed, `first image asked for at ${asked}, instances listed at ${listed}`);
    await page.mouse.up();
    await row.dblclick();
    await drawnFirst(page, ct.SOPInstanceUID);
    assert.equal(await screen(page), 'viewer');
    // The viewer drew the image the press had fetched: it was not asked for a second time.
    assert.equal(calls.filter((c) => c.SOPInstanceUID === ct.SOPInstanceUID).length, 1);
    // The other images follow, as prefetches, once the first is drawn.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="cache-usage"]')?.getAttribute('data-cache-images')) > 1);
    assert.ok(calls.slice(1).length > 0 && calls.slice(1).every((c) => c.prefetch), 'the rest of the series is prefetched after the first');
    assert.deepEqual(scripts.slice(scriptsBefore), [], 'no script is fetched to open the viewer');
  });

  test('reaching a row by keyboard requests its first image; Enter opens the viewer on it', async () => {
    const { page } = room();
    await page.click('[data-testid="back-to-worklist"]');
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    const mr = await firstByInstanceNumber([MR]);
    const rows = page.locator('[data-testid="worklist-row"]');
    const uids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-study-uid')));
    const at = uids.indexOf(mr.StudyInstanceUID);
    assert.ok(at >= 0, 'the MR study is on the worklist');
    calls.length = 0;
    // From the search box, ArrowDown reaches the first row, and each further ArrowDown the next.
    await page.locator('[data-testid="worklist-search"]').focus();
    for (let i = 0; i <= at; i++) await page.keyboard.press('ArrowDown');
    const row = page.locator(`[data-testid="worklist-row"][data-study-uid="${mr.StudyInstanceUID}"]`);
    await page.waitForFunction((uid) => document.activeElement?.getAttribute('data-study-uid') === uid, mr.StudyInstanceUID);
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${mr.StudyInstanceUID}"][data-first-image="loaded"]`).waitFor();
    assert.equal(await screen(page), 'worklist');
    assert.ok(calls.some((c) => c.SOPInstanceUID === mr.SOPInstanceUID && !c.prefetch), 'the MR image was asked for on focus');
    await row.press('Enter');
    await drawnFirst(page, mr.SOPInstanceUID);
    assert.equal(calls.filter((c) => c.SOPInstanceUID === mr.SOPInstanceUID).length, 1);
  });
});
