// The measurement groups a report draft should carry: the study's saved measurements now, mapped by
// report-groups.ts. The report service calls this when it creates, saves or signs a draft, so the
// signed report lists exactly what the viewer shows, whichever window or command made the draft:
// the measurements the radiologist chose for the report (inReport), none of those left out.
import type { Measurement } from '../reports/draft.js';
import type { StudyStore } from '../store/store.js';
import { MeasurementRepository } from './repository.js';
import { isInReport, toDraftMeasurements } from './report-groups.js';

export function draftMeasurementsFromStore(store: StudyStore, StudyInstanceUID: string): Measurement[] {
  const out: Measurement[] = toDraftMeasurements(new MeasurementRepository(store).list(StudyInstanceUID).measurements.filter(isInReport));
  return out;
}
