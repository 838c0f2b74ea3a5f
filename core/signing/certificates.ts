// Certificate checks shared by every signature format: is the signer's certificate usable for
// signing now, and does a verified signature come from someone the reader trusts (the certificate
// itself trusted, or a chain up to a trusted certificate), with every certificate of that chain
// valid at the time the signature was made.
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { AmurError } from '../common/errors.js';

export interface SignerInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  fingerprint256: string;
  validFrom: string;
  validTo: string;
}

export function signerInfo(cert: X509Certificate): SignerInfo {
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    serialNumber: cert.serialNumber,
    fingerprint256: cert.fingerprint256,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
  };
}

/** A distinguished name as Node gives it (one attribute per line) on one line: "CN=…, O=…". */
export function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** The name a person reads for a certificate: its subject's common name, or the whole subject on one line. */
export function commonName(cert: X509Certificate): string {
  return /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1] ?? oneLine(cert.subject);
}

const KEY_USAGE_OID = '2.5.29.15';

/**
 * Whether the certificate's key usage (RFC 5280 4.2.1.3) allows signatures: digitalSignature or
 * nonRepudiation. A certificate without the extension is not restricted. Node does not expose the
 * key usage bits, so the extension is read from the DER.
 */
export function keyUsageAllowsSigning(cert: X509Certificate): boolean {
  const { asn1 } = forge;
  const kids = (n: forge.asn1.Asn1 | undefined) => (n && Array.isArray(n.value) ? (n.value as forge.asn1.Asn1[]) : []);
  const tbs = kids(kids(asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary'))))[0]);
  const extWrap = tbs.find((n) => n.tagClass === asn1.Class.CONTEXT_SPECIFIC && n.type === 3);
  for (const ext of kids(kids(extWrap)[0])) {
    const [oidNode, ...rest] = kids(ext);
    if (!oidNode || asn1.derToOid(oidNode.value as string) !== KEY_USAGE_OID) continue;
    const octets = rest[rest.length - 1]!.value as string;
    const bits = asn1.fromDer(octets).value as string; // BIT STRING: unused-bit count, then the bits
    const first = bits.length > 1 ? bits.charCodeAt(1) : 0;
    return (first & 0x80) !== 0 || (first & 0x40) !== 0;
  }
  return true;
}

/** The signer's certificate must be valid now, and meant for signing, to make a new signature. */
export function assertUsableForSigning(cert: X509Certificate, now: Date = new Date()): void {
  const subject = oneLine(cert.subject);
  if (!keyUsageAllowsSigning(cert)) throw new AmurError('signing.certificateNotForSigning', { subject });
  if (now.getTime() > new Date(cert.validTo).getTime()) {
    throw new AmurError('signing.certificateExpired', { subject, date: new Date(cert.validTo).toISOString() });
  }
  if (now.getTime() < new Date(cert.validFrom).getTime()) {
    throw new AmurError('signing.certificateNotYetValid', { subject, date: new Date(cert.validFrom).toISOString() });
  }
}

/** Reads every certificate from PEM files (one or more certificates each) or DER files. */
export function loadCertificates(paths: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new AmurError('signing.trustUnreadable', { path }, { cause: e });
    }
    const text = bytes.toString('latin1');
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    try {
      if (pems) for (const pem of pems) out.push(new X509Certificate(pem));
      else out.push(new X509Certificate(bytes));
    } catch (e) {
      throw new AmurError('signing.trustUnreadable', { path }, { cause: e });
    }
  }
  return out;
}

export interface Problem {
  /** i18n key under errors.* (e.g. 'signing.verify.untrusted'). */
  code: string;
  params: Record<string, string | number>;
}

function validAt(cert: X509Certificate, at: Date): Problem | null {
  const t = at.getTime();
  const subject = oneLine(cert.subject);
  if (t > new Date(cert.validTo).getTime()) {
    return { code: 'signing.verify.certificateExpired', params: { subject, date: new Date(cert.validTo).toISOString() } };
  }
  if (t < new Date(cert.validFrom).getTime()) {
    return { code: 'signing.verify.certificateNotYetValid', params: { subject, date: new Date(cert.validFrom).toISOString() } };
  }
  return null;
}

/**
 * Whether `cert` chains to a trusted certificate. `intermediates` are extra certificates the
 * signed object carried (never trusted by themselves). `at` is the signing time: every certificate
 * on the path must be valid then. Returns the problems found; none means trusted.
 */
export function checkSigner(cert: X509Certificate, trust: X509Certificate[], intermediates: X509Certificate[], at: Date): Problem[] {
  const trusted = new Set(trust.map((c) => c.fingerprint256));
  const pool = [...trust, ...intermediates];
  const path: X509Certificate[] = [cert];
  let current = cert;
  let anchored = trusted.has(cert.fingerprint256);
  for (let depth = 0; !anchored && depth < 8; depth++) {
    // Only a CA certificate may vouch for another one (a leaf cannot mint signers).
    const issuer = pool.find((c) => c.ca && c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
    anchored = trusted.has(issuer.fingerprint256);
  }
  if (!anchored) return [{ code: 'signing.verify.untrusted', params: { subject: oneLine(cert.subject), issuer: oneLine(cert.issuer) } }];
  const problems: Problem[] = [];
  // A claimed signing time ahead of the reader's clock (beyond clock skew) is not believable.
  if (at.getTime() > Date.now() + 5 * 60_000) problems.push({ code: 'signing.verify.signedInFuture', params: { date: at.toISOString() } });
  if (!keyUsageAllowsSigning(cert)) problems.push({ code: 'signing.verify.certificateNotForSigning', params: { subject: oneLine(cert.subject) } });
  for (const c of path) {
    const p = validAt(c, at);
    if (p) problems.push(p);
  }
  return problems;
}
