// The study to read after the one just signed: the first unread study in the worklist's reading
// order (renderer/worklist: unread before reported, the soonest deadline first, then the AI's
// ranking), so the radiologist is offered what the worklist would put at its top. Plain data in,
// plain data out, so it is tested in Node.
import type { StudySummary } from '../../core/contract/studies.js';
import type { StudyTriageResult } from '../../core/contract/triage.js';
import { compareWorklist } from '../../core/triage/priority.js';

const READ = new Set(['reported', 'delivered']);

/** The first of `studies` not yet reported, other than `current`, in reading order. */
export function firstUnread(studies: StudySummary[], triage: StudyTriageResult[], current: string): StudySummary | undefined {
  const byStudy = new Map(triage.map((r) => [r.StudyInstanceUID, r]));
  const entry = (s: StudySummary) => ({ StudyInstanceUID: s.StudyInstanceUID, clinicalPriority: 0, importedAt: s.importedAt, triage: byStudy.get(s.StudyInstanceUID) });
  const deadline = (s: StudySummary) => s.case?.deadlineAt;
  return studies
    .filter((s) => s.StudyInstanceUID !== current && !READ.has(s.status))
    .sort((a, b) => {
      const da = deadline(a);
      const db = deadline(b);
      return (da && db ? Date.parse(da) - Date.parse(db) : da ? -1 : db ? 1 : 0) || compareWorklist(entry(a), entry(b));
    })[0];
}
