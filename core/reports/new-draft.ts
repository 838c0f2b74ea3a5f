// A new draft for a study in the store: the study as the catalogue and its files say, the template
// that fits (or the one asked for), the AI's stored positive findings proposed, the measurements
// saved in the viewer, and for an amendment the signed SR it replaces. Shared by `amur report draft` and the report service.
import { audit } from '../audit/index.js';
import { getCase } from '../cases/cases.js';
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { AmurError } from '../common/errors.js';
import { draftMeasurementsFromStore } from '../measurements/draft-sync.js';
import type { StudyStore } from '../store/store.js';
import { TriageResults } from '../triage/results.js';
import { aiProposalsFromTriage } from './ai.js';
import { readPart10 } from './dcmjs.js';
import { createDraft, type Observer, type PredecessorReference, type ReaderLanguage, type ReportDraft } from './draft.js';
import { studyReferenceFromStore } from './study.js';
import { isStudyFile, signedFileContext, StudyFiles, type StudyKeys } from './study-file.js';
import { loadTemplate, templateForStudy } from './template.js';

export interface NewDraftOptions {
  templateId?: string;
  reader?: ReaderLanguage;
  observer?: Partial<Observer>;
  /** Path of the signed SR an amendment replaces (a report signed into a folder, or one kept here). */
  amends?: string;
  /** The signed SR an amendment replaces, already read (the report service opens its own). */
  predecessor?: PredecessorReference;
}

/** The reference an amendment makes to the signed SR it replaces; `name` names the SR in errors. */
export function predecessorFromSR(bytes: Buffer, name: string): PredecessorReference {
  let ds;
  try {
    ds = readPart10(bytes, { untilTag: '7FE00010' }).dataset;
  } catch (e) {
    throw new AmurError('reports.studyFileUnreadable', { path: name, detail: (e as Error).message }, { cause: e });
  }
  return {
    StudyInstanceUID: String(ds.StudyInstanceUID ?? ''),
    SeriesInstanceUID: String(ds.SeriesInstanceUID ?? ''),
    SOPClassUID: String(ds.SOPClassUID ?? ''),
    SOPInstanceUID: String(ds.SOPInstanceUID ?? ''),
  };
}

/**
 * The predecessor from a signed SR file: one the user signed into a folder of theirs (clear), or
 * one kept sealed under AMUR_HOME/reports/signed/<SR UID>/, which the store's keys open.
 */
export function predecessorFromFile(store: StudyKeys, path: string): PredecessorReference {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new AmurError('reports.studyFileUnreadable', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
  if (isStudyFile(bytes)) {
    bytes = new StudyFiles(store).open(bytes, signedFileContext(basename(dirname(path)), basename(path)), path).plain;
  }
  return predecessorFromSR(bytes, path);
}

export function newDraftForStudy(store: StudyStore, StudyInstanceUID: string, options: NewDraftOptions = {}): ReportDraft {
  const study = studyReferenceFromStore(store, StudyInstanceUID);
  const template = options.templateId
    ? loadTemplate(options.templateId)
    : templateForStudy([...new Set(study.series.map((s) => s.Modality))], study.StudyDescription);
  const d = createDraft(study, template, {
    reader: options.reader,
    observer: options.observer,
    predecessor: options.predecessor ?? (options.amends ? predecessorFromFile(store, options.amends) : undefined),
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
