// Whether a model applies to an instance, judged from the instance's own DICOM attributes against
// the manifest: first its scope (Modality, BodyPartExamined, ViewPosition, PhotometricInterpretation),
// then the population the patient's age falls in, then that population's own views. An absent
// attribute is never taken as a match (see manifest "scope.when_missing"): scoring an image the model
// was not made for gives a confident wrong number. A refusal comes as the error code and parameters
// of its reason ("errors.<code>" in the i18n catalogues), ready to be stored and translated.
import { instanceAge, type AgeAttributes } from './age.js';
import type { Population, ScopeRule } from './models.js';

export type ScopeKeyword = 'Modality' | 'BodyPartExamined' | 'ViewPosition' | 'PhotometricInterpretation';
export type ScopeAttributes = Partial<Record<ScopeKeyword, string>> & AgeAttributes;

export interface NotInScope {
  inScope: false;
  code: string;
  params: Record<string, string | number>;
}
/** The population chosen for the instance: its index (the column of the "ood" output) and id. */
export interface ChosenPopulation {
  index: number;
  id: string;
}
export type AttributeDecision = { inScope: true } | NotInScope;
export type ScopeDecision = { inScope: true; population: ChosenPopulation; age: number } | NotInScope;

const norm = (v: string | undefined) => (v ?? '').trim().toUpperCase();
const band = (p: Population) => `${p.age_years[0]}–${p.age_years[1]}`;

/**
 * The first attribute that rules the instance out, in the order a reader would check them. With
 * the manifest's populations it then chooses the population by age (whole years, inclusive bounds)
 * and checks the view against that population's; without them only the scope's attributes are
 * judged.
 */
export function judgeScope(attrs: ScopeAttributes, rule: ScopeRule): AttributeDecision;
export function judgeScope(attrs: ScopeAttributes, rule: ScopeRule, populations: readonly Population[]): ScopeDecision;
export function judgeScope(attrs: ScopeAttributes, rule: ScopeRule, populations?: readonly Population[]): AttributeDecision | ScopeDecision {
  for (const keyword of ['Modality', 'BodyPartExamined', 'ViewPosition', 'PhotometricInterpretation'] as const) {
    const accepted = rule[keyword].map(norm);
    const value = norm(attrs[keyword]);
    if (accepted.includes(value)) continue;
    const expected = accepted.join(', ');
    return value
      ? { inScope: false, code: 'triage.outOfScope', params: { keyword, value, expected } }
      : { inScope: false, code: 'triage.outOfScopeMissing', params: { keyword, expected } };
  }
  if (!populations) return { inScope: true };

  const bands = populations.map(band).join(', ');
  const age = instanceAge(attrs);
  if (!age.known) {
    return age.unreadable
      ? { inScope: false, code: 'triage.outOfScopeAgeUnreadable', params: { keyword: age.unreadable.keyword, value: age.unreadable.value, bands } }
      : { inScope: false, code: 'triage.outOfScopeAgeMissing', params: { bands } };
  }
  const years = Math.floor(age.years);
  const index = populations.findIndex((p) => years >= p.age_years[0] && years <= p.age_years[1]);
  if (index < 0) {
    const source = age.from.map((f) => `${f.keyword} ${f.value}`).join(', ');
    return { inScope: false, code: 'triage.outOfScopeAge', params: { age: years, source, bands } };
  }
  const population = populations[index];
  const views = population.ViewPosition.map(norm);
  const view = norm(attrs.ViewPosition);
  if (!views.includes(view)) {
    return {
      inScope: false,
      code: 'triage.outOfScopeViewForAge',
      params: { value: view, age: years, band: band(population), expected: views.join(', '), population: population.id },
    };
  }
  return { inScope: true, population: { index, id: population.id }, age: years };
}
