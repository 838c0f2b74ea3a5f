// The DICOM codes the report writers use (PS3.16), named once so that the SR writer and reader
// agree, plus the conversions between template codes, languages and DICOM code sequence items.
import type { Language } from '../i18n/index.js';
import type { Dataset } from './dcmjs.js';
import type { MeasurementKind, MeasurementUnit } from './draft.js';
import type { Code } from './template.js';

export const code = (value: string, scheme: string, meaning: string): Code => ({ value, scheme, meaning });

/** CID 7000: the document title of TID 2000. */
export const DIAGNOSTIC_IMAGING_REPORT = code('18748-4', 'LN', 'Diagnostic Imaging Report');

export const DCM = {
  languageOfContent: code('121049', 'DCM', 'Language of Content Item and Descendants'),
  countryOfLanguage: code('121046', 'DCM', 'Country of Language'),
  observerType: code('121005', 'DCM', 'Observer Type'),
  person: code('121006', 'DCM', 'Person'),
  device: code('121007', 'DCM', 'Device'),
  personObserverName: code('121008', 'DCM', 'Person Observer Name'),
  personObserverOrganization: code('121009', 'DCM', "Person Observer's Organization Name"),
  deviceObserverUID: code('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: code('121013', 'DCM', 'Device Observer Name'),
  algorithmName: code('111001', 'DCM', 'Algorithm Name'),
  algorithmParameters: code('111002', 'DCM', 'Algorithm Parameters'),
  algorithmVersion: code('111003', 'DCM', 'Algorithm Version'),
  finding: code('121071', 'DCM', 'Finding'),
  impression: code('121073', 'DCM', 'Impression'),
  recommendation: code('121075', 'DCM', 'Recommendation'),
  history: code('121060', 'DCM', 'History'),
  comment: code('121106', 'DCM', 'Comment'),
  measurementGroup: code('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: code('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: code('112040', 'DCM', 'Tracking Unique Identifier'),
};

/** CID 7002 report elements: the concept name of a TEXT item under each section heading. */
export function textConceptForHeading(heading: Code): Code {
  switch (heading.value) {
    case '121060': return DCM.history;
    case '121072': return DCM.impression;
    case '121074': return DCM.recommendation;
    default: return DCM.finding;
  }
}

/** Language and country codes for TID 1204 (CID 5000 uses RFC 5646 language subtags). */
export const LANGUAGE_CODES: Record<Language, { language: Code; country: Code }> = {
  'zh-CN': { language: code('zh', 'RFC5646', 'Chinese'), country: code('CN', 'ISO3166_1', 'China') },
  ru: { language: code('ru', 'RFC5646', 'Russian'), country: code('RU', 'ISO3166_1', 'Russian Federation') },
  en: { language: code('en', 'RFC5646', 'English'), country: code('GB', 'ISO3166_1', 'United Kingdom') },
};

export function languageFromCodes(language: string, country?: string): Language | undefined {
  if (language === 'zh' || language === 'zh-CN') return 'zh-CN';
  if (language === 'ru') return 'ru';
  if (language === 'en') return 'en';
  return country === 'CN' ? 'zh-CN' : undefined;
}

/** Numeric concepts (as dcmjs's TID 300 adapters write them) and their UCUM units. */
export const MEASUREMENT_CONCEPTS: Record<MeasurementKind, Code> = {
  length: code('410668003', 'SCT', 'Length'),
  area: code('42798000', 'SCT', 'Area'),
  mean: code('373098007', 'SCT', 'Mean'),
  stdDev: code('386136009', 'SCT', 'Standard Deviation'),
  min: code('255605001', 'SCT', 'Minimum'),
  max: code('56851009', 'SCT', 'Maximum'),
};

export const UNITS: Record<MeasurementUnit, Code> = {
  mm: code('mm', 'UCUM', 'millimeter'),
  mm2: code('mm2', 'UCUM', 'square millimeter'),
  HU: code("[hnsf'U]", 'UCUM', 'Hounsfield unit'),
  '1': code('1', 'UCUM', 'no units'),
};

/** A code sequence item; equivalents go to its Equivalent Code Sequence (0008,0121). */
export function codeItem(c: Code, equivalents: Code[] = []): Dataset {
  const item: Dataset = { CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning };
  if (equivalents.length) item.EquivalentCodeSequence = equivalents.map((e) => codeItem(e));
  return item;
}

export function codeFromItem(item: Dataset | undefined): Code | undefined {
  const i = Array.isArray(item) ? item[0] : item;
  if (!i) return undefined;
  return { value: String(i.CodeValue ?? ''), scheme: String(i.CodingSchemeDesignator ?? ''), meaning: String(i.CodeMeaning ?? '') };
}

export function sameCode(a: Code | undefined, b: Code): boolean {
  return !!a && a.value === b.value && a.scheme === b.scheme;
}
