// The worklist order a radiologist relies on: AI never overrides clinical urgency, flags come first
// within it, and unscored studies are not lost at the bottom in random order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aiPriority, orderWorklist, type WorklistEntry } from './priority.js';

const done = (score: number, balanced = 0.5, high = 0.3) => ({
  status: 'done' as const,
  findings: [{ label: 'pneumonia', score, positive: score >= balanced, positiveAtHighSensitivity: score >= high }],
});
const entry = (uid: string, clinicalPriority: number, importedAt: string, triage: WorklistEntry['triage']): WorklistEntry =>
  ({ StudyInstanceUID: uid, clinicalPriority, importedAt, triage });

describe('worklist order', () => {
  it('bands by the operating points', () => {
    assert.equal(aiPriority(done(0.9)), 'high');
    assert.equal(aiPriority(done(0.4)), 'elevated');
    assert.equal(aiPriority(done(0.1)), 'routine');
    assert.equal(aiPriority({ status: 'not-applicable', findings: [] }), 'none');
    assert.equal(aiPriority({ status: 'error', findings: [] }), 'none');
    assert.equal(aiPriority(undefined), 'none');
  });

  it('ranks AI priority within clinical priority, then score, then age', () => {
    const list = [
      entry('routine-low', 2, '2026-11-22T10:00:00Z', done(0.1)),
      entry('routine-flag', 2, '2026-11-22T11:00:00Z', done(0.8)),
      entry('urgent-unscored', 0, '2026-11-22T12:00:00Z', { status: 'not-applicable', findings: [] }),
      entry('urgent-low', 0, '2026-11-22T12:30:00Z', done(0.2)),
      entry('routine-flag-higher', 2, '2026-11-22T12:00:00Z', done(0.95)),
      entry('routine-elevated', 2, '2026-11-22T09:00:00Z', done(0.35)),
      entry('routine-pending-old', 2, '2026-11-22T08:00:00Z', undefined),
      entry('routine-pending-new', 2, '2026-11-22T13:00:00Z', null),
    ];
    assert.deepEqual(orderWorklist(list).map((e) => e.StudyInstanceUID), [
      'urgent-low', 'urgent-unscored',
      'routine-flag-higher', 'routine-flag', 'routine-elevated', 'routine-low', 'routine-pending-old', 'routine-pending-new',
    ]);
  });
});

describe('worklist order with reading status', () => {
  it('puts reported and delivered studies below every unread one, keeping the AI order inside each group', () => {
    const withStatus = (e: WorklistEntry, status: WorklistEntry['status']): WorklistEntry => ({ ...e, status });
    const list = [
      withStatus(entry('read-flag', 2, '2026-11-22T10:00:00Z', done(0.9)), 'reported'),
      withStatus(entry('unread-low', 2, '2026-11-22T11:00:00Z', done(0.1)), 'new'),
      withStatus(entry('delivered-urgent', 0, '2026-11-22T09:00:00Z', done(0.95)), 'delivered'),
      withStatus(entry('working-flag', 2, '2026-11-22T12:00:00Z', done(0.8)), 'in-progress'),
      withStatus(entry('overdue-pending', 2, '2026-11-22T08:00:00Z', undefined), 'overdue'),
      withStatus(entry('read-low', 2, '2026-11-22T07:00:00Z', done(0.2)), 'reported'),
      entry('unknown-status', 2, '2026-11-22T13:00:00Z', done(0.6)),
    ];
    assert.deepEqual(orderWorklist(list).map((e) => e.StudyInstanceUID), [
      'working-flag', 'unknown-status', 'unread-low', 'overdue-pending',
      'delivered-urgent', 'read-flag', 'read-low',
    ]);
  });
});
