// DICOM digital signatures (PS3.15 Annex C, PS3.3 C.12.1.1.3): adds a Digital Signatures Sequence
// item and its MAC Parameters Sequence item to a Part 10 file, and verifies the signatures a file
// carries. The MAC byte stream is the signature-format encoding of dicom-stream.ts over every
// signable top-level element, followed by the signature item's own elements other than the
// certificate, the signature and any timestamp -- the layout dcmtk's dcmsign writes and checks, so
// each side accepts the other's signatures.
import { createHash, randomUUID, sign as cryptoSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import { assertUsableForSigning, checkSigner, signerInfo, type Problem, type SignerInfo } from './certificates.js';
import {
  encodeAT,
  encodeElement,
  encodeItem,
  encodeSequence,
  encodeUS,
  EXPLICIT_VR_LITTLE_ENDIAN,
  find,
  groupOf,
  isSignable,
  parsePart10,
  readATs,
  signatureFormat,
  stringValue,
  tagOf,
  tagText,
  type Element,
  type Part10,
} from './dicom-stream.js';
import type { SigningIdentity } from './pkcs12.js';
import { verifyTimestampOf, type TimestampCheck } from './timestamp.js';

export const MAC_PARAMETERS_SEQUENCE = tagOf(0x4ffe, 0x0001);
export const DIGITAL_SIGNATURES_SEQUENCE = tagOf(0xfffa, 0xfffa);
const MAC_ID_NUMBER = tagOf(0x0400, 0x0005);
const MAC_CALCULATION_TRANSFER_SYNTAX_UID = tagOf(0x0400, 0x0010);
const MAC_ALGORITHM = tagOf(0x0400, 0x0015);
const DATA_ELEMENTS_SIGNED = tagOf(0x0400, 0x0020);
const DIGITAL_SIGNATURE_UID = tagOf(0x0400, 0x0100);
const DIGITAL_SIGNATURE_DATETIME = tagOf(0x0400, 0x0105);
const CERTIFICATE_TYPE = tagOf(0x0400, 0x0110);
const CERTIFICATE_OF_SIGNER = tagOf(0x0400, 0x0115);
const SIGNATURE = tagOf(0x0400, 0x0120);
const CERTIFIED_TIMESTAMP_TYPE = tagOf(0x0400, 0x0305);
const CERTIFIED_TIMESTAMP = tagOf(0x0400, 0x0310);
const DIGITAL_SIGNATURE_PURPOSE_CODE_SEQUENCE = tagOf(0x0400, 0x0401);
const CODE_VALUE = tagOf(0x0008, 0x0100);
const CODE_MEANING = tagOf(0x0008, 0x0104);

/**
 * Digital Signature Purpose (CID 7007, coding scheme ASTM-sigpurpose, from ASTM E1762). A report's
 * signature by the reading radiologist is the verification signature (code 5).
 */
export const SIGNATURE_PURPOSES = {
  author: { value: '1', meaning: "Author's Signature" },
  verification: { value: '5', meaning: 'Verification Signature' },
  review: { value: '13', meaning: 'Review Signature' },
  addendum: { value: '15', meaning: 'Addendum Signature' },
} as const;
export type SignaturePurpose = keyof typeof SIGNATURE_PURPOSES;

/** MAC Algorithm (0400,0015) defined terms and their Node digest names. */
const MAC_ALGORITHMS: Record<string, string> = {
  SHA256: 'sha256',
  SHA384: 'sha384',
  SHA512: 'sha512',
  SHA1: 'sha1',
  RIPEMD160: 'ripemd160',
  MD5: 'md5',
};

export interface DicomSignOptions {
  /** Default 'verification'. */
  purpose?: SignaturePurpose;
  /**
   * A signed object is immutable: signing a file that already carries a signature is refused
   * ('signing.alreadySigned') unless this is true, in which case a further signature is added
   * beside the existing ones (a co-signature), which stay valid.
   */
  addSignature?: boolean;
  /** Signing time; default now. */
  now?: Date;
  /** Where the file came from, for error messages. */
  path?: string;
}

/** DICOM DT in UTC with microseconds, as dcmsign writes it: YYYYMMDDHHMMSS.FFFFFF+0000. */
export function dicomDateTimeUTC(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}+0000`
  );
}

export function parseDicomDateTime(dt: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/.exec(dt.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', tz = '+0000'] = m;
  const ms = Math.round(Number(`0.${frac}`) * 1000);
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const sign = tz.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(tz.slice(1, 3)) * 60 + Number(tz.slice(3, 5)));
  return new Date(utc - offsetMin * 60000);
}

/** A UID under the 2.25 root (PS3.5 B.2): the decimal form of a random UUID. */
export function uuidUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

function purposeItem(purpose: SignaturePurpose): Buffer {
  const p = SIGNATURE_PURPOSES[purpose];
  return encodeItem([
    encodeElement(0x0008, 0x0100, 'SH', p.value),
    encodeElement(0x0008, 0x0102, 'SH', 'ASTM-sigpurpose'),
    encodeElement(0x0008, 0x0104, 'LO', p.meaning),
  ]);
}

function macIdsInUse(part: Part10): Set<number> {
  const ids = new Set<number>();
  for (const seqTag of [MAC_PARAMETERS_SEQUENCE, DIGITAL_SIGNATURES_SEQUENCE]) {
    for (const item of find(part.elements, seqTag)?.items ?? []) {
      const id = find(item.elements, MAC_ID_NUMBER);
      if (id && id.length >= 2) ids.add(part.bytes.readUInt16LE(id.valueStart));
    }
  }
  return ids;
}

/** An ECDSA signature is DER and may be odd-length; OB pads it, so cut it back to the DER length. */
function derLength(sig: Buffer): number {
  if (sig[0] !== 0x30 || sig.length < 2) return sig.length;
  const first = sig[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + sig[2 + i]!;
  return 2 + n + len;
}

/**
 * Signs a DICOM Part 10 file (a data set in Explicit VR Little Endian: uncompressed or compressed
 * transfer syntaxes, not Implicit VR or Big Endian) and returns the signed file. Every signable
 * top-level element is covered; the MAC is SHA-256 over the data set as it is encoded;
 * the signature is RSASSA-PKCS1-v1_5 or ECDSA (DER) per the key.
 */
export function signDicom(bytes: Uint8Array, identity: SigningIdentity, options: DicomSignOptions = {}): Buffer {
  const path = options.path ?? '';
  const now = options.now ?? new Date();
  if (identity.keyAlgorithm === 'sm2') throw new AmurError('signing.unsupportedKey', { type: 'sm2' });
  assertUsableForSigning(identity.certificate, now);
  const part = parsePart10(bytes, path);
  const b = part.bytes;
  const existing = find(part.elements, DIGITAL_SIGNATURES_SEQUENCE);
  if (existing && existing.items?.length && !options.addSignature) throw new AmurError('signing.alreadySigned', { path });

  const used = macIdsInUse(part);
  let macId = 0;
  while (used.has(macId)) macId++;

  const signed = part.elements.filter(isSignable);
  const signedTags = signed.map((e) => e.tag);

  // The signature item without its certificate and signature: these elements enter the MAC.
  const head = [
    encodeUS(0x0400, 0x0005, macId),
    encodeElement(0x0400, 0x0100, 'UI', uuidUid()),
    encodeElement(0x0400, 0x0105, 'DT', dicomDateTimeUTC(now)),
    encodeElement(0x0400, 0x0110, 'CS', 'X509_1993_SIG'),
  ];
  const purpose = encodeSequence(0x0400, 0x0401, [purposeItem(options.purpose ?? 'verification')]);

  const stream: Buffer[] = [];
  for (const el of signed) signatureFormat(b, el, stream);
  const itemView = parseItemElements(Buffer.concat([...head, purpose]));
  for (const el of itemView.elements) signatureFormat(itemView.bytes, el, stream);
  const data = Buffer.concat(stream);

  const signature =
    identity.keyAlgorithm === 'rsa'
      ? cryptoSign('sha256', data, identity.privateKey)
      : cryptoSign('sha256', data, { key: identity.privateKey, dsaEncoding: 'der' });

  const signatureItem = encodeItem([
    ...head,
    encodeElement(0x0400, 0x0115, 'OB', identity.certificate.raw),
    encodeElement(0x0400, 0x0120, 'OB', signature),
    purpose,
  ]);
  const macItem = encodeItem([
    encodeUS(0x0400, 0x0005, macId),
    // The file's own transfer syntax for compressed files (their pixel data cannot be written in
    // plain Explicit VR Little Endian; dcmsign does the same), Explicit VR Little Endian otherwise.
    encodeElement(0x0400, 0x0010, 'UI', part.transferSyntaxUID),
    encodeElement(0x0400, 0x0015, 'CS', 'SHA256'),
    encodeAT(0x0400, 0x0020, signedTags),
  ]);

  const oldItems = (tag: number) => (find(part.elements, tag)?.items ?? []).map((i) => b.subarray(i.start, i.end));
  const macSeq = encodeSequence(0x4ffe, 0x0001, [...oldItems(MAC_PARAMETERS_SEQUENCE), macItem]);
  const sigSeq = encodeSequence(0xfffa, 0xfffa, [...oldItems(DIGITAL_SIGNATURES_SEQUENCE), signatureItem]);

  // Rebuild the data set in tag order with the two sequences in their places.
  const replaced = new Set([MAC_PARAMETERS_SEQUENCE, DIGITAL_SIGNATURES_SEQUENCE]);
  const pieces: { tag: number; bytes: Buffer }[] = part.elements
    .filter((e) => !replaced.has(e.tag))
    .map((e) => ({ tag: e.tag, bytes: b.subarray(e.start, e.end) }));
  pieces.push({ tag: MAC_PARAMETERS_SEQUENCE, bytes: macSeq }, { tag: DIGITAL_SIGNATURES_SEQUENCE, bytes: sigSeq });
  pieces.sort((x, y) => x.tag - y.tag);
  return Buffer.concat([b.subarray(0, part.datasetStart), ...pieces.map((p) => p.bytes)]);
}

/** Parses a run of encoded elements (as built above) by wrapping them in a throw-away file. */
function parseItemElements(encoded: Buffer): { bytes: Buffer; elements: Element[] } {
  const meta = encodeElement(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN);
  const file = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, encoded]);
  const part = parsePart10(file);
  return { bytes: part.bytes, elements: part.elements };
}

export interface DicomSignatureCheck {
  kind: 'dicom';
  valid: boolean;
  problems: Problem[];
  signatureUID?: string;
  /** The claimed signing time (ISO 8601, UTC). */
  signingTime?: string;
  macAlgorithm?: string;
  purpose?: string;
  signer?: SignerInfo;
  /** How many top-level elements the signature covers. */
  elementsSigned: number;
  /**
   * The Certified Timestamp (0400,0305)/(0400,0310) of the signature: an RFC 3161 token over the
   * Signature (0400,0120) value. Absent when the signature has none.
   */
  timestamp?: TimestampCheck;
}

/**
 * Verifies every signature of the top-level Digital Signatures Sequence. Each check says whether
 * the MAC and signature match the file as it is now, and whether the signer is trusted and was
 * valid at the signing time.
 */
export function verifyDicomSignatures(bytes: Uint8Array, trust: X509Certificate[], path = ''): DicomSignatureCheck[] {
  const part = parsePart10(bytes, path);
  const b = part.bytes;
  const macItems = find(part.elements, MAC_PARAMETERS_SEQUENCE)?.items ?? [];
  const checks: DicomSignatureCheck[] = [];
  for (const item of find(part.elements, DIGITAL_SIGNATURES_SEQUENCE)?.items ?? []) {
    const problems: Problem[] = [];
    const check: DicomSignatureCheck = { kind: 'dicom', valid: false, problems, elementsSigned: 0 };
    checks.push(check);
    const el = (tag: number) => find(item.elements, tag);
    const str = (tag: number) => {
      const e = el(tag);
      return e ? stringValue(b, e) : undefined;
    };
    check.signatureUID = str(DIGITAL_SIGNATURE_UID);
    const dt = str(DIGITAL_SIGNATURE_DATETIME);
    const signingTime = dt ? parseDicomDateTime(dt) : null;
    if (signingTime) check.signingTime = signingTime.toISOString();
    const purposeItemEl = el(DIGITAL_SIGNATURE_PURPOSE_CODE_SEQUENCE)?.items?.[0];
    if (purposeItemEl) {
      const v = find(purposeItemEl.elements, CODE_VALUE);
      const m = find(purposeItemEl.elements, CODE_MEANING);
      check.purpose = [v && stringValue(b, v), m && stringValue(b, m)].filter(Boolean).join(' ');
    }
    const macIdEl = el(MAC_ID_NUMBER);
    const certEl = el(CERTIFICATE_OF_SIGNER);
    const sigEl = el(SIGNATURE);
    if (!macIdEl || !sigEl || !signingTime) {
      problems.push({ code: 'signing.verify.malformed', params: { detail: 'signature item incomplete' } });
      continue;
    }
    if (!certEl || certEl.length === 0 || str(CERTIFICATE_TYPE) !== 'X509_1993_SIG') {
      problems.push({ code: 'signing.verify.noCertificate', params: {} });
      continue;
    }
    const macId = b.readUInt16LE(macIdEl.valueStart);
    const macItem = macItems.find((m) => {
      const id = find(m.elements, MAC_ID_NUMBER);
      return id && b.readUInt16LE(id.valueStart) === macId;
    });
    if (!macItem) {
      problems.push({ code: 'signing.verify.malformed', params: { detail: `no MAC parameters for MAC ID ${macId}` } });
      continue;
    }
    const mstr = (tag: number) => {
      const e = find(macItem.elements, tag);
      return e ? stringValue(b, e) : '';
    };
    const macAlgorithm = mstr(MAC_ALGORITHM);
    check.macAlgorithm = macAlgorithm;
    const digest = MAC_ALGORITHMS[macAlgorithm];
    if (!digest) {
      problems.push({ code: 'signing.verify.unsupportedAlgorithm', params: { algorithm: macAlgorithm || '?' } });
      continue;
    }
    const macTransferSyntax = mstr(MAC_CALCULATION_TRANSFER_SYNTAX_UID);
    if (macTransferSyntax !== EXPLICIT_VR_LITTLE_ENDIAN && macTransferSyntax !== part.transferSyntaxUID) {
      problems.push({ code: 'signing.verify.unsupportedAlgorithm', params: { algorithm: macTransferSyntax } });
      continue;
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(b.subarray(certEl.valueStart, certEl.valueStart + derLength(b.subarray(certEl.valueStart, certEl.valueStart + certEl.length))));
    } catch {
      problems.push({ code: 'signing.verify.noCertificate', params: {} });
      continue;
    }
    check.signer = signerInfo(certificate);

    const listEl = find(macItem.elements, DATA_ELEMENTS_SIGNED);
    const listed = new Set(listEl ? readATs(b, listEl) : []);
    check.elementsSigned = listed.size;
    const present = new Set(part.elements.map((e) => e.tag));
    const missing = [...listed].filter((t) => !present.has(t));
    if (missing.length) problems.push({ code: 'signing.verify.elementsRemoved', params: { count: missing.length } });
    // The standard lets a signature cover a subset, and dcmsign accepts an element added after
    // signing; a reader of a report must know, so anything signable left uncovered is a problem.
    const uncovered = part.elements.filter((e) => isSignable(e) && !listed.has(e.tag)).map((e) => tagText(e.tag));
    if (uncovered.length) {
      problems.push({ code: 'signing.verify.elementsNotCovered', params: { count: uncovered.length, tags: uncovered.slice(0, 5).join(' ') } });
    }

    const stream: Buffer[] = [];
    for (const e of part.elements) if (listed.has(e.tag) && isSignable(e)) signatureFormat(b, e, stream);
    for (const e of item.elements) {
      if (groupOf(e.tag) < 0x0008 || e.tag === CERTIFICATE_OF_SIGNER || e.tag === SIGNATURE) continue;
      if (e.tag === CERTIFIED_TIMESTAMP_TYPE || e.tag === CERTIFIED_TIMESTAMP) continue;
      signatureFormat(b, e, stream);
    }
    const data = Buffer.concat(stream);
    const rawSig = b.subarray(sigEl.valueStart, sigEl.valueStart + sigEl.length);
    const isEc = certificate.publicKey.asymmetricKeyType === 'ec';
    const sig = isEc ? rawSig.subarray(0, derLength(rawSig)) : rawSig;
    let ok: boolean;
    try {
      ok = isEc
        ? cryptoVerify(digest, data, { key: certificate.publicKey, dsaEncoding: 'der' }, sig)
        : cryptoVerify(digest, data, certificate.publicKey, sig);
    } catch {
      ok = false;
    }
    if (!ok) problems.push({ code: 'signing.verify.dicomMismatch', params: {} });
    // Trusted time: with a valid time-stamp the certificate must have been valid at the TSA's
    // time, and the time the signer claims cannot be later than it (5 minutes of clock skew).
    let at = signingTime;
    const tsType = str(CERTIFIED_TIMESTAMP_TYPE);
    const tsEl = el(CERTIFIED_TIMESTAMP);
    if (tsEl && tsEl.length > 0) {
      const token = b.subarray(tsEl.valueStart, tsEl.valueStart + tsEl.length);
      if (tsType !== 'CMS_TSP') {
        check.timestamp = { valid: false, problems: [{ code: 'signing.timestamp.unsupportedType', params: { type: tsType || '?' } }] };
      } else {
        check.timestamp = verifyTimestampOf(token, signatureValue(b, sigEl), trust);
      }
      problems.push(...check.timestamp.problems);
      if (check.timestamp.valid && check.timestamp.genTime) {
        at = new Date(check.timestamp.genTime);
        if (signingTime.getTime() > at.getTime() + 5 * 60_000) {
          problems.push({ code: 'signing.timestamp.claimedAfter', params: { claimed: signingTime.toISOString(), genTime: check.timestamp.genTime } });
        }
      }
    }
    problems.push(...checkSigner(certificate, trust, [], at));
    check.valid = problems.length === 0;
  }
  return checks;
}

/**
 * The Signature (0400,0120) value a Certified Timestamp is over: the signature itself, without the
 * pad byte OB adds to an odd-length (ECDSA DER) signature, as dcmsign hashes it.
 */
function signatureValue(b: Buffer, sig: Element): Buffer {
  const v = b.subarray(sig.valueStart, sig.valueStart + sig.length);
  return v.length % 2 === 0 && v[0] === 0x30 && derLength(v) === v.length - 1 && v[v.length - 1] === 0 ? v.subarray(0, v.length - 1) : v;
}

/** Signature UIDs and the value of each signature of a file that has no Certified Timestamp yet. */
export function signaturesWithoutTimestamp(bytes: Uint8Array, path = ''): { signatureUID: string; signature: Buffer }[] {
  const part = parsePart10(bytes, path);
  const b = part.bytes;
  const out: { signatureUID: string; signature: Buffer }[] = [];
  for (const item of find(part.elements, DIGITAL_SIGNATURES_SEQUENCE)?.items ?? []) {
    const sig = find(item.elements, SIGNATURE);
    const uid = find(item.elements, DIGITAL_SIGNATURE_UID);
    if (!sig || find(item.elements, CERTIFIED_TIMESTAMP)) continue;
    out.push({ signatureUID: uid ? stringValue(b, uid) : '', signature: signatureValue(b, sig) });
  }
  return out;
}

/**
 * Adds a Certified Timestamp (PS3.15 C.3: type CMS_TSP, an RFC 3161 token) to every signature of
 * the file that has none. `stamp` is given the signature's value (0400,0120), as stored, and
 * returns a token over its digest. The Certified Timestamp is outside the MAC (it signs the
 * signature), so adding it, now or later, leaves every signature valid; no other byte of the data
 * set changes. Returns the file unchanged when every signature already has one.
 */
export async function addDicomTimestamps(bytes: Uint8Array, stamp: (signatureValue: Buffer) => Promise<Buffer>, path = ''): Promise<Buffer> {
  const part = parsePart10(bytes, path);
  const b = part.bytes;
  const seqEl = find(part.elements, DIGITAL_SIGNATURES_SEQUENCE);
  if (!seqEl?.items?.length) return Buffer.from(b);
  let changed = false;
  const items: Buffer[] = [];
  for (const item of seqEl.items) {
    const sig = find(item.elements, SIGNATURE);
    if (!sig || find(item.elements, CERTIFIED_TIMESTAMP)) {
      items.push(b.subarray(item.start, item.end));
      continue;
    }
    const token = await stamp(signatureValue(b, sig));
    const added = [
      { tag: CERTIFIED_TIMESTAMP_TYPE, bytes: encodeElement(0x0400, 0x0305, 'CS', 'CMS_TSP') },
      { tag: CERTIFIED_TIMESTAMP, bytes: encodeElement(0x0400, 0x0310, 'OB', token) },
    ];
    const els = item.elements
      .filter((e) => e.tag !== CERTIFIED_TIMESTAMP_TYPE)
      .map((e) => ({ tag: e.tag, bytes: b.subarray(e.start, e.end) }))
      .concat(added)
      .sort((x, y) => x.tag - y.tag);
    items.push(encodeItem(els.map((e) => e.bytes)));
    changed = true;
  }
  if (!changed) return Buffer.from(b);
  const seqBytes = encodeSequence(0xfffa, 0xfffa, items);
  return Buffer.concat([b.subarray(0, seqEl.start), seqBytes, b.subarray(seqEl.end)]);
}

/** SHA-256 of the file, for reports that list what was signed. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
