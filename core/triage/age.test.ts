// The patient's age at an instance: PatientAge first, else PatientBirthDate against the date of the
// study; malformed values are never guessed from, and the first unreadable one is named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceAge, parseDicomDate, yearsBetween, yearsFromPatientAge } from './age.js';

const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

describe('PatientAge (AS)', () => {
  it('reads days, weeks, months and years', () => {
    assert.equal(yearsFromPatientAge('045Y'), 45);
    assert.equal(yearsFromPatientAge('000Y'), 0);
    close(yearsFromPatientAge('018M'), 1.5);
    assert.equal(yearsFromPatientAge('060M'), 5);
    close(yearsFromPatientAge('052W'), (52 * 7) / 365.25);
    close(yearsFromPatientAge('730D'), 730 / 365.25);
    assert.equal(yearsFromPatientAge(' 003Y '), 3);
  });

  it('takes nothing else as an age', () => {
    for (const bad of ['', '12', '005X', '45Y', '0045Y', '045y', 'Y045', '04 5Y', '-05Y', '045', undefined]) {
      assert.equal(yearsFromPatientAge(bad), undefined, String(bad));
    }
  });
});

describe('DA dates and exact years', () => {
  it('reads only real calendar dates', () => {
    assert.deepEqual(parseDicomDate('20240229'), { year: 2024, month: 2, day: 29 });
    for (const bad of ['20261301', '20230229', '20260431', '20260100', '2026-01-01', '202601', '', 'abcdefgh', '00000101']) {
      assert.equal(parseDicomDate(bad), undefined, bad);
    }
  });

  it('counts birthdays passed, plus the fraction of the year since the last', () => {
    const d = (s: string) => parseDicomDate(s)!;
    assert.equal(yearsBetween(d('20200615'), d('20250615')), 5);
    assert.equal(Math.floor(yearsBetween(d('20200615'), d('20250614'))), 4);
    close(yearsBetween(d('20200101'), d('20200702')), 183 / 366);
    // Born on 29 February: the birthday of a common year is reached on 1 March.
    assert.equal(Math.floor(yearsBetween(d('20200229'), d('20210228'))), 0);
    assert.equal(yearsBetween(d('20200229'), d('20210301')), 1);
    assert.ok(yearsBetween(d('20260102'), d('20260101')) < 0);
  });
});

describe('the age of an instance', () => {
  it('prefers PatientAge', () => {
    assert.deepEqual(instanceAge({ PatientAge: '004Y', PatientBirthDate: '19500101', StudyDate: '20260101' }),
      { known: true, years: 4, from: [{ keyword: 'PatientAge', value: '004Y' }] });
  });

  it('falls back to PatientBirthDate and StudyDate when PatientAge is absent or malformed', () => {
    for (const PatientAge of [undefined, '', '12', '005X']) {
      const a = instanceAge({ PatientAge, PatientBirthDate: '20210310', StudyDate: '20260309' });
      assert.ok(a.known, String(PatientAge));
      assert.equal(Math.floor(a.years), 4);
      assert.deepEqual(a.from, [{ keyword: 'PatientBirthDate', value: '20210310' }, { keyword: 'StudyDate', value: '20260309' }]);
    }
  });

  it('without StudyDate, counts to ContentDate, SeriesDate, then AcquisitionDate; a malformed date counts as absent', () => {
    const birth = { PatientBirthDate: '20000101' };
    const at = (a: Parameters<typeof instanceAge>[0]) => {
      const r = instanceAge({ ...birth, ...a });
      return r.known ? [Math.floor(r.years), r.from[1].keyword] : r;
    };
    assert.deepEqual(at({ ContentDate: '20300101', SeriesDate: '20400101' }), [30, 'ContentDate']);
    assert.deepEqual(at({ SeriesDate: '20400101', AcquisitionDate: '20500101' }), [40, 'SeriesDate']);
    assert.deepEqual(at({ AcquisitionDate: '20500101' }), [50, 'AcquisitionDate']);
    assert.deepEqual(at({ StudyDate: '20261301', ContentDate: '20300101' }), [30, 'ContentDate']);
  });

  it('gives no age when neither is usable, naming the first unreadable value', () => {
    assert.deepEqual(instanceAge({}), { known: false });
    assert.deepEqual(instanceAge({ StudyDate: '20260101' }), { known: false });
    assert.deepEqual(instanceAge({ PatientBirthDate: '20000101' }), { known: false });
    assert.deepEqual(instanceAge({ PatientAge: '005X' }), { known: false, unreadable: { keyword: 'PatientAge', value: '005X' } });
    assert.deepEqual(instanceAge({ PatientAge: '12', PatientBirthDate: '2000', StudyDate: '20260101' }),
      { known: false, unreadable: { keyword: 'PatientAge', value: '12' } });
    assert.deepEqual(instanceAge({ PatientBirthDate: '20261301', StudyDate: '20270101' }),
      { known: false, unreadable: { keyword: 'PatientBirthDate', value: '20261301' } });
    assert.deepEqual(instanceAge({ PatientBirthDate: '20200101', StudyDate: '20261301' }),
      { known: false, unreadable: { keyword: 'StudyDate', value: '20261301' } });
    // Born after the study: one of the dates is wrong.
    assert.deepEqual(instanceAge({ PatientBirthDate: '20270101', StudyDate: '20260101' }),
      { known: false, unreadable: { keyword: 'PatientBirthDate', value: '20270101' } });
  });
});
