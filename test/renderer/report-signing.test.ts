// The pure parts of the editor's signing (renderer/reports): the next study offered after signing
// is the first unread one in the worklist's reading order, and the name proposed for an imported
// identity is one the identity store accepts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StudySummary } from '../../core/contract/studies.js';
import type { StudyTriageResult } from '../../core/contract/triage.js';
import { importIdentity } from '../../core/signing/index.js';
import { identityNameFromFile } from '../../renderer/reports/identity-name.js';
import { firstUnread } from '../../renderer/reports/reading-order.js';
import { makePki } from '../fixtures/pki/pki.js';

const study = (uid: string, status: string, extra: Partial<StudySummary> = {}): StudySummary =>
  ({ StudyInstanceUID: uid, status, importedAt: `2026-12-0${uid.length}T00:00:00Z`, ...extra }) as unknown as StudySummary;
const triaged = (uid: string, score: number, positive: boolean): StudyTriageResult =>
  ({ StudyInstanceUID: uid, status: 'done', findings: [{ label: 'x', score, positive, positiveAtHighSensitivity: positive }] }) as unknown as StudyTriageResult;

test('the next study is the first unread one in reading order: never the one just signed, never a reported or delivered one', () => {
  const studies = [study('1.1', 'new'), study('1.22', 'reported'), study('1.333', 'in-progress'), study('1.4444', 'delivered'), study('1.55555', 'overdue')];
  // The AI's ranking puts the positive study first among those unread.
  assert.equal(firstUnread(studies, [triaged('1.333', 0.9, true), triaged('1.22', 0.99, true)], '1.1')?.StudyInstanceUID, '1.333');
  // Without AI results, the one received first.
  assert.equal(firstUnread(studies, [], '1.1')?.StudyInstanceUID, '1.333');
  assert.equal(firstUnread(studies, [], '1.333')?.StudyInstanceUID, '1.1');
  // A partner's case with a deadline comes before studies without one, the soonest first.
  const cases = [...studies, study('1.7', 'new', { case: { deadlineAt: '2026-12-09T10:00:00Z' } as StudySummary['case'] }),
    study('1.8', 'new', { case: { deadlineAt: '2026-12-08T10:00:00Z' } as StudySummary['case'] })];
  assert.equal(firstUnread(cases, [], '1.1')?.StudyInstanceUID, '1.8');
  assert.equal(firstUnread([study('1.1', 'new'), study('1.2', 'reported')], [], '1.1'), undefined, 'nothing left to read');
});

test('the name proposed for an imported identity is one the identity store takes', () => {
  assert.equal(identityNameFromFile('rsa.p12'), 'rsa');
  assert.equal(identityNameFromFile('Кузнецова М.А. (2026).PFX'), 'Кузнецова-М.А.-2026-');
  assert.equal(identityNameFromFile('.hidden key.p12'), 'hidden-key');
  assert.equal(identityNameFromFile(`${'a'.repeat(80)}.p12`).length, 64);
  const pki = makePki();
  const home = mkdtempSync(join(tmpdir(), 'amur-idname-'));
  try {
    for (const file of ['Кузнецова М.А. (2026).PFX', '.hidden key.p12', `${'a'.repeat(80)}.p12`]) {
      const name = identityNameFromFile(file);
      assert.equal(importIdentity(pki.bytes('ec.p12'), pki.passphrase, { name, home }).name, name);
    }
  } finally {
    pki.remove();
    rmSync(home, { recursive: true, force: true });
  }
});
