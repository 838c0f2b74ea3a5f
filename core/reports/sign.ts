// Signing a report draft: render the SR, the PDF and the Encapsulated PDF from one resolved content,
// sign each (DICOM digital signatures on the two DICOM objects, a PAdES signature on the PDF, and,
// for partners who require Chinese commercial cryptography, an SM2-with-SM3 signature over the
// whole package), and put them into the output folder all together or not at all. A signed report is immutable: the
// files are never overwritten, and an amendment is a new draft with `predecessor`, signed anew.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AmurError, isAmurError } from '../common/errors.js';
import { createHash, type X509Certificate } from 'node:crypto';
import { addDicomTimestamps, MANIFEST_NAME, observerFromCertificate, requestTimestamp, signDicom, signPackageSm2, signPdf, type SigningIdentity } from '../signing/index.js';
import { resolveReport, type ReportContent } from './content.js';
import { newUid, validateDraft, type ReportDraft } from './draft.js';
import { writeEncapsulatedPdf } from './encapsulated-pdf.js';
import { renderReportPdf } from './pdf.js';
import { assertSignable } from './problems.js';
import { writeSR, type ObjectIds } from './sr.js';
import type { ReportTemplate } from './template.js';

/** The names a signed report takes in its folder. */
export const REPORT_FILES = {
  sr: 'report-sr.dcm',
  encapsulatedPdf: 'report-pdf.dcm',
  pdf: 'report.pdf',
} as const;

/** The SM2 package signature's files (names from core/signing). */
export const PACKAGE_FILES = { manifest: MANIFEST_NAME, signature: `${MANIFEST_NAME}.sig` } as const;

export interface SignOptions {
  /** Signing time; default now. */
  now?: Date;
  /** An SM2 identity: adds the SM2-with-SM3 package signature (manifest + .sig) over the three files. */
  sm2Identity?: SigningIdentity;
  /**
   * An RFC 3161 TSA (http/https): each DICOM signature gets a Certified Timestamp from it. When it
   * cannot be reached the report is signed all the same with the local UTC time, and
   * `timestampError` says why; the outbox time-stamps it before delivery (addDicomTimestamps).
   */
  tsaUrl?: string;
}

/** Stamps every DICOM signature of `bytes` that has no Certified Timestamp yet, from the TSA at `url`. */
export function timestampDicom(bytes: Uint8Array, url: string, path = ''): Promise<Buffer> {
  return addDicomTimestamps(bytes, (sig) => requestTimestamp(url, createHash('sha256').update(sig).digest()), path);
}

export interface SignedReport {
  dir: string;
  files: string[];
  sr: ObjectIds;
  encapsulatedPdf: ObjectIds;
  verifiedAt: Date;
  /** Set when a TSA was asked for and could not time-stamp the signatures (offline): its error. */
  timestampError?: AmurError;
}

/** Reads and validates a draft file. */
export function readDraft(path: string): { draft: ReportDraft; template: ReportTemplate } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AmurError('reports.draftUnreadable', { path, detail: (e as Error).message }, { cause: e });
  }
  return validateDraft(raw, path);
}

/**
 * The content a signature by `certificate` puts its name to: the reader the report names is the
 * one whose key signs it, whatever the draft says (rule 3). Signing and the preview both use it,
 * so the preview shows what will be signed.
 */
function signedContent(draft: ReportDraft, template: ReportTemplate, certificate: X509Certificate, now: Date) {
  const signer = observerFromCertificate(certificate);
  const content = resolveReport({ ...draft, observer: { name: signer.name, organization: signer.organization } }, template, now);
  return { content, pdfSigner: { subject: signer.subject, serialNumber: certificate.serialNumber } };
}

/**
 * The report's PDF as signing with `certificate` would render it, unsigned and marked as a
 * preview: the same findings, texts, measurements and signer. Only what signing itself makes
 * differs: the report UID (made with the SR) and the time, which is the signature's.
 */
export function renderReportPreview(draft: ReportDraft, template: ReportTemplate, certificate: X509Certificate, now: Date = new Date()): Promise<Buffer> {
  const { content, pdfSigner } = signedContent(draft, template, certificate, now);
  return renderReportPdf(content, { reportUID: '', signer: pdfSigner, preview: true });
}

/** The three report objects, signed, in memory. */
export async function renderSignedReport(
  draft: ReportDraft,
  template: ReportTemplate,
  identity: SigningIdentity,
  options: SignOptions & { path?: string } = {},
): Promise<{ content: ReportContent; files: Record<string, Buffer>; sr: ObjectIds; encapsulatedPdf: ObjectIds; timestampError?: AmurError }> {
  const path = options.path ?? '';
  assertSignable(draft, template, observerFromCertificate(identity.certificate), path);
  const now = options.now ?? new Date();
  const { content, pdfSigner } = signedContent(draft, template, identity.certificate, now);
  const sr: ObjectIds = { SeriesInstanceUID: newUid(), SOPInstanceUID: newUid() };
  const encapsulatedPdf: ObjectIds = { SeriesInstanceUID: newUid(), SOPInstanceUID: newUid() };

  const srSigned = signDicom(writeSR(content, sr), identity, { purpose: 'verification', now, path: REPORT_FILES.sr });
  const rendered = await renderReportPdf(content, { reportUID: sr.SOPInstanceUID, signer: pdfSigner });
  const pdfOptions = { now, reason: `Consultation report ${sr.SOPInstanceUID}`, path: REPORT_FILES.pdf };
  let timestampError: AmurError | undefined;
  const tsaUrl = options.tsaUrl;
  let pdf: Buffer;
  if (!tsaUrl) pdf = await signPdf(rendered, identity, pdfOptions);
  else {
    try {
      // PAdES-B-T: the TSA's token over the PDF signature, before the PDF goes into the DICOM object.
      pdf = await signPdf(rendered, identity, { ...pdfOptions, timestamp: (v) => requestTimestamp(tsaUrl, createHash('sha256').update(v).digest()) });
    } catch (e) {
      // Offline: the signatures keep the signer's UTC time; trusted time is added before delivery.
      if (!isAmurError(e) || !e.code.startsWith('signing.tsa.')) throw e;
      timestampError = e;
      pdf = await signPdf(rendered, identity, pdfOptions);
    }
  }
  // The PDF inside the DICOM object is the signed PDF, so its own signature can be checked there too.
  const encSigned = signDicom(writeEncapsulatedPdf(content, pdf, encapsulatedPdf, sr), identity, {
    purpose: 'verification',
    now,
    path: REPORT_FILES.encapsulatedPdf,
  });
  const files: Record<string, Buffer> = {
    [REPORT_FILES.sr]: srSigned,
    [REPORT_FILES.encapsulatedPdf]: encSigned,
    [REPORT_FILES.pdf]: pdf,
  };
  if (tsaUrl && !timestampError) {
    try {
      // Before the SM2 package, so that its hashes are of the files as they leave.
      files[REPORT_FILES.sr] = await timestampDicom(srSigned, tsaUrl, REPORT_FILES.sr);
      files[REPORT_FILES.encapsulatedPdf] = await timestampDicom(encSigned, tsaUrl, REPORT_FILES.encapsulatedPdf);
    } catch (e) {
      if (!isAmurError(e) || !e.code.startsWith('signing.tsa.')) throw e;
      timestampError = e;
      files[REPORT_FILES.sr] = srSigned;
      files[REPORT_FILES.encapsulatedPdf] = encSigned;
    }
  }
  if (options.sm2Identity) {
    const signed = signPackageSm2(Object.entries(files).map(([name, bytes]) => ({ name, bytes })), options.sm2Identity, { now });
    files[PACKAGE_FILES.manifest] = signed.manifest;
    files[PACKAGE_FILES.signature] = signed.signature;
  }
  return { content, files, sr, encapsulatedPdf, ...(timestampError ? { timestampError } : {}) };
}

/**
 * Signs the draft at `draftPath` into `outDir`. All files are written to a temporary folder inside
 * `outDir` (same file system) and renamed in only once every one of them exists; on any error
 * nothing of this report is left in `outDir` (and `outDir` itself is removed if this call made it).
 */
export async function signReport(
  draftPath: string,
  identity: SigningIdentity,
  outDir: string,
  options: SignOptions = {},
): Promise<SignedReport> {
  const { draft, template } = readDraft(draftPath);
  return signDraftInto(draft, template, identity, outDir, { ...options, path: draftPath });
}

/**
 * How the files of a signed report are written when it is kept under AMUR_HOME (sealed under the
 * study's key, core/reports/study-file.ts): each file's bytes, by name, for the report whose SR has
 * this SOP Instance UID. Without it the files are written as they are (a folder the user chose).
 */
export type SealSignedFile = (file: string, bytes: Buffer, srInstanceUID: string) => Buffer;

/** As signReport, for a draft already read and validated; `path` names it in errors. */
export async function signDraftInto(
  draft: ReportDraft,
  template: ReportTemplate,
  identity: SigningIdentity,
  outDir: string,
  options: SignOptions & { path?: string; seal?: SealSignedFile } = {},
): Promise<SignedReport> {
  const draftPath = options.path ?? draft.draftId;
  const dir = resolve(outDir);
  let created: boolean;
  try {
    created = mkdirSync(dir, { recursive: true }) !== undefined;
  } catch (e) {
    throw new AmurError('reports.outUnwritable', { path: dir, detail: (e as Error).message }, { cause: e });
  }
  let tmp: string | undefined;
  const placed: string[] = [];
  try {
    const rendered = await renderSignedReport(draft, template, identity, { ...options, path: draftPath });
    const names = Object.keys(rendered.files);
    const existing = new Set(readdirSync(dir));
    const clash = names.find((n) => existing.has(n));
    if (clash) throw new AmurError('reports.outNotEmpty', { path: dir, file: clash });
    try {
      tmp = mkdtempSync(join(dir, '.amur-signing-'));
      const bytesOf = (n: string) => (options.seal ? options.seal(n, rendered.files[n]!, rendered.sr.SOPInstanceUID) : rendered.files[n]!);
      for (const n of names) writeFileSync(join(tmp, n), bytesOf(n), { flag: 'wx', ...(options.seal ? { mode: 0o600 } : {}) });
      for (const n of names) {
        renameSync(join(tmp, n), join(dir, n));
        placed.push(join(dir, n));
      }
    } catch (e) {
      if (isAmurError(e)) throw e;
      throw new AmurError('reports.outUnwritable', { path: dir, detail: (e as Error).message }, { cause: e });
    }
    return {
      dir,
      files: placed,
      sr: rendered.sr,
      encapsulatedPdf: rendered.encapsulatedPdf,
      verifiedAt: rendered.content.verifiedAt,
      ...(rendered.timestampError ? { timestampError: rendered.timestampError } : {}),
    };
  } catch (e) {
    for (const p of placed) rmSync(p, { force: true });
    if (created) {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
      try {
        rmdirSync(dir);
      } catch {
        // Someone else put something there meanwhile: leave their files alone.
      }
    }
    throw e;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
