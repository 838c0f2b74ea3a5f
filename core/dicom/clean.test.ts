// The cleaner every writer uses: padding, VR syntax, enumerations, the few documented corrections,
// Type 1 refusal, and notes (and log lines) that name the attribute but never its value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAmurError } from '../common/errors.js';
import { errorMessage, LANGUAGES } from '../i18n/index.js';
import { cleanDict, cleanForWrite, cleanValue, setCleanLogger, type Dict } from './clean.js';

describe('cleanValue', () => {
  it('removes NUL padding at either end and says so', () => {
    assert.deepEqual(cleanValue('SH', '2157\0\0'), { value: '2157', action: 'corrected', reason: 'nulPadding' });
    assert.deepEqual(cleanValue('CS', 'M\0', '00100040'), { value: 'M', action: 'corrected', reason: 'nulPadding' });
    assert.deepEqual(cleanValue('PN', 'Doe^Jane\0'), { value: 'Doe^Jane', action: 'corrected', reason: 'nulPadding' });
    assert.deepEqual(cleanValue('LO', '\0ACC 1 \0'), { value: 'ACC 1', action: 'corrected', reason: 'nulPadding' });
    assert.deepEqual(cleanValue('UI', '1.2.3\0'), { value: '1.2.3', action: 'corrected', reason: 'nulPadding' });
  });

  it('removes space padding as the VR allows, silently', () => {
    assert.deepEqual(cleanValue('CS', ' ORIGINAL '), { value: 'ORIGINAL' });
    assert.deepEqual(cleanValue('DS', ' 0.5 '), { value: '0.5' });
    // Leading spaces are significant in text and person names: kept.
    assert.deepEqual(cleanValue('ST', '  indented  '), { value: '  indented' });
    assert.deepEqual(cleanValue('PN', ' Doe '), { value: ' Doe' });
  });

  it('drops a NUL inside a value (not padding) as a bad character', () => {
    assert.deepEqual(cleanValue('LO', 'AB\0CD'), { value: '', action: 'dropped', reason: 'characters' });
  });

  it('checks enumerated values and upper-cases only when that gives one', () => {
    for (const v of ['M', 'F', 'O']) assert.deepEqual(cleanValue('CS', v, '00100040'), { value: v });
    assert.deepEqual(cleanValue('CS', 'U', '00100040'), { value: '', action: 'dropped', reason: 'enumeration' });
    assert.deepEqual(cleanValue('CS', 'MALE', '00100040'), { value: '', action: 'dropped', reason: 'enumeration' });
    assert.deepEqual(cleanValue('CS', 'm', '00100040'), { value: 'M', action: 'corrected', reason: 'lowercase' });
    // Upper case gives MALE, which is no value of the enumeration: dropped for its lower case.
    assert.deepEqual(cleanValue('CS', 'male', '00100040'), { value: '', action: 'dropped', reason: 'characters' });
    assert.deepEqual(cleanValue('CS', 'X', '00200060'), { value: '', action: 'dropped', reason: 'enumeration' });
    assert.deepEqual(cleanValue('CS', 'yes', '00280301'), { value: 'YES', action: 'corrected', reason: 'lowercase' });
    // Without an enumeration, any valid CS passes; lower case is corrected.
    assert.deepEqual(cleanValue('CS', 'axial'), { value: 'AXIAL', action: 'corrected', reason: 'lowercase' });
    assert.deepEqual(cleanValue('CS', 'A-B'), { value: '', action: 'dropped', reason: 'characters' });
    assert.deepEqual(cleanValue('CS', 'ABCDEFGHIJKLMNOPQ'), { value: '', action: 'dropped', reason: 'tooLong' });
  });

  it('checks DA, TM and DT as calendar and clock values; the ACR-NEMA forms are rewritten', () => {
    assert.deepEqual(cleanValue('DA', '20240229'), { value: '20240229' });
    for (const bad of ['20230229', '20231301', '2023-01-01', '2023010', 'yesterday']) {
      assert.equal(cleanValue('DA', bad).action, 'dropped', bad);
    }
    assert.deepEqual(cleanValue('DA', '2023.01.31'), { value: '20230131', action: 'corrected', reason: 'retiredForm' });
    for (const ok of ['07', '0730', '073059', '073059.123456', '235960']) assert.deepEqual(cleanValue('TM', ok), { value: ok }, ok);
    for (const bad of ['24', '0760', '073059.1234567', '7:30', '12345']) assert.equal(cleanValue('TM', bad).action, 'dropped', bad);
    assert.deepEqual(cleanValue('TM', '07:30:59'), { value: '073059', action: 'corrected', reason: 'retiredForm' });
    for (const ok of ['2023', '20230131', '20230131073059.25+0800', '202301310730-0500']) assert.deepEqual(cleanValue('DT', ok), { value: ok }, ok);
    for (const bad of ['20231331', '20230131250000', '20230131+08', '2023-01-31T07:30']) assert.equal(cleanValue('DT', bad).action, 'dropped', bad);
  });

  it('checks IS, DS and AS syntax; an over-long DS is rounded to 16 characters', () => {
    assert.deepEqual(cleanValue('IS', '+12'), { value: '+12' });
    for (const bad of ['1.5', '12a', '2147483648', '']) assert.equal(cleanValue('IS', bad).action, bad === '' ? undefined : 'dropped', bad);
    for (const ok of ['1.5', '-0.000', '.5', '1e-3', '+2.5E+02']) assert.deepEqual(cleanValue('DS', ok), { value: ok }, ok);
    for (const bad of ['1,5', '1.2.3', 'NaN', 'Infinity', '0x10']) assert.deepEqual(cleanValue('DS', bad), { value: '', action: 'dropped', reason: 'notNumber' }, bad);
    const r = cleanValue('DS', '0.48828125000000001');
    assert.equal(r.action, 'corrected');
    assert.equal(r.reason, 'rounded');
    assert.ok(r.value.length <= 16 && Math.abs(Number(r.value) - 0.48828125) < 1e-12, r.value);
    assert.deepEqual(cleanValue('AS', '045Y'), { value: '045Y' });
    assert.deepEqual(cleanValue('AS', '045y'), { value: '045Y', action: 'corrected', reason: 'lowercase' });
    for (const bad of ['45Y', '045 Y', '045YY', '045A']) assert.equal(cleanValue('AS', bad).action, 'dropped', bad);
  });

  it('checks UI syntax and length, and text lengths per VR', () => {
    assert.deepEqual(cleanValue('UI', '1.2.840.10008.1.2.1'), { value: '1.2.840.10008.1.2.1' });
    for (const bad of ['1.02.3', '1..2', '1.2.', 'a.b', '0', '0.0', `1.${'2'.repeat(64)}`]) assert.equal(cleanValue('UI', bad).action, 'dropped', bad);
    assert.deepEqual(cleanValue('UI', '1.0.2'), { value: '1.0.2' }, 'a zero component among others is valid');
    assert.equal(cleanValue('SH', 'A'.repeat(16)).action, undefined);
    assert.deepEqual(cleanValue('SH', 'A'.repeat(17)), { value: '', action: 'dropped', reason: 'tooLong' });
    assert.deepEqual(cleanValue('LO', 'Б'.repeat(64)), { value: 'Б'.repeat(64) }, 'characters, not bytes');
    assert.equal(cleanValue('LO', 'x'.repeat(65)).reason, 'tooLong');
    assert.equal(cleanValue('ST', 'x'.repeat(1025)).reason, 'tooLong');
    assert.equal(cleanValue('LO', 'tab\there').reason, 'characters');
    assert.deepEqual(cleanValue('LT', 'line 1\r\nline 2\tend'), { value: 'line 1\r\nline 2\tend' });
  });

  it('checks person names: three groups of five components, 64 characters each', () => {
    assert.deepEqual(cleanValue('PN', 'Wang^XiaoDong=王^小东'), { value: 'Wang^XiaoDong=王^小东' });
    assert.equal(cleanValue('PN', 'a^b^c^d^e^f').reason, 'components');
    assert.equal(cleanValue('PN', 'a=b=c=d').reason, 'components');
    assert.equal(cleanValue('PN', `${'x'.repeat(65)}`).reason, 'tooLong');
  });
});

describe('cleanDict', () => {
  const dict = (): Dict => ({
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane\0' }] },
    '00100040': { vr: 'CS', Value: ['U'] },
    '00200010': { vr: 'SH', Value: ['2157\0\0'] },
    '00080050': { vr: 'SH', Value: ['ACCESSION-NUMBER-TOO-LONG'] },
    '00080008': { vr: 'CS', Value: ['ORIGINAL', 'primary', 'A-B'] },
    // dcmjs reads "1,5" as 15: the file's text (_rawValue) is what is checked.
    '00180050': { vr: 'DS', Value: [15], _rawValue: ['1,5 '] },
    '00280030': { vr: 'DS', Value: [0.5, 0.5], _rawValue: ['0.5', '0.5 '] },
    '00200013': { vr: 'IS', Value: [7] },
    '00400275': { vr: 'SQ', Value: [{ '00401001': { vr: 'SH', Value: ['RP1\0'] } }] },
    '7FE00010': { vr: 'OW', Value: [new ArrayBuffer(4)] },
  });

  it('cleans in place, recursively, keeping positions of multi-valued attributes', () => {
    const d = dict();
    const notes = cleanDict(d);
    assert.deepEqual(d['00100010']!.Value, [{ Alphabetic: 'Doe^Jane' }]);
    assert.deepEqual(d['00100040']!.Value, []);
    assert.deepEqual(d['00200010']!.Value, ['2157']);
    assert.deepEqual(d['00080050']!.Value, []);
    assert.deepEqual(d['00080008']!.Value, ['ORIGINAL', 'PRIMARY', '']);
    assert.deepEqual(d['00180050']!.Value, []);
    assert.deepEqual(d['00280030'], { vr: 'DS', Value: [0.5, 0.5], _rawValue: ['0.5', '0.5'] }, 'a valid DS keeps the file\'s text, unpadded');
    assert.deepEqual(d['00200013']!.Value, [7]);
    assert.deepEqual((d['00400275']!.Value![0] as Dict)['00401001']!.Value, ['RP1']);
    assert.deepEqual(notes.map((n) => `${n.keyword} ${n.action} ${n.reason}`).sort(), [
      'AccessionNumber dropped tooLong',
      'ImageType corrected lowercase',
      'ImageType dropped characters',
      'PatientName corrected nulPadding',
      'PatientSex dropped enumeration',
      'RequestedProcedureID corrected nulPadding',
      'SliceThickness dropped notNumber',
      'StudyID corrected nulPadding',
    ]);
    assert.ok(notes.every((n) => /^\([0-9A-F]{4},[0-9A-F]{4}\)$/.test(n.tag)));
    // Nothing of the values is in the notes.
    assert.ok(!JSON.stringify(notes).match(/Doe|Jane|2157|ACCESSION|1,5/));
  });

  it('does not trust a stale _rawValue that a writer left behind when it replaced Value', () => {
    const d: Dict = { '00101030': { vr: 'DS', Value: [0], _rawValue: ['82.5'] } };
    cleanDict(d);
    assert.deepEqual(d['00101030']!.Value, [0]);
    assert.notEqual(JSON.stringify(d).includes('82.5'), true, 'the replaced value does not come back');
  });

  it('refuses the object when a Type 1 attribute would become empty, in every language', () => {
    for (const [tag, vr, v] of [['0020000D', 'UI', '1.02.3'], ['00081155', 'UI', 'x'], ['00080060', 'CS', 'c-t']] as const) {
      const d: Dict = { '00080005': { vr: 'CS', Value: ['ISO_IR 192'] }, '00400275': { vr: 'SQ', Value: [{ [tag]: { vr, Value: [v] } }] } };
      assert.throws(() => cleanDict(d), (e: unknown) => {
        assert.ok(isAmurError(e) && e.code === 'dicom.writeType1Invalid', String(e));
        for (const lang of LANGUAGES) {
          const text = errorMessage(e, lang);
          assert.ok(!text.startsWith('errors.') && !text.includes('$t('), `${lang}: ${text}`);
          assert.ok(text.includes(e.params.keyword as string) && !text.includes(v), `${lang}: ${text}`);
        }
        return true;
      }, tag);
    }
    // A UID of the source is only trimmed when the caller replaces UIDs anyway (the de-identifier).
    const d: Dict = { '0020000D': { vr: 'UI', Value: ['1.02.3\0'] } };
    assert.deepEqual(cleanDict(d, { checkUids: false }), []);
    assert.deepEqual(d['0020000D']!.Value, ['1.02.3']);
  });

  it('logs one translated line per note, naming the object and attribute, never the value', () => {
    const lines: string[] = [];
    const prev = setCleanLogger((line) => lines.push(line));
    try {
      cleanForWrite(dict(), undefined, 'ComprehensiveSR');
    } finally {
      setCleanLogger(prev);
    }
    assert.equal(lines.length, 8);
    const sex = lines.find((l) => l.includes('PatientSex'))!;
    assert.match(sex, /^ComprehensiveSR: .*PatientSex \(0010,0040\) \(CS\).*left out: it is not one of the values/);
    assert.ok(lines.every((l) => !/Doe|Jane|2157|ACCESSION|1,5|\$t\(/.test(l)), lines.join('\n'));
  });
});
