// Import rejections and notices in the reader's language, in Chromium through the browser shell: the
// host words its reasons in its own language (Russian here), and the page shows each one in the
// language chosen on screen (English, Chinese, Russian), never a message key. One file of each
// kind: not DICOM, cut short, a fragment with no SOP Instance UID, and an image without one (imported
// under a derived UID, with a notice). The files are imported once, in English; the summary then
// follows each change of the language on screen (a second import would find the image stored, and
// say nothing of a duplicate).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AmurError, isAmurError } from '../../core/common/errors.js';
import { readDicomHeaderFromFile } from '../../core/dicom/header.js';
import { errorMessage, t, type Language } from '../../core/i18n/index.js';
import { PYDICOM_DATA, shared } from '../shared-data.js';
import { makeTolerantFiles } from '../tolerant-fixtures.js';
import { importThroughUi, readingRoomForTests, screenshotDir } from './harness.js';

const CT = shared('dicom', 'dicomParser', 'testImages', 'CT1_UNC.explicit_little_endian.dcm');

describe('import reasons in every language', () => {
  let scratch: string;
  let rejectedFiles: string[];
  let derivedImage: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'amur-'));
    const notDicom = join(scratch, 'notes.txt');
    writeFileSync(notDicom, 'this is not a DICOM file\n');
    const truncated = join(scratch, 'truncated.dcm');
    writeFileSync(truncated, readFileSync(CT).subarray(0, 300));
    rejectedFiles = [notDicom, truncated, join(PYDICOM_DATA, 'test_files', 'UN_sequence.dcm')];
    derivedImage = makeTolerantFiles(join(scratch, 'tolerant')).find((f) => f.label === 'no SOP Instance UID anywhere')!.path;
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));
  // The host speaks Russian: whatever the page shows in English or Chinese, it worded itself.
  const room = readingRoomForTests({ env: { AMUR_LANG: 'ru' } });

  /** The reason a reader of `lang` must see for a file, as the reader's own error names it (by its upload name). */
  async function expectedReason(file: string, lang: Language): Promise<string> {
    try {
      await readDicomHeaderFromFile(file);
    } catch (e) {
      assert.ok(isAmurError(e));
      return errorMessage(new AmurError(e.code, { ...e.params, path: basename(file) }), lang);
    }
    throw new Error(`${file} was expected to be rejected`);
  }

  const languages = ['en', 'zh-CN', 'ru'] as const;
  for (const lang of languages) {
    test(`in ${lang}: each rejected file with its reason, the derived UID's notice, no message keys`, async () => {
      const { page } = room();
      await page.locator('[data-testid="language"]').selectOption(lang);
      await page.locator(`[data-testid="import-files"]:text-is("${t('ui.import.files', {}, lang)}")`).waitFor();
      if (lang === languages[0]) await importThroughUi(page, [...rejectedFiles, derivedImage]);

      const rejected = await page.locator('[data-testid="import-rejected"] li').allInnerTexts();
      assert.equal(rejected.length, rejectedFiles.length, rejected.join(' | '));
      for (const file of rejectedFiles) {
        const line = rejected.find((l) => l.startsWith(`${basename(file)}:`));
        assert.ok(line, `${basename(file)} is listed: ${rejected.join(' | ')}`);
        assert.equal(line, `${basename(file)}: ${await expectedReason(file, lang)}`);
      }
      const uid = (await readDicomHeaderFromFile(derivedImage)).attributes.SOPInstanceUID!;
      const notices = await page.locator('[data-testid="import-notices"] li').allInnerTexts();
      assert.deepEqual(notices, [t('notices.dicom.uidMissingDerived', { path: basename(derivedImage), keyword: 'SOPInstanceUID', uid }, lang)]);
      for (const text of [...rejected, ...notices]) {
        assert.doesNotMatch(text, /errors\.|notices\.|\{\{/, `a key or placeholder shows: ${text}`);
        if (lang !== 'ru') assert.doesNotMatch(text, /[а-яё]/i, `the host's Russian shows through: ${text}`);
      }
      await page.screenshot({ path: join(screenshotDir(), `import-reasons-${lang}.png`) });
      if (lang === languages.at(-1)) await page.locator('[data-testid="import-result"] button').click();
    });
  }
});
