// Triage results become proposals only where the model was positive and the template knows the finding.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { aiProposalsFromTriage } from './ai.js';
import { loadTemplate } from './template.js';

const model = { id: 'cxr-pneumonia', version: '1.0.0', sha256: 'ab'.repeat(32) };

it('proposes positive findings the template has, with the model identity, and nothing else', () => {
  const cxr = loadTemplate('cxr');
  const proposals = aiProposalsFromTriage([
    { status: 'done', model, findings: [{ label: 'pneumonia', score: 0.8234, positive: true, positiveAtHighSensitivity: true }] },
    { status: 'done', model: { ...model, id: 'other' }, findings: [{ label: 'pneumonia', score: 0.2, positive: false, positiveAtHighSensitivity: true }] },
    { status: 'done', model: { ...model, id: 'exotic' }, findings: [{ label: 'no-such-finding', score: 0.9, positive: true, positiveAtHighSensitivity: true }] },
    { status: 'error', model, findings: [] },
  ], cxr);
  assert.deepEqual(proposals, [{
    id: 'cxr-pneumonia:pneumonia',
    model: { name: 'cxr-pneumonia', version: '1.0.0', sha256: 'ab'.repeat(32) },
    findingId: 'pneumonia',
    score: 0.823,
    status: 'proposed',
  }]);
  // The CT head template has no pneumonia: nothing to propose there.
  assert.deepEqual(aiProposalsFromTriage([{ status: 'done', model, findings: [{ label: 'pneumonia', score: 0.9, positive: true, positiveAtHighSensitivity: true }] }], loadTemplate('ct-head')), []);
});
