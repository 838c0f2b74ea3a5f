// The study a report is about, as a StudyReference: from the store's catalogue (the normal path,
// `amur report draft --study UID`) or from DICOM files read directly (tests, and media not imported).
// Patient and study attributes come from the instance headers, the source of truth the SR copies.
import { AmurError } from '../common/errors.js';
import { errorMessage } from '../i18n/index.js';
import type { StudyStore } from '../store/store.js';
import { readSourceSync, sourcePath, type FileSource } from '../vault/file-cipher.js';
import { readPart10, type Dataset } from './dcmjs.js';
import type { SeriesReference, StudyReference } from './draft.js';

const PATIENT_STUDY_KEYWORDS = [
  'StudyInstanceUID', 'StudyID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyDescription',
  'ReferringPhysicianName', 'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex',
] as const;

/** dcmjs gives PN as {Alphabetic, Ideographic, Phonetic}; DICOM writes them as groups joined by "=". */
export function personNameString(v: unknown): string {
  const x = Array.isArray(v) ? v[0] : v;
  if (x === undefined || x === null) return '';
  if (typeof x === 'string') return x;
  const o = x as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  const groups = [o.Alphabetic ?? '', o.Ideographic ?? '', o.Phonetic ?? ''];
  while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop();
  return groups.join('=');
}

function text(ds: Dataset, k: string): string {
  const v = ds[k];
  if (k.endsWith('Name') && k !== 'StudyDescription') return personNameString(v);
  if (v === undefined || v === null) return '';
  return String(Array.isArray(v) ? v[0] ?? '' : v);
}

function header(file: FileSource): Dataset {
  const path = sourcePath(file);
  let buf: Buffer;
  try {
    buf = readSourceSync(file);
  } catch (e) {
    throw new AmurError('reports.studyFileUnreadable', { path, detail: errorMessage(e) }, { cause: e });
  }
  try {
    return readPart10(buf, { untilTag: '7FE00010' }).dataset;
  } catch (e) {
    throw new AmurError('reports.studyFileUnreadable', { path, detail: (e as Error).message }, { cause: e });
  }
}

function patientStudy(ds: Dataset): Omit<StudyReference, 'series'> {
  const out = {} as Record<string, string>;
  for (const k of PATIENT_STUDY_KEYWORDS) out[k] = text(ds, k);
  return out as unknown as Omit<StudyReference, 'series'>;
}

/** A study reference from DICOM files of one study (the first file gives the patient/study attributes). */
export function studyReferenceFromFiles(paths: string[]): StudyReference {
  if (paths.length === 0) throw new AmurError('reports.studyNotFound', { study: '-' });
  let base: Omit<StudyReference, 'series'> | undefined;
  const series = new Map<string, SeriesReference>();
  for (const p of paths) {
    const ds = header(p);
    const ps = patientStudy(ds);
    if (!base) base = ps;
    else if (ps.StudyInstanceUID !== base.StudyInstanceUID) {
      throw new AmurError('reports.mixedStudies', { path: p, study: base.StudyInstanceUID });
    }
    const uid = text(ds, 'SeriesInstanceUID');
    let se = series.get(uid);
    if (!se) series.set(uid, (se = { SeriesInstanceUID: uid, Modality: text(ds, 'Modality'), instances: [] }));
    se.instances.push({ SOPClassUID: text(ds, 'SOPClassUID'), SOPInstanceUID: text(ds, 'SOPInstanceUID') });
  }
  return { ...base!, series: [...series.values()] };
}

/** A study reference from the store's catalogue; the first instance's file gives the patient module. */
export function studyReferenceFromStore(store: StudyStore, StudyInstanceUID: string): StudyReference {
  const summary = store.listStudies().find((s) => s.StudyInstanceUID === StudyInstanceUID);
  if (!summary) throw new AmurError('reports.studyNotFound', { study: StudyInstanceUID });
  const series: SeriesReference[] = store.listSeries(StudyInstanceUID)
    // An earlier report (SR or encapsulated document) is not evidence for a new one.
    .filter((se) => se.Modality !== 'SR' && se.Modality !== 'DOC')
    .map((se) => ({
      SeriesInstanceUID: se.SeriesInstanceUID,
      Modality: se.Modality,
      instances: store.listInstances(se.SeriesInstanceUID).map((i) => ({ SOPClassUID: i.SOPClassUID, SOPInstanceUID: i.SOPInstanceUID })),
    }))
    .filter((se) => se.instances.length > 0);
  if (series.length === 0) throw new AmurError('reports.studyHasNoImages', { study: StudyInstanceUID });
  const first = store.instanceFile(series[0]!.instances[0]!.SOPInstanceUID);
  const ps = first ? patientStudy(header(first)) : undefined;
  return {
    StudyInstanceUID,
    StudyID: ps?.StudyID ?? '',
    StudyDate: summary.StudyDate,
    StudyTime: summary.StudyTime,
    AccessionNumber: summary.AccessionNumber,
    StudyDescription: summary.StudyDescription,
    ReferringPhysicianName: ps?.ReferringPhysicianName ?? '',
    PatientName: summary.PatientName,
    PatientID: summary.PatientID,
    IssuerOfPatientID: ps?.IssuerOfPatientID ?? '',
    PatientBirthDate: summary.PatientBirthDate,
    PatientSex: summary.PatientSex,
    series,
  };
}
