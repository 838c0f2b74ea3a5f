// Whether a model applies to an instance, judged from the instance's own DICOM attributes against
// the manifest's scope. An absent attribute is never taken as a match (see manifest
// "scope.when_missing"): scoring an image the model was not made for gives a confident wrong number.
import type { ScopeRule } from './models.js';

export type ScopeKeyword = 'Modality' | 'BodyPartExamined' | 'ViewPosition' | 'PhotometricInterpretation';

export type ScopeDecision =
  | { inScope: true }
  | { inScope: false; keyword: ScopeKeyword; value: string; expected: string };

const norm = (v: string | undefined) => (v ?? '').trim().toUpperCase();

/** The first attribute that rules the instance out, in the order a reader would check them. */
export function judgeScope(attrs: Partial<Record<ScopeKeyword, string>>, rule: ScopeRule): ScopeDecision {
  for (const keyword of ['Modality', 'BodyPartExamined', 'ViewPosition', 'PhotometricInterpretation'] as const) {
    const accepted = rule[keyword].map(norm);
    const value = norm(attrs[keyword]);
    if (!accepted.includes(value)) return { inScope: false, keyword, value, expected: accepted.join(', ') };
  }
  return { inScope: true };
}
