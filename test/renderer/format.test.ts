// Date and number display of the worklist (renderer/worklist/format.ts), per UI language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dicomDateToUTC, formatNumber, formatStudyDate } from '../../renderer/worklist/format.js';

test('DICOM dates are calendar dates: never shifted by the time zone', () => {
  assert.equal(dicomDateToUTC('20040826', '185000')?.toISOString(), '2004-08-26T18:50:00.000Z');
  assert.equal(dicomDateToUTC('20040826')?.toISOString(), '2004-08-26T00:00:00.000Z');
  assert.equal(dicomDateToUTC(''), undefined);
  assert.equal(dicomDateToUTC('2004-08-26'), undefined);
});

test('dates and numbers are written the way each language writes them', () => {
  assert.match(formatStudyDate('20040826', '', 'zh-CN'), /2004年8月26日/);
  assert.match(formatStudyDate('20040826', '', 'ru'), /26 авг\. 2004/);
  assert.match(formatStudyDate('20040826', '', 'en'), /Aug 26, 2004/);
  assert.match(formatStudyDate('20040826', '1850', 'ru'), /18:50/);
  assert.equal(formatStudyDate('', '', 'en'), '');
  assert.equal(formatNumber(12345, 'ru'), '12\u00a0345');
  assert.equal(formatNumber(12345, 'en'), '12,345');
});
