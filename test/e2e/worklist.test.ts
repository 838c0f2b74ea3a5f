// The worklist through the browser shell in Chromium: real studies imported by upload, names
// decoded from their character sets, the language switched, a study opened.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { importThroughUi, openApp, openBrowser, screenshotDir, startApp, type OpenBrowser, type RunningApp } from './harness.js';

const CHARSETS = join(PYDICOM_DATA, 'charset_files');
const CHINESE = { file: join(CHARSETS, 'chrX2.dcm'), uid: '1.3.6.1.4.1.5962.1.2.0.1175775771.5714.0' };
const RUSSIAN = { file: join(CHARSETS, 'chrRuss.dcm'), uid: '1.3.6.1.4.1.5962.1.2.0.1175775772.5729.0' };

describe('worklist in the browser shell', () => {
  let app: RunningApp;
  let b: OpenBrowser;
  before(async () => {
    app = await startApp();
    b = await openBrowser();
  });
  after(async () => {
    await b?.close();
    await app?.stop();
  });

  test('imports real files by upload and shows decoded names', async () => {
    const { page } = b;
    await openApp(page, app);
    assert.equal(await page.locator('[data-testid="worklist-row"]').count(), 0);
    const ct = shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');
    const summary = await importThroughUi(page, [CHINESE.file, RUSSIAN.file, ct]);
    assert.match(summary, /Imported: 3\./);
    await page.locator('[data-testid="worklist-row"]').nth(2).waitFor();
    const zh = page.locator(`[data-testid="worklist-row"][data-study-uid="${CHINESE.uid}"]`);
    assert.equal(await zh.locator('[data-testid="pn-ideographic"]').innerText(), '王小东');
    assert.equal(await zh.locator('[data-testid="pn-alphabetic"]').innerText(), 'Wang XiaoDong');
    const ru = page.locator(`[data-testid="worklist-row"][data-study-uid="${RUSSIAN.uid}"]`);
    assert.equal(await ru.locator('[data-column="patientName"]').innerText(), 'Люкceмбypг');
    await page.screenshot({ path: join(screenshotDir(), 'worklist-en.png') });
  });
});
