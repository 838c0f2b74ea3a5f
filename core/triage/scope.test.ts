// Scope judgement against the shipped manifest: only frontal chest radiographs, and an attribute
// that is absent never counts as a match.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLED_MODELS_DIR, readManifest } from './models.js';
import { judgeScope } from './scope.js';

const rule = readManifest(join(BUNDLED_MODELS_DIR, 'cxr-pneumonia')).scope;
const chest = { Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: 'PA', PhotometricInterpretation: 'MONOCHROME2' };

describe('triage scope', () => {
  it('accepts frontal chest CR and DX, in any case and with padding', () => {
    assert.deepEqual(judgeScope(chest, rule), { inScope: true });
    assert.deepEqual(judgeScope({ ...chest, Modality: 'dx ', ViewPosition: 'ap', PhotometricInterpretation: 'MONOCHROME1' }, rule), { inScope: true });
  });

  it('names the first attribute that rules an image out', () => {
    assert.deepEqual(judgeScope({ ...chest, Modality: 'CT' }, rule), { inScope: false, keyword: 'Modality', value: 'CT', expected: 'CR, DX' });
    assert.equal((judgeScope({ ...chest, ViewPosition: 'LL' }, rule) as { keyword: string }).keyword, 'ViewPosition');
    assert.equal((judgeScope({ ...chest, BodyPartExamined: 'KNEE' }, rule) as { keyword: string }).keyword, 'BodyPartExamined');
    assert.equal((judgeScope({ ...chest, PhotometricInterpretation: 'RGB' }, rule) as { keyword: string }).keyword, 'PhotometricInterpretation');
  });

  it('does not take a missing attribute as a match', () => {
    for (const k of ['Modality', 'BodyPartExamined', 'ViewPosition'] as const) {
      const attrs: Record<string, string> = { ...chest };
      delete attrs[k];
      assert.deepEqual(judgeScope(attrs, rule), { inScope: false, keyword: k, value: '', expected: rule[k].join(', ') });
      assert.equal((judgeScope({ ...chest, [k]: '  ' }, rule) as { keyword: string }).keyword, k);
    }
  });
});
