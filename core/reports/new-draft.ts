// A new draft for a study in the store: the study as the catalogue and its files say, the template
// that fits (or the one asked for), the AI's stored positive findings proposed, the measurements
// saved in the viewer, and for an amendment the signed SR it replaces. Shared by `amur report draft` and the report service.
import { audit } from '../audit/index.js';
import { getCase } from '../cases/cases.js';
import { readFileSync } from 'node:fs';
import { AmurError } from '../common/errors.js';
import { draftMeasurementsFromStore } from '../measurements/draft-sync.js';
import type { StudyStore } from '../store/store.js';
import { TriageResults } from '../triage/results.js';
import { aiProposalsFromTriage } from './ai.js';
import { readPart10 } from './dcmjs.js';
import { createDraft, type Observer, type PredecessorReference, type ReaderLanguage, type ReportDraft } from './draft.js';
import { studyReferenceFromStore } from './study.js';
import { loadTemplate, templateForStudy } from './template.js';

export interface NewDraftOptions {
  templateId?: string;
  reader?: ReaderLanguage;
  observer?: Partial<Observer>;
  /** Path of the signed SR an amendment replaces. */
  amends?: string;
}

export function predecessorFromFile(path: string): PredecessorReference {
  let ds;
  try {
    ds = readPart10(readFileSync(path), { untilTag: '7FE00010' }).dataset;
  } catch (e) {
    throw new AmurError('reports.studyFileUnreadable', { path, detail: (e as Error).message }, { cause: e });
  }
  return {
    StudyInstanceUID: String(ds.StudyInstanceUID ?? ''),
    SeriesInstanceUID: String(ds.SeriesInstanceUID ?? ''),
    SOPClassUID: String(ds.SOPClassUID ?? ''),
    SOPInstanceUID: String(ds.SOPInstanceUID ?? ''),
  };
}

export function newDraftForStudy(store: StudyStore, StudyInstanceUID: string, options: NewDraftOptions = {}): ReportDraft {
  const study = studyReferenceFromStore(store, StudyInstanceUID);
  const template = options.templateId
    ? loadTemplate(options.templateId)
    : templateForStudy([...new Set(study.series.map((s) => s.Modality))], study.StudyDescription);
  const d = createDraft(study, template, {
    reader: options.reader,
    observer: options.observer,
    predecessor: options.amends ? predecessorFromFile(options.amends) : undefined,
  });
  // Every stored result counts, also one from a model since removed: it carries its own identity.
  const triage = new TriageResults(store.db);
  const modelIds = store.db.prepare(
    'SELECT DISTINCT r.model_id FROM triage_results r JOIN studies s ON s.id = r.study_id WHERE s.StudyInstanceUID = ? ORDER BY r.model_id',
  ).pluck().all(StudyInstanceUID) as string[];
  const results = modelIds.map((id) => triage.get(StudyInstanceUID, id)).filter((r) => r !== undefined);
  d.aiFindings = aiProposalsFromTriage(results, template);
  // The measurements made in the viewer, as the report's measurement groups.
  d.measurements = draftMeasurementsFromStore(store, StudyInstanceUID);
  audit(store.home, { action: 'report.draft', outcome: 'success', role: 'reader', agreement: getCase(store, StudyInstanceUID)?.agreementId, studies: [StudyInstanceUID], detail: { template: template.id, amends: Boolean(d.predecessor) } });
  return d;
}
