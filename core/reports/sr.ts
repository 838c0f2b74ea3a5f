// The report as a DICOM Comprehensive SR following TID 2000 (Basic Diagnostic Imaging Report), with
// TID 1500-style measurement groups, written with dcmjs. Text is UTF-8 (ISO_IR 192); a coded finding
// carries its code (readable in any language) and its text in the partner's and the reader's
// languages, each marked with TID 1204 (Language of Content Item and Descendants).
//
// Content tree (relationship, value type, concept name):
//   CONTAINER (18748-4, LN, Diagnostic Imaging Report)       ContentTemplateSequence DCMR/2000
//     HAS CONCEPT MOD  CODE  Language of Content Item and Descendants (reader's language)
//     HAS OBS CONTEXT  CODE  Observer Type = Person; PNAME Person Observer Name; TEXT Organization
//     CONTAINS CONTAINER <section heading, CID 7001>       one per section that has content
//       CONTAINS CODE Finding = <template code>            one per coded finding
//         HAS PROPERTIES TEXT Finding "<text>"             one per shown language, each with
//           HAS CONCEPT MOD CODE Language ...               its language (and country) modifier
//         HAS OBS CONTEXT ... Observer Type = Device ...    accepted AI findings only (TID 1004),
//         HAS CONCEPT MOD TEXT Algorithm Name/Version/Parameters (TID 4019), TEXT Comment
//       CONTAINS TEXT Finding "<partner's text>" + language   an uncoded finding (no code is
//         HAS PROPERTIES TEXT Finding "<reader's text>" + language   invented for it)
//       CONTAINS TEXT Finding/History/Impression/Recommendation "<free text>" + language modifier
//       CONTAINS CONTAINER Measurement Group (TID 1501 style)
//         HAS OBS CONTEXT TEXT Tracking Identifier; UIDREF Tracking Unique Identifier
//         CONTAINS CODE Finding (optional); CONTAINS NUM <Length, Area, Mean...>
//           INFERRED FROM SCOORD -> SELECTED FROM IMAGE
import type { Language } from '../i18n/index.js';
import {
  DCM,
  DIAGNOSTIC_IMAGING_REPORT,
  LANGUAGE_CODES,
  MEASUREMENT_CONCEPTS,
  UNITS,
  codeItem,
  textConceptForHeading,
} from './codes.js';
import { dicomDateTime, type ReportContent, type ReportFinding } from './content.js';
import { writePart10, type Dataset } from './dcmjs.js';
import type { LanguageText, Measurement, StudyReference } from './draft.js';
import { findingById, sectionOfKind, type Code, type TemplateSection } from './template.js';

export const COMPREHENSIVE_SR = '1.2.840.10008.5.1.4.1.1.88.33';
export const MANUFACTURER = 'Amur';
export const SOFTWARE_VERSION = '0.1.0';
/** Reports go into a series of their own; a high number keeps it after the image series. */
export const SR_SERIES_NUMBER = 9001;

export interface ObjectIds {
  SeriesInstanceUID: string;
  SOPInstanceUID: string;
}

type Rel = 'CONTAINS' | 'HAS PROPERTIES' | 'HAS CONCEPT MOD' | 'HAS OBS CONTEXT' | 'INFERRED FROM' | 'SELECTED FROM';

const item = (rel: Rel, valueType: string, concept: Code | undefined, extra: Dataset = {}): Dataset => ({
  RelationshipType: rel,
  ValueType: valueType,
  ...(concept ? { ConceptNameCodeSequence: [codeItem(concept)] } : {}),
  ...extra,
});

const codeValue = (rel: Rel, concept: Code, value: Code, equivalents: Code[] = [], children?: Dataset[]): Dataset =>
  item(rel, 'CODE', concept, { ConceptCodeSequence: [codeItem(value, equivalents)], ...(children?.length ? { ContentSequence: children } : {}) });

const textValue = (rel: Rel, concept: Code, text: string, children?: Dataset[]): Dataset =>
  item(rel, 'TEXT', concept, { TextValue: text, ...(children?.length ? { ContentSequence: children } : {}) });

/** TID 1204: the language (with its country) that a content item and its descendants are in. */
export function languageModifier(lang: Language): Dataset {
  const c = LANGUAGE_CODES[lang];
  return codeValue('HAS CONCEPT MOD', DCM.languageOfContent, c.language, [], [
    codeValue('HAS CONCEPT MOD', DCM.countryOfLanguage, c.country),
  ]);
}

function languageText(rel: Rel, concept: Code, t: LanguageText): Dataset {
  return textValue(rel, concept, t.text, [languageModifier(t.lang)]);
}

/** A DICOM UID for an AI model, stable for its weights: the 2.25 root over the first 128 bits of its SHA-256. */
export function modelDeviceUID(sha256: string): string {
  return `2.25.${BigInt(`0x${sha256.slice(0, 32)}`).toString()}`;
}

function aiProvenance(ai: NonNullable<ReportFinding['ai']>): Dataset[] {
  const m = ai.model;
  return [
    codeValue('HAS OBS CONTEXT', DCM.observerType, DCM.device),
    item('HAS OBS CONTEXT', 'UIDREF', DCM.deviceObserverUID, { UID: modelDeviceUID(m.sha256) }),
    textValue('HAS OBS CONTEXT', DCM.deviceObserverName, m.name.slice(0, 64)),
    textValue('HAS CONCEPT MOD', DCM.algorithmName, m.name),
    textValue('HAS CONCEPT MOD', DCM.algorithmVersion, m.version),
    textValue('HAS CONCEPT MOD', DCM.algorithmParameters, `sha256=${m.sha256}${ai.score !== undefined ? ` score=${ai.score}` : ''}`),
    textValue('HAS PROPERTIES', DCM.comment, AI_COMMENT),
  ];
}

function findingItem(f: ReportFinding, shown: Language[]): Dataset {
  const provenance = f.ai ? aiProvenance(f.ai) : [];
  if (!f.code) {
    // Uncoded: the partner's text carries the finding, the reader's text hangs under it.
    const [first, ...rest] = shown;
    const children = [
      languageModifier(first!),
      ...rest.map((lang) => languageText('HAS PROPERTIES', DCM.finding, { lang, text: f.text[lang] })),
      ...provenance,
    ];
    return textValue('CONTAINS', DCM.finding, f.text[first!], children);
  }
  const children: Dataset[] = shown.map((lang) => languageText('HAS PROPERTIES', DCM.finding, { lang, text: f.text[lang] }));
  return codeValue('CONTAINS', DCM.finding, f.code, f.equivalents, [...children, ...provenance]);
}

/** The label an accepted AI finding carries in the SR (read back to recognise it). */
export const AI_COMMENT = 'Assistive AI finding, accepted by the reading radiologist';

function measurementGroup(m: Measurement, content: ReportContent): Dataset {
  const image: Dataset = {
    ReferencedSOPClassUID: m.image.SOPClassUID,
    ReferencedSOPInstanceUID: m.image.SOPInstanceUID,
    ...(m.image.frame !== undefined ? { ReferencedFrameNumber: m.image.frame } : {}),
  };
  const children: Dataset[] = [
    textValue('HAS OBS CONTEXT', DCM.trackingIdentifier, m.label),
    item('HAS OBS CONTEXT', 'UIDREF', DCM.trackingUniqueIdentifier, { UID: m.trackingUID }),
  ];
  const finding = m.findingId ? findingById(content.template, m.findingId) : undefined;
  if (finding?.codes[0]) children.push(codeValue('CONTAINS', DCM.finding, finding.codes[0]));
  else if (finding) children.push(languageText('CONTAINS', DCM.finding, { lang: content.languages.reader, text: finding.text[content.languages.reader] }));
  for (const v of m.values) {
    children.push(item('CONTAINS', 'NUM', MEASUREMENT_CONCEPTS[v.kind], {
      MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [codeItem(UNITS[v.unit])], NumericValue: numericString(v.value) }],
      ContentSequence: [item('INFERRED FROM', 'SCOORD', undefined, {
        GraphicType: m.graphic.type,
        GraphicData: m.graphic.points,
        ContentSequence: [item('SELECTED FROM', 'IMAGE', undefined, { ReferencedSOPSequence: [image] })],
      })],
    }));
  }
  return item('CONTAINS', 'CONTAINER', DCM.measurementGroup, {
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: children,
  });
}

/** DS holds at most 16 characters. */
function numericString(v: number): string {
  for (let digits = 6; digits >= 1; digits--) {
    const s = String(Number(v.toPrecision(digits)));
    if (s.length <= 16) return s;
  }
  return v.toExponential(6);
}

function section(heading: TemplateSection, children: Dataset[]): Dataset {
  return item('CONTAINS', 'CONTAINER', heading.heading, { ContinuityOfContent: 'SEPARATE', ContentSequence: children });
}

/** Patient, General Study and equipment attributes shared by the SR and the Encapsulated PDF. */
export function patientStudyModules(s: StudyReference): Dataset {
  const ds: Dataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    PatientName: s.PatientName,
    PatientID: s.PatientID,
    PatientBirthDate: s.PatientBirthDate,
    PatientSex: s.PatientSex,
    StudyInstanceUID: s.StudyInstanceUID,
    StudyDate: s.StudyDate,
    StudyTime: s.StudyTime,
    ReferringPhysicianName: s.ReferringPhysicianName,
    StudyID: s.StudyID,
    AccessionNumber: s.AccessionNumber,
    Manufacturer: MANUFACTURER,
    SoftwareVersions: SOFTWARE_VERSION,
  };
  if (s.IssuerOfPatientID) ds.IssuerOfPatientID = s.IssuerOfPatientID;
  if (s.StudyDescription) ds.StudyDescription = s.StudyDescription;
  return ds;
}

/** The SR as a naturalized data set (dcmjs keywords). */
export function buildSR(content: ReportContent, ids: ObjectIds): Dataset {
  const t = dicomDateTime(content.verifiedAt);
  const shown = content.shown;
  const findingsSection = sectionOfKind(content.template, 'findings');
  const impressionSection = sectionOfKind(content.template, 'impression');

  const root: Dataset[] = [
    languageModifier(content.languages.reader),
    codeValue('HAS OBS CONTEXT', DCM.observerType, DCM.person),
    item('HAS OBS CONTEXT', 'PNAME', DCM.personObserverName, { PersonName: content.observer.name }),
  ];
  if (content.observer.organization) {
    root.push(textValue('HAS OBS CONTEXT', DCM.personObserverOrganization, content.observer.organization));
  }
  for (const s of content.template.sections) {
    const children: Dataset[] = [];
    const concept = textConceptForHeading(s.heading);
    if (s.id === findingsSection.id) {
      children.push(...content.findings.map((f) => findingItem(f, shown)));
    }
    if (s.id === impressionSection.id) {
      children.push(...content.impression.map((x) => languageText('CONTAINS', concept, x)));
    } else {
      for (const x of content.sections.find((y) => y.section.id === s.id)?.texts ?? []) children.push(languageText('CONTAINS', concept, x));
    }
    if (s.id === findingsSection.id) {
      children.push(...content.measurements.map((m) => measurementGroup(m, content)));
    }
    if (children.length) root.push(section(s, children));
  }

  const evidence = [{
    StudyInstanceUID: content.study.StudyInstanceUID,
    ReferencedSeriesSequence: content.study.series.map((se) => ({
      SeriesInstanceUID: se.SeriesInstanceUID,
      ReferencedSOPSequence: se.instances.map((i) => ({ ReferencedSOPClassUID: i.SOPClassUID, ReferencedSOPInstanceUID: i.SOPInstanceUID })),
    })),
  }];

  const ds: Dataset = {
    ...patientStudyModules(content.study),
    SOPClassUID: COMPREHENSIVE_SR,
    SOPInstanceUID: ids.SOPInstanceUID,
    InstanceCreationDate: t.date,
    InstanceCreationTime: t.time,
    TimezoneOffsetFromUTC: '+0000',
    Modality: 'SR',
    SeriesInstanceUID: ids.SeriesInstanceUID,
    SeriesNumber: SR_SERIES_NUMBER,
    SeriesDate: t.date,
    SeriesTime: t.time,
    SeriesDescription: 'Consultation report',
    ReferencedPerformedProcedureStepSequence: [],
    InstanceNumber: 1,
    ContentDate: t.date,
    ContentTime: t.time,
    PreliminaryFlag: 'FINAL',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'VERIFIED',
    VerifyingObserverSequence: [{
      VerifyingObserverName: content.observer.name,
      VerifyingObserverIdentificationCodeSequence: [],
      VerifyingOrganization: content.observer.organization,
      VerificationDateTime: t.dateTime,
    }],
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: evidence,
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(DIAGNOSTIC_IMAGING_REPORT)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '2000' }],
    ContentSequence: root,
  };
  if (content.predecessor) {
    const p = content.predecessor;
    ds.PredecessorDocumentsSequence = [{
      StudyInstanceUID: p.StudyInstanceUID,
      ReferencedSeriesSequence: [{
        SeriesInstanceUID: p.SeriesInstanceUID,
        ReferencedSOPSequence: [{ ReferencedSOPClassUID: p.SOPClassUID, ReferencedSOPInstanceUID: p.SOPInstanceUID }],
      }],
    }];
  }
  return ds;
}

export function writeSR(content: ReportContent, ids: ObjectIds): Buffer {
  return writePart10(buildSR(content, ids));
}
