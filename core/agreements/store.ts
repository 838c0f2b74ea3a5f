// Agreements kept under AMUR_HOME/agreements/<id>/: the signed document as imported
// (agreement.json, byte for byte, so it can be re-verified), the trust anchor(s) it was verified
// against at import (trust.pem), and optionally the exchange credentials (credentials.json, mode
// 0600). Every load re-verifies the signature: a file edited on disk is refused.
//
// The credentials (passwords, a client key) are secrets: credentials.json holds them sealed
// (AES-256-GCM, core/vault/keys.ts sealSmall) under the master key's subkey 'credentials/1', the
// agreement's ID bound in as AAD (a sealed file moved to another agreement does not open), so
// reading or writing them needs the home's vault unlocked ('vault.locked' otherwise). A clear
// file an earlier version wrote is sealed in place when it is first read or the agreement is
// imported again.
import { audit } from '../audit/index.js';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmurError } from '../common/errors.js';
import { openSmall, sealSmall } from '../vault/keys.js';
import { vaultKey } from '../vault/session.js';
import { isActive, subjectOf, verifyAgreement, type Agreement } from './agreement.js';

export interface AgreementCredentials {
  username?: string;
  password?: string;
  /** PEM */
  clientCert?: string;
  /** PEM */
  clientKey?: string;
  /** PEM: the exchange's CA */
  ca?: string;
}

export interface AgreementSummary {
  id: string;
  partner: Agreement['partner'];
  validFrom: string;
  validTo: string;
  modalities: string[];
  active: boolean;
  /** The readers' certificate subjects. */
  readers: string[];
  exchange: string;
}

const DOC = 'agreement.json';
const TRUST = 'trust.pem';
const CREDENTIALS = 'credentials.json';
/** The master key's subkey the credentials are sealed with (core/vault/keys.ts deriveKey). */
export const CREDENTIALS_PURPOSE = 'credentials/1';
/** The `format` of a sealed credentials.json. */
export const SEALED_CREDENTIALS_FORMAT = 'amur.sealed-credentials/1';
const credentialsAad = (id: string) => Buffer.from(`amur-agreement-credentials/1\u0000${id}`, 'utf8');
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function agreementsDir(home: string): string {
  return join(home, 'agreements');
}

function dirOf(home: string, id: string): string {
  if (!ID_RE.test(id)) throw new AmurError('agreements.notFound', { id });
  return join(agreementsDir(home), id);
}

function parseDoc(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AmurError('agreements.malformed', { field: 'document' });
  }
}

function pemOf(certs: X509Certificate[]): string {
  return certs.map((c) => c.toString().trim()).join('\n') + '\n';
}

function readTrust(dir: string, id: string): X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(join(dir, TRUST), 'utf8');
  } catch {
    throw new AmurError('agreements.storeCorrupt', { id });
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  try {
    const certs = pems.map((p) => new X509Certificate(p));
    if (certs.length === 0) throw new Error('no certificate');
    return certs;
  } catch {
    throw new AmurError('agreements.storeCorrupt', { id });
  }
}

function writeAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode });
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AmurError('agreements.writeFailed', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
}

/** credentials.json's content: the credentials sealed under the home's key (see the top of this file). */
function sealCredentials(home: string, id: string, c: AgreementCredentials): string {
  const key = vaultKey(home).deriveKey(CREDENTIALS_PURPOSE);
  const plain = Buffer.from(JSON.stringify(c), 'utf8');
  try {
    const sealed = sealSmall(key, plain, credentialsAad(id));
    return `${JSON.stringify({ format: SEALED_CREDENTIALS_FORMAT, agreement: id, sealed: sealed.toString('base64') }, null, 2)}\n`;
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

function isCredentials(v: unknown): v is AgreementCredentials {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  return ['username', 'password', 'clientCert', 'clientKey', 'ca'].every((k) => {
    const x = (v as Record<string, unknown>)[k];
    return x === undefined || typeof x === 'string';
  });
}

type StoredCredentials = { sealed: true; bytes: Buffer } | { sealed: false; credentials: AgreementCredentials };

/** What credentials.json holds, undefined when there is none; a file that is neither form is corrupt. */
function readStoredCredentials(path: string, id: string): StoredCredentials | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AmurError('agreements.storeCorrupt', { id });
  }
  const d = doc as { format?: unknown; sealed?: unknown };
  if (typeof doc === 'object' && doc !== null && d.format === SEALED_CREDENTIALS_FORMAT) {
    if (typeof d.sealed !== 'string') throw new AmurError('agreements.storeCorrupt', { id });
    return { sealed: true, bytes: Buffer.from(d.sealed, 'base64') };
  }
  // An earlier version's clear file.
  if (!isCredentials(doc)) throw new AmurError('agreements.storeCorrupt', { id });
  return { sealed: false, credentials: doc };
}

/** Seals, in place, a clear credentials file an earlier version left (audited as a key change). */
function sealClearCredentials(home: string, id: string, path: string, c: AgreementCredentials): void {
  writeAtomic(path, sealCredentials(home, id, c), 0o600);
  audit(home, { action: 'key.change', outcome: 'success', role: 'system', agreement: id, detail: { operation: 'credentials.encrypt' } });
}

/**
 * Verifies `doc` (a signed agreement: the file's text or bytes, or the parsed object) against
 * `trust`, in force at `now`, and stores it. Re-importing an id replaces the stored agreement only
 * when the new one verifies and is signed by the same hospital (certificate subject); credentials
 * given replace the stored ones, none given keeps them. Returns the agreement.
 */
export function importAgreement(
  home: string,
  doc: string | Buffer | object,
  trust: X509Certificate[],
  credentials?: AgreementCredentials,
  now: Date = new Date(),
): Agreement {
  const text = typeof doc === 'string' ? doc : Buffer.isBuffer(doc) ? doc.toString('utf8') : `${JSON.stringify(doc, null, 2)}\n`;
  if (trust.length === 0) throw new AmurError('agreements.noTrust', {});
  let a: Agreement;
  try {
    a = verifyAgreement(parseDoc(text), trust, now);
  } catch (e) {
    audit(home, { action: 'verification.failure', outcome: 'seriousFailure', role: 'reader', detail: { object: 'agreement', code: e instanceof AmurError ? e.code : 'error' } });
    throw e;
  }
  const dir = dirOf(home, a.id);
  if (existsSync(join(dir, DOC))) {
    let previousSubject: string | undefined;
    try {
      previousSubject = subjectOf((JSON.parse(readFileSync(join(dir, DOC), 'utf8')) as { agreement: Agreement }).agreement.hospitalCertificate);
    } catch {
      previousSubject = undefined; // unreadable: the stored one is refused on load anyway; the verified new one replaces it
    }
    const subject = subjectOf(a.hospitalCertificate);
    if (previousSubject !== undefined && previousSubject !== subject) {
      throw new AmurError('agreements.otherHospital', { id: a.id, subject, previous: previousSubject });
    }
  }
  // Sealed before anything is written: a locked vault refuses the import as a whole.
  const sealed = credentials ? sealCredentials(home, a.id, credentials) : undefined;
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, TRUST), pemOf(trust));
  writeAtomic(join(dir, DOC), text);
  const credPath = join(dir, CREDENTIALS);
  if (sealed) writeAtomic(credPath, sealed, 0o600);
  else {
    // The credentials kept from before: sealed now if an earlier version left them in clear.
    const kept = readStoredCredentials(credPath, a.id);
    if (kept && !kept.sealed) sealClearCredentials(home, a.id, credPath, kept.credentials);
  }
  audit(home, { action: 'agreement.import', outcome: 'success', role: 'reader', agreement: a.id, detail: { partner: a.partner.nameLatin, credentials: Boolean(credentials) } });
  return a;
}

/** The stored agreement, its signature verified again against the trust stored with it. */
export function getAgreement(home: string, id: string, now: Date = new Date()): Agreement {
  const dir = dirOf(home, id);
  let text: string;
  try {
    text = readFileSync(join(dir, DOC), 'utf8');
  } catch {
    throw new AmurError('agreements.notFound', { id });
  }
  const a = verifyAgreement(parseDoc(text), readTrust(dir, id), now, { checkValidity: false });
  if (a.id !== id) throw new AmurError('agreements.tampered', { id });
  return a;
}

/** The ids of the stored agreements, sorted. */
export function agreementIds(home: string): string[] {
  const root = agreementsDir(home);
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && ID_RE.test(e.name) && existsSync(join(root, e.name, DOC)))
    .map((e) => e.name)
    .sort();
}

export function summarise(a: Agreement, now: Date = new Date()): AgreementSummary {
  return {
    id: a.id,
    partner: a.partner,
    validFrom: a.validFrom,
    validTo: a.validTo,
    modalities: a.modalities,
    active: isActive(a, now),
    readers: a.readers.map(subjectOf),
    exchange: a.exchange.url,
  };
}

/**
 * Every stored agreement, each re-verified; the first one that no longer verifies (edited on disk,
 * trust gone) is refused with its reason: one bad agreement is never silently left out.
 */
export function listAgreements(home: string, now: Date = new Date()): AgreementSummary[] {
  return agreementIds(home).map((id) => summarise(getAgreement(home, id, now), now));
}

/**
 * The credentials imported with the agreement, if any, opened with the home's key (the vault must
 * be unlocked: 'vault.locked'); a clear file an earlier version wrote is sealed on this read.
 */
export function credentialsFor(home: string, id: string): AgreementCredentials | undefined {
  const path = join(dirOf(home, id), CREDENTIALS);
  const stored = readStoredCredentials(path, id);
  if (!stored) return undefined;
  if (!stored.sealed) {
    sealClearCredentials(home, id, path, stored.credentials);
    return stored.credentials;
  }
  const key = vaultKey(home).deriveKey(CREDENTIALS_PURPOSE);
  let plain: Buffer | undefined;
  try {
    plain = openSmall(key, stored.bytes, credentialsAad(id));
  } finally {
    key.fill(0);
  }
  // Altered, moved from another agreement, or sealed by another store's vault.
  if (!plain) throw new AmurError('agreements.credentialsSealBroken', { id });
  try {
    const c: unknown = JSON.parse(plain.toString('utf8'));
    if (!isCredentials(c)) throw new Error('not credentials');
    return c;
  } catch {
    throw new AmurError('agreements.credentialsSealBroken', { id });
  } finally {
    plain.fill(0);
  }
}

/** Removes a stored agreement and its credentials. */
export function removeAgreement(home: string, id: string): void {
  rmSync(dirOf(home, id), { recursive: true, force: true });
}
