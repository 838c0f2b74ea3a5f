// Every reason the DICOM reader can give is translated into each language and names the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AmurError, isAmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES, t } from '../i18n/index.js';
import { readDicomHeaderFromFile } from './header.js';

const CODES = ['notDicom', 'truncated', 'lengthPastEnd', 'tooDeep', 'missingAttribute', 'invalidAttribute', 'unreadable', 'notDicomDir', 'dicomDirEscape'];
/** What the reader read past and says so (header.notices): texts under notices.dicom.*. */
const NOTICES = ['uidMissingDerived', 'uidInvalidDerived', 'uidFromFileMeta', 'noSequenceDelimiter'];

test('each dicom.* code the sources throw has a message in every language, naming the file', () => {
  const sources = ['header.ts', 'dicomdir.ts'].map((f) => readFileSync(fileURLToPath(new URL(f, import.meta.url)), 'utf8')).join('\n');
  const thrown = new Set([...sources.matchAll(/'dicom\.(\w+)'/g)].map((m) => m[1]));
  assert.deepEqual([...thrown].sort(), [...CODES, ...NOTICES].sort(), 'the lists below cover every code thrown or noticed');
  const params = { path: '/media/CD/IM0001', keyword: 'SOPInstanceUID', detail: 'EACCES', max: 64, reference: '..\\x' };
  for (const lang of LANGUAGES) {
    const seen = new Set<string>();
    for (const code of CODES) {
      const text = errorMessage(new AmurError(`dicom.${code}`, params), lang);
      assert.ok(text.includes('/media/CD/IM0001'), `${lang} ${code}: ${text}`);
      assert.ok(!text.includes('errors.dicom'), `${lang} ${code} has no text`);
      assert.ok(!/\{\{/.test(text), `${lang} ${code} leaves a placeholder: ${text}`);
      seen.add(text);
    }
    assert.equal(seen.size, CODES.length, `${lang}: each reason reads differently`);
  }
});

test('each notice the reader gives has a text in every language, naming the file and the UID it filed it under', () => {
  const params = { path: '/media/CD/IM0001', keyword: 'SeriesInstanceUID', uid: '2.25.1234' };
  for (const lang of LANGUAGES) {
    const seen = new Set<string>();
    for (const code of NOTICES) {
      const text = t(`notices.dicom.${code}`, params, lang);
      assert.ok(text.includes('/media/CD/IM0001'), `${lang} ${code}: ${text}`);
      assert.ok(!text.startsWith('notices.'), `${lang} ${code} has no text`);
      assert.ok(!/\{\{/.test(text), `${lang} ${code} leaves a placeholder: ${text}`);
      if (code !== 'noSequenceDelimiter') assert.ok(text.includes('2.25.1234') && text.includes('SeriesInstanceUID'), `${lang} ${code}: ${text}`);
      seen.add(text);
    }
    assert.equal(seen.size, NOTICES.length, `${lang}: each notice reads differently`);
  }
});

test('a missing file or a folder is an AmurError, not a raw exception', async () => {
  for (const path of ['/nonexistent/amur/file.dcm', fileURLToPath(new URL('.', import.meta.url))]) {
    await assert.rejects(readDicomHeaderFromFile(path), (e) => isAmurError(e) && e.code === 'dicom.unreadable' && e.params.path === path);
  }
});
