// A B2B cooperation agreement between a Chinese partner hospital and the Russian radiology group:
// who may read, which modalities, how fast, how studies are exchanged and de-identified. The
// hospital signs it (detached CMS over the canonical JSON of the agreement); "no agreement, no
// reading". See README.md beside this file for the format and the verification rules.
import { X509Certificate } from 'node:crypto';
import { AmurError } from '../common/errors.js';
import { buildDetachedCms, checkSigner, oneLine, verifyDetachedCms, type SigningIdentity } from '../signing/index.js';

export const AGREEMENT_FORMAT = 'amur.agreement/1';
export const SIGNATURE_ALGORITHMS = ['rsa', 'ecdsa', 'sm2'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];
export type Priority = 'routine' | 'urgent';

export const DEFAULT_TURNAROUND_HOURS = { routine: 48, urgent: 4 } as const;
export const DEFAULT_RETENTION_DAYS = 30;
export const DEFAULT_DEIDENTIFICATION_OPTIONS = ['RetainPatientCharacteristics', 'RetainLongitudinalModifiedDates', 'CleanDescriptors'];

export interface Agreement {
  /** Stable identifier, e.g. "GZ-2026-01" (letters, digits, '.', '_', '-'; at most 64). */
  id: string;
  partner: { nameZh: string; nameLatin: string };
  /** The Russian radiology group of record. */
  provider: string;
  /** YYYY-MM-DD, inclusive, UTC. */
  validFrom: string;
  validTo: string;
  /** DICOM modality codes, upper case (CR, DX, CT, MR…). */
  modalities: string[];
  /** PEM certificates of the authorised readers. */
  readers: string[];
  /** Report languages, e.g. ["zh-CN", "ru"]. */
  languages: string[];
  signatureAlgorithms: SignatureAlgorithm[];
  turnaroundHours: { routine: number; urgent: number };
  retentionDays: number;
  exchange: { url: string; clientCertificateRequired: boolean };
  deidentification: { options: string[]; allowBurnedInAnnotation: boolean };
  tsaUrl?: string;
  /** PEM certificate of the hospital that signs the agreement. */
  hospitalCertificate: string;
}

export interface SignedAgreement {
  format: typeof AGREEMENT_FORMAT;
  agreement: Agreement;
  /** Base64 DER detached CMS SignedData over canonicalJson(agreement). */
  signature: string;
}

/** What createAgreement needs; the rest has defaults. hospitalCertificate comes from the identity. */
export type AgreementFields = Omit<
  Agreement,
  'hospitalCertificate' | 'provider' | 'signatureAlgorithms' | 'turnaroundHours' | 'retentionDays' | 'deidentification' | 'exchange' | 'partner'
> & {
  partner: { nameLatin: string; nameZh?: string };
  provider?: string;
  signatureAlgorithms?: SignatureAlgorithm[];
  turnaroundHours?: Partial<Agreement['turnaroundHours']>;
  retentionDays?: number;
  exchange: { url: string; clientCertificateRequired?: boolean };
  deidentification?: Partial<Agreement['deidentification']>;
};

/** JSON with object keys sorted recursively (by UTF-16 code unit), no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('non-finite number');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** The bytes the hospital signs: canonical JSON of the agreement, UTF-8. */
export function canonicalBytes(a: Agreement): Buffer {
  return Buffer.from(canonicalJson(a), 'utf8');
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MODALITY_RE = /^[A-Z0-9]{1,16}$/;

function isDate(s: unknown): s is string {
  if (typeof s !== 'string' || !DATE_RE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

function malformed(field: string): never {
  throw new AmurError('agreements.malformed', { field });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function isUrl(s: unknown, protocols: string[]): boolean {
  if (typeof s !== 'string') return false;
  try {
    return protocols.includes(new URL(s).protocol);
  } catch {
    return false;
  }
}

function isCertificate(pem: unknown): boolean {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) return false;
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    return false;
  }
}

const KNOWN_FIELDS = new Set([
  'id', 'partner', 'provider', 'validFrom', 'validTo', 'modalities', 'readers', 'languages', 'signatureAlgorithms',
  'turnaroundHours', 'retentionDays', 'exchange', 'deidentification', 'tsaUrl', 'hospitalCertificate',
]);

/** Checks every field's shape; throws agreements.malformed naming the first bad field. */
export function validateAgreement(a: unknown): asserts a is Agreement {
  if (!isObj(a)) malformed('agreement');
  for (const k of Object.keys(a)) if (!KNOWN_FIELDS.has(k)) malformed(k);
  if (typeof a.id !== 'string' || !ID_RE.test(a.id)) malformed('id');
  const p = a.partner;
  if (!isObj(p) || typeof p.nameLatin !== 'string' || !p.nameLatin.trim()) malformed('partner.nameLatin');
  if (typeof p.nameZh !== 'string') malformed('partner.nameZh');
  if (typeof a.provider !== 'string') malformed('provider');
  if (!isDate(a.validFrom)) malformed('validFrom');
  if (!isDate(a.validTo)) malformed('validTo');
  if (a.validTo < a.validFrom) malformed('validTo');
  if (!isStrArray(a.modalities) || a.modalities.length === 0 || !a.modalities.every((m) => MODALITY_RE.test(m))) malformed('modalities');
  if (!Array.isArray(a.readers) || a.readers.length === 0 || !a.readers.every(isCertificate)) malformed('readers');
  if (!isStrArray(a.languages) || a.languages.length === 0 || !a.languages.every((l) => /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(l))) malformed('languages');
  if (
    !isStrArray(a.signatureAlgorithms) ||
    a.signatureAlgorithms.length === 0 ||
    !a.signatureAlgorithms.every((s) => (SIGNATURE_ALGORITHMS as readonly string[]).includes(s))
  ) malformed('signatureAlgorithms');
  const th = a.turnaroundHours;
  if (!isObj(th) || !isPosInt(th.routine) || !isPosInt(th.urgent)) malformed('turnaroundHours');
  if (!isPosInt(a.retentionDays)) malformed('retentionDays');
  const ex = a.exchange;
  if (!isObj(ex) || !isUrl(ex.url, ['http:', 'https:'])) malformed('exchange.url');
  if (typeof ex.clientCertificateRequired !== 'boolean') malformed('exchange.clientCertificateRequired');
  const de = a.deidentification;
  if (!isObj(de) || !isStrArray(de.options)) malformed('deidentification.options');
  if (typeof de.allowBurnedInAnnotation !== 'boolean') malformed('deidentification.allowBurnedInAnnotation');
  if (a.tsaUrl !== undefined && !isUrl(a.tsaUrl, ['http:', 'https:'])) malformed('tsaUrl');
  if (!isCertificate(a.hospitalCertificate)) malformed('hospitalCertificate');
}

function keyAlgorithmName(id: SigningIdentity): SignatureAlgorithm {
  return id.keyAlgorithm === 'ec' ? 'ecdsa' : id.keyAlgorithm;
}

/** Fills the defaults, checks the result, and signs it with the hospital's identity. */
export function createAgreement(fields: AgreementFields, hospital: SigningIdentity): SignedAgreement {
  if (hospital.keyAlgorithm === 'sm2') {
    // The CMS signer (core/signing/cms.ts) makes RSA and ECDSA signatures only.
    throw new AmurError('signing.unsupportedKey', { type: 'SM2' });
  }
  const agreement: Agreement = {
    id: fields.id,
    partner: { nameZh: fields.partner.nameZh ?? '', nameLatin: fields.partner.nameLatin },
    provider: fields.provider ?? '',
    validFrom: fields.validFrom,
    validTo: fields.validTo,
    modalities: fields.modalities.map((m) => m.trim().toUpperCase()),
    readers: fields.readers,
    languages: fields.languages,
    signatureAlgorithms: fields.signatureAlgorithms ?? [keyAlgorithmName(hospital)],
    turnaroundHours: { ...DEFAULT_TURNAROUND_HOURS, ...fields.turnaroundHours },
    retentionDays: fields.retentionDays ?? DEFAULT_RETENTION_DAYS,
    exchange: { url: fields.exchange.url, clientCertificateRequired: fields.exchange.clientCertificateRequired ?? false },
    deidentification: {
      options: fields.deidentification?.options ?? [...DEFAULT_DEIDENTIFICATION_OPTIONS],
      allowBurnedInAnnotation: fields.deidentification?.allowBurnedInAnnotation ?? false,
    },
    ...(fields.tsaUrl !== undefined ? { tsaUrl: fields.tsaUrl } : {}),
    hospitalCertificate: hospital.certificate.toString(),
  };
  validateAgreement(agreement);
  const cms = buildDetachedCms(canonicalBytes(agreement), hospital);
  return { format: AGREEMENT_FORMAT, agreement, signature: cms.toString('base64') };
}


/** Today's date (UTC) as YYYY-MM-DD. */
export function utcDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export interface VerifyOptions {
  /** Refuse an agreement not in force at `now` (default true). The store loads without it. */
  checkValidity?: boolean;
}

/**
 * Verifies a signed agreement document and returns the agreement. Throws a translated AmurError:
 * agreements.malformed {field}, agreements.unsigned, agreements.tampered, agreements.signerMismatch,
 * agreements.untrusted {signer, reason, …the reason's params}, agreements.expired / agreements.notYetValid
 * {id, from, to}.
 */
export function verifyAgreement(doc: unknown, trust: X509Certificate[], now: Date = new Date(), options: VerifyOptions = {}): Agreement {
  if (!isObj(doc)) malformed('document');
  if (doc.format !== AGREEMENT_FORMAT) malformed('format');
  for (const k of Object.keys(doc)) if (!['format', 'agreement', 'signature'].includes(k)) malformed(k);
  if (doc.signature === undefined || doc.signature === null || doc.signature === '') throw new AmurError('agreements.unsigned', {});
  if (typeof doc.signature !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(doc.signature.replace(/\s+/g, ''))) malformed('signature');
  const a = doc.agreement;
  validateAgreement(a);

  const check = verifyDetachedCms(Buffer.from(doc.signature, 'base64'), canonicalBytes(a));
  if (check.problem === 'signer certificate not in the CMS') throw new AmurError('agreements.tampered', { id: a.id });
  if (check.problem || !check.signer) malformed('signature');
  if (!check.digestMatches || !check.signatureMatches || !check.signingCertificateBound) throw new AmurError('agreements.tampered', { id: a.id });
  const signer = check.signer;
  const named = new X509Certificate(a.hospitalCertificate);
  if (named.fingerprint256 !== signer.fingerprint256) {
    throw new AmurError('agreements.signerMismatch', { subject: oneLine(signer.subject), named: oneLine(named.subject) });
  }
  // The CMS has no signing time: the hospital's certificate (and its chain) must be good now.
  const problems = checkSigner(signer, trust, check.certificates, now).filter((p) => p.code !== 'signing.verify.signedInFuture');
  if (problems.length) {
    const p = problems[0]!;
    throw new AmurError('agreements.untrusted', { ...p.params, signer: oneLine(signer.subject), reason: p.code });
  }
  if (options.checkValidity !== false) {
    const today = utcDate(now);
    if (today < a.validFrom) throw new AmurError('agreements.notYetValid', { id: a.id, from: a.validFrom, to: a.validTo });
    if (today > a.validTo) throw new AmurError('agreements.expired', { id: a.id, from: a.validFrom, to: a.validTo });
  }
  return a;
}

/** In force on the UTC day of `at` (validFrom and validTo inclusive). */
export function isActive(a: Agreement, at: Date = new Date()): boolean {
  const d = utcDate(at);
  return d >= a.validFrom && d <= a.validTo;
}

/** Every one of the given modalities is covered (case-insensitive); an empty list is covered. */
export function coversModality(a: Agreement, modalities: string[]): boolean {
  const allowed = new Set(a.modalities.map((m) => m.toUpperCase()));
  return modalities.every((m) => allowed.has(m.trim().toUpperCase()));
}

/** The certificate is one of the agreement's readers (same SHA-256 fingerprint). */
export function authorisedReader(a: Agreement, cert: X509Certificate): boolean {
  return a.readers.some((pem) => {
    try {
      return new X509Certificate(pem).fingerprint256 === cert.fingerprint256;
    } catch {
      return false;
    }
  });
}

/** When the report is due: receivedAt plus the agreement's turnaround for the priority. */
export function deadline(a: Agreement, priority: Priority, receivedAt: Date): Date {
  const hours = priority === 'urgent' ? a.turnaroundHours.urgent : a.turnaroundHours.routine;
  return new Date(receivedAt.getTime() + hours * 3_600_000);
}

/** One line per certificate subject ("CN=…, O=…"). */
export function subjectOf(pem: string): string {
  return oneLine(new X509Certificate(pem).subject);
}
