// The report PDF wrapped as a DICOM Encapsulated PDF object (PS3.3 A.45.1), so that a PACS that
// shows no SR still files and displays the signed report with the study: same patient and study,
// a series of its own (Modality DOC), and a reference to the SR it renders.
import { COMPREHENSIVE_SR, SOFTWARE_VERSION, patientStudyModules, type ObjectIds } from './sr.js';
import { dicomDateTime, type ReportContent } from './content.js';
import { DIAGNOSTIC_IMAGING_REPORT, codeItem } from './codes.js';
import { writePart10, type Dataset } from './dcmjs.js';

export const ENCAPSULATED_PDF = '1.2.840.10008.5.1.4.1.1.104.1';
export const PDF_SERIES_NUMBER = 9002;

export function buildEncapsulatedPdf(content: ReportContent, pdf: Buffer, ids: ObjectIds, sr: ObjectIds): Dataset {
  const t = dicomDateTime(content.verifiedAt);
  const [a, b] = content.shown;
  // OB values are padded to an even length; the real length travels in EncapsulatedDocumentLength.
  const padded = pdf.length % 2 ? Buffer.concat([pdf, Buffer.from([0])]) : pdf;
  const ab = padded.buffer.slice(padded.byteOffset, padded.byteOffset + padded.length);
  return {
    ...patientStudyModules(content.study),
    SoftwareVersions: SOFTWARE_VERSION,
    SOPClassUID: ENCAPSULATED_PDF,
    SOPInstanceUID: ids.SOPInstanceUID,
    InstanceCreationDate: t.date,
    InstanceCreationTime: t.time,
    TimezoneOffsetFromUTC: '+0000',
    Modality: 'DOC',
    SeriesInstanceUID: ids.SeriesInstanceUID,
    SeriesNumber: PDF_SERIES_NUMBER,
    SeriesDate: t.date,
    SeriesTime: t.time,
    SeriesDescription: 'Consultation report (PDF)',
    // SC Equipment module: the document was produced by a workstation.
    ConversionType: 'WSD',
    InstanceNumber: 1,
    ContentDate: t.date,
    ContentTime: t.time,
    AcquisitionDateTime: t.dateTime,
    BurnedInAnnotation: 'YES',
    RecognizableVisualFeatures: 'NO',
    DocumentTitle: `${content.template.title[a]} / ${content.template.title[b]}`.slice(0, 1024),
    ConceptNameCodeSequence: [codeItem(DIAGNOSTIC_IMAGING_REPORT)],
    VerificationFlag: 'VERIFIED',
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    SourceInstanceSequence: [{ ReferencedSOPClassUID: COMPREHENSIVE_SR, ReferencedSOPInstanceUID: sr.SOPInstanceUID }],
    EncapsulatedDocument: ab,
    EncapsulatedDocumentLength: pdf.length,
  };
}

export function writeEncapsulatedPdf(content: ReportContent, pdf: Buffer, ids: ObjectIds, sr: ObjectIds): Buffer {
  return writePart10(buildEncapsulatedPdf(content, pdf, ids, sr));
}
