// PDF signatures, PAdES baseline B: a signature field added to a finished PDF (pdfkit's output) as
// an incremental update (pdf-update.ts), whose /Contents is a detached CMS (cms.ts) over the
// /ByteRange, with SubFilter ETSI.CAdES.detached. Verification re-reads every signature dictionary
// of the file; poppler's pdfsig is the referee in the tests.
import type { X509Certificate } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import { assertUsableForSigning, checkSigner, signerInfo, type Problem, type SignerInfo } from './certificates.js';
import { addCmsSignatureTimestamp, buildDetachedCms, cmsSignatureTimestamp, cmsSignatureValue, verifyDetachedCms } from './cms.js';
import { addSignaturePlaceholder, BYTE_RANGE_PLACEHOLDER } from './pdf-update.js';
import type { SigningIdentity } from './pkcs12.js';
import { verifyTimestampOf, type TimestampCheck } from './timestamp.js';

/**
 * Room for the CMS: certificates of a chain of three plus the signature, and a signature-time-stamp
 * token (the TSA's certificate and chain, a few kilobytes), with margin. A token added later must
 * fit into the same room, since /Contents cannot grow without moving the signed bytes.
 */
const CONTENTS_LENGTH = 16384;

export interface PdfSignOptions {
  reason?: string;
  /** The signer's name as shown by PDF readers; default the certificate's CN. */
  name?: string;
  location?: string;
  contactInfo?: string;
  now?: Date;
  /** As for DICOM: a signed PDF is refused unless a further signature is asked for. */
  addSignature?: boolean;
  path?: string;
  /**
   * Trusted time (PAdES-B-T): given the CMS signature value, returns an RFC 3161 token over its
   * digest, stored as the unsigned attribute id-aa-signatureTimeStampToken.
   */
  timestamp?: (signatureValue: Buffer) => Promise<Buffer>;
}

function commonName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? cert.subject;
}

/** Signs a complete PDF and returns the signed file (the original bytes plus an update). */
export async function signPdf(pdf: Uint8Array, identity: SigningIdentity, options: PdfSignOptions = {}): Promise<Buffer> {
  const path = options.path ?? '';
  const now = options.now ?? new Date();
  if (identity.keyAlgorithm === 'sm2') throw new AmurError('signing.unsupportedKey', { type: 'sm2' });
  assertUsableForSigning(identity.certificate, now);
  const input = Buffer.from(pdf);
  if (!input.subarray(0, 8).toString('latin1').startsWith('%PDF-')) throw new AmurError('signing.badPdf', { path, detail: 'no %PDF header' });
  if (findSignatures(input).length && !options.addSignature) throw new AmurError('signing.alreadySigned', { path });
  const withPlaceholder = addSignaturePlaceholder(input, {
    name: options.name ?? commonName(identity.certificate),
    reason: options.reason ?? '',
    location: options.location ?? '',
    contactInfo: options.contactInfo ?? '',
    signingTime: now,
    contentsLength: CONTENTS_LENGTH,
    subFilter: 'ETSI.CAdES.detached',
    path,
  });
  // Fill the byte range: everything but the /Contents hex string, which then receives the CMS.
  const brAt = withPlaceholder.lastIndexOf(BYTE_RANGE_PLACEHOLDER);
  const open = withPlaceholder.indexOf('/Contents <', brAt) + '/Contents '.length;
  const close = withPlaceholder.indexOf('>', open);
  const range = [0, open, close + 1, withPlaceholder.length - (close + 1)];
  const rangeText = `/ByteRange [${range.join(' ')}]`.padEnd(BYTE_RANGE_PLACEHOLDER.length, ' ');
  const out = Buffer.from(withPlaceholder);
  out.write(rangeText, brAt, 'latin1');
  let cms = buildDetachedCms(Buffer.concat([out.subarray(0, open), out.subarray(close + 1)]), identity);
  if (options.timestamp) cms = await addCmsSignatureTimestamp(cms, options.timestamp);
  if (cms.length > CONTENTS_LENGTH) throw new AmurError('signing.badPdf', { path, detail: 'signature larger than its room' });
  out.write(cms.toString('hex').padEnd(CONTENTS_LENGTH * 2, '0'), open + 1, 'latin1');
  return out;
}

/**
 * Adds a signature-time-stamp to every signature of the PDF that has none, rewriting its /Contents
 * in place: /Contents is outside the ByteRange, so the signed bytes and the file's length do not
 * change and every signature stays valid. A token that does not fit the room left is refused.
 */
export async function addPdfTimestamps(pdf: Uint8Array, stamp: (signatureValue: Buffer) => Promise<Buffer>, path = ''): Promise<Buffer> {
  const out = Buffer.from(pdf);
  for (const f of findSignatures(out)) {
    if (!f.contents.length || cmsSignatureTimestamp(f.contents)) continue;
    const room = (f.byteRange[2] - f.byteRange[1] - 2) / 2;
    const cms = await addCmsSignatureTimestamp(f.contents, stamp);
    if (cms.length > room) throw new AmurError('signing.badPdf', { path, detail: 'time-stamp larger than the signature\'s room' });
    out.write(cms.toString('hex').padEnd(room * 2, '0'), f.byteRange[1] + 1, 'latin1');
  }
  return out;
}

interface FoundSignature {
  byteRange: [number, number, number, number];
  contents: Buffer;
  subFilter: string;
  claimedTime?: Date;
}

/** PDF date string D:YYYYMMDDHHmmSS+HH'mm' (or Z) to a Date. */
export function parsePdfDate(s: string): Date | undefined {
  const m = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:([+-Z])(\d{2})?'?(\d{2})?'?)?/.exec(s);
  if (!m) return undefined;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', se = '00', tz, th = '00', tm = '00'] = m;
  const utc = Date.UTC(+y!, +mo - 1, +d, +h, +mi, +se);
  const off = !tz || tz === 'Z' ? 0 : (tz === '-' ? -1 : 1) * (+th * 60 + +tm);
  return new Date(utc - off * 60000);
}

/** Every signature dictionary with a ByteRange and Contents, in file order. */
export function findSignatures(pdf: Buffer): FoundSignature[] {
  const text = pdf.toString('latin1');
  const out: FoundSignature[] = [];
  const re = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const byteRange = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
    // The dictionary around it: from the preceding "obj" to the following "endobj".
    const start = text.lastIndexOf('obj', m.index);
    const end = text.indexOf('endobj', m.index);
    const dict = text.slice(start, end < 0 ? undefined : end);
    const hex = text.slice(byteRange[1] + 1, byteRange[2] - 1);
    const contents = /^[0-9a-fA-F]*$/.test(hex) ? Buffer.from(hex, 'hex') : Buffer.alloc(0);
    const subFilter = /\/SubFilter\s*\/([^\s/>]+)/.exec(dict)?.[1] ?? '';
    const mDate = /\/M\s*\((D:[^)]*)\)/.exec(dict)?.[1];
    out.push({ byteRange, contents, subFilter, claimedTime: mDate ? parsePdfDate(mDate) : undefined });
  }
  return out;
}

export interface PdfSignatureCheck {
  kind: 'pdf';
  valid: boolean;
  problems: Problem[];
  subFilter: string;
  signingTime?: string;
  signer?: SignerInfo;
  /** Whether this signature covers the whole file as it is (the last one must). */
  coversWholeFile: boolean;
  /** Set when the PDF is the document inside an Encapsulated PDF DICOM object. */
  embedded?: boolean;
  /** The signature-time-stamp (PAdES-B-T) over the CMS signature value; absent when there is none. */
  timestamp?: TimestampCheck;
}

export function verifyPdfSignatures(pdf: Uint8Array, trust: X509Certificate[]): PdfSignatureCheck[] {
  const b = Buffer.from(pdf);
  const found = findSignatures(b);
  return found.map((f, i) => {
    const problems: Problem[] = [];
    const [a, l1, s2, l2] = f.byteRange;
    const check: PdfSignatureCheck = { kind: 'pdf', valid: false, problems, subFilter: f.subFilter, coversWholeFile: s2 + l2 === b.length };
    if (a !== 0 || s2 < l1 || s2 + l2 > b.length || b[l1] !== 0x3c /* < */ || b[s2 - 1] !== 0x3e /* > */) {
      problems.push({ code: 'signing.verify.malformed', params: { detail: 'ByteRange does not frame /Contents' } });
      return check;
    }
    const content = Buffer.concat([b.subarray(0, l1), b.subarray(s2, s2 + l2)]);
    const cms = verifyDetachedCms(f.contents, content);
    if (cms.problem) {
      problems.push({ code: 'signing.verify.malformed', params: { detail: cms.problem } });
      return check;
    }
    if (cms.signer) check.signer = signerInfo(cms.signer);
    const time = cms.signingTime ?? f.claimedTime ?? new Date();
    check.signingTime = time.toISOString();
    if (!cms.digestMatches || !cms.signatureMatches) problems.push({ code: 'signing.verify.pdfMismatch', params: {} });
    if (f.subFilter === 'ETSI.CAdES.detached' && !cms.signingCertificateBound) {
      problems.push({ code: 'signing.verify.malformed', params: { detail: 'signing-certificate-v2 missing or wrong' } });
    }
    // Only the newest signature must reach the end of the file; anything after it is unsigned.
    if (i === found.length - 1 && !check.coversWholeFile) {
      problems.push({ code: 'signing.verify.pdfNotWholeFile', params: { count: b.length - (s2 + l2) } });
    }
    // Trusted time, as for DICOM: the certificate must have been valid at the TSA's time.
    let at = time;
    const token = cmsSignatureTimestamp(f.contents);
    const sigValue = cmsSignatureValue(f.contents);
    if (token && sigValue) {
      check.timestamp = verifyTimestampOf(token, sigValue, trust);
      problems.push(...check.timestamp.problems);
      if (check.timestamp.valid && check.timestamp.genTime) {
        at = new Date(check.timestamp.genTime);
        if (time.getTime() > at.getTime() + 5 * 60_000) {
          problems.push({ code: 'signing.timestamp.claimedAfter', params: { claimed: time.toISOString(), genTime: check.timestamp.genTime } });
        }
      }
    }
    if (cms.signer) problems.push(...checkSigner(cms.signer, trust, cms.certificates, at));
    check.valid = problems.length === 0;
    return check;
  });
}
