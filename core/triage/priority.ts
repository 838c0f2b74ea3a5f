// The worklist order: unread studies before read ones (reported or delivered: core/studies/status.ts),
// then clinical priority (what the sending hospital or the agreement says is
// urgent), and within the same clinical priority, AI priority: studies the model flags at the
// balanced operating point, then those flagged only at the high-sensitivity point, then the rest,
// then studies without a score (not applicable, failed, not yet triaged). Within a band the higher
// score reads first, and at equal standing the older study first, so nothing waits forever.
import type { StudyStatus } from '../contract/studies.js';
import type { AIPriority, StudyTriageResult } from '../contract/triage.js';
import { isRead } from '../studies/status.js';

const RANK: Record<AIPriority, number> = { high: 0, elevated: 1, routine: 2, none: 3 };

export function aiPriority(r: Pick<StudyTriageResult, 'status' | 'findings'> | null | undefined): AIPriority {
  if (!r || r.status !== 'done' || r.findings.length === 0) return 'none';
  if (r.findings.some((f) => f.positive)) return 'high';
  if (r.findings.some((f) => f.positiveAtHighSensitivity)) return 'elevated';
  return 'routine';
}

export interface WorklistEntry {
  StudyInstanceUID: string;
  /** Smaller is more urgent (e.g. 0 STAT, 1 urgent, 2 routine); equal for all when unknown. */
  clinicalPriority: number;
  importedAt: string;
  triage?: Pick<StudyTriageResult, 'status' | 'findings'> | null;
  /** The study's reading status; a read one (reported, delivered) goes below every unread one. */
  status?: StudyStatus;
}

function topScore(e: WorklistEntry): number {
  return e.triage && e.triage.status === 'done' ? Math.max(...e.triage.findings.map((f) => f.score)) : -1;
}

export function compareWorklist(a: WorklistEntry, b: WorklistEntry): number {
  return (
    Number(isRead(a.status)) - Number(isRead(b.status)) ||
    a.clinicalPriority - b.clinicalPriority ||
    RANK[aiPriority(a.triage)] - RANK[aiPriority(b.triage)] ||
    topScore(b) - topScore(a) ||
    a.importedAt.localeCompare(b.importedAt) ||
    a.StudyInstanceUID.localeCompare(b.StudyInstanceUID)
  );
}

export function orderWorklist<T extends WorklistEntry>(entries: T[]): T[] {
  return [...entries].sort(compareWorklist);
}
