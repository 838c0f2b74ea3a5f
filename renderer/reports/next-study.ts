// After signing: the study as the worklist now has it, and the study to read next
// (reading-order.ts), both fresh from the host.
import type { StudySummary } from '../../core/contract/studies';
import { services } from '../shell';
import { firstUnread } from './reading-order';

/** The study's summary as the worklist now shows it, and the next study to read. */
export async function afterSigning(current: string): Promise<{ study?: StudySummary; next?: StudySummary }> {
  const [studies, triage] = await Promise.all([services.studies.listStudies(), services.triage.listStudyTriage()]);
  return { study: studies.find((s) => s.StudyInstanceUID === current), next: firstUnread(studies, triage, current) };
}
