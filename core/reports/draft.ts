// The report draft: what the radiologist has decided so far, as one JSON document (its format is
// documented in the README under "Report draft"). A draft is plain data so that it can be autosaved,
// edited in the UI or by hand, and signed later; signing turns it into the SR, the Encapsulated PDF
// and the PDF. Everything a signed report says comes from the draft and its template, nothing else.
import { randomUUID } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import type { AiFinding, MeasurementKind, MeasurementUnit, Observer, PredecessorReference, ReaderLanguage, ReportDraft, StudyReference } from '../contract/reports.js';
import { findingById, loadTemplate, sectionOfKind, type ReportTemplate } from './template.js';

export const DRAFT_FORMAT = 'amur.report-draft/1';

export type {
  ReaderLanguage, InstanceReference, SeriesReference, StudyReference, LanguageText, SectionText, SelectedFinding,
  MeasurementKind, MeasurementUnit, MeasurementValue, Measurement, ModelIdentity, AiFinding, Observer,
  PredecessorReference, ReportDraft,
} from '../contract/reports.js';

/** A new, empty draft for a study. */
export function createDraft(
  study: StudyReference,
  template: ReportTemplate,
  options: { reader?: ReaderLanguage; observer?: Partial<Observer>; now?: Date; predecessor?: PredecessorReference } = {},
): ReportDraft {
  const draft: ReportDraft = {
    format: DRAFT_FORMAT,
    draftId: randomUUID(),
    createdAt: (options.now ?? new Date()).toISOString(),
    study,
    template: { id: template.id, version: template.version },
    languages: { partner: 'zh-CN', reader: options.reader ?? 'ru' },
    findings: [],
    texts: [],
    impression: [],
    measurements: [],
    aiFindings: [],
    observer: { name: options.observer?.name ?? '', organization: options.observer?.organization ?? '' },
  };
  if (options.predecessor) draft.predecessor = options.predecessor;
  return draft;
}

// ---- validation ---------------------------------------------------------------------------------

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const LANGS = new Set(['zh-CN', 'ru', 'en']);
const KINDS = new Set<MeasurementKind>(['length', 'area', 'mean', 'stdDev', 'min', 'max']);
const UNITS = new Set<MeasurementUnit>(['mm', 'mm2', 'HU', '1']);

function bad(path: string, field: string): never {
  throw new AmurError('reports.draftInvalid', { path, field });
}

function isUid(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 64 && UID.test(v);
}

function str(o: any, k: string, path: string, field: string): void {
  if (typeof o?.[k] !== 'string') bad(path, `${field}${k}`);
}

export interface ValidatedDraft {
  draft: ReportDraft;
  template: ReportTemplate;
}

/**
 * Checks a parsed draft against its format and its template: every reference it makes (findings,
 * sections, images) must exist, so that a signed report never points at nothing.
 * `path` names the draft in errors.
 */
export function validateDraft(raw: unknown, path: string): ValidatedDraft {
  const d = raw as ReportDraft;
  if (!d || typeof d !== 'object') bad(path, '(root)');
  if (d.format !== DRAFT_FORMAT) bad(path, 'format');
  str(d, 'draftId', path, '');
  if (typeof d.createdAt !== 'string' || Number.isNaN(Date.parse(d.createdAt))) bad(path, 'createdAt');

  const s = d.study;
  if (!s || typeof s !== 'object') bad(path, 'study');
  if (!isUid(s.StudyInstanceUID)) bad(path, 'study.StudyInstanceUID');
  for (const k of ['StudyID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyDescription', 'ReferringPhysicianName',
    'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex']) str(s, k, path, 'study.');
  if (!Array.isArray(s.series) || s.series.length === 0) bad(path, 'study.series');
  const images = new Map<string, string>();
  s.series.forEach((se, i) => {
    if (!isUid(se.SeriesInstanceUID)) bad(path, `study.series[${i}].SeriesInstanceUID`);
    str(se, 'Modality', path, `study.series[${i}].`);
    if (!Array.isArray(se.instances)) bad(path, `study.series[${i}].instances`);
    se.instances.forEach((x, j) => {
      if (!isUid(x.SOPClassUID)) bad(path, `study.series[${i}].instances[${j}].SOPClassUID`);
      if (!isUid(x.SOPInstanceUID)) bad(path, `study.series[${i}].instances[${j}].SOPInstanceUID`);
      images.set(x.SOPInstanceUID, x.SOPClassUID);
    });
  });
  if (images.size === 0) bad(path, 'study.series[].instances');

  if (!d.template || typeof d.template.id !== 'string') bad(path, 'template.id');
  const template = loadTemplate(d.template.id);
  if (d.template.version !== template.version) bad(path, 'template.version');

  if (d.languages?.partner !== 'zh-CN') bad(path, 'languages.partner');
  if (d.languages.reader !== 'ru' && d.languages.reader !== 'en') bad(path, 'languages.reader');

  if (!Array.isArray(d.findings)) bad(path, 'findings');
  const seen = new Set<string>();
  d.findings.forEach((f, i) => {
    if (typeof f?.id !== 'string' || !findingById(template, f.id) || seen.has(f.id)) bad(path, `findings[${i}].id`);
    seen.add(f.id);
  });

  const textSections = new Set(template.sections.filter((x) => x.kind !== 'impression').map((x) => x.id));
  if (!Array.isArray(d.texts)) bad(path, 'texts');
  d.texts.forEach((t, i) => {
    if (!textSections.has(t?.section)) bad(path, `texts[${i}].section`);
    if (!LANGS.has(t.lang)) bad(path, `texts[${i}].lang`);
    if (typeof t.text !== 'string') bad(path, `texts[${i}].text`);
  });
  if (!Array.isArray(d.impression)) bad(path, 'impression');
  d.impression.forEach((t, i) => {
    if (!LANGS.has(t?.lang)) bad(path, `impression[${i}].lang`);
    if (typeof t.text !== 'string') bad(path, `impression[${i}].text`);
  });

  if (!Array.isArray(d.measurements)) bad(path, 'measurements');
  const tracking = new Set<string>();
  d.measurements.forEach((m, i) => {
    const f = `measurements[${i}]`;
    if (!isUid(m?.trackingUID) || tracking.has(m.trackingUID)) bad(path, `${f}.trackingUID`);
    tracking.add(m.trackingUID);
    if (typeof m.label !== 'string' || !m.label || m.label.length > 1024) bad(path, `${f}.label`);
    if (m.findingId !== undefined && !findingById(template, m.findingId)) bad(path, `${f}.findingId`);
    if (!Array.isArray(m.values) || m.values.length === 0) bad(path, `${f}.values`);
    m.values.forEach((v, j) => {
      if (!KINDS.has(v?.kind)) bad(path, `${f}.values[${j}].kind`);
      if (typeof v.value !== 'number' || !Number.isFinite(v.value)) bad(path, `${f}.values[${j}].value`);
      if (!UNITS.has(v.unit)) bad(path, `${f}.values[${j}].unit`);
    });
    if (!m.image || images.get(m.image.SOPInstanceUID) !== m.image.SOPClassUID) bad(path, `${f}.image`);
    if (m.image.frame !== undefined && !(Number.isInteger(m.image.frame) && m.image.frame >= 1)) bad(path, `${f}.image.frame`);
    const g = m.graphic;
    if (!g || !['POINT', 'POLYLINE', 'ELLIPSE', 'CIRCLE'].includes(g.type)) bad(path, `${f}.graphic.type`);
    const minPoints = { POINT: 2, POLYLINE: 4, ELLIPSE: 8, CIRCLE: 4 }[g.type];
    if (!Array.isArray(g.points) || g.points.length < minPoints || g.points.length % 2 !== 0
      || g.points.some((p) => typeof p !== 'number' || !Number.isFinite(p))) bad(path, `${f}.graphic.points`);
  });

  if (!Array.isArray(d.aiFindings)) bad(path, 'aiFindings');
  d.aiFindings.forEach((a, i) => {
    const f = `aiFindings[${i}]`;
    str(a, 'id', path, `${f}.`);
    if (!a.model || typeof a.model.name !== 'string' || !a.model.name) bad(path, `${f}.model.name`);
    if (typeof a.model.version !== 'string' || !a.model.version) bad(path, `${f}.model.version`);
    if (typeof a.model.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(a.model.sha256)) bad(path, `${f}.model.sha256`);
    if (typeof a.findingId !== 'string' || !findingById(template, a.findingId)) bad(path, `${f}.findingId`);
    if (a.score !== undefined && !(typeof a.score === 'number' && a.score >= 0 && a.score <= 1)) bad(path, `${f}.score`);
    if (!['proposed', 'accepted', 'rejected'].includes(a.status)) bad(path, `${f}.status`);
  });

  if (!d.observer || typeof d.observer.name !== 'string') bad(path, 'observer.name');
  str(d.observer, 'organization', path, 'observer.');

  if (d.predecessor !== undefined) {
    const p = d.predecessor;
    for (const k of ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPClassUID', 'SOPInstanceUID'] as const) {
      if (!isUid(p?.[k])) bad(path, `predecessor.${k}`);
    }
  }
  sectionOfKind(template, 'impression');
  return { draft: d, template };
}

/** Accepted AI findings whose concept the radiologist did not also pick by hand. */
export function acceptedAiFindings(d: ReportDraft): AiFinding[] {
  return d.aiFindings.filter((a) => a.status === 'accepted');
}

/** A DICOM UID from a random UUID (PS3.5 B.2: the 2.25 root). */
export function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}
