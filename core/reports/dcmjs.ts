// The slice of dcmjs the report writers use, typed here because dcmjs ships no types. Loaded
// through require so that no ambient module declaration is needed (other areas may declare their own).
import { createRequire } from 'node:module';
import { cleanForWrite, objectName, type CleanNote, type Dict } from '../dicom/clean.js';

/** A naturalized data set: DICOM keywords as property names, sequences as arrays of data sets. */
export type Dataset = Record<string, any>;

export interface DicomDictInstance {
  meta: Record<string, unknown>;
  dict: Record<string, unknown>;
  write(options?: { allowInvalidVRLength?: boolean }): ArrayBuffer;
}

interface DcmjsData {
  DicomMessage: {
    readFile(buffer: ArrayBuffer, options?: { untilTag?: string; ignoreErrors?: boolean }): DicomDictInstance;
  };
  DicomDict: new (meta: Record<string, unknown>) => DicomDictInstance;
  DicomMetaDictionary: {
    naturalizeDataset(dict: Record<string, unknown>): Dataset;
    denaturalizeDataset(ds: Dataset): Record<string, unknown>;
  };
}

export const dcmjsData = (createRequire(import.meta.url)('dcmjs') as { data: DcmjsData }).data;

// dcmjs 0.51 reads each sequence item through a new stream (ReadBufferStream.more) that starts with
// its default Latin-1 decoder, so text inside sequences (all of an SR's content tree) comes back as
// mojibake even though the top level honours Specific Character Set. Handing the parent's decoder
// to the sub-stream fixes it; the patch is applied once and is idempotent.
{
  const proto = (dcmjsData as unknown as { ReadBufferStream: { prototype: any } }).ReadBufferStream.prototype;
  if (!proto.__amurDecoderPatched) {
    const more = proto.more as (this: any, length: number) => any;
    proto.more = function (this: any, length: number) {
      const sub = more.call(this, length);
      if (this.decoder && typeof sub.setDecoder === 'function') sub.setDecoder(this.decoder);
      return sub;
    };
    proto.__amurDecoderPatched = true;
  }
}

/** Reads a Part 10 buffer into its naturalized data set and meta information. */
export function readPart10(buf: Uint8Array, options: { untilTag?: string } = {}): { meta: Dataset; dataset: Dataset } {
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const dd = dcmjsData.DicomMessage.readFile(ab, options);
  return {
    meta: dcmjsData.DicomMetaDictionary.naturalizeDataset(dd.meta),
    dataset: dcmjsData.DicomMetaDictionary.naturalizeDataset(dd.dict),
  };
}

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Amur's implementation class UID (2.25 root, fixed once) and version name, for File Meta Information. */
export const IMPLEMENTATION_CLASS_UID = '2.25.246917432198413629917356391574658473191';
export const IMPLEMENTATION_VERSION_NAME = 'AMUR_0_1';

/**
 * Writes a naturalized data set as a Part 10 file in Explicit VR Little Endian. Every value goes
 * through core/dicom/clean.ts first (values copied from source objects may carry their defects);
 * `notes` receives what was corrected or left out.
 */
export function writePart10(dataset: Dataset, notes?: CleanNote[]): Buffer {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new dcmjsData.DicomDict(dcmjsData.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjsData.DicomMetaDictionary.denaturalizeDataset(dataset);
  const cleaned = cleanForWrite(dict.dict as Dict, dict.meta as Dict, objectName(dataset.SOPClassUID));
  notes?.push(...cleaned);
  return Buffer.from(dict.write());
}
