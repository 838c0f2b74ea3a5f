// The SM2-with-SM3 signature (GM/T 0003 / GM/T 0004, default user ID 1234567812345678) over a
// report package, for partners who require Chinese commercial cryptography. What is signed is a
// manifest: a small canonical JSON file listing each file of the package with its size, SHA-256
// and SM3, the signer's certificate and the claimed signing time. The signature (DER, as OpenSSL
// and GM/T 0009 write it) sits beside it in MANIFEST.sig, so any SM2 implementation can check it:
//   openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature m.sig m.json
// sm-crypto (pure JS) signs and verifies, so the desktop app (BoringSSL, no SM2) agrees with the CLI.
import { createHash, getHashes, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import forge from 'node-forge';
import { AmurError } from '../common/errors.js';
import { assertUsableForSigning, checkSigner, signerInfo, type Problem, type SignerInfo } from './certificates.js';
import type { SigningIdentity } from './pkcs12.js';

interface SmCrypto {
  sm2: {
    doSignature(msg: number[], privateKeyHex: string, o: { hash: boolean; der: boolean; publicKey?: string; userId?: string }): string;
    doVerifySignature(msg: number[], sigHex: string, publicKeyHex: string, o: { hash: boolean; der: boolean; userId?: string }): boolean;
  };
  sm3(msg: number[]): string;
}
const sm = createRequire(import.meta.url)('sm-crypto') as SmCrypto;

export const SM2_DEFAULT_USER_ID = '1234567812345678';
export const MANIFEST_FORMAT = 'amur-report-package/1';
export const MANIFEST_NAME = 'package.manifest.json';
export const SIGNATURE_SUFFIX = '.sig';

export interface PackageFile {
  /** File name inside the package folder (no directories). */
  name: string;
  bytes: Uint8Array;
}

export interface ManifestEntry {
  name: string;
  size: number;
  sha256: string;
  sm3: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  signatureAlgorithm: 'SM2-with-SM3';
  userId: string;
  signingTime: string;
  signerCertificate: string;
  chain: string[];
  files: ManifestEntry[];
}

const nodeHasSm3 = getHashes().includes('sm3');
function sm3Hex(bytes: Uint8Array): string {
  // Node's SM3 is fast; Electron's BoringSSL has none, and then the pure-JS one is used.
  return nodeHasSm3 ? createHash('sm3').update(bytes).digest('hex') : sm.sm3(Array.from(bytes));
}

export function manifestEntry(name: string, bytes: Uint8Array): ManifestEntry {
  return { name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sm3: sm3Hex(bytes) };
}

/** The canonical bytes: fixed key order, files sorted by name, UTF-8, two-space indent, final newline. */
export function manifestBytes(m: Manifest): Buffer {
  const ordered: Manifest = {
    format: m.format,
    signatureAlgorithm: m.signatureAlgorithm,
    userId: m.userId,
    signingTime: m.signingTime,
    signerCertificate: m.signerCertificate,
    chain: m.chain,
    files: [...m.files]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, sm3: f.sm3 })),
  };
  return Buffer.from(`${JSON.stringify(ordered, null, 2)}\n`, 'utf8');
}

/** The raw SM2 key pair as sm-crypto wants it: private scalar and uncompressed public point, hex. */
function sm2KeyHex(identity: SigningIdentity): { privateKey: string; publicKey: string } {
  const pkcs8 = identity.privateKey.export({ type: 'pkcs8', format: 'der' });
  const p8 = forge.asn1.fromDer(forge.util.createBuffer(pkcs8.toString('binary')));
  const ecPrivateKey = forge.asn1.fromDer((p8.value as forge.asn1.Asn1[])[2]!.value as string);
  const scalar = (ecPrivateKey.value as forge.asn1.Asn1[])[1]!.value as string;
  return { privateKey: Buffer.from(scalar, 'binary').toString('hex').padStart(64, '0'), publicKey: publicKeyHex(identity.certificate) };
}

function publicKeyHex(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const node = forge.asn1.fromDer(forge.util.createBuffer(spki.toString('binary')));
  const bits = (node.value as forge.asn1.Asn1[])[1]!.value as string;
  // A BIT STRING's first byte counts unused bits (0 here); the rest is 04 || X || Y.
  return Buffer.from(bits, 'binary').subarray(1).toString('hex');
}

export interface SignedPackage {
  manifest: Buffer;
  /** DER-encoded SM2 signature over `manifest`. */
  signature: Buffer;
}

/** Signs the listed files with an SM2 identity; returns the manifest and its signature. */
export function signPackageSm2(files: PackageFile[], identity: SigningIdentity, options: { now?: Date } = {}): SignedPackage {
  if (identity.keyAlgorithm !== 'sm2') throw new AmurError('signing.unsupportedKey', { type: identity.keyAlgorithm });
  if (!files.length) throw new AmurError('signing.packageEmpty');
  const now = options.now ?? new Date();
  assertUsableForSigning(identity.certificate, now);
  const manifest = manifestBytes({
    format: MANIFEST_FORMAT,
    signatureAlgorithm: 'SM2-with-SM3',
    userId: SM2_DEFAULT_USER_ID,
    signingTime: now.toISOString(),
    signerCertificate: identity.certificate.toString(),
    chain: identity.chain.map((c) => c.toString()),
    files: files.map((f) => manifestEntry(f.name, f.bytes)),
  });
  const key = sm2KeyHex(identity);
  const sigHex = sm.sm2.doSignature(Array.from(manifest), key.privateKey, {
    hash: true,
    der: true,
    publicKey: key.publicKey,
    userId: SM2_DEFAULT_USER_ID,
  });
  return { manifest, signature: Buffer.from(sigHex, 'hex') };
}

/**
 * Signs files already in `dir` (by name) and writes DIR/package.manifest.json and its .sig.
 * Returns the two paths.
 */
export function writeSignedPackage(dir: string, names: string[], identity: SigningIdentity, options: { now?: Date } = {}): { manifest: string; signature: string } {
  const files = names.map((name) => {
    const p = join(dir, name);
    try {
      return { name, bytes: readFileSync(p) };
    } catch (e) {
      throw new AmurError('signing.fileUnreadable', { path: p }, { cause: e });
    }
  });
  const signed = signPackageSm2(files, identity, options);
  const manifest = join(dir, MANIFEST_NAME);
  const signature = manifest + SIGNATURE_SUFFIX;
  for (const [p, bytes] of [
    [manifest, signed.manifest],
    [signature, signed.signature],
  ] as const) {
    writeFileSync(`${p}.tmp`, bytes);
    renameSync(`${p}.tmp`, p);
  }
  return { manifest, signature };
}

export interface Sm2PackageCheck {
  kind: 'sm2';
  valid: boolean;
  problems: Problem[];
  signingTime?: string;
  signer?: SignerInfo;
  files: { name: string; ok: boolean }[];
}

export function isManifest(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 200)).toString('utf8');
  return head.trimStart().startsWith('{') && head.includes(`"format": "${MANIFEST_FORMAT}"`);
}

/** Checks a package manifest, its SM2 signature (MANIFEST.sig) and every file it lists. */
export function verifyPackageSm2(manifestPath: string, trust: X509Certificate[]): Sm2PackageCheck {
  const problems: Problem[] = [];
  const check: Sm2PackageCheck = { kind: 'sm2', valid: false, problems, files: [] };
  const bytes = readFileSync(manifestPath);
  let m: Manifest;
  try {
    m = JSON.parse(bytes.toString('utf8')) as Manifest;
    if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.files)) throw new Error('not a package manifest');
  } catch (e) {
    problems.push({ code: 'signing.verify.malformed', params: { detail: e instanceof Error ? e.message : String(e) } });
    return check;
  }
  const sigPath = manifestPath + SIGNATURE_SUFFIX;
  if (!existsSync(sigPath)) {
    problems.push({ code: 'signing.verify.noSignature', params: {} });
    return check;
  }
  let cert: X509Certificate;
  let chain: X509Certificate[];
  try {
    cert = new X509Certificate(m.signerCertificate);
    chain = (m.chain ?? []).map((p) => new X509Certificate(p));
  } catch {
    problems.push({ code: 'signing.verify.noCertificate', params: {} });
    return check;
  }
  check.signer = signerInfo(cert);
  const signingTime = new Date(m.signingTime);
  if (Number.isNaN(signingTime.getTime())) {
    problems.push({ code: 'signing.verify.malformed', params: { detail: 'signingTime' } });
    return check;
  }
  check.signingTime = signingTime.toISOString();
  if (m.signatureAlgorithm !== 'SM2-with-SM3') {
    problems.push({ code: 'signing.verify.unsupportedAlgorithm', params: { algorithm: String(m.signatureAlgorithm) } });
    return check;
  }
  let ok: boolean;
  try {
    ok = sm.sm2.doVerifySignature(Array.from(bytes), readFileSync(sigPath).toString('hex'), publicKeyHex(cert), {
      hash: true,
      der: true,
      userId: m.userId || SM2_DEFAULT_USER_ID,
    });
  } catch {
    ok = false;
  }
  if (!ok) problems.push({ code: 'signing.verify.sm2Mismatch', params: {} });
  const dir = dirname(manifestPath);
  for (const entry of m.files) {
    const name = basename(String(entry.name));
    const p = join(dir, name);
    if (!existsSync(p)) {
      problems.push({ code: 'signing.verify.packageFileMissing', params: { name } });
      check.files.push({ name, ok: false });
      continue;
    }
    const now = manifestEntry(name, readFileSync(p));
    const same = now.size === entry.size && now.sha256 === entry.sha256 && now.sm3 === entry.sm3;
    if (!same) problems.push({ code: 'signing.verify.packageFileChanged', params: { name } });
    check.files.push({ name, ok: same });
  }
  problems.push(...checkSigner(cert, trust, chain, signingTime));
  check.valid = problems.length === 0;
  return check;
}
