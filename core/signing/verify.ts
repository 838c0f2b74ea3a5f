// One question for any file a reader holds: is it signed, unchanged since, and by someone I trust?
// The format is recognised from the content (DICM prefix, %PDF header, package manifest), never
// from the file name, and every signature the file carries is checked.
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AmurError, isAmurError } from '../common/errors.js';
import type { Problem } from './certificates.js';
import { verifyDicomSignatures, type DicomSignatureCheck } from './dicom-signature.js';
import { find, parsePart10, tagOf } from './dicom-stream.js';
import { verifyPdfSignatures, type PdfSignatureCheck } from './pdf-signature.js';
import { isManifest, verifyPackageSm2, type Sm2PackageCheck } from './sm2-package.js';

export type SignatureCheck = DicomSignatureCheck | PdfSignatureCheck | Sm2PackageCheck;

export interface FileVerification {
  path: string;
  format: 'dicom' | 'pdf' | 'sm2-package' | 'unknown';
  /** True only when the file has at least one signature and every check passed. */
  valid: boolean;
  signatures: SignatureCheck[];
  /** Problems of the file as a whole (no signature, unreadable, unknown format). */
  problems: Problem[];
}

function problemOf(e: unknown): Problem {
  if (isAmurError(e)) return { code: e.code, params: e.params };
  return { code: 'signing.verify.malformed', params: { detail: e instanceof Error ? e.message : String(e) } };
}

const ENCAPSULATED_DOCUMENT = tagOf(0x0042, 0x0011);
const ENCAPSULATED_DOCUMENT_LENGTH = tagOf(0x0042, 0x0015);

/**
 * An Encapsulated PDF object carries the signed PDF too: its own signatures are checked as well.
 * The OB value is padded to even length; Encapsulated Document Length gives the PDF's true length.
 */
function encapsulatedPdfSignatures(bytes: Buffer, trust: X509Certificate[], path: string): PdfSignatureCheck[] {
  const part = parsePart10(bytes, path);
  const doc = find(part.elements, ENCAPSULATED_DOCUMENT);
  if (!doc || doc.length === 0xffffffff) return [];
  let pdf = bytes.subarray(doc.valueStart, doc.valueStart + doc.length);
  if (!pdf.subarray(0, 1024).toString('latin1').includes('%PDF-')) return [];
  const lengthEl = find(part.elements, ENCAPSULATED_DOCUMENT_LENGTH);
  if (lengthEl && lengthEl.length === 4) pdf = pdf.subarray(0, Math.min(pdf.length, bytes.readUInt32LE(lengthEl.valueStart)));
  else if (pdf.length && pdf[pdf.length - 1] === 0) pdf = pdf.subarray(0, pdf.length - 1);
  return verifyPdfSignatures(pdf, trust).map((c) => ({ ...c, embedded: true }));
}

/** Verifies one file against the trusted certificates; never throws for a bad file. */
export function verifyFile(path: string, trust: X509Certificate[]): FileVerification {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return { path, format: 'unknown', valid: false, signatures: [], problems: [problemOf(new AmurError('signing.fileUnreadable', { path }, { cause: e }))] };
  }
  return verify(bytes, trust, path, true);
}

/**
 * verifyFile for bytes held in memory (a report fetched from the exchange is checked before any
 * of it touches the disk); `name` stands for the path in problems. An SM2 package's manifest
 * names files beside it, so a package is verified from its path only (verifyFile).
 */
export function verifyBytes(bytes: Buffer, trust: X509Certificate[], name = ''): FileVerification {
  return verify(bytes, trust, name, false);
}

function verify(bytes: Buffer, trust: X509Certificate[], path: string, onDisk: boolean): FileVerification {
  const result: FileVerification = { path, format: 'unknown', valid: false, signatures: [], problems: [] };
  try {
    if (bytes.length >= 132 && bytes.toString('latin1', 128, 132) === 'DICM') {
      result.format = 'dicom';
      result.signatures = [...verifyDicomSignatures(bytes, trust, path), ...encapsulatedPdfSignatures(bytes, trust, path)];
    } else if (bytes.subarray(0, 1024).toString('latin1').includes('%PDF-')) {
      result.format = 'pdf';
      result.signatures = verifyPdfSignatures(bytes, trust);
    } else if (onDisk && isManifest(bytes)) {
      result.format = 'sm2-package';
      result.signatures = [verifyPackageSm2(path, trust)];
    } else {
      result.problems.push({ code: 'signing.verify.unknownFormat', params: {} });
      return result;
    }
  } catch (e) {
    result.problems.push(problemOf(e));
    return result;
  }
  if (result.signatures.length === 0) result.problems.push({ code: 'signing.verify.noSignature', params: {} });
  result.valid = result.problems.length === 0 && result.signatures.every((s) => s.valid);
  return result;
}
