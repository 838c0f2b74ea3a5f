// Reads the header of one DICOM file (Part 10, or a bare data set that is still recognisably DICOM)
// into the attributes the catalogue keeps, without ever reading pixel data: a first chunk is read
// with a positional read, dicom-parser stops at Pixel Data (7FE0,0010), and more is read only when
// the header runs past the chunk. Anything wrong with the file becomes an AmurError whose code names
// the reason (errors.dicom.* in assets/i18n); no raw exception leaves this module.
import { open, type FileHandle } from 'node:fs/promises';
import { constants as zlibConstants, inflateRawSync } from 'node:zlib';
import * as dicomParserNs from 'dicom-parser';
import type { DataSet, Element } from 'dicom-parser';
import { AmurError, isAmurError } from '../common/errors.js';
import {
  ATTRIBUTE_TAGS, NUMBER_KEYWORDS, REQUIRED_KEYWORDS, TEXT_KEYWORDS,
  type DerivedUid, type DicomHeader, type HeaderAttributes, type ReadNotice, type RequiredKeyword,
} from './attributes.js';
import { charsetDecoder, latin1, stripPadding } from './charset.js';
import { derivedUid, isValidUid } from './derived-uid.js';

// dicom-parser is a CommonJS bundle: under Node's ESM loader its functions hang off `default`.
const dicomParser = ((dicomParserNs as any).default ?? dicomParserNs) as typeof dicomParserNs;

export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPIPReferencedDeflate: '1.2.840.10008.1.2.4.95',
} as const;

export const MEDIA_STORAGE_DIRECTORY_STORAGE = '1.2.840.10008.1.3.10';

/** The first read; most headers (even enhanced multi-frame ones) fit, so one read usually suffices. */
export const FIRST_CHUNK = 64 * 1024;

/**
 * Sequences nested deeper than this are refused: real objects stay within a dozen levels (SR content
 * trees are the deepest), while a crafted file can nest thousands of levels to exhaust the stack of
 * every recursive parser that later opens it (including the viewer's).
 */
export const MAX_SEQUENCE_DEPTH = 64;

/**
 * The most a deflated data set may inflate to: far above any real deflated object (they are reports,
 * waveforms and small images), far below what a deflate bomb would make of a small file.
 */
const MAX_INFLATED = 1024 * 1024 * 1024;

const PIXEL_DATA = 'x7fe00010';
const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
const UNDEFINED_LENGTH = 0xffffffff;
const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const ALL_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

/** Counts what a read costs; tests use it to prove that pixel data are never read. */
export interface ReadStats {
  bytesRead: number;
  reads: number;
}

export interface HeaderReadOptions {
  stats?: ReadStats;
}

/** Random access to the file's bytes (a file handle, or bytes already in memory). */
interface ByteSource {
  size: number;
  read(position: number, length: number): Promise<Uint8Array>;
}

/** The parsed top-level data set and what was learnt on the way; shared with the DICOMDIR reader. */
export interface ParsedDataSet {
  dataSet: DataSet;
  TransferSyntaxUID: string;
  hasFileMeta: boolean;
  MediaStorageSOPClassUID?: string;
  /** (0002,0003), which names the instance when the data set's own SOP Instance UID is missing. */
  MediaStorageSOPInstanceUID?: string;
  /** File offset of the data set's first byte; undefined when the data set was inflated (Deflate). */
  dataSetOffset?: number;
  /** For a deflated data set: whether all of it was inflated (else only a prefix holding the header). */
  inflatedWhole?: boolean;
  warnings: string[];
}

export async function readDicomHeaderFromFile(path: string, options: HeaderReadOptions = {}): Promise<DicomHeader> {
  return withFile(path, options, (source) => readHeader(source, path));
}

/** The same reader over bytes already in memory (the whole file). */
export async function readDicomHeaderFromBytes(bytes: Uint8Array, options: { path?: string } = {}): Promise<DicomHeader> {
  const path = options.path ?? '<memory>';
  const source: ByteSource = {
    size: bytes.length,
    read: async (position, length) => bytes.subarray(position, Math.min(bytes.length, position + length)),
  };
  try {
    return await readHeader(source, path);
  } catch (e) {
    throw asAmurError(e, path);
  }
}

/** Opens a file as a ByteSource for `fn`; every failure, I/O included, comes out as an AmurError. */
export async function withFile<T>(path: string, options: HeaderReadOptions, fn: (source: ByteSource) => Promise<T>): Promise<T> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    if (!st.isFile()) throw new AmurError('dicom.unreadable', { path, detail: 'not a regular file' });
    const handle = fh;
    const source: ByteSource = {
      size: st.size,
      async read(position, length) {
        const n = Math.max(0, Math.min(length, st.size - position));
        const buf = Buffer.allocUnsafe(n);
        let got = 0;
        while (got < n) {
          const { bytesRead } = await handle.read(buf, got, n - got, position + got);
          if (bytesRead === 0) break; // the file shrank under us: what we have is all there is
          got += bytesRead;
        }
        if (options.stats) {
          options.stats.bytesRead += got;
          options.stats.reads += 1;
        }
        return got === n ? buf : buf.subarray(0, got);
      },
    };
    return await fn(source);
  } catch (e) {
    throw asAmurError(e, path);
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

function asAmurError(e: unknown, path: string): AmurError {
  if (isAmurError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === 'object' && typeof err.code === 'string') {
    return new AmurError('dicom.unreadable', { path, detail: err.code }, { cause: e });
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new AmurError('dicom.tooDeep', { path, max: MAX_SEQUENCE_DEPTH }, { cause: e });
  }
  return new AmurError('dicom.unreadable', { path, detail: describe(e) }, { cause: e });
}

function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'exception' in e) return describe((e as { exception: unknown }).exception);
  return String(e);
}

async function readHeader(source: ByteSource, path: string): Promise<DicomHeader> {
  const parsed = await parseFromSource(source, path, { untilPixelData: true });
  const { dataSet } = parsed;
  const charset = dataSet.elements.x00080005;
  const decoder = charsetDecoder(charset ? latin1(valueBytes(dataSet, charset, path)) : undefined);
  const warnings = [...parsed.warnings, ...decoder.warnings];

  const attributes: HeaderAttributes = {};
  for (const keyword of TEXT_KEYWORDS) {
    const { tag, vr } = ATTRIBUTE_TAGS[keyword];
    const el = dataSet.elements[tag];
    if (!el || el.length === 0 || el.length === UNDEFINED_LENGTH) continue;
    let value = decoder.decode(valueBytes(dataSet, el, path), vr);
    if (vr === 'UI') value = value.replace(/[\0 ]+$/g, '').trim();
    if (value !== '') attributes[keyword] = value;
  }
  for (const keyword of NUMBER_KEYWORDS) {
    const { tag, vr } = ATTRIBUTE_TAGS[keyword];
    const el = dataSet.elements[tag];
    if (!el || el.length === 0 || el.length === UNDEFINED_LENGTH) continue;
    let n: number | undefined;
    if (vr === 'US') n = el.length >= 2 ? dataSet.uint16(tag) : undefined;
    else n = Number(stripPadding(latin1(valueBytes(dataSet, el, path))).split('\\')[0].trim());
    if (n !== undefined && Number.isFinite(n)) attributes[keyword] = n;
  }

  const isDicomDir = parsed.MediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY_STORAGE
    || (!attributes.SOPClassUID && dataSet.elements.x00041220 !== undefined);
  const pd = dataSet.elements[PIXEL_DATA];
  const notices: ReadNotice[] = [];
  let derivedUids: DerivedUid[] = [];
  if (!isDicomDir) derivedUids = await fileUids(attributes, parsed, pd, source, path, notices);

  let pixelDataOffset: number | undefined;
  if (pd) {
    if (parsed.dataSetOffset !== undefined) {
      pixelDataOffset = parsed.dataSetOffset + pd.dataOffset;
      const frames = attributes.NumberOfFrames !== undefined && attributes.NumberOfFrames >= 1 ? Math.floor(attributes.NumberOfFrames) : 1;
      if (await checkPixelDataEnd(source, pixelDataOffset, pd.length, path, { frames, rle: parsed.TransferSyntaxUID === RLE_LOSSLESS })) {
        notices.push({ code: 'dicom.noSequenceDelimiter', params: { path } });
        warnings.push('encapsulated Pixel Data ends without its Sequence Delimitation Item; every fragment is whole');
      }
    } else if (parsed.inflatedWhole && pd.length !== UNDEFINED_LENGTH && pd.dataOffset + pd.length > dataSet.byteArray.length) {
      throw new AmurError('dicom.truncated', { path });
    }
  }

  const header: DicomHeader = {
    attributes,
    TransferSyntaxUID: parsed.TransferSyntaxUID,
    hasFileMeta: parsed.hasFileMeta,
    isDicomDir,
  };
  if (pixelDataOffset !== undefined) header.pixelDataOffset = pixelDataOffset;
  if (parsed.MediaStorageSOPClassUID) header.MediaStorageSOPClassUID = parsed.MediaStorageSOPClassUID;
  if (warnings.length) header.warnings = warnings;
  if (notices.length) header.notices = notices;
  if (derivedUids.length) header.derivedUids = derivedUids;
  return header;
}

/**
 * Checks the three UIDs an instance is filed by and puts a derived one (derived-uid.ts) where the
 * file has none or one that is not a UID, as Weasis, fo-dicom and dcmtk open such files. Only an
 * image (pixel data with its dimensions) is filed so; anything else without its UIDs is refused. A value with bytes no UID writer produces (controls,
 * non-ASCII) means the parser lost its footing in a damaged header, and is refused as before.
 */
async function fileUids(
  attributes: HeaderAttributes, parsed: ParsedDataSet, pd: Element | undefined, source: ByteSource, path: string, notices: ReadNotice[],
): Promise<DerivedUid[]> {
  const { dataSet } = parsed;
  // Only an image is given UIDs: an object without pixel data that lacks a UID is as often a file cut
  // short in its header (whose later elements, UIDs among them, are gone) as a writer's slip.
  const identifiable = pd !== undefined && attributes.Rows !== undefined && attributes.Columns !== undefined;
  const derived: DerivedUid[] = [];
  for (const keyword of REQUIRED_KEYWORDS) {
    const v = attributes[keyword];
    if (v !== undefined && /[^\x20-\x7e]/.test(v)) throw new AmurError('dicom.invalidAttribute', { path, keyword });
    if (v !== undefined && isValidUid(v)) continue;
    if (!identifiable) throw new AmurError(v === undefined ? 'dicom.missingAttribute' : 'dicom.invalidAttribute', { path, keyword });
    derived.push(v === undefined ? { keyword } : { keyword, original: v });
  }
  // Study first: the series is derived within its study, the instance from the file itself.
  const order: RequiredKeyword[] = ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'];
  for (const d of [...derived].sort((x, y) => order.indexOf(x.keyword) - order.indexOf(y.keyword))) {
    const a = attributes;
    let uid: string;
    if (d.keyword === 'StudyInstanceUID') {
      uid = d.original !== undefined
        ? derivedUid('study-invalid', [d.original])
        : derivedUid('study', [a.PatientID, a.IssuerOfPatientID, a.PatientName, a.PatientBirthDate, a.StudyDate, a.StudyTime, a.AccessionNumber, a.StudyID, a.StudyDescription]);
    } else if (d.keyword === 'SeriesInstanceUID') {
      uid = d.original !== undefined
        ? derivedUid('series-invalid', [a.StudyInstanceUID, d.original])
        : derivedUid('series', [a.StudyInstanceUID, a.Modality, a.SeriesNumber, a.SeriesDescription, a.SeriesDate, a.SeriesTime]);
    } else if (d.original === undefined && parsed.MediaStorageSOPInstanceUID && isValidUid(parsed.MediaStorageSOPInstanceUID)) {
      // The file meta names the instance (PS3.10 7.1): the sender's own UID, not one of ours.
      attributes.SOPInstanceUID = parsed.MediaStorageSOPInstanceUID;
      d.from = 'MediaStorageSOPInstanceUID';
      notices.push({ code: 'dicom.uidFromFileMeta', params: { path, keyword: d.keyword, uid: attributes.SOPInstanceUID } });
      continue;
    } else {
      // The header's bytes up to Pixel Data and the file's last bytes (the end of the pixel data):
      // the same file gives the same UID without reading all of its pixels.
      const headerBytes = dataSet.byteArray.subarray(0, pd ? pd.dataOffset : dataSet.byteArray.length);
      const tailLength = Math.min(source.size, 64 * 1024);
      const tail = await source.read(source.size - tailLength, tailLength);
      uid = derivedUid(d.original !== undefined ? 'instance-invalid' : 'instance', [a.StudyInstanceUID, a.SeriesInstanceUID, d.original, headerBytes, source.size, tail]);
    }
    attributes[d.keyword] = uid;
    notices.push({ code: d.original !== undefined ? 'dicom.uidInvalidDerived' : 'dicom.uidMissingDerived', params: { path, keyword: d.keyword, uid } });
  }
  return derived;
}

function valueBytes(dataSet: DataSet, el: Element, path: string): Uint8Array {
  const end = el.dataOffset + el.length;
  if (end > dataSet.byteArray.length) throw new AmurError('dicom.lengthPastEnd', { path });
  return dataSet.byteArray.subarray(el.dataOffset, end);
}

/**
 * Checks that the Pixel Data value lies inside the file, reading at most its last bytes: a defined
 * length is compared with the file size; an encapsulated (undefined length) value must end with the
 * Sequence Delimitation Item, which is normally the file's last 8 bytes. When something follows it
 * (trailing padding, say), the fragments' item headers are walked instead of reading their data.
 */
async function checkPixelDataEnd(
  source: ByteSource, offset: number, length: number, path: string, expect: { frames: number; rle: boolean },
): Promise<boolean> {
  if (length !== UNDEFINED_LENGTH) {
    if (offset + length > source.size) throw new AmurError('dicom.truncated', { path });
    return false;
  }
  if (source.size - offset >= 8) {
    const tail = await source.read(source.size - 8, 8);
    if (isSequenceDelimiter(tail, 0)) return false;
  }
  let pos = offset;
  let fragments = -1; // the first item is the Basic Offset Table
  let frameStarts = 0;
  let lastEnd: Uint8Array | undefined;
  for (;;) {
    if (pos === source.size && fragments > 0 && endsWhole(fragments, frameStarts, lastEnd, expect)) {
      // The file ends exactly after a whole fragment, and the frames are all there: a writer that
      // left out the final Sequence Delimitation Item (dcmtk reads it with +Ep, as Weasis does).
      return true;
    }
    if (pos + 8 > source.size) throw new AmurError('dicom.truncated', { path });
    const h = await source.read(pos, Math.min(12, source.size - pos));
    if (isSequenceDelimiter(h, 0)) return false;
    const group = h[0] | (h[1] << 8);
    const element = h[2] | (h[3] << 8);
    if (group !== 0xfffe || element !== 0xe000) throw new AmurError('dicom.lengthPastEnd', { path });
    const itemLength = (h[4] | (h[5] << 8) | (h[6] << 16) | (h[7] << 24)) >>> 0;
    if (itemLength === UNDEFINED_LENGTH) throw new AmurError('dicom.lengthPastEnd', { path });
    if (fragments >= 0 && h.length >= 12 && isFrameStart(h.subarray(8))) frameStarts++;
    fragments++;
    pos += 8 + itemLength;
    if (pos === source.size && itemLength >= 2) lastEnd = await source.read(pos - Math.min(3, itemLength), Math.min(3, itemLength));
  }
}

/** JPEG (SOI FFD8), JPEG-LS (SOI) or JPEG 2000 (SOC FF4F, or a JP2 signature box) starts a frame. */
function isFrameStart(b: Uint8Array): boolean {
  return (b[0] === 0xff && (b[1] === 0xd8 || b[1] === 0x4f)) || (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c);
}

/**
 * Whether encapsulated pixel data that stops without its delimiter still holds every frame whole: as
 * many frames as the header declares, and (for the JPEG family) the last one ending with its EOI/EOC
 * marker FFD9, possibly followed by the pad byte that keeps fragments even. A file cut between two
 * fragments fails this, and stays refused as truncated.
 */
function endsWhole(fragments: number, frameStarts: number, lastEnd: Uint8Array | undefined, expect: { frames: number; rle: boolean }): boolean {
  if (expect.rle) return fragments >= expect.frames;
  if (frameStarts < expect.frames || !lastEnd) return false;
  const n = lastEnd.length;
  const at = (i: number) => lastEnd[n - i];
  return (at(2) === 0xff && at(1) === 0xd9) || (n >= 3 && at(3) === 0xff && at(2) === 0xd9 && at(1) === 0);
}

function isSequenceDelimiter(b: Uint8Array, at: number): boolean {
  return b[at] === 0xfe && b[at + 1] === 0xff && b[at + 2] === 0xdd && b[at + 3] === 0xe0
    && b[at + 4] === 0 && b[at + 5] === 0 && b[at + 6] === 0 && b[at + 7] === 0;
}

type Attempt = { done: ParsedDataSet } | { needMore: true };

/**
 * Reads a growing prefix of the file until the top-level data set parses up to Pixel Data (or, for
 * a file without pixel data, to its end). Errors on a prefix only mean "read more"; once the whole
 * file is in hand they are the file's own.
 */
export async function parseFromSource(source: ByteSource, path: string, opts: { untilPixelData: boolean }): Promise<ParsedDataSet> {
  if (source.size === 0) throw new AmurError('dicom.notDicom', { path });
  let size = opts.untilPixelData ? Math.min(source.size, FIRST_CHUNK) : source.size;
  let bytes: Uint8Array = new Uint8Array(0);
  for (;;) {
    // Each growth reads only the bytes not yet in hand.
    const wanted = size - bytes.length;
    const more = await source.read(bytes.length, wanted);
    bytes = bytes.length === 0 ? more : Buffer.concat([bytes, more]);
    // A short read means the file shrank while we read it: what we have is all there is.
    const complete = bytes.length >= source.size || more.length < wanted;
    const attempt = parseBytes(bytes, complete, path, opts.untilPixelData);
    if ('done' in attempt) return attempt.done;
    if (complete) throw new AmurError('dicom.truncated', { path });
    size = Math.min(source.size, size * 4);
  }
}

function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}
function u16be(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}
function u32le(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}
function isVR(b: Uint8Array, at: number): boolean {
  return at + 2 <= b.length && ALL_VRS.has(String.fromCharCode(b[at], b[at + 1]));
}

/**
 * Guesses the encoding of a data set with no (usable) Transfer Syntax from its first element.
 * `strict` is for files without the DICM signature: then the first element must be a plausible
 * start of an instance, (0008,0000)..(0008,0018) — SOP Instance UID (0008,0018) is mandatory, so an
 * instance's first element can never come after it — or a random file would pass for DICOM.
 */
function sniff(b: Uint8Array, at: number, strict: boolean): string | undefined {
  if (at + 8 > b.length) return strict ? undefined : TransferSyntax.ExplicitVRLittleEndian;
  const le = { group: u16le(b, at), element: u16le(b, at + 2) };
  const be = { group: u16be(b, at), element: u16be(b, at + 2) };
  const plausible = (t: { group: number; element: number }) => t.group === 0x0008 && t.element <= 0x0018;
  if (strict) {
    if (plausible(le)) return isVR(b, at + 4) ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
    if (plausible(be) && isVR(b, at + 4)) return TransferSyntax.ExplicitVRBigEndian;
    return undefined;
  }
  if (le.group > 0x00ff && be.group <= 0x00ff && isVR(b, at + 4)) return TransferSyntax.ExplicitVRBigEndian;
  return isVR(b, at + 4) ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
}

interface Meta {
  end: number;
  TransferSyntaxUID?: string;
  MediaStorageSOPClassUID?: string;
  MediaStorageSOPInstanceUID?: string;
}

/** Reads the File Meta Information group (always explicit VR little endian, PS3.10 7.1). */
function readMeta(b: Uint8Array, start: number): Meta | 'short' {
  const meta: Meta = { end: start };
  let pos = start;
  while (pos + 8 <= b.length && u16le(b, pos) === 0x0002) {
    const element = u16le(b, pos + 2);
    let length: number;
    let value: number;
    if (!isVR(b, pos + 4)) {
      // A meta group written in implicit VR: broken, but the intent is unambiguous.
      length = u32le(b, pos + 4);
      value = pos + 8;
    } else if (LONG_LENGTH_VRS.has(String.fromCharCode(b[pos + 4], b[pos + 5]))) {
      if (pos + 12 > b.length) return 'short';
      length = u32le(b, pos + 8);
      value = pos + 12;
    } else {
      length = u16le(b, pos + 6);
      value = pos + 8;
    }
    if (length === UNDEFINED_LENGTH || value + length > b.length) return 'short';
    const text = () => latin1(b.subarray(value, value + length)).replace(/[\0 ]+$/, '').trim();
    if (element === 0x0010) meta.TransferSyntaxUID = text();
    if (element === 0x0002) meta.MediaStorageSOPClassUID = text();
    if (element === 0x0003) meta.MediaStorageSOPInstanceUID = text();
    pos = value + length;
  }
  if (pos + 8 > b.length && pos < b.length) return 'short';
  meta.end = pos;
  return meta;
}

function parseBytes(bytes: Uint8Array, complete: boolean, path: string, untilPixelData: boolean): Attempt {
  const warnings: string[] = [];
  let hasFileMeta = false;
  let metaStart: number | undefined;
  let signed = false;
  if (bytes.length >= 132 && latin1(bytes.subarray(128, 132)) === 'DICM') {
    metaStart = 132;
    signed = true;
  } else if (bytes.length < 132 && !complete) {
    return { needMore: true };
  } else if (bytes.length >= 8 && u16le(bytes, 0) === 0x0002 && isVR(bytes, 4)) {
    metaStart = 0; // a meta group without the 128-byte preamble and "DICM"
    signed = true;
  }

  let dataSetStart = 0;
  let ts: string | undefined;
  let mediaClass: string | undefined;
  let mediaInstance: string | undefined;
  if (metaStart !== undefined) {
    const meta = readMeta(bytes, metaStart);
    if (meta === 'short') {
      if (!complete) return { needMore: true };
      throw new AmurError('dicom.lengthPastEnd', { path });
    }
    hasFileMeta = meta.end > metaStart;
    dataSetStart = meta.end;
    ts = meta.TransferSyntaxUID || undefined;
    mediaClass = meta.MediaStorageSOPClassUID || undefined;
    mediaInstance = meta.MediaStorageSOPInstanceUID || undefined;
  }

  if (untilPixelData && mediaClass === MEDIA_STORAGE_DIRECTORY_STORAGE) {
    // A DICOMDIR is an index, not an instance: saying so is all a header read needs. Its records are
    // parsed by readDicomDir, which reports their own faults.
    return { done: { dataSet: emptyDataSet(), TransferSyntaxUID: ts ?? TransferSyntax.ExplicitVRLittleEndian, hasFileMeta, MediaStorageSOPClassUID: mediaClass, dataSetOffset: dataSetStart, warnings } };
  }

  if (!ts) {
    ts = sniff(bytes, dataSetStart, !signed);
    if (!ts) throw new AmurError('dicom.notDicom', { path });
    if (hasFileMeta) warnings.push(`no Transfer Syntax UID in the file meta information; read as ${ts}`);
  } else if (dataSetStart + 8 <= bytes.length && u16le(bytes, dataSetStart) !== 0xfffc) {
    // Writers sometimes declare explicit VR and write implicit (or the reverse); the first element
    // says which it really is, as it does for dcmtk and pydicom.
    const explicitBytes = isVR(bytes, dataSetStart + 4);
    if (ts === TransferSyntax.ImplicitVRLittleEndian && explicitBytes) {
      warnings.push('Transfer Syntax says implicit VR but the data set is explicit VR; read as explicit');
      ts = TransferSyntax.ExplicitVRLittleEndian;
    } else if (ts !== TransferSyntax.ImplicitVRLittleEndian && ts !== TransferSyntax.ExplicitVRBigEndian
        && !isDeflate(ts) && !explicitBytes) {
      warnings.push(`Transfer Syntax ${ts} says explicit VR but the data set is implicit VR; read as implicit`);
      ts = TransferSyntax.ImplicitVRLittleEndian;
    }
  }

  let dataSetBytes: Uint8Array;
  let dataSetOffset: number | undefined = dataSetStart;
  let parseAs = ts;
  if (isDeflate(ts)) {
    if (!complete) {
      // A prefix of the stream inflates as far as it goes (a sync flush instead of an end-of-stream
      // check), so a large deflated image is read only until its header is whole.
      try {
        dataSetBytes = inflateRawSync(bytes.subarray(dataSetStart), { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED });
      } catch {
        return { needMore: true };
      }
    } else {
      try {
        dataSetBytes = inflateRawSync(bytes.subarray(dataSetStart), { maxOutputLength: MAX_INFLATED });
      } catch (e) {
        const msg = describe(e);
        if (/unexpected end/i.test(msg)) throw new AmurError('dicom.truncated', { path });
        throw new AmurError('dicom.unreadable', { path, detail: `deflate: ${msg}` });
      }
    }
    dataSetOffset = undefined;
    parseAs = TransferSyntax.ExplicitVRLittleEndian;
  } else {
    dataSetBytes = bytes.subarray(dataSetStart);
  }
  if (dataSetBytes.length === 0) {
    if (!complete) return { needMore: true };
    throw new AmurError('dicom.missingAttribute', { path, keyword: 'SOPInstanceUID' });
  }

  let dataSet: DataSet;
  try {
    dataSet = dicomParser.parseDicom(dataSetBytes, {
      // Any encapsulated syntax is explicit VR little endian as far as the header goes.
      TransferSyntaxUID: parseAs === TransferSyntax.ImplicitVRLittleEndian || parseAs === TransferSyntax.ExplicitVRBigEndian
        ? parseAs : TransferSyntax.ExplicitVRLittleEndian,
      ...(untilPixelData ? { untilTag: PIXEL_DATA } : {}),
    });
  } catch (e) {
    const inner = e && typeof e === 'object' && 'exception' in e ? (e as { exception: unknown }).exception : e;
    if (inner instanceof RangeError) throw new AmurError('dicom.tooDeep', { path, max: MAX_SEQUENCE_DEPTH });
    if (!complete) return { needMore: true };
    const msg = describe(inner);
    if (/past end|overrun|overread|maxP ?osition|cannot be greater than/i.test(msg)) {
      throw new AmurError('dicom.lengthPastEnd', { path });
    }
    throw new AmurError('dicom.unreadable', { path, detail: msg });
  }

  const reachedPixelData = dataSet.elements[PIXEL_DATA] !== undefined;
  // dicom-parser notes, rather than throws, when the file ends inside an undefined-length sequence or
  // item; that is a cut file. (Its "peeking to determine VR" note only means the last element was short.)
  const ranOut = dataSet.warnings.some((w) => /eof encountered/i.test(w) && !/peeking/i.test(w));
  if (!reachedPixelData || ranOut) {
    if (!complete) return { needMore: true };
    if (ranOut) throw new AmurError('dicom.truncated', { path });
  }
  if (sequenceDepth(dataSet) > MAX_SEQUENCE_DEPTH) {
    throw new AmurError('dicom.tooDeep', { path, max: MAX_SEQUENCE_DEPTH });
  }
  return {
    done: {
      dataSet,
      TransferSyntaxUID: ts,
      hasFileMeta,
      MediaStorageSOPClassUID: mediaClass,
      MediaStorageSOPInstanceUID: mediaInstance,
      dataSetOffset,
      inflatedWhole: isDeflate(ts) ? complete : undefined,
      warnings,
    },
  };
}

function emptyDataSet(): DataSet {
  const DataSetClass = (dicomParser as any).DataSet as new (parser: unknown, bytes: Uint8Array, elements: object) => DataSet;
  return new DataSetClass(dicomParser.littleEndianByteArrayParser, new Uint8Array(0), {});
}

function isDeflate(ts: string): boolean {
  return ts === TransferSyntax.DeflatedExplicitVRLittleEndian || ts === TransferSyntax.JPIPReferencedDeflate;
}

/** The deepest sequence nesting in a parsed data set, measured without recursion. */
function sequenceDepth(root: DataSet): number {
  let max = 0;
  const stack: { ds: DataSet; depth: number }[] = [{ ds: root, depth: 0 }];
  while (stack.length) {
    const { ds, depth } = stack.pop()!;
    if (depth > max) max = depth;
    if (depth > MAX_SEQUENCE_DEPTH) break;
    for (const el of Object.values(ds.elements)) {
      for (const item of el.items ?? []) if (item.dataSet) stack.push({ ds: item.dataSet, depth: depth + 1 });
    }
  }
  return max;
}
