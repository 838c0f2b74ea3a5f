// Instances a reader reads rather than scrolls: a Structured Report (its content tree, PS3.3
// C.17.3), an Encapsulated PDF (its document, PS3.3 C.24.2) and a Segmentation (its segments,
// PS3.3 C.8.20.2), so that priors and earlier reports open in the viewer as what they are and a
// SEG's binary frames are never shown as a grey image.
import { constants, inflateSync } from 'node:zlib';
import { AmurError } from '../common/errors.js';
import type { DocumentContent, SRContentItem } from '../contract/imaging.js';
import { readPart10, type Dataset } from '../reports/dcmjs.js';

export const SOP_CLASS = {
  EncapsulatedPDF: '1.2.840.10008.5.1.4.1.1.104.1',
  Segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
} as const;

/** Every Structured Report storage class lives under 1.2.840.10008.5.1.4.1.1.88 (PS3.4 B.5). */
export function isStructuredReport(SOPClassUID: string): boolean {
  return SOPClassUID.startsWith('1.2.840.10008.5.1.4.1.1.88.');
}

export function documentKind(SOPClassUID: string): DocumentContent['kind'] | undefined {
  if (isStructuredReport(SOPClassUID)) return 'sr';
  if (SOPClassUID === SOP_CLASS.EncapsulatedPDF) return 'pdf';
  if (SOPClassUID === SOP_CLASS.Segmentation) return 'seg';
  return undefined;
}

const seq = (v: unknown): Dataset[] => (Array.isArray(v) ? v : v ? [v as Dataset] : []);
const meaning = (codes: unknown): string | undefined => {
  const c = seq(codes)[0];
  return c ? String(c.CodeMeaning ?? c.CodeValue ?? '') || undefined : undefined;
};
const text = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map((x) => text(x) ?? '').join('\\');
  if (typeof v === 'object') {
    // A naturalized Person Name: { Alphabetic, Ideographic, Phonetic }.
    const pn = v as Record<string, unknown>;
    return [pn.Alphabetic, pn.Ideographic, pn.Phonetic].filter(Boolean).join(' ') || undefined;
  }
  return String(v);
};

/** A Person Name for reading: its groups (alphabetic, ideographic, phonetic) with components spaced. */
function personName(v: unknown): string | undefined {
  const raw = typeof v === 'object' && v !== null && !Array.isArray(v) ? [(v as Record<string, unknown>).Alphabetic, (v as Record<string, unknown>).Ideographic, (v as Record<string, unknown>).Phonetic] : [text(v)];
  const groups = raw.flatMap((g) => (typeof g === 'string' ? g.split('=') : [])).map((g) => g.split('^').map((c) => c.trim()).filter(Boolean).join(' ')).filter(Boolean);
  return groups.length ? [...new Set(groups)].join(' = ') : undefined;
}

/** One content item and, below it, its children (to a depth no real report reaches). */
function contentItem(i: Dataset, depth: number): SRContentItem {
  const ValueType = String(i.ValueType ?? '');
  const out: SRContentItem = { ValueType, children: [] };
  if (i.RelationshipType) out.RelationshipType = String(i.RelationshipType);
  const concept = meaning(i.ConceptNameCodeSequence);
  if (concept) out.concept = concept;
  let value: string | undefined;
  switch (ValueType) {
    case 'TEXT': value = text(i.TextValue); break;
    case 'CODE': value = meaning(i.ConceptCodeSequence); break;
    case 'NUM': {
      const mv = seq(i.MeasuredValueSequence)[0];
      if (mv) {
        value = text(mv.NumericValue);
        const unit = seq(mv.MeasurementUnitsCodeSequence)[0];
        if (unit) out.unit = { value: String(unit.CodeValue ?? ''), meaning: String(unit.CodeMeaning ?? unit.CodeValue ?? '') };
      }
      break;
    }
    case 'PNAME': value = personName(i.PersonName); break;
    case 'DATE': value = text(i.Date); break;
    case 'TIME': value = text(i.Time); break;
    case 'DATETIME': value = text(i.DateTime); break;
    case 'UIDREF': value = text(i.UID); break;
    case 'IMAGE':
    case 'COMPOSITE':
    case 'WAVEFORM': value = text(seq(i.ReferencedSOPSequence)[0]?.ReferencedSOPInstanceUID); break;
    default: break;
  }
  if (value !== undefined && value !== '') out.value = value;
  if (depth < 32) out.children = seq(i.ContentSequence).map((c) => contentItem(c, depth + 1));
  return out;
}

/** The page count of a PDF: the largest /Count of its page tree nodes, else its /Type /Page objects. */
export function pdfPageCount(bytes: Uint8Array): number {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  // PDF 1.5 files keep most dictionaries in compressed object streams: their text is read too.
  let s = raw;
  for (const m of raw.matchAll(/<<((?:(?!>>)[\s\S])*?\/Type\s*\/ObjStm(?:(?!>>)[\s\S])*?)>>\s*stream\r?\n/g)) {
    if (!/\/FlateDecode/.test(m[1])) continue;
    const start = m.index + m[0].length;
    const end = raw.indexOf('endstream', start);
    if (end < 0) continue;
    try {
      s += inflateSync(Buffer.from(bytes.subarray(start, end))).toString('latin1');
    } catch {
      try {
        s += inflateSync(Buffer.from(bytes.subarray(start, end)), { finishFlush: constants.Z_SYNC_FLUSH }).toString('latin1');
      } catch {
        // A stream that does not inflate holds nothing we can count.
      }
    }
  }
  let pages = 0;
  for (const m of s.matchAll(/<<(?:(?!>>)[\s\S])*?\/Type\s*\/Pages\b(?:(?!>>)[\s\S])*?>>/g)) {
    const count = /\/Count\s+(\d+)/.exec(m[0]);
    if (count) pages = Math.max(pages, Number(count[1]));
  }
  if (pages === 0) pages = [...s.matchAll(/\/Type\s*\/Page(?![a-zA-Z])/g)].length;
  return pages;
}

/** Reads an SR, an Encapsulated PDF or a SEG for display; anything else is not a document. */
export function readDocument(bytes: Uint8Array, file = ''): DocumentContent {
  let ds: Dataset;
  try {
    ds = readPart10(bytes).dataset;
  } catch (e) {
    throw new AmurError('imaging.unreadable', { path: file, detail: e instanceof Error ? e.message : String(e) });
  }
  const SOPInstanceUID = String(ds.SOPInstanceUID ?? '');
  const kind = documentKind(String(ds.SOPClassUID ?? ''));
  if (kind === 'sr') {
    return {
      kind,
      SOPInstanceUID,
      title: meaning(ds.ConceptNameCodeSequence) ?? '',
      ...(ds.CompletionFlag ? { completionFlag: String(ds.CompletionFlag) } : {}),
      ...(ds.VerificationFlag ? { verificationFlag: String(ds.VerificationFlag) } : {}),
      ...(ds.ContentDate ? { ContentDate: String(ds.ContentDate) } : {}),
      ...(ds.ContentTime ? { ContentTime: String(ds.ContentTime) } : {}),
      root: contentItem(ds, 0),
    };
  }
  if (kind === 'pdf') {
    const raw = ds.EncapsulatedDocument;
    const buf = Array.isArray(raw) ? raw[0] : raw;
    if (!(buf instanceof ArrayBuffer)) throw new AmurError('imaging.notADocument', { SOPInstanceUID });
    let pdf = new Uint8Array(buf);
    // The element is padded to an even length; the PDF ends at its last %%EOF (PS3.3 C.24.2.1).
    const length = Number(ds.EncapsulatedDocumentLength);
    if (Number.isInteger(length) && length > 0 && length <= pdf.length) pdf = pdf.subarray(0, length);
    return { kind, SOPInstanceUID, title: String(ds.DocumentTitle ?? ''), pages: pdfPageCount(pdf), bytes: new Uint8Array(pdf) };
  }
  if (kind === 'seg') {
    const segments = seq(ds.SegmentSequence).map((s, i) => ({
      SegmentNumber: Number(s.SegmentNumber ?? i + 1),
      SegmentLabel: String(s.SegmentLabel ?? ''),
      ...(meaning(s.SegmentedPropertyCategoryCodeSequence) ? { category: meaning(s.SegmentedPropertyCategoryCodeSequence) } : {}),
      ...(meaning(s.SegmentedPropertyTypeCodeSequence) ? { type: meaning(s.SegmentedPropertyTypeCodeSequence) } : {}),
    }));
    return { kind, SOPInstanceUID, segments, frames: Math.max(1, Number(ds.NumberOfFrames ?? 1)) };
  }
  throw new AmurError('imaging.notADocument', { SOPInstanceUID });
}
