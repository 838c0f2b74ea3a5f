// The signing identities a radiologist has imported, kept under AMUR_HOME/identities/. The private
// key never touches the disk in the clear: it is stored as PKCS#8 sealed with AES-256-GCM under a
// key derived from the passphrase with scrypt (the GCM tag also tells a wrong passphrase from a
// right one). The certificates are stored in the clear, so identities can be listed without a
// passphrase. The desktop app may wrap this passphrase in the OS key store; this file does not.
import { audit } from '../audit/index.js';
import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, scryptSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmurError } from '../common/errors.js';
import { amurHome } from '../common/paths.js';
import { signerInfo, type SignerInfo } from './certificates.js';
import { keyAlgorithmOf, readPkcs12, type KeyAlgorithm, type SigningIdentity } from './pkcs12.js';

const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

interface StoredIdentity {
  format: 'amur-identity/1';
  name: string;
  keyAlgorithm: KeyAlgorithm;
  certificates: string[];
  key: { kdf: 'scrypt'; N: number; r: number; p: number; salt: string; cipher: 'aes-256-gcm'; iv: string; tag: string; data: string };
}

export interface IdentitySummary {
  name: string;
  keyAlgorithm: KeyAlgorithm;
  certificate: SignerInfo;
}

function dir(home: string): string {
  return join(home, 'identities');
}

/** Identity names become file names: keep them to a safe alphabet. */
function fileFor(home: string, name: string): string {
  if (!/^[\p{L}\p{N}._-]{1,64}$/u.test(name) || name.startsWith('.')) throw new AmurError('signing.badIdentityName', { name });
  return join(dir(home), `${name}.json`);
}

function deriveKey(passphrase: string, salt: Buffer, p: { N: number; r: number; p: number }): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), salt, 32, { N: p.N, r: p.r, p: p.p, maxmem: SCRYPT.maxmem });
}

/**
 * Imports a PKCS#12 file as a named identity. The stored key is sealed with `storePassphrase`
 * (by default the PKCS#12 passphrase). Refuses an expired or wrong-passphrase file.
 */
export function importIdentity(
  p12: Uint8Array,
  p12Passphrase: string,
  options: { name: string; storePassphrase?: string; home?: string; path?: string },
): IdentitySummary {
  const home = options.home ?? amurHome();
  const file = fileFor(home, options.name);
  if (existsSync(file)) throw new AmurError('signing.identityExists', { name: options.name });
  const identity = readPkcs12(p12, p12Passphrase, options.path ?? '');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = deriveKey(options.storePassphrase ?? p12Passphrase, salt, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const pkcs8 = identity.privateKey.export({ type: 'pkcs8', format: 'der' });
  const data = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const stored: StoredIdentity = {
    format: 'amur-identity/1',
    name: options.name,
    keyAlgorithm: identity.keyAlgorithm,
    certificates: [identity.certificate, ...identity.chain].map((c) => c.toString()),
    key: {
      kdf: 'scrypt',
      N: SCRYPT.N,
      r: SCRYPT.r,
      p: SCRYPT.p,
      salt: salt.toString('base64'),
      cipher: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    },
  };
  mkdirSync(dir(home), { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves half an identity.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(stored, null, 2), { mode: 0o600 });
  renameSync(tmp, file);
  audit(home, { action: 'key.change', outcome: 'success', role: 'reader', detail: { operation: 'identity.import', identity: options.name,
    certificate: identity.certificate.fingerprint256 } });
  return { name: options.name, keyAlgorithm: identity.keyAlgorithm, certificate: signerInfo(identity.certificate) };
}

function readStored(home: string, name: string): StoredIdentity {
  const file = fileFor(home, name);
  if (!existsSync(file)) throw new AmurError('signing.identityNotFound', { name });
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as StoredIdentity;
    if (s.format !== 'amur-identity/1') throw new Error('unknown format');
    return s;
  } catch (e) {
    throw new AmurError('signing.identityCorrupt', { name }, { cause: e });
  }
}

export function listIdentities(home: string = amurHome()): IdentitySummary[] {
  if (!existsSync(dir(home))) return [];
  return readdirSync(dir(home))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const s = readStored(home, f.slice(0, -5));
      return { name: s.name, keyAlgorithm: s.keyAlgorithm, certificate: signerInfo(new X509Certificate(s.certificates[0]!)) };
    });
}

/**
 * The certificate of a stored identity, read without its passphrase (certificates are kept in
 * the clear): what the UI shows as the signer before the passphrase is asked for.
 */
export function identityCertificate(name: string, home: string = amurHome()): X509Certificate {
  return new X509Certificate(readStored(home, name).certificates[0]!);
}

/** Opens a stored identity with its passphrase ('signing.wrongPassphrase' when it does not open). */
export function openIdentity(name: string, passphrase: string, home: string = amurHome()): SigningIdentity {
  const s = readStored(home, name);
  const k = s.key;
  const key = deriveKey(passphrase, Buffer.from(k.salt, 'base64'), k);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(k.iv, 'base64'));
  decipher.setAuthTag(Buffer.from(k.tag, 'base64'));
  let pkcs8: Buffer;
  try {
    pkcs8 = Buffer.concat([decipher.update(Buffer.from(k.data, 'base64')), decipher.final()]);
  } catch {
    throw new AmurError('signing.wrongPassphrase', { path: name });
  }
  const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  const [certificate, ...chain] = s.certificates.map((pem) => new X509Certificate(pem));
  return { privateKey, certificate: certificate!, chain, keyAlgorithm: keyAlgorithmOf(privateKey) };
}

/**
 * The one entry the CLI and the report signer use: a path to a .p12/.pfx file is read directly,
 * anything else is the name of a stored identity.
 */
export function loadIdentity(pathOrName: string, passphrase: string, home: string = amurHome()): SigningIdentity {
  if (/\.(p12|pfx)$/i.test(pathOrName) || existsSync(pathOrName)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(pathOrName);
    } catch (e) {
      throw new AmurError('signing.fileUnreadable', { path: pathOrName }, { cause: e });
    }
    return readPkcs12(bytes, passphrase, pathOrName);
  }
  return openIdentity(pathOrName, passphrase, home);
}
