// The attributes Amur reads from every instance's header, by DICOM keyword (PS3.6), and the shape
// in which the header reader hands them to the store. Text is already decoded from the instance's
// Specific Character Set; numbers are parsed; absent attributes are undefined.

/** String-valued keywords the catalogue keeps (PN values keep their =groups and ^components). */
export const TEXT_KEYWORDS = [
  // Patient
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex',
  // Study
  'StudyInstanceUID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyID', 'StudyDescription',
  'ReferringPhysicianName', 'InstitutionName',
  // Series
  'SeriesInstanceUID', 'Modality', 'SeriesDescription', 'BodyPartExamined', 'SeriesDate', 'SeriesTime',
  'ViewPosition', 'Laterality',
  // Instance
  'SOPClassUID', 'SOPInstanceUID', 'PhotometricInterpretation', 'ImageType', 'SpecificCharacterSet',
  'ContentDate', 'ContentTime',
] as const;

export const NUMBER_KEYWORDS = [
  'SeriesNumber', 'InstanceNumber', 'Rows', 'Columns', 'NumberOfFrames', 'BitsAllocated',
  'SliceLocation', 'SliceThickness',
] as const;

export type TextKeyword = (typeof TEXT_KEYWORDS)[number];
export type NumberKeyword = (typeof NUMBER_KEYWORDS)[number];

export type HeaderAttributes = { [K in TextKeyword]?: string } & { [K in NumberKeyword]?: number };

export interface DicomHeader {
  attributes: HeaderAttributes;
  /** From the File Meta Information, or sniffed when the file has none. */
  TransferSyntaxUID: string;
  /** False for a bare data set (no preamble/"DICM"/meta group) that was still recognisably DICOM. */
  hasFileMeta: boolean;
  /** Byte offset of the Pixel Data (7FE0,0010) element's value in the file, when present. */
  pixelDataOffset?: number;
  /** True for a DICOMDIR (Media Storage Directory Storage), which is an index, not a study instance. */
  isDicomDir: boolean;
}
