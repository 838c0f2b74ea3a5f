// Reads a report SR written by sr.ts back into plain data (findings with their texts per language,
// free texts, measurements, AI provenance, observer, predecessor), so that tests, the outbox and a
// receiving hospital can check that what was signed says what the draft said.
import type { Language } from '../i18n/index.js';
import { DCM, MEASUREMENT_CONCEPTS, UNITS, codeFromItem, languageFromCodes, sameCode } from './codes.js';
import { readPart10, type Dataset } from './dcmjs.js';
import type { LanguageText, MeasurementKind, MeasurementUnit } from './draft.js';
import { personNameString } from './study.js';
import type { Code } from './template.js';

export interface ReadFinding {
  code?: Code;
  equivalents: Code[];
  text: Partial<Record<Language, string>>;
  ai?: { name: string; version: string; sha256: string };
}

export interface ReadMeasurement {
  trackingUID: string;
  label: string;
  finding?: Code;
  values: { kind: MeasurementKind; value: number; unit: MeasurementUnit }[];
  image: { SOPClassUID: string; SOPInstanceUID: string };
  graphic: { type: string; points: number[] };
}

export interface ReadReport {
  SOPInstanceUID: string;
  StudyInstanceUID: string;
  PatientName: string;
  PatientID: string;
  templateIdentifier: string;
  documentLanguage?: Language;
  observerName: string;
  verifyingObserverName: string;
  verificationDateTime: string;
  completionFlag: string;
  verificationFlag: string;
  findings: ReadFinding[];
  /** Free text by section heading meaning (History, Findings, Recommendations...). */
  texts: (LanguageText & { heading: string })[];
  impression: LanguageText[];
  measurements: ReadMeasurement[];
  evidence: string[];
  predecessor?: string;
}

const seq = (v: unknown): Dataset[] => (Array.isArray(v) ? v : v ? [v as Dataset] : []);
const concept = (i: Dataset): Code | undefined => codeFromItem(i.ConceptNameCodeSequence);
const is = (i: Dataset, c: Code): boolean => sameCode(concept(i), c);

function languageOf(i: Dataset): Language | undefined {
  const mod = seq(i.ContentSequence).find((c) => is(c, DCM.languageOfContent));
  if (!mod) return undefined;
  const lang = codeFromItem(mod.ConceptCodeSequence)?.value ?? '';
  const country = seq(mod.ContentSequence).find((c) => is(c, DCM.countryOfLanguage));
  return languageFromCodes(lang, country ? codeFromItem(country.ConceptCodeSequence)?.value : undefined);
}

function aiOf(i: Dataset): ReadFinding['ai'] {
  const kids = seq(i.ContentSequence);
  const device = kids.find((c) => is(c, DCM.observerType) && sameCode(codeFromItem(c.ConceptCodeSequence), DCM.device));
  if (!device) return undefined;
  const text = (c: Code): string => String(kids.find((k) => is(k, c))?.TextValue ?? '');
  const params = text(DCM.algorithmParameters);
  return { name: text(DCM.algorithmName), version: text(DCM.algorithmVersion), sha256: /sha256=([0-9a-f]{64})/.exec(params)?.[1] ?? '' };
}

function translations(i: Dataset, into: ReadFinding['text']): void {
  for (const c of seq(i.ContentSequence)) {
    if (c.ValueType === 'TEXT' && c.RelationshipType === 'HAS PROPERTIES' && is(c, DCM.finding)) {
      const lang = languageOf(c);
      if (lang) into[lang] = String(c.TextValue ?? '');
    }
  }
}

function measurement(group: Dataset): ReadMeasurement {
  const kids = seq(group.ContentSequence);
  const out: ReadMeasurement = {
    trackingUID: String(kids.find((k) => is(k, DCM.trackingUniqueIdentifier))?.UID ?? ''),
    label: String(kids.find((k) => is(k, DCM.trackingIdentifier))?.TextValue ?? ''),
    values: [],
    image: { SOPClassUID: '', SOPInstanceUID: '' },
    graphic: { type: '', points: [] },
  };
  const finding = kids.find((k) => k.ValueType === 'CODE' && is(k, DCM.finding));
  if (finding) out.finding = codeFromItem(finding.ConceptCodeSequence);
  for (const k of kids.filter((x) => x.ValueType === 'NUM')) {
    const kind = (Object.keys(MEASUREMENT_CONCEPTS) as MeasurementKind[]).find((m) => is(k, MEASUREMENT_CONCEPTS[m]));
    const mv = seq(k.MeasuredValueSequence)[0];
    const unitCode = codeFromItem(mv?.MeasurementUnitsCodeSequence);
    const unit = (Object.keys(UNITS) as MeasurementUnit[]).find((u) => unitCode && sameCode(unitCode, UNITS[u]));
    if (!kind || !unit || !mv) continue;
    out.values.push({ kind, value: Number(mv.NumericValue), unit });
    const scoord = seq(k.ContentSequence).find((c) => c.ValueType === 'SCOORD');
    if (scoord && !out.graphic.type) {
      out.graphic = { type: String(scoord.GraphicType), points: seq(scoord.GraphicData).map(Number) };
      const img = seq(scoord.ContentSequence).find((c) => c.ValueType === 'IMAGE');
      const ref = seq(img?.ReferencedSOPSequence)[0];
      if (ref) out.image = { SOPClassUID: String(ref.ReferencedSOPClassUID), SOPInstanceUID: String(ref.ReferencedSOPInstanceUID) };
    }
  }
  return out;
}

export function readReportSR(buf: Uint8Array): ReadReport {
  const { dataset: ds } = readPart10(buf);
  const root = seq(ds.ContentSequence);
  const observer = root.find((c) => is(c, DCM.personObserverName));
  const verifying = seq(ds.VerifyingObserverSequence)[0] ?? {};
  const out: ReadReport = {
    SOPInstanceUID: String(ds.SOPInstanceUID),
    StudyInstanceUID: String(ds.StudyInstanceUID),
    PatientName: personNameString(ds.PatientName),
    PatientID: String(ds.PatientID ?? ''),
    templateIdentifier: String(seq(ds.ContentTemplateSequence)[0]?.TemplateIdentifier ?? ''),
    documentLanguage: languageOf(ds),
    observerName: personNameString(observer?.PersonName),
    verifyingObserverName: personNameString(verifying.VerifyingObserverName),
    verificationDateTime: String(verifying.VerificationDateTime ?? ''),
    completionFlag: String(ds.CompletionFlag ?? ''),
    verificationFlag: String(ds.VerificationFlag ?? ''),
    findings: [],
    texts: [],
    impression: [],
    measurements: [],
    evidence: seq(ds.CurrentRequestedProcedureEvidenceSequence)
      .flatMap((s) => seq(s.ReferencedSeriesSequence))
      .flatMap((s) => seq(s.ReferencedSOPSequence))
      .map((r) => String(r.ReferencedSOPInstanceUID)),
  };
  const pred = seq(seq(seq(ds.PredecessorDocumentsSequence)[0]?.ReferencedSeriesSequence)[0]?.ReferencedSOPSequence)[0];
  if (pred) out.predecessor = String(pred.ReferencedSOPInstanceUID);

  for (const section of root.filter((c) => c.ValueType === 'CONTAINER')) {
    const heading = concept(section)?.meaning ?? '';
    for (const i of seq(section.ContentSequence)) {
      if (i.ValueType === 'CODE' && is(i, DCM.finding)) {
        const c = seq(i.ConceptCodeSequence)[0];
        const f: ReadFinding = { code: codeFromItem(c), equivalents: seq(c?.EquivalentCodeSequence).map((e) => codeFromItem(e)!), text: {}, ai: aiOf(i) };
        translations(i, f.text);
        out.findings.push(f);
      } else if (i.ValueType === 'TEXT') {
        const lang = languageOf(i);
        const kids = seq(i.ContentSequence);
        if (is(i, DCM.finding) && kids.some((k) => k.RelationshipType === 'HAS PROPERTIES' && is(k, DCM.finding))) {
          // An uncoded pick-list finding: partner's text here, the reader's under it.
          const f: ReadFinding = { equivalents: [], text: {}, ai: aiOf(i) };
          if (lang) f.text[lang] = String(i.TextValue ?? '');
          translations(i, f.text);
          out.findings.push(f);
        } else if (is(i, DCM.impression)) {
          if (lang) out.impression.push({ lang, text: String(i.TextValue ?? '') });
        } else if (lang) {
          out.texts.push({ heading, lang, text: String(i.TextValue ?? '') });
        }
      } else if (i.ValueType === 'CONTAINER' && is(i, DCM.measurementGroup)) {
        out.measurements.push(measurement(i));
      }
    }
  }
  return out;
}
