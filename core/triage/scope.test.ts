// Scope judgement: against the shipped manifest's scope only frontal greyscale chest radiographs,
// an attribute that is absent never counts as a match; then the population chosen by the patient's
// age, and that population's own views (two populations, as in the 2.0.0 manifest).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { t } from '../i18n/index.js';
import { BUNDLED_MODELS_DIR, readManifest } from './models.js';
import { judgeScope, type AttributeDecision, type NotInScope, type ScopeDecision } from './scope.js';
import { twoPopulationManifest } from './test-manifest.js';

const rule = readManifest(join(BUNDLED_MODELS_DIR, 'cxr-pneumonia')).scope;
const chest = { Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: 'PA', PhotometricInterpretation: 'MONOCHROME2' };
const refusal = (d: AttributeDecision | ScopeDecision) => {
  assert.equal(d.inScope, false);
  return d as NotInScope;
};

describe('triage scope', () => {
  it('accepts frontal chest CR and DX, in any case and with padding', () => {
    assert.deepEqual(judgeScope(chest, rule), { inScope: true });
    assert.deepEqual(judgeScope({ ...chest, Modality: 'dx ', ViewPosition: 'ap', PhotometricInterpretation: 'MONOCHROME1' }, rule), { inScope: true });
  });

  it('names the first attribute that rules an image out', () => {
    assert.deepEqual(judgeScope({ ...chest, Modality: 'CT' }, rule), { inScope: false, code: 'triage.outOfScope', params: { keyword: 'Modality', value: 'CT', expected: 'CR, DX' } });
    assert.equal(refusal(judgeScope({ ...chest, ViewPosition: 'LL' }, rule)).params.keyword, 'ViewPosition');
    assert.equal(refusal(judgeScope({ ...chest, BodyPartExamined: 'KNEE' }, rule)).params.keyword, 'BodyPartExamined');
  });

  it('refuses colour images by their PhotometricInterpretation, before any age is looked at', () => {
    const m = twoPopulationManifest();
    for (const PhotometricInterpretation of ['RGB', 'YBR_FULL_422', 'PALETTE COLOR']) {
      const d = refusal(judgeScope({ ...chest, PhotometricInterpretation, PatientAge: '045Y' }, m.scope, m.populations));
      assert.deepEqual(d, { inScope: false, code: 'triage.outOfScope', params: { keyword: 'PhotometricInterpretation', value: PhotometricInterpretation, expected: 'MONOCHROME1, MONOCHROME2' } });
    }
  });

  it('does not take a missing attribute as a match', () => {
    for (const k of ['Modality', 'BodyPartExamined', 'ViewPosition'] as const) {
      const attrs: Record<string, string> = { ...chest };
      delete attrs[k];
      assert.deepEqual(judgeScope(attrs, rule), { inScope: false, code: 'triage.outOfScopeMissing', params: { keyword: k, expected: rule[k].join(', ') } });
      assert.equal(refusal(judgeScope({ ...chest, [k]: '  ' }, rule)).params.keyword, k);
    }
  });
});

describe('the population chosen by age', () => {
  const m = twoPopulationManifest();
  const judge = (a: Record<string, string>) => judgeScope({ ...chest, ...a }, m.scope, m.populations);

  it('chooses by whole years within inclusive bounds', () => {
    const cases: [string, string | null][] = [
      ['000Y', null], ['011M', null], ['012M', 'paediatric'], ['001Y', 'paediatric'], ['071M', 'paediatric'], ['005Y', 'paediatric'],
      ['072M', null], ['006Y', null], ['017Y', null], ['018Y', 'adult'], ['045Y', 'adult'], ['085Y', 'adult'], ['086Y', null],
    ];
    for (const [PatientAge, id] of cases) {
      const d = judge({ PatientAge, ViewPosition: 'AP' });
      if (id === null) assert.equal(refusal(d).code, 'triage.outOfScopeAge', PatientAge);
      else assert.deepEqual(d.inScope && d.population, { index: id === 'paediatric' ? 0 : 1, id }, PatientAge);
    }
  });

  it('uses PatientBirthDate with StudyDate when PatientAge is absent or malformed', () => {
    const d = judge({ PatientAge: '005X', PatientBirthDate: '20220401', StudyDate: '20260331', ViewPosition: 'AP' });
    assert.deepEqual(d, { inScope: true, population: { index: 0, id: 'paediatric' }, age: 3 });
  });

  it('an age outside every band names the age, where it came from and the bands', () => {
    const d = refusal(judge({ PatientAge: '012Y' }));
    assert.deepEqual(d, { inScope: false, code: 'triage.outOfScopeAge', params: { age: 12, source: 'PatientAge 012Y', bands: '1–5, 18–85' } });
    assert.equal(t(`errors.${d.code}`, d.params, 'en'),
      "Not in the model's scope: the patient is aged 12 (PatientAge 012Y), and the model is validated only for ages 1–5, 18–85 (in whole years)");
    const fromDates = refusal(judge({ PatientBirthDate: '19000101', StudyDate: '20260101' }));
    assert.equal(fromDates.params.source, 'PatientBirthDate 19000101, StudyDate 20260101');
    assert.equal(fromDates.params.age, 126);
  });

  it('an unknown age says so, with the bands; an unreadable one names the value', () => {
    const missing = refusal(judge({}));
    assert.deepEqual(missing, { inScope: false, code: 'triage.outOfScopeAgeMissing', params: { bands: '1–5, 18–85' } });
    assert.match(t(`errors.${missing.code}`, missing.params, 'ru'), /возраст пациента неизвестен.*1–5, 18–85/);
    const bad = refusal(judge({ PatientAge: '12', StudyDate: '20261301', PatientBirthDate: '20200101' }));
    assert.deepEqual(bad, { inScope: false, code: 'triage.outOfScopeAgeUnreadable', params: { keyword: 'PatientAge', value: '12', bands: '1–5, 18–85' } });
    assert.equal(t(`errors.${bad.code}`, bad.params, 'en'),
      "Not in the model's scope: PatientAge is 12, which is not a valid age or date, so the patient's age is unknown; the model is validated only for ages 1–5, 18–85 (in whole years)");
  });

  it("checks the view against the chosen population's views", () => {
    assert.equal(judge({ PatientAge: '045Y', ViewPosition: 'PA' }).inScope, true);
    assert.equal(judge({ PatientAge: '003Y', ViewPosition: 'ap' }).inScope, true);
    const d = refusal(judge({ PatientAge: '003Y', ViewPosition: 'PA' }));
    assert.deepEqual(d, { inScope: false, code: 'triage.outOfScopeViewForAge', params: { value: 'PA', age: 3, band: '1–5', expected: 'AP', population: 'paediatric' } });
    assert.equal(t(`errors.${d.code}`, d.params, 'en'),
      "Not in the model's scope: ViewPosition is PA, and for patients aged 1–5 (this one is 3) the model is validated only on AP");
    // The scope's own views still come first: a lateral is refused as such, whatever the age.
    assert.equal(refusal(judge({ PatientAge: '003Y', ViewPosition: 'LL' })).code, 'triage.outOfScope');
  });

  it('every new reason reads in the three languages, without a missing parameter', () => {
    const reasons = [judge({ PatientAge: '012Y' }), judge({}), judge({ PatientAge: '5Y' }), judge({ PatientAge: '003Y', ViewPosition: 'PA' })].map(refusal);
    for (const lang of ['zh-CN', 'ru', 'en'] as const) {
      for (const r of reasons) {
        const text = t(`errors.${r.code}`, r.params, lang);
        assert.ok(!text.includes('{{') && !text.startsWith('errors.'), `${lang} ${r.code}: ${text}`);
        assert.ok(text.includes('1–5'), `${lang} ${r.code}: ${text}`);
      }
    }
  });
});
