// Re-identification of a report that came back through the exchange: the reader signed it for the
// de-identified study; the hospital's PACS must file it with the real patient and study. Done at
// the hospital only, from its re-identification map:
//
// - the patient and study attributes are those the hospital recorded when it de-identified;
// - every UID anywhere in the object (the study, the referenced series and instances in the
//   evidence and in the content tree) that the map knows is put back to the original;
// - what was changed is recorded as the standard does (PS3.3 C.12.1, Original Attributes
//   Sequence): the previous values in a Modified Attributes Sequence item (all but the content
//   tree's, which the archived original keeps), with when, by what system and why (COERCE);
// - every value written is cleaned (core/dicom/clean.ts): the recorded identity is the hospital's
//   images' own, defects (NUL padding, an invalid Patient's Sex...) included;
// - the reader's signatures no longer cover the object, so they are removed here and the caller
//   signs the result with the hospital's identity; the reader's original is archived unchanged.
import { AmurError } from '../common/errors.js';
import { cleanForWrite, objectName, type CleanNote, type Dict as CleanableDict } from '../dicom/clean.js';
import { dcmjsData } from '../reports/dcmjs.js';

/** What the hospital recorded about a study before de-identifying it (core/deid). */
export interface OriginalStudyIdentity {
  PatientName?: string;
  PatientID?: string;
  IssuerOfPatientID?: string;
  PatientBirthDate?: string;
  PatientSex?: string;
  StudyInstanceUID: string;
  AccessionNumber?: string;
  StudyID?: string;
  StudyDate?: string;
  StudyTime?: string;
  ReferringPhysicianName?: string;
}

export interface ReidLookup {
  original(agreementId: string, deidStudyUID: string): OriginalStudyIdentity | undefined;
  reverseUid(agreementId: string, uid: string): string | undefined;
}

type Element = { vr: string; Value?: unknown[]; InlineBinary?: string };
type Dict = Record<string, Element>;

const TAGS: Record<keyof OriginalStudyIdentity, [string, string]> = {
  PatientName: ['00100010', 'PN'],
  PatientID: ['00100020', 'LO'],
  IssuerOfPatientID: ['00100021', 'LO'],
  PatientBirthDate: ['00100030', 'DA'],
  PatientSex: ['00100040', 'CS'],
  StudyInstanceUID: ['0020000D', 'UI'],
  AccessionNumber: ['00080050', 'SH'],
  StudyID: ['00200010', 'SH'],
  StudyDate: ['00080020', 'DA'],
  StudyTime: ['00080030', 'TM'],
  ReferringPhysicianName: ['00080090', 'PN'],
};

const DIGITAL_SIGNATURES_SEQUENCE = 'FFFAFFFA';
const MAC_PARAMETERS_SEQUENCE = '4FFE0001';
const ORIGINAL_ATTRIBUTES_SEQUENCE = '04000561';
const CONTENT_SEQUENCE = '0040A730';

function pnValue(text: string): unknown {
  // dcmjs keeps a PN as an object of its component groups.
  const [Alphabetic = '', Ideographic, Phonetic] = text.split('=');
  return { Alphabetic, ...(Ideographic ? { Ideographic } : {}), ...(Phonetic ? { Phonetic } : {}) };
}

/** Replaces, in place, every UID the map knows; returns the top-level tags whose value changed. */
function restoreUids(dict: Dict, reverse: (uid: string) => string | undefined, top: boolean, changed: Set<string>): boolean {
  let any = false;
  for (const [tag, el] of Object.entries(dict)) {
    if (el.vr === 'UI' && Array.isArray(el.Value)) {
      el.Value = el.Value.map((v) => {
        const o = typeof v === 'string' ? reverse(v) : undefined;
        if (o && o !== v) {
          any = true;
          if (top) changed.add(tag);
          return o;
        }
        return v;
      });
    } else if (el.vr === 'SQ' && Array.isArray(el.Value)) {
      let inside = false;
      for (const item of el.Value as Dict[]) inside = restoreUids(item, reverse, false, changed) || inside;
      if (inside) {
        any = true;
        if (top) changed.add(tag);
      }
    }
  }
  return any;
}

export interface Reidentified {
  bytes: Buffer;
  /** The original StudyInstanceUID the object now belongs to. */
  StudyInstanceUID: string;
  SOPInstanceUID: string;
  SOPClassUID: string;
  /** Values (of the recorded identity, mostly) corrected or left out as invalid for their VR. */
  cleaned: CleanNote[];
}

/**
 * Re-identifies one DICOM object (a reader's SR or Encapsulated PDF) for the agreement. Throws
 * 'hospital.unknownStudy' when the object's study is not one this hospital de-identified.
 */
export function reidentify(bytes: Uint8Array, agreementId: string, map: ReidLookup, now: Date = new Date()): Reidentified {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let file: ReturnType<typeof dcmjsData.DicomMessage.readFile>;
  try {
    file = dcmjsData.DicomMessage.readFile(ab);
  } catch (e) {
    throw new AmurError('hospital.unreadable', { detail: (e as Error).message }, { cause: e });
  }
  const dict = file.dict as Dict;
  const deidStudy = String(dict['0020000D']?.Value?.[0] ?? '');
  const original = map.original(agreementId, deidStudy);
  if (!original) throw new AmurError('hospital.unknownStudy', { study: deidStudy, agreement: agreementId });

  // The previous values, copied before anything changes (deep copy: sequences are edited in place).
  const before = JSON.parse(JSON.stringify(dict)) as Dict;
  const changed = new Set<string>();
  for (const key of Object.keys(TAGS) as (keyof OriginalStudyIdentity)[]) {
    const value = original[key];
    if (value === undefined) continue;
    const [tag, vr] = TAGS[key];
    const el: Element = { vr, Value: value === '' ? [] : [vr === 'PN' ? pnValue(value) : value] };
    if (JSON.stringify(dict[tag]?.Value ?? []) !== JSON.stringify(el.Value)) changed.add(tag);
    dict[tag] = el;
  }
  restoreUids(dict, (uid) => map.reverseUid(agreementId, uid), true, changed);
  // The original patient's names may be in any script: the object is written in UTF-8.
  dict['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  delete dict[DIGITAL_SIGNATURES_SEQUENCE];
  delete dict[MAC_PARAMETERS_SEQUENCE];

  const modified: Dict = {};
  // The content tree is not copied into the Modified Attributes Sequence: its IMAGE items there
  // would reference the de-identified instances, which no evidence of the object lists (dciodvfy
  // rejects that), and the reader's signed original, archived unchanged, holds it as it was.
  for (const tag of [...changed].sort()) if (tag !== CONTENT_SEQUENCE) modified[tag] = before[tag] ?? { vr: dict[tag]!.vr, Value: [] };
  const previous = (dict[ORIGINAL_ATTRIBUTES_SEQUENCE]?.Value as Dict[] | undefined) ?? [];
  dict[ORIGINAL_ATTRIBUTES_SEQUENCE] = {
    vr: 'SQ',
    Value: [
      ...previous,
      {
        '04000550': { vr: 'SQ', Value: [modified] }, // Modified Attributes Sequence
        '04000562': { vr: 'DT', Value: [now.toISOString().replace(/[-:T]/g, '').replace(/\.(\d+)Z$/, '.$1+0000')] },
        '04000563': { vr: 'LO', Value: ['Amur hospital re-identification'] }, // Modifying System
        '04000564': { vr: 'LO', Value: [`Agreement ${agreementId}`.slice(0, 64)] }, // Source of Previous Values
        '04000565': { vr: 'CS', Value: ['COERCE'] }, // Reason for the Attribute Modification
      },
    ],
  };

  const SOPInstanceUID = String(dict['00080018']?.Value?.[0] ?? '');
  const SOPClassUID = String(dict['00080016']?.Value?.[0] ?? '');
  const meta = file.meta as Dict;
  meta['00020003'] = { vr: 'UI', Value: [SOPInstanceUID] };
  // The identity put back is what the hospital's own images said, defects included (a recording
  // made before the de-identifier cleaned its sources, or a value its PACS holds): cleaned here.
  const cleaned = cleanForWrite(dict as CleanableDict, meta as CleanableDict, objectName(SOPClassUID));
  const out = new dcmjsData.DicomDict(meta);
  out.dict = dict;
  return { bytes: Buffer.from(out.write()), StudyInstanceUID: original.StudyInstanceUID, SOPInstanceUID, SOPClassUID, cleaned };
}
