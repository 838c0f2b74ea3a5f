// The attributes Amur reads from every instance's header, by DICOM keyword (PS3.6), and the shape
// in which the header reader hands them to the store. Text is already decoded from the instance's
// Specific Character Set; numbers are parsed; absent attributes are undefined.

/** String-valued keywords the catalogue keeps (PN values keep their =groups and ^components). */
export const TEXT_KEYWORDS = [
  // Patient
  'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex',
  // Patient Study (its age at this study: what the triage model's population is chosen by)
  'PatientAge',
  // Study
  'StudyInstanceUID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyID', 'StudyDescription',
  'ReferringPhysicianName', 'InstitutionName',
  // Series
  'SeriesInstanceUID', 'Modality', 'SeriesDescription', 'BodyPartExamined', 'SeriesDate', 'SeriesTime',
  'ViewPosition', 'Laterality',
  // Instance
  'SOPClassUID', 'SOPInstanceUID', 'PhotometricInterpretation', 'ImageType', 'SpecificCharacterSet',
  'ContentDate', 'ContentTime', 'AcquisitionDate',
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
  /** From the File Meta Information (0002,0002), when the file has one. */
  MediaStorageSOPClassUID?: string;
  /** Oddities that did not stop the read (an unknown character set term, a corrected transfer syntax). */
  warnings?: string[];
  /**
   * Defects Amur read past that a reader should be told of, each a translated message
   * (`notices.<code>` in assets/i18n, all with `{{path}}`); the import summary lists them.
   */
  notices?: ReadNotice[];
  /**
   * The required UIDs that the file lacks or holds in a form that is not a UID (PS3.5 9.1), for which
   * the reader put a derived one (2.25.<decimal>, stable for the same file) in `attributes`, or for a
   * missing SOP Instance UID the file meta's Media Storage SOP Instance UID; `original` is the file's
   * own value, absent when it had none. The catalogue records them (instances.derived_uids).
   */
  derivedUids?: DerivedUid[];
}

export type RequiredKeyword = (typeof REQUIRED_KEYWORDS)[number];

export interface DerivedUid {
  keyword: RequiredKeyword;
  original?: string;
  /** Where the UID put in its place came from when it is not derived: the file meta's (0002,0003). */
  from?: 'MediaStorageSOPInstanceUID';
}

export interface ReadNotice {
  /** e.g. "dicom.uidDerived"; its text is notices.<code> in assets/i18n. */
  code: string;
  params: Record<string, string>;
}

/**
 * Where each kept attribute lives (PS3.6 tag, as dicom-parser names it: "xggggeeee") and its VR.
 * The VR comes from the dictionary, not from the file, because implicit-VR files carry none and the
 * VR decides whether Specific Character Set applies (PS3.5 6.1.2.3: only SH, LO, ST, LT, UT, PN, UC).
 */
export const ATTRIBUTE_TAGS: { readonly [K in TextKeyword | NumberKeyword]: { tag: string; vr: string } } = {
  PatientName: { tag: 'x00100010', vr: 'PN' },
  PatientID: { tag: 'x00100020', vr: 'LO' },
  IssuerOfPatientID: { tag: 'x00100021', vr: 'LO' },
  PatientBirthDate: { tag: 'x00100030', vr: 'DA' },
  PatientSex: { tag: 'x00100040', vr: 'CS' },
  PatientAge: { tag: 'x00101010', vr: 'AS' },
  StudyInstanceUID: { tag: 'x0020000d', vr: 'UI' },
  StudyDate: { tag: 'x00080020', vr: 'DA' },
  StudyTime: { tag: 'x00080030', vr: 'TM' },
  AccessionNumber: { tag: 'x00080050', vr: 'SH' },
  StudyID: { tag: 'x00200010', vr: 'SH' },
  StudyDescription: { tag: 'x00081030', vr: 'LO' },
  ReferringPhysicianName: { tag: 'x00080090', vr: 'PN' },
  InstitutionName: { tag: 'x00080080', vr: 'LO' },
  SeriesInstanceUID: { tag: 'x0020000e', vr: 'UI' },
  Modality: { tag: 'x00080060', vr: 'CS' },
  SeriesDescription: { tag: 'x0008103e', vr: 'LO' },
  BodyPartExamined: { tag: 'x00180015', vr: 'CS' },
  SeriesDate: { tag: 'x00080021', vr: 'DA' },
  SeriesTime: { tag: 'x00080031', vr: 'TM' },
  ViewPosition: { tag: 'x00185101', vr: 'CS' },
  Laterality: { tag: 'x00200060', vr: 'CS' },
  SOPClassUID: { tag: 'x00080016', vr: 'UI' },
  SOPInstanceUID: { tag: 'x00080018', vr: 'UI' },
  PhotometricInterpretation: { tag: 'x00280004', vr: 'CS' },
  ImageType: { tag: 'x00080008', vr: 'CS' },
  SpecificCharacterSet: { tag: 'x00080005', vr: 'CS' },
  ContentDate: { tag: 'x00080023', vr: 'DA' },
  ContentTime: { tag: 'x00080033', vr: 'TM' },
  AcquisitionDate: { tag: 'x00080022', vr: 'DA' },
  SeriesNumber: { tag: 'x00200011', vr: 'IS' },
  InstanceNumber: { tag: 'x00200013', vr: 'IS' },
  Rows: { tag: 'x00280010', vr: 'US' },
  Columns: { tag: 'x00280011', vr: 'US' },
  NumberOfFrames: { tag: 'x00280008', vr: 'IS' },
  BitsAllocated: { tag: 'x00280100', vr: 'US' },
  SliceLocation: { tag: 'x00201041', vr: 'DS' },
  SliceThickness: { tag: 'x00180050', vr: 'DS' },
};

/** The attributes without which an instance cannot be filed (PS3.3 SOP Common / General Study / Series). */
export const REQUIRED_KEYWORDS = ['SOPInstanceUID', 'StudyInstanceUID', 'SeriesInstanceUID'] as const;
