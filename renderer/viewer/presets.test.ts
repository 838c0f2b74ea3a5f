// The window presets per modality, in plain Node: CT's absolute windows; the file's own VOI first
// for the other modalities; the active preset recognised from the window shown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activePreset, CT_PRESETS, fileWindows, presetsFor, rangePreset } from './presets.js';

const dx = { WindowCenter: [3980, 2000], WindowWidth: [8160, 1000], WindowCenterWidthExplanation: ['NORMAL', ''] };

test('CT lists the standard windows in Hounsfield units', () => {
  assert.deepEqual(presetsFor('CT', dx).map((p) => p.id), CT_PRESETS.map((p) => p.id));
});

test("a DX, CR, MG or MR lists the file's windows first, in its order, then the full range", () => {
  for (const modality of ['DX', 'CR', 'MG', 'MR']) {
    const list = presetsFor(modality, dx, { min: -100, max: 8060 });
    assert.deepEqual(list.map((p) => p.id), ['file-0', 'file-1', 'range'], modality);
    assert.deepEqual(list[0], { id: 'file-0', windowWidth: 8160, windowCenter: 3980, explanation: 'NORMAL' });
    assert.equal(list[1].explanation, undefined);
    assert.deepEqual(list[2], { id: 'range', windowWidth: 8160, windowCenter: 3980 });
  }
});

test('windows that are repeated or have no width are left out', () => {
  assert.deepEqual(fileWindows({ WindowCenter: [40, 40, 10], WindowWidth: [400, 400, 0], WindowCenterWidthExplanation: [] }).map((p) => p.id), ['file-0']);
  assert.deepEqual(presetsFor('DX', undefined).map((p) => p.id), ['range']);
});

test('the active preset is the one whose window is shown; a window of the reader\'s own matches none', () => {
  assert.equal(activePreset(CT_PRESETS, { windowWidth: 1500, windowCenter: -600 })?.id, 'lung');
  assert.equal(activePreset(CT_PRESETS, { windowWidth: 1501, windowCenter: -600 }), undefined);
  assert.equal(activePreset(presetsFor('DX', dx), { windowWidth: 0, windowCenter: 0 }), undefined, 'an unresolved range never matches');
  assert.deepEqual(rangePreset({ min: 5, max: 5 }), { id: 'range', windowWidth: 1, windowCenter: 5 });
});
