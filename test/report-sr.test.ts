// The report's DICOM objects on a real study: the TID 2000 Comprehensive SR and the Encapsulated
// PDF are valid for dciodvfy, the SR's tree prints with dsrdump, and reading the SR back with dcmjs
// gives the findings, texts, measurements and AI provenance that the draft said.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveReport, type ReportContent } from '../core/reports/content.js';
import { readPart10 } from '../core/reports/dcmjs.js';
import { validateDraft, type ReportDraft } from '../core/reports/draft.js';
import { ENCAPSULATED_PDF, writeEncapsulatedPdf } from '../core/reports/encapsulated-pdf.js';
import { renderReportPdf } from '../core/reports/pdf.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { COMPREHENSIVE_SR, writeSR } from '../core/reports/sr.js';
import { studyReferenceFromFiles } from '../core/reports/study.js';
import { dciodvfy, dsrdump } from './report-dicom-tools.js';
import { AI_MODEL, filledDraft } from './report-fixtures.js';
import { PYDICOM_DATA } from './shared-data.js';

let tmp: string;
before(() => { tmp = mkdtempSync(join(tmpdir(), 'amur-')); });
after(() => rmSync(tmp, { recursive: true, force: true }));

const SR_IDS = { SeriesInstanceUID: '2.25.1001', SOPInstanceUID: '2.25.1002' };
const PDF_IDS = { SeriesInstanceUID: '2.25.2001', SOPInstanceUID: '2.25.2002' };
const VERIFIED = new Date('2026-11-20T08:15:30.250Z');

function content(d: ReportDraft): ReportContent {
  const { draft, template } = validateDraft(JSON.parse(JSON.stringify(d)), 'draft.json');
  return resolveReport(draft, template, VERIFIED);
}

describe('report SR (TID 2000) on the Philips head CT', () => {
  const draft = filledDraft();
  const c = content(draft);
  let file: string;
  before(() => {
    file = join(tmp, 'sr.dcm');
    writeFileSync(file, writeSR(c, SR_IDS));
  });

  it('is a Comprehensive SR that dciodvfy accepts', () => {
    const v = dciodvfy(file);
    assert.equal(v.iod, 'ComprehensiveSR');
    assert.deepEqual(v.errors, []);
    assert.deepEqual(v.unexplained, []);
  });

  it('declares TID 2000, UTF-8, the study, the flags, the observer and the evidence', () => {
    const { dataset: ds, meta } = readPart10(writeSR(c, SR_IDS));
    assert.equal(meta.TransferSyntaxUID, '1.2.840.10008.1.2.1');
    assert.equal(ds.SOPClassUID, COMPREHENSIVE_SR);
    assert.equal(ds.SpecificCharacterSet, 'ISO_IR 192');
    assert.deepEqual(ds.ContentTemplateSequence.map((x: any) => [x.MappingResource, x.TemplateIdentifier]), [['DCMR', '2000']]);
    assert.equal(ds.ConceptNameCodeSequence[0].CodeValue, '18748-4');
    assert.equal(ds.StudyInstanceUID, draft.study.StudyInstanceUID);
    assert.equal(ds.PatientID, 'PLASTIC');
    assert.equal(ds.StudyID, '2157');
    assert.equal(ds.CompletionFlag, 'COMPLETE');
    assert.equal(ds.VerificationFlag, 'VERIFIED');
    assert.equal(ds.ContentDate, '20261120');
    assert.equal(ds.ContentTime, '081530.250');
    assert.equal(ds.TimezoneOffsetFromUTC, '+0000');
    assert.equal(ds.VerifyingObserverSequence[0].VerificationDateTime.trim(), '20261120081530.250+0000');
    const refs = ds.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence;
    assert.equal(refs.length, 28);
    assert.equal(ds.PredecessorDocumentsSequence, undefined);
  });

  it('reads back with dcmjs to the same findings, texts, measurements and AI provenance', () => {
    const r = readReportSR(writeSR(c, SR_IDS));
    assert.equal(r.templateIdentifier, '2000');
    assert.equal(r.documentLanguage, 'ru');
    assert.equal(r.observerName, 'Ivanov^Petr');
    assert.equal(r.verifyingObserverName, 'Ivanov^Petr');
    assert.equal(r.evidence.length, 28);
    // Hand-picked coded, hand-picked uncoded, and the accepted AI finding; the rejected one is absent.
    assert.deepEqual(r.findings.map((f) => f.code && `${f.code.scheme} ${f.code.value}`), ['SCT 1386000', undefined, 'SCT 230745008']);
    assert.deepEqual(r.findings[0]!.equivalents, [{ value: 'I62.9', scheme: 'I10', meaning: 'Intracranial haemorrhage (nontraumatic), unspecified' }]);
    assert.deepEqual(r.findings[0]!.text, { 'zh-CN': '颅内出血', ru: 'Внутричерепное кровоизлияние' });
    assert.deepEqual(r.findings[1]!.text, { 'zh-CN': '中线结构移位', ru: 'Смещение срединных структур' });
    assert.equal(r.findings[0]!.ai, undefined);
    assert.deepEqual(r.findings[2]!.ai, AI_MODEL);
    assert.ok(!r.findings.some((f) => f.text['zh-CN'] === '颅骨骨折'), 'a rejected AI finding must not enter the report');
    assert.deepEqual(r.texts, [
      { heading: 'History', lang: 'zh-CN', text: '外伤后头痛3小时。' },
      { heading: 'Findings', lang: 'ru', text: 'Гиперденсная зона в левой лобной доле размером до 23 мм.' },
    ]);
    assert.deepEqual(r.impression, draft.impression);
    assert.equal(r.measurements.length, 2);
    const [len, roi] = r.measurements;
    assert.deepEqual(len, {
      trackingUID: draft.measurements[0]!.trackingUID,
      label: 'Hematoma 1',
      finding: { value: '1386000', scheme: 'SCT', meaning: 'Intracranial hemorrhage' },
      values: [{ kind: 'length', value: 23.4, unit: 'mm' }],
      image: draft.measurements[0]!.image,
      graphic: { type: 'POLYLINE', points: [100, 120, 140, 150] },
    });
    assert.deepEqual(roi!.values, draft.measurements[1]!.values);
    assert.equal(roi!.graphic.type, 'ELLIPSE');
  });

  it('prints its content tree with dsrdump, both languages and the codes', () => {
    const d = dsrdump(file);
    assert.equal(d.status, 0, d.out);
    assert.match(d.out, /Comprehensive SR Document/);
    assert.match(d.out, /Verification Flag\s*: VERIFIED/);
    assert.match(d.out, /<CONTAINER:\(18748-4,LN,"Diagnostic Imaging Report"\)=SEPARATE>/);
    assert.match(d.out, /<contains CODE:\(121071,DCM,"Finding"\)=\(1386000,SCT,"Intracranial hemorrhage"\)>/);
    assert.match(d.out, /<has properties TEXT:\(121071,DCM,"Finding"\)="颅内出血">/);
    assert.match(d.out, /<has properties TEXT:\(121071,DCM,"Finding"\)="Внутричерепное кровоизлияние">/);
    assert.match(d.out, /\(zh,RFC5646,"Chinese"\)/);
    assert.match(d.out, /<contains NUM:\(410668003,SCT,"Length"\)="23.4" \(mm,UCUM,"millimeter"\)>/);
    assert.match(d.out, /<selected from IMAGE:/);
    assert.match(d.out, /<has concept mod TEXT:\(111003,DCM,"Algorithm Version"\)="0.3.1">/);
  });

  it('references its predecessor when it amends a report', () => {
    const amended = filledDraft();
    amended.predecessor = { StudyInstanceUID: amended.study.StudyInstanceUID, SeriesInstanceUID: SR_IDS.SeriesInstanceUID, SOPClassUID: COMPREHENSIVE_SR, SOPInstanceUID: SR_IDS.SOPInstanceUID };
    const f = join(tmp, 'amended.dcm');
    writeFileSync(f, writeSR(content(amended), { SeriesInstanceUID: '2.25.3001', SOPInstanceUID: '2.25.3002' }));
    assert.equal(readReportSR(writeSR(content(amended), SR_IDS)).predecessor, SR_IDS.SOPInstanceUID);
    const v = dciodvfy(f);
    assert.deepEqual([v.iod, v.errors, v.unexplained], ['ComprehensiveSR', [], []]);
  });
});

describe('report SR on a study with a Chinese patient name (GB18030 source)', () => {
  it('copies the name into UTF-8 and reads it back unchanged, valid for dciodvfy', () => {
    const study = studyReferenceFromFiles([join(PYDICOM_DATA, 'charset_files', 'chrX2.dcm')]);
    const d = filledDraft(study, 'en');
    d.measurements = [];
    const c = content(d);
    const f = join(tmp, 'zh.dcm');
    writeFileSync(f, writeSR(c, SR_IDS));
    assert.equal(readReportSR(writeSR(c, SR_IDS)).PatientName, 'Wang^XiaoDong=王^小东');
    const v = dciodvfy(f);
    assert.deepEqual([v.iod, v.errors, v.unexplained], ['ComprehensiveSR', [], []]);
    // The source has no Study Date/Time: the only remarks are about those empty copies.
    assert.ok(v.explained.every((w) => /needed to build DICOMDIR - Study (Date|Time)$/.test(w)), v.explained.join('\n'));
  });
});

describe('Encapsulated PDF', () => {
  it('wraps the report PDF for the same patient and study, valid for dciodvfy', async () => {
    const c = content(filledDraft());
    const pdf = await renderReportPdf(c, { reportUID: SR_IDS.SOPInstanceUID });
    const bytes = writeEncapsulatedPdf(c, pdf, PDF_IDS, SR_IDS);
    const f = join(tmp, 'pdf.dcm');
    writeFileSync(f, bytes);
    const v = dciodvfy(f);
    assert.deepEqual([v.iod, v.errors, v.unexplained], ['EncapsulatedPDF', [], []]);
    const { dataset: ds } = readPart10(bytes);
    assert.equal(ds.SOPClassUID, ENCAPSULATED_PDF);
    assert.equal(ds.MIMETypeOfEncapsulatedDocument, 'application/pdf');
    assert.equal(ds.StudyInstanceUID, c.study.StudyInstanceUID);
    assert.equal(ds.PatientID, c.study.PatientID);
    assert.equal(ds.SourceInstanceSequence[0].ReferencedSOPInstanceUID, SR_IDS.SOPInstanceUID);
    const doc = Buffer.from(ds.EncapsulatedDocument[0] ?? ds.EncapsulatedDocument);
    assert.equal(ds.EncapsulatedDocumentLength, pdf.length);
    assert.ok(doc.subarray(0, pdf.length).equals(pdf), 'the encapsulated bytes are the PDF');
  });
});
