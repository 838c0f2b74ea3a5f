// A worklist of more studies than fit on a screen: only the rows in view are drawn, and the keyboard still
// reaches every study. The studies are real files given new UIDs and patient IDs by dcmtk's dcmodify.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PYDICOM_DATA } from '../shared-data.js';
import { openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

const run = promisify(execFile);
const COUNT = 150;

describe('a large worklist', () => {
  let room: ReadingRoom;
  let corpus: string;
  before(async () => {
    corpus = mkdtempSync(join(tmpdir(), 'amur-'));
    const files = Array.from({ length: COUNT }, (_, i) => join(corpus, `s${String(i).padStart(3, '0')}.dcm`));
    for (const f of files) copyFileSync(join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm'), f);
    // New Study/Series/SOP Instance UIDs and a distinct Patient ID per copy.
    for (let i = 0; i < files.length; i += 4) {
      await Promise.all(files.slice(i, i + 4).map((f, k) =>
        run('dcmodify', ['-q', '-nb', '-gst', '-gse', '-gin', '-m', `(0010,0020)=P${String(i + k).padStart(3, '0')}`, f])));
    }
    room = await openReadingRoom({
      // Imported by the CLI into the same AMUR_HOME: the subject here is the worklist, not the upload.
      prepare: (app) => run(process.execPath, [join('bin', 'amur.js'), 'import', '--json', corpus], { env: { ...process.env, AMUR_HOME: app.home } }).then(() => undefined),
      // The test opens the page itself: it times the worklist's load.
      open: false,
    });
  });
  after(async () => {
    await room?.close();
    rmSync(corpus, { recursive: true, force: true });
  });

  test('draws only the rows in view and reaches the last study by keyboard', async () => {
    const { page, app } = room;
    const t0 = performance.now();
    await page.goto(app.url);
    await page.waitForSelector(`[data-testid="worklist"][data-state="ready"][data-count="${COUNT}"]`);
    const loadMs = performance.now() - t0;
    const drawn = await page.locator('[data-testid="worklist-row"]').count();
    assert.ok(drawn > 10 && drawn < 100, `drew ${drawn} of ${COUNT} rows`);

    await page.locator('[data-testid="sort-patientId"]').click();
    await page.locator('[data-testid="worklist-row"]').first().focus();
    assert.equal(await page.evaluate(() => document.activeElement?.querySelector('[data-column="patientId"]')?.textContent), 'P000');
    await page.keyboard.press('End');
    await page.waitForFunction((n) => document.activeElement?.getAttribute('data-index') === String(n - 1), COUNT);
    assert.equal(await page.evaluate(() => document.activeElement?.querySelector('[data-column="patientId"]')?.textContent), 'P149');
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.activeElement?.querySelector('[data-column="patientId"]')?.textContent === 'P148');
    await page.screenshot({ path: join(screenshotDir(), 'worklist-large-end.png') });
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-index') === '0');

    // A search reaches studies that were never drawn.
    await page.locator('[data-testid="worklist-search"]').fill('P120');
    await page.waitForSelector('[data-testid="worklist"][data-count="1"]');
    assert.equal(await page.locator('[data-testid="worklist-row"] [data-column="patientId"]').innerText(), 'P120');
    console.log(`# worklist of ${COUNT} studies: ready ${Math.round(loadMs)} ms after navigation, ${drawn} rows drawn`);
  });
});
