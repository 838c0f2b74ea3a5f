// A study's measurements as a DICOM Comprehensive SR following TID 1500 (Measurement Report), and
// read back. Written with dcmjs through the report writers' helpers (core/reports/dcmjs.ts, codes.ts),
// so the codes and units are the ones the TID 2000 report uses for the same numbers.
//
// Content tree:
//   CONTAINER (126000, DCM, Imaging Measurement Report)      ContentTemplateSequence DCMR/1500
//     HAS CONCEPT MOD CODE Language of Content Item and Descendants = English (TID 1204)
//     HAS OBS CONTEXT CODE Observer Type = Device; UIDREF Device Observer UID; TEXT Device Observer Name
//     HAS CONCEPT MOD CODE Procedure Reported = Imaging procedure
//     CONTAINS CONTAINER Image Library > CONTAINER Image Library Group > IMAGE ...   one per measured image
//     CONTAINS CONTAINER Imaging Measurements
//       CONTAINS CONTAINER Measurement Group (TID 1501)                 one per measurement
//         HAS OBS CONTEXT TEXT Tracking Identifier; UIDREF Tracking Unique Identifier
//         CONTAINS NUM <Length | Angle | Area | Mean | SD | Min | Max | Attenuation Coefficient>
//           INFERRED FROM SCOORD <graphic> > SELECTED FROM IMAGE
//         CONTAINS TEXT Comment "<arrow text>" > INFERRED FROM SCOORD (an arrow: tip, then tail)
//
// The graphic says which tool drew it, so a read gives back the same measurements: a 2-point
// POLYLINE with a Length is a line, a 3-point one with an Angle an angle (vertex second), an
// ELLIPSE (major axis, then minor axis end points) an elliptical ROI, a closed 5-point POLYLINE
// a rectangle, a POINT a probe.
import { DCM, MEASUREMENT_CONCEPTS, UNITS, code, codeFromItem, codeItem, sameCode } from '../reports/codes.js';
import { IMPLEMENTATION_CLASS_UID, readPart10, writePart10, type Dataset } from '../reports/dcmjs.js';
import { dicomDateTime } from '../reports/content.js';
import { newUid, type StudyReference } from '../reports/draft.js';
import { MANUFACTURER, languageModifier, patientStudyModules } from '../reports/sr.js';
import type { Code } from '../reports/template.js';
import { graphicOf } from './report-groups.js';
import type { ImagePoint, MeasuredQuantity, MeasuredUnit, MeasuredValue, MeasurementToolType, StudyMeasurement } from '../contract/measurements.js';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
/** After the report's series (9001), so both sort after the images. */
export const MEASUREMENT_SERIES_NUMBER = 9002;

const TID1500 = {
  imagingMeasurementReport: code('126000', 'DCM', 'Imaging Measurement Report'),
  procedureReported: code('121058', 'DCM', 'Procedure reported'),
  imagingProcedure: code('363679005', 'SCT', 'Imaging procedure'),
  imageLibrary: code('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: code('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: code('126010', 'DCM', 'Imaging Measurements'),
};

/** Concepts for the quantities the report's TID 2000 writer has no concept for. */
const EXTRA_CONCEPTS = {
  angle: code('1483009', 'SCT', 'Angle'),
  attenuation: code('112031', 'DCM', 'Attenuation Coefficient'),
};

const EXTRA_UNITS: Record<'deg' | 'px' | 'px2', Code> = {
  deg: code('deg', 'UCUM', 'degree'),
  // UCUM has no pixel; {pixels} is an annotation, as DICOM recommends for counted units.
  px: code('{pixels}', 'UCUM', 'pixels'),
  px2: code('{pixels2}', 'UCUM', 'square pixels'),
};

function conceptOf(v: MeasuredValue): Code {
  if (v.quantity === 'angle') return EXTRA_CONCEPTS.angle;
  if (v.quantity === 'value') return v.unit === 'HU' ? EXTRA_CONCEPTS.attenuation : MEASUREMENT_CONCEPTS.mean;
  return MEASUREMENT_CONCEPTS[v.quantity];
}

function unitOf(u: MeasuredUnit): Code {
  return u === 'deg' || u === 'px' || u === 'px2' ? EXTRA_UNITS[u] : UNITS[u];
}

/** DS holds at most 16 characters. */
function ds(v: number): string {
  for (let digits = 8; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(6);
}

type Rel = 'CONTAINS' | 'HAS CONCEPT MOD' | 'HAS OBS CONTEXT' | 'INFERRED FROM' | 'SELECTED FROM';
const item = (rel: Rel, valueType: string, concept: Code | undefined, extra: Dataset = {}): Dataset => ({
  RelationshipType: rel,
  ValueType: valueType,
  ...(concept ? { ConceptNameCodeSequence: [codeItem(concept)] } : {}),
  ...extra,
});

function imageRef(m: StudyMeasurement): Dataset {
  return {
    ReferencedSOPClassUID: m.image.SOPClassUID,
    ReferencedSOPInstanceUID: m.image.SOPInstanceUID,
    // Referenced Frame Number is 1-based, and only meaningful for a multi-frame image.
    ...(m.image.frame > 0 ? { ReferencedFrameNumber: m.image.frame + 1 } : {}),
  };
}

function scoord(m: StudyMeasurement): Dataset {
  const g = graphicOf(m);
  return item('INFERRED FROM', 'SCOORD', undefined, {
    GraphicType: g.type,
    GraphicData: g.points,
    ContentSequence: [item('SELECTED FROM', 'IMAGE', undefined, { ReferencedSOPSequence: [imageRef(m)] })],
  });
}

function group(m: StudyMeasurement): Dataset {
  const children: Dataset[] = [
    item('HAS OBS CONTEXT', 'TEXT', DCM.trackingIdentifier, { TextValue: m.label }),
    item('HAS OBS CONTEXT', 'UIDREF', DCM.trackingUniqueIdentifier, { UID: m.trackingUID }),
  ];
  for (const v of m.values) {
    children.push(item('CONTAINS', 'NUM', conceptOf(v), {
      MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [codeItem(unitOf(v.unit))], NumericValue: ds(v.value) }],
      ContentSequence: [scoord(m)],
    }));
  }
  if (m.toolType === 'ArrowAnnotate') {
    children.push(item('CONTAINS', 'TEXT', DCM.comment, { TextValue: m.text ?? '', ContentSequence: [scoord(m)] }));
  }
  return item('CONTAINS', 'CONTAINER', DCM.measurementGroup, { ContinuityOfContent: 'SEPARATE', ContentSequence: children });
}

/** Amur itself is the device observer, identified by its implementation class UID. */
const AMUR_DEVICE_UID = IMPLEMENTATION_CLASS_UID;

export interface MeasurementReportIds {
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
}

/** The Measurement Report of a study as a naturalized data set. */
export function buildMeasurementReport(study: StudyReference, measurements: StudyMeasurement[], now = new Date(), ids?: MeasurementReportIds): Dataset {
  const t = dicomDateTime(now);
  const images = new Map<string, StudyMeasurement>();
  for (const m of measurements) images.set(`${m.image.SOPInstanceUID}/${m.image.frame}`, m);
  const library = [...images.values()].map((m) => item('CONTAINS', 'IMAGE', undefined, { ReferencedSOPSequence: [imageRef(m)] }));
  const root: Dataset[] = [
    languageModifier('en'),
    item('HAS OBS CONTEXT', 'CODE', DCM.observerType, { ConceptCodeSequence: [codeItem(DCM.device)] }),
    item('HAS OBS CONTEXT', 'UIDREF', DCM.deviceObserverUID, { UID: AMUR_DEVICE_UID }),
    item('HAS OBS CONTEXT', 'TEXT', DCM.deviceObserverName, { TextValue: MANUFACTURER }),
    item('HAS CONCEPT MOD', 'CODE', TID1500.procedureReported, { ConceptCodeSequence: [codeItem(TID1500.imagingProcedure)] }),
    item('CONTAINS', 'CONTAINER', TID1500.imageLibrary, {
      ContinuityOfContent: 'SEPARATE',
      ContentSequence: library.length ? [item('CONTAINS', 'CONTAINER', TID1500.imageLibraryGroup, { ContinuityOfContent: 'SEPARATE', ContentSequence: library })] : [],
    }),
    item('CONTAINS', 'CONTAINER', TID1500.imagingMeasurements, { ContinuityOfContent: 'SEPARATE', ContentSequence: measurements.map(group) }),
  ];
  const bySeries = new Map<string, Dataset[]>();
  for (const m of images.values()) {
    const list = bySeries.get(m.image.SeriesInstanceUID) ?? [];
    if (!list.some((r) => r.ReferencedSOPInstanceUID === m.image.SOPInstanceUID)) {
      list.push({ ReferencedSOPClassUID: m.image.SOPClassUID, ReferencedSOPInstanceUID: m.image.SOPInstanceUID });
    }
    bySeries.set(m.image.SeriesInstanceUID, list);
  }
  const s = study;
  const out: Dataset = {
    ...patientStudyModules(s),
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: ids?.SOPInstanceUID ?? newUid(),
    InstanceCreationDate: t.date,
    InstanceCreationTime: t.time,
    TimezoneOffsetFromUTC: '+0000',
    Modality: 'SR',
    SeriesInstanceUID: ids?.SeriesInstanceUID ?? newUid(),
    SeriesNumber: MEASUREMENT_SERIES_NUMBER,
    SeriesDescription: 'Measurements',
    ReferencedPerformedProcedureStepSequence: [],
    InstanceNumber: 1,
    ContentDate: t.date,
    ContentTime: t.time,
    // Measurements taken while reading: complete as a set, but not a verified (signed) document.
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(TID1500.imagingMeasurementReport)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: root,
  };
  if (bySeries.size) {
    out.CurrentRequestedProcedureEvidenceSequence = [{
      StudyInstanceUID: s.StudyInstanceUID,
      ReferencedSeriesSequence: [...bySeries].map(([SeriesInstanceUID, refs]) => ({ SeriesInstanceUID, ReferencedSOPSequence: refs })),
    }];
  }
  return out;
}

export function writeMeasurementReport(study: StudyReference, measurements: StudyMeasurement[], now = new Date(), ids?: MeasurementReportIds): Buffer {
  return writePart10(buildMeasurementReport(study, measurements, now, ids));
}

// ---- reading ------------------------------------------------------------------------------------

/** A measurement as read from a Measurement Report. */
export interface ReadMeasurementGroup {
  trackingUID: string;
  label: string;
  toolType: MeasurementToolType;
  image: { SOPClassUID: string; SOPInstanceUID: string; frame: number };
  points: ImagePoint[];
  values: MeasuredValue[];
  text?: string;
}

export interface ReadMeasurementReport {
  SOPInstanceUID: string;
  StudyInstanceUID: string;
  PatientID: string;
  templateIdentifier: string;
  measurements: ReadMeasurementGroup[];
}

const seq = (v: unknown): Dataset[] => (Array.isArray(v) ? v : v ? [v as Dataset] : []);
const is = (i: Dataset, c: Code): boolean => sameCode(codeFromItem(i.ConceptNameCodeSequence), c);

function quantityOf(concept: Code | undefined): MeasuredQuantity | undefined {
  if (!concept) return undefined;
  if (sameCode(concept, EXTRA_CONCEPTS.angle)) return 'angle';
  if (sameCode(concept, EXTRA_CONCEPTS.attenuation)) return 'value';
  return (Object.keys(MEASUREMENT_CONCEPTS) as (keyof typeof MEASUREMENT_CONCEPTS)[]).find((k) => sameCode(concept, MEASUREMENT_CONCEPTS[k]));
}

function unitFrom(c: Code | undefined): MeasuredUnit | undefined {
  if (!c) return undefined;
  for (const [u, x] of Object.entries(EXTRA_UNITS)) if (sameCode(c, x)) return u as MeasuredUnit;
  for (const [u, x] of Object.entries(UNITS)) if (sameCode(c, x)) return u as MeasuredUnit;
  return undefined;
}

function toolFrom(type: string, pts: ImagePoint[], values: MeasuredValue[], hasText: boolean): { toolType: MeasurementToolType; points: ImagePoint[] } {
  if (type === 'POINT') return { toolType: 'Probe', points: pts.slice(0, 1) };
  if (type === 'ELLIPSE') {
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    return { toolType: 'EllipticalRoi', points: [{ x: Math.min(...xs), y: Math.min(...ys) }, { x: Math.max(...xs), y: Math.max(...ys) }] };
  }
  if (hasText) return { toolType: 'ArrowAnnotate', points: pts.slice(0, 2) };
  if (pts.length === 5) return { toolType: 'RectangleRoi', points: [pts[0]!, pts[2]!] };
  if (pts.length === 3 || values.some((v) => v.quantity === 'angle')) return { toolType: 'Angle', points: pts.slice(0, 3) };
  return { toolType: 'Length', points: pts.slice(0, 2) };
}

function readGroup(g: Dataset): ReadMeasurementGroup {
  const kids = seq(g.ContentSequence);
  const values: MeasuredValue[] = [];
  let graphic: Dataset | undefined;
  let text: string | undefined;
  for (const k of kids) {
    if (k.ValueType === 'NUM') {
      const mv = seq(k.MeasuredValueSequence)[0];
      const quantity = quantityOf(codeFromItem(k.ConceptNameCodeSequence));
      const unit = unitFrom(codeFromItem(mv?.MeasurementUnitsCodeSequence));
      if (quantity && unit && mv) values.push({ quantity: quantity === 'mean' && seq(k.ContentSequence).some((c) => c.GraphicType === 'POINT') ? 'value' : quantity, value: Number(mv.NumericValue), unit });
    } else if (k.ValueType === 'TEXT' && is(k, DCM.comment)) {
      text = String(k.TextValue ?? '');
    }
    graphic ??= seq(k.ContentSequence).find((c) => c.ValueType === 'SCOORD');
  }
  const data = seq(graphic?.GraphicData).map(Number);
  const pts: ImagePoint[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) pts.push({ x: data[i]!, y: data[i + 1]! });
  const ref = seq(seq(graphic?.ContentSequence).find((c) => c.ValueType === 'IMAGE')?.ReferencedSOPSequence)[0] ?? {};
  const frameNumber = Number(Array.isArray(ref.ReferencedFrameNumber) ? ref.ReferencedFrameNumber[0] : ref.ReferencedFrameNumber);
  const tool = toolFrom(String(graphic?.GraphicType ?? ''), pts, values, text !== undefined);
  const out: ReadMeasurementGroup = {
    trackingUID: String(kids.find((k) => is(k, DCM.trackingUniqueIdentifier))?.UID ?? ''),
    label: String(kids.find((k) => is(k, DCM.trackingIdentifier))?.TextValue ?? ''),
    ...tool,
    image: { SOPClassUID: String(ref.ReferencedSOPClassUID ?? ''), SOPInstanceUID: String(ref.ReferencedSOPInstanceUID ?? ''), frame: frameNumber > 0 ? frameNumber - 1 : 0 },
    values,
  };
  if (text !== undefined) out.text = text;
  return out;
}

export function readMeasurementReport(buf: Uint8Array): ReadMeasurementReport {
  const { dataset } = readPart10(buf);
  const measurements = seq(dataset.ContentSequence).find((c) => is(c, TID1500.imagingMeasurements));
  return {
    SOPInstanceUID: String(dataset.SOPInstanceUID),
    StudyInstanceUID: String(dataset.StudyInstanceUID),
    PatientID: String(dataset.PatientID ?? ''),
    templateIdentifier: String(seq(dataset.ContentTemplateSequence)[0]?.TemplateIdentifier ?? ''),
    measurements: seq(measurements?.ContentSequence).filter((c) => is(c, DCM.measurementGroup)).map(readGroup),
  };
}
