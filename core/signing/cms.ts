// CMS SignedData (RFC 5652), detached, as PAdES baseline B (ETSI EN 319 142-1) and CAdES want it:
// signed attributes content-type, message-digest and signing-certificate-v2 (RFC 5035), no
// signing-time attribute (PAdES puts the claimed time in the signature dictionary's /M). forge's
// ASN.1 builds the structure; Node's crypto signs, so RSA and ECDSA keys both work (forge's PKCS#7
// signs with RSA only).
import { createHash, sign as cryptoSign, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import type { SigningIdentity } from './pkcs12.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const T = asn1.Type;
const C = asn1.Class;

export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  sha1: '1.3.14.3.2.26',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
} as const;

const DIGEST_NAMES: Record<string, string> = {
  [OIDS.sha256]: 'sha256',
  [OIDS.sha384]: 'sha384',
  [OIDS.sha512]: 'sha512',
  [OIDS.sha1]: 'sha1',
};

const bin = (b: Buffer) => b.toString('binary');
const buf = (s: string) => Buffer.from(s, 'binary');
const seq = (v: Asn1[]) => asn1.create(C.UNIVERSAL, T.SEQUENCE, true, v);
const set = (v: Asn1[]) => asn1.create(C.UNIVERSAL, T.SET, true, v);
const oid = (o: string) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes());
const octet = (b: Buffer) => asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, bin(b));
const int = (n: number) => asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(n).getBytes());
const der = (node: Asn1) => buf(asn1.toDer(node).getBytes());
const parse = (b: Buffer) => asn1.fromDer(forge.util.createBuffer(bin(b)));
const kids = (n: Asn1 | undefined): Asn1[] => (n && Array.isArray(n.value) ? (n.value as Asn1[]) : []);
const oidOf = (n: Asn1 | undefined) => (n ? asn1.derToOid(n.value as string) : '');

/** The issuer Name and serialNumber of a certificate, as ASN.1 taken from its DER. */
function issuerAndSerial(cert: X509Certificate): { issuer: Asn1; serial: Asn1 } {
  const tbs = kids(kids(parse(cert.raw))[0]);
  const off = tbs[0]!.tagClass === C.CONTEXT_SPECIFIC ? 1 : 0; // [0] version is optional
  return { issuer: tbs[off + 2]!, serial: tbs[off]! };
}

/** Length of the DER element at the start of `b` (the /Contents placeholder is zero-padded). */
export function derLength(b: Buffer): number {
  if (b.length < 2) return b.length;
  const first = b[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
  return 2 + n + len;
}

/** DER SET OF: the members sorted by their encodings (X.690 11.6). */
function derSetOf(members: Asn1[]): Asn1 {
  const sorted = members.map((m) => ({ m, d: der(m) })).sort((a, b) => Buffer.compare(a.d, b.d));
  return set(sorted.map((x) => x.m));
}

/** Builds a detached CMS SignedData over `content` (the PDF's byte ranges). */
export function buildDetachedCms(content: Buffer, identity: SigningIdentity): Buffer {
  const cert = identity.certificate;
  const { issuer, serial } = issuerAndSerial(cert);
  const digestAlg = seq([oid(OIDS.sha256)]);
  const essCertIdV2 = seq([
    // hashAlgorithm defaults to SHA-256 and is therefore left out (DER).
    octet(createHash('sha256').update(cert.raw).digest()),
    seq([seq([asn1.create(C.CONTEXT_SPECIFIC, 4, true, [issuer])]), serial]),
  ]);
  const attrs = [
    seq([oid(OIDS.contentType), set([oid(OIDS.data)])]),
    seq([oid(OIDS.messageDigest), set([octet(createHash('sha256').update(content).digest())])]),
    seq([oid(OIDS.signingCertificateV2), set([seq([seq([essCertIdV2])])])]),
  ];
  const signedAttrsSet = derSetOf(attrs);
  const toSign = der(signedAttrsSet);
  const isRsa = identity.keyAlgorithm === 'rsa';
  const signature = isRsa
    ? cryptoSign('sha256', toSign, identity.privateKey)
    : cryptoSign('sha256', toSign, { key: identity.privateKey, dsaEncoding: 'der' });
  const signatureAlg = isRsa ? seq([oid(OIDS.rsaEncryption), asn1.create(C.UNIVERSAL, T.NULL, false, '')]) : seq([oid(OIDS.ecdsaWithSHA256)]);
  const signedAttrs = asn1.create(C.CONTEXT_SPECIFIC, 0, true, kids(signedAttrsSet));
  const signerInfo = seq([int(1), seq([issuer, serial]), digestAlg, signedAttrs, signatureAlg, octet(signature)]);
  const certs = [cert, ...identity.chain].map((c) => parse(c.raw));
  const signedData = seq([
    int(1),
    set([seq([oid(OIDS.sha256)])]),
    seq([oid(OIDS.data)]),
    asn1.create(C.CONTEXT_SPECIFIC, 0, true, certs),
    set([signerInfo]),
  ]);
  return der(seq([oid(OIDS.signedData), asn1.create(C.CONTEXT_SPECIFIC, 0, true, [signedData])]));
}

export interface CmsCheck {
  /** The content's digest matches the signed message-digest attribute. */
  digestMatches: boolean;
  /** The signature over the signed attributes verifies with the signer's certificate. */
  signatureMatches: boolean;
  /** signing-certificate-v2 present and naming the signer's certificate (PAdES requires it). */
  signingCertificateBound: boolean;
  signer?: X509Certificate;
  /** The other certificates the CMS carried. */
  certificates: X509Certificate[];
  signingTime?: Date;
  problem?: string;
}

function certsFrom(signedData: Asn1[]): X509Certificate[] {
  const node = signedData.find((n) => n.tagClass === C.CONTEXT_SPECIFIC && n.type === 0);
  const out: X509Certificate[] = [];
  for (const c of kids(node)) {
    try {
      out.push(new X509Certificate(der(c)));
    } catch {
      // not an X.509 certificate (attribute certificates are allowed here); ignore
    }
  }
  return out;
}

function sameDer(a: Asn1, b: Asn1): boolean {
  return Buffer.compare(der(a), der(b)) === 0;
}

/** Checks a detached CMS SignedData against the content it claims to sign. */
export function verifyDetachedCms(cms: Buffer, content: Buffer): CmsCheck {
  const result: CmsCheck = { digestMatches: false, signatureMatches: false, signingCertificateBound: false, certificates: [] };
  let signedData: Asn1[];
  try {
    const ci = kids(parse(cms.subarray(0, derLength(cms))));
    if (oidOf(ci[0]) !== OIDS.signedData) throw new Error('not SignedData');
    signedData = kids(kids(ci[1])[0]);
  } catch (e) {
    return { ...result, problem: e instanceof Error ? e.message : String(e) };
  }
  const certificates = certsFrom(signedData);
  const signerInfos = kids(signedData[signedData.length - 1]);
  const si = kids(signerInfos[0]);
  if (si.length < 5) return { ...result, certificates, problem: 'no SignerInfo' };
  const sid = si[1]!;
  const signer = certificates.find((c) => {
    const { issuer, serial } = issuerAndSerial(c);
    const [sIssuer, sSerial] = kids(sid);
    return sIssuer && sSerial && sameDer(issuer, sIssuer) && sameDer(serial, sSerial);
  });
  result.signer = signer;
  result.certificates = certificates.filter((c) => c !== signer);
  if (!signer) return { ...result, problem: 'signer certificate not in the CMS' };
  const digestName = DIGEST_NAMES[oidOf(kids(si[2])[0])];
  if (!digestName) return { ...result, problem: 'unsupported digest' };
  const signedAttrsNode = si[3]!;
  if (signedAttrsNode.tagClass !== C.CONTEXT_SPECIFIC || signedAttrsNode.type !== 0) return { ...result, problem: 'no signed attributes' };
  const attrs = kids(signedAttrsNode);
  const attr = (o: string) => kids(attrs.find((a) => oidOf(kids(a)[0]) === o))[1];
  const md = kids(attr(OIDS.messageDigest))[0];
  result.digestMatches = !!md && Buffer.compare(buf(md.value as string), createHash(digestName).update(content).digest()) === 0;
  const st = kids(attr(OIDS.signingTime))[0];
  if (st) {
    const t = st.type === T.UTCTIME ? asn1.utcTimeToDate(st.value as string) : asn1.generalizedTimeToDate(st.value as string);
    result.signingTime = t;
  }
  const scv2 = kids(attr(OIDS.signingCertificateV2))[0];
  const firstId = kids(kids(kids(scv2)[0])[0]);
  if (firstId.length) {
    const hashNode = firstId.find((n) => n.type === T.OCTETSTRING);
    const algNode = firstId[0]!.type === T.SEQUENCE ? firstId[0] : undefined;
    const alg = algNode ? DIGEST_NAMES[oidOf(kids(algNode)[0])] ?? 'sha256' : 'sha256';
    result.signingCertificateBound = !!hashNode && Buffer.compare(buf(hashNode.value as string), createHash(alg).update(signer.raw).digest()) === 0;
  }
  // The signature covers the DER of the attributes with the SET tag in place of [0].
  const toVerify = Buffer.concat([Buffer.from([0x31]), der(signedAttrsNode).subarray(1)]);
  const sigAlg = oidOf(kids(si[4])[0]);
  const signature = buf(si[5]!.value as string);
  const isEc = signer.publicKey.asymmetricKeyType === 'ec';
  const digestForSig = sigAlg === OIDS.ecdsaWithSHA384 ? 'sha384' : digestName;
  try {
    result.signatureMatches = isEc
      ? cryptoVerify(digestForSig, toVerify, { key: signer.publicKey, dsaEncoding: 'der' }, signature)
      : cryptoVerify(digestForSig, toVerify, signer.publicKey, signature);
  } catch {
    result.signatureMatches = false;
  }
  return result;
}

const SIGNATURE_TIME_STAMP_TOKEN = '1.2.840.113549.1.9.16.2.14';

/** The SignerInfo fields of a CMS SignedData (the first signer), or undefined when it has none. */
function firstSignerInfo(cms: Buffer): { root: Asn1; si: Asn1[] } | undefined {
  const root = parse(cms.subarray(0, derLength(cms)));
  const signedData = kids(kids(kids(root)[1])[0]);
  const si = kids(kids(signedData[signedData.length - 1])[0]);
  return si.length >= 6 ? { root, si } : undefined;
}

/** The signature value of the CMS's signer, the data a signature-time-stamp is over (RFC 3161 App. A). */
export function cmsSignatureValue(cms: Buffer): Buffer | undefined {
  const f = firstSignerInfo(cms);
  return f ? buf(f.si[5]!.value as string) : undefined;
}

/** The signer's signature-time-stamp token (unsigned attribute id-aa-signatureTimeStampToken), if any. */
export function cmsSignatureTimestamp(cms: Buffer): Buffer | undefined {
  const f = firstSignerInfo(cms);
  const unsigned = f?.si.find((n, i) => i > 5 && n.tagClass === C.CONTEXT_SPECIFIC && n.type === 1);
  const attr = kids(unsigned).find((a) => oidOf(kids(a)[0]) === SIGNATURE_TIME_STAMP_TOKEN);
  const token = kids(kids(attr)[1])[0];
  return token ? der(token) : undefined;
}

/**
 * Adds a signature-time-stamp (PAdES-B-T, CAdES-T) to the CMS's signer: `stamp` gets the
 * signature value and returns a TimeStampToken over its digest, which becomes the unsigned
 * attribute id-aa-signatureTimeStampToken. Unsigned attributes are outside what the signer signed,
 * so the signature stays valid. Returns the CMS unchanged when it already has one.
 */
export async function addCmsSignatureTimestamp(cms: Buffer, stamp: (signatureValue: Buffer) => Promise<Buffer>): Promise<Buffer> {
  const f = firstSignerInfo(cms);
  if (!f) throw new Error('no SignerInfo');
  if (cmsSignatureTimestamp(cms)) return cms.subarray(0, derLength(cms));
  const token = await stamp(buf(f.si[5]!.value as string));
  const attr = seq([oid(SIGNATURE_TIME_STAMP_TOKEN), set([parse(token)])]);
  // The signer's fields are objects inside `root`: changing the array changes the whole CMS.
  f.si.splice(6, f.si.length - 6, asn1.create(C.CONTEXT_SPECIFIC, 1, true, [attr]));
  return der(f.root);
}
