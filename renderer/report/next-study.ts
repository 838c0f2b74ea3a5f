// The study to read after the one just signed: the first unread study in the worklist's reading
// order (renderer/worklist: unread before reported, the soonest deadline first, then the AI's
// ranking), so the radiologist is offered what the worklist would put at its top.
import type { StudySummary } from '../../core/contract/studies';
import type { StudyTriageResult } from '../../core/contract/triage';
import { compareWorklist } from '../../core/triage/priority';
import { services } from '../shell';

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

/** The study's summary as the worklist now shows it, and the next study to read. */
export async function afterSigning(current: string): Promise<{ study?: StudySummary; next?: StudySummary }> {
  const [studies, triage] = await Promise.all([services.studies.listStudies(), services.triage.listStudyTriage()]);
  return { study: studies.find((s) => s.StudyInstanceUID === current), next: firstUnread(studies, triage, current) };
}
