// Reads what is needed to display one frame from a parsed instance: the Image Pixel Module, the
// Modality and VOI LUT attributes and the Image Plane, taking an enhanced multi-frame instance's
// per-frame and shared functional groups (PS3.3 C.7.6.16) before the top-level attributes.
import type { DataSet } from 'dicom-parser';
import { AmurError } from '../common/errors.js';
import type { ImagePixelModule, ImagePlane, VOILUT } from '../contract/imaging.js';

const TAG = {
  SOPClassUID: 'x00080016',
  SOPInstanceUID: 'x00080018',
  SliceThickness: 'x00180050',
  FrameTime: 'x00181063',
  RecommendedDisplayFrameRate: 'x00082144',
  InstanceNumber: 'x00200013',
  PatientOrientation: 'x00200020',
  FrameOfReferenceUID: 'x00200052',
  ImagePositionPatient: 'x00200032',
  ImageOrientationPatient: 'x00200037',
  SliceLocation: 'x00201041',
  SamplesPerPixel: 'x00280002',
  PhotometricInterpretation: 'x00280004',
  NumberOfFrames: 'x00280008',
  Rows: 'x00280010',
  Columns: 'x00280011',
  PixelSpacing: 'x00280030',
  ImagerPixelSpacing: 'x00181164',
  BitsAllocated: 'x00280100',
  BitsStored: 'x00280101',
  HighBit: 'x00280102',
  PixelRepresentation: 'x00280103',
  WindowCenter: 'x00281050',
  WindowWidth: 'x00281051',
  RescaleIntercept: 'x00281052',
  RescaleSlope: 'x00281053',
  RescaleType: 'x00281054',
  WindowCenterWidthExplanation: 'x00281055',
  VOILUTFunction: 'x00281056',
  VOILUTSequence: 'x00283010',
  LUTDescriptor: 'x00283002',
  LUTExplanation: 'x00283003',
  LUTData: 'x00283006',
  SharedFunctionalGroupsSequence: 'x52009229',
  PerFrameFunctionalGroupsSequence: 'x52009230',
  PixelMeasuresSequence: 'x00289110',
  PlanePositionSequence: 'x00209113',
  PlaneOrientationSequence: 'x00209116',
  PixelValueTransformationSequence: 'x00289145',
  FrameVOILUTSequence: 'x00289132',
} as const;

/** The data sets in which a frame's attribute is looked for, most specific first. */
function frameScopes(ds: DataSet, frame: number, groupTag: string): DataSet[] {
  const scopes: DataSet[] = [];
  const perFrame = ds.elements[TAG.PerFrameFunctionalGroupsSequence]?.items?.[frame]?.dataSet;
  const shared = ds.elements[TAG.SharedFunctionalGroupsSequence]?.items?.[0]?.dataSet;
  for (const fg of [perFrame, shared]) {
    const item = fg?.elements[groupTag]?.items?.[0]?.dataSet;
    if (item) scopes.push(item);
  }
  scopes.push(ds);
  return scopes;
}

function hasValue(ds: DataSet, tag: string): boolean {
  const el = ds.elements[tag];
  return !!el && el.length > 0;
}

function firstWith(scopes: DataSet[], tag: string): DataSet | undefined {
  return scopes.find((s) => hasValue(s, tag));
}

/** All values of a multi-valued decimal string (DS), e.g. WindowCenter "40\\400". */
function decimals(ds: DataSet | undefined, tag: string): number[] {
  if (!ds) return [];
  const n = ds.numStringValues(tag) ?? 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = ds.floatString(tag, i);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function strings(ds: DataSet | undefined, tag: string): string[] {
  if (!ds) return [];
  const n = ds.numStringValues(tag) ?? 0;
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(ds.string(tag, i) ?? '');
  return out;
}

/** An unsigned short that may be missing; a file is not trusted to carry every Type 1 attribute. */
function us(ds: DataSet, tag: string): number | undefined {
  return hasValue(ds, tag) ? ds.uint16(tag) : undefined;
}

/**
 * Reads a LUT (a VOI LUT or a palette): its descriptor and its entries. Entries are 8 or 16 bits;
 * 16-bit data in an OW element are read with the data set's byte order.
 */
export function readLUT(ds: DataSet, descriptorTag: string, dataTag: string): VOILUT | undefined {
  const d = ds.elements[descriptorTag];
  const dataEl = ds.elements[dataTag];
  if (!d || d.length < 6 || !dataEl || dataEl.length === 0) return undefined;
  let entries = ds.uint16(descriptorTag, 0) ?? 0;
  if (entries === 0) entries = 65536; // PS3.3 C.11.1.1: 0 means 2^16 entries
  // The first mapped value is US or SS depending on the pixel representation; read it as stored.
  const firstRaw = ds.uint16(descriptorTag, 1) ?? 0;
  const bits = ds.uint16(descriptorTag, 2) ?? 16;
  const data: number[] = [];
  const bytesPerEntry = dataEl.length >= entries * 2 ? 2 : 1;
  for (let i = 0; i < entries; i++) {
    if (bytesPerEntry === 2) {
      data.push(ds.byteArrayParser.readUint16(ds.byteArray, dataEl.dataOffset + i * 2));
    } else {
      data.push(ds.byteArray[dataEl.dataOffset + i]);
    }
  }
  return { LUTDescriptor: [entries, firstRaw, bits], LUTData: data };
}

export function readPixelModule(ds: DataSet, frame: number, TransferSyntaxUID: string): ImagePixelModule {
  const SOPInstanceUID = ds.string(TAG.SOPInstanceUID) ?? '';
  const Rows = us(ds, TAG.Rows);
  const Columns = us(ds, TAG.Columns);
  const BitsAllocated = us(ds, TAG.BitsAllocated);
  if (!Rows || !Columns || !BitsAllocated || !hasValue(ds, 'x7fe00010')) {
    throw new AmurError('imaging.notAnImage', { SOPInstanceUID });
  }
  const NumberOfFrames = Math.max(1, ds.intString(TAG.NumberOfFrames) ?? 1);
  if (!Number.isInteger(frame) || frame < 0 || frame >= NumberOfFrames) {
    throw new AmurError('imaging.noSuchFrame', { SOPInstanceUID, frame, NumberOfFrames });
  }
  const BitsStored = us(ds, TAG.BitsStored) ?? BitsAllocated;
  const PhotometricInterpretation = (ds.string(TAG.PhotometricInterpretation) ?? 'MONOCHROME2').trim().toUpperCase();

  const pixelValue = frameScopes(ds, frame, TAG.PixelValueTransformationSequence);
  const rescale = firstWith(pixelValue, TAG.RescaleSlope);
  const intercept = firstWith(pixelValue, TAG.RescaleIntercept);
  const voi = frameScopes(ds, frame, TAG.FrameVOILUTSequence);
  const windows = firstWith(voi, TAG.WindowCenter);
  const widths = firstWith(voi, TAG.WindowWidth);
  const measures = frameScopes(ds, frame, TAG.PixelMeasuresSequence);
  const position = firstWith(frameScopes(ds, frame, TAG.PlanePositionSequence), TAG.ImagePositionPatient);
  const orientation = firstWith(frameScopes(ds, frame, TAG.PlaneOrientationSequence), TAG.ImageOrientationPatient);
  const spacing = firstWith(measures, TAG.PixelSpacing) ?? firstWith([ds], TAG.ImagerPixelSpacing);
  const thickness = firstWith(measures, TAG.SliceThickness);

  const WindowCenter = decimals(windows, TAG.WindowCenter);
  const WindowWidth = decimals(widths, TAG.WindowWidth);
  const pairs = Math.min(WindowCenter.length, WindowWidth.length);

  const VOILUTSequence: VOILUT[] = [];
  for (const item of ds.elements[TAG.VOILUTSequence]?.items ?? []) {
    if (!item.dataSet) continue;
    const lut = readLUT(item.dataSet, TAG.LUTDescriptor, TAG.LUTData);
    if (lut) {
      const explanation = item.dataSet.string(TAG.LUTExplanation);
      VOILUTSequence.push(explanation ? { ...lut, LUTExplanation: explanation } : lut);
    }
  }

  const slope = rescale?.floatString(TAG.RescaleSlope);
  const icpt = intercept?.floatString(TAG.RescaleIntercept);
  const spacingValues = decimals(spacing, spacing && hasValue(spacing, TAG.PixelSpacing) ? TAG.PixelSpacing : TAG.ImagerPixelSpacing);
  const pos = decimals(position, TAG.ImagePositionPatient);
  const ori = decimals(orientation, TAG.ImageOrientationPatient);
  const optional = <T>(v: T | undefined | null): T | undefined => (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? undefined : v);

  return {
    SOPInstanceUID,
    SOPClassUID: ds.string(TAG.SOPClassUID) ?? '',
    frame,
    NumberOfFrames,
    TransferSyntaxUID,
    Rows,
    Columns,
    SamplesPerPixel: us(ds, TAG.SamplesPerPixel) ?? 1,
    PhotometricInterpretation,
    BitsAllocated,
    BitsStored,
    HighBit: us(ds, TAG.HighBit) ?? BitsStored - 1,
    PixelRepresentation: us(ds, TAG.PixelRepresentation) ?? 0,
    RescaleSlope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
    RescaleIntercept: icpt !== undefined && Number.isFinite(icpt) ? icpt : 0,
    RescaleType: optional(firstWith(pixelValue, TAG.RescaleType)?.string(TAG.RescaleType)),
    WindowCenter: WindowCenter.slice(0, pairs),
    WindowWidth: WindowWidth.slice(0, pairs),
    WindowCenterWidthExplanation: strings(firstWith(voi, TAG.WindowCenterWidthExplanation), TAG.WindowCenterWidthExplanation),
    VOILUTFunction: optional(firstWith(voi, TAG.VOILUTFunction)?.string(TAG.VOILUTFunction)),
    VOILUTSequence,
    PixelSpacing: spacingValues.length >= 2 ? [spacingValues[0], spacingValues[1]] : undefined,
    PixelSpacingSource: spacingValues.length >= 2 ? (spacing && hasValue(spacing, TAG.PixelSpacing) ? 'PixelSpacing' : 'ImagerPixelSpacing') : undefined,
    PatientOrientation: patientOrientation(ds),
    FrameOfReferenceUID: optional(ds.string(TAG.FrameOfReferenceUID)?.replace(/\0/g, '').trim() || undefined),
    ImagePositionPatient: pos.length === 3 ? [pos[0], pos[1], pos[2]] : undefined,
    ImageOrientationPatient: ori.length === 6 ? [ori[0], ori[1], ori[2], ori[3], ori[4], ori[5]] : undefined,
    SliceLocation: optional(ds.floatString(TAG.SliceLocation)),
    SliceThickness: optional(thickness?.floatString(TAG.SliceThickness)),
    InstanceNumber: optional(ds.intString(TAG.InstanceNumber)),
    FrameTime: optional(ds.floatString(TAG.FrameTime)),
    RecommendedDisplayFrameRate: optional(ds.intString(TAG.RecommendedDisplayFrameRate)),
  };
}

/** Patient Orientation (0020,0020): two values of the letters A P R L H F (PS3.3 C.7.6.1.1.1), else none. */
function patientOrientation(ds: DataSet): [string, string] | undefined {
  const v = strings(ds, TAG.PatientOrientation).map((x) => x.replace(/\0/g, '').trim().toUpperCase());
  return v.length === 2 && v.every((x) => /^[APRLHF]{1,3}$/.test(x)) ? [v[0], v[1]] : undefined;
}

/** The plane of every frame of an instance, from its header alone (frames need not be decoded). */
export function readImagePlanes(ds: DataSet): ImagePlane[] {
  const SOPInstanceUID = ds.string(TAG.SOPInstanceUID) ?? '';
  const Rows = us(ds, TAG.Rows);
  const Columns = us(ds, TAG.Columns);
  if (!Rows || !Columns) return [];
  const frames = Math.max(1, ds.intString(TAG.NumberOfFrames) ?? 1);
  const FrameOfReferenceUID = ds.string(TAG.FrameOfReferenceUID)?.replace(/\0/g, '').trim() || undefined;
  const planes: ImagePlane[] = [];
  for (let frame = 0; frame < frames; frame++) {
    const pos = decimals(firstWith(frameScopes(ds, frame, TAG.PlanePositionSequence), TAG.ImagePositionPatient), TAG.ImagePositionPatient);
    const ori = decimals(firstWith(frameScopes(ds, frame, TAG.PlaneOrientationSequence), TAG.ImageOrientationPatient), TAG.ImageOrientationPatient);
    const spacing = decimals(firstWith(frameScopes(ds, frame, TAG.PixelMeasuresSequence), TAG.PixelSpacing), TAG.PixelSpacing);
    planes.push({
      SOPInstanceUID,
      frame,
      ...(FrameOfReferenceUID ? { FrameOfReferenceUID } : {}),
      ...(pos.length === 3 ? { ImagePositionPatient: [pos[0], pos[1], pos[2]] as [number, number, number] } : {}),
      ...(ori.length === 6 ? { ImageOrientationPatient: [ori[0], ori[1], ori[2], ori[3], ori[4], ori[5]] as ImagePlane['ImageOrientationPatient'] } : {}),
      ...(spacing.length >= 2 ? { PixelSpacing: [spacing[0], spacing[1]] as [number, number] } : {}),
      Rows,
      Columns,
    });
  }
  return planes;
}
