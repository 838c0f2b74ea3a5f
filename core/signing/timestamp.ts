// Trusted time (RFC 3161): asks a time-stamping authority to sign "this digest existed at this UTC
// time", and checks such a token later. Any code that needs trusted time for a digest uses it: the
// DICOM Certified Timestamp and the PAdES signature-time-stamp of a report's signatures, the audit
// trail's checkpoints. The request and the token are built and read with forge's ASN.1 walker;
// Node's crypto checks the TSA's signature, so RSA and ECDSA TSAs both work. A token is only as
// good as its verification: the TSA's certificate must be a time-stamping one (critical
// timeStamping extended key usage) chaining to a certificate the reader trusts.
import { createHash, randomBytes, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import forge from 'node-forge';
import { AmurError } from '../common/errors.js';
import { checkSigner, commonName, signerInfo, type Problem, type SignerInfo } from './certificates.js';
import { derLength } from './cms.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;
const T = asn1.Type;
const C = asn1.Class;

export const TIMESTAMP_OIDS = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  /** id-aa-signatureTimeStampToken: the unsigned CMS attribute that carries a token (RFC 3161 App. A). */
  signatureTimeStampToken: '1.2.840.113549.1.9.16.2.14',
  extKeyUsage: '2.5.29.37',
  subjectKeyIdentifier: '2.5.29.14',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

/** The digests a message imprint may use, by OID, with their output length. */
const HASHES: Record<string, { name: string; length: number }> = {
  '2.16.840.1.101.3.4.2.1': { name: 'sha256', length: 32 },
  '2.16.840.1.101.3.4.2.2': { name: 'sha384', length: 48 },
  '2.16.840.1.101.3.4.2.3': { name: 'sha512', length: 64 },
  '1.3.14.3.2.26': { name: 'sha1', length: 20 },
};
const HASH_OID_BY_LENGTH: Record<number, string> = { 32: '2.16.840.1.101.3.4.2.1', 48: '2.16.840.1.101.3.4.2.2', 64: '2.16.840.1.101.3.4.2.3' };

/** Signature algorithms a TSA may use: the digest to verify with ('' = the SignerInfo's digest). */
const SIGNATURE_ALGORITHMS: Record<string, { ec: boolean; digest: string }> = {
  '1.2.840.113549.1.1.1': { ec: false, digest: '' },
  '1.2.840.113549.1.1.11': { ec: false, digest: 'sha256' },
  '1.2.840.113549.1.1.12': { ec: false, digest: 'sha384' },
  '1.2.840.113549.1.1.13': { ec: false, digest: 'sha512' },
  '1.2.840.10045.4.3.2': { ec: true, digest: 'sha256' },
  '1.2.840.10045.4.3.3': { ec: true, digest: 'sha384' },
  '1.2.840.10045.4.3.4': { ec: true, digest: 'sha512' },
  '1.2.840.10045.2.1': { ec: true, digest: '' },
};

/** PKIStatus (RFC 3161 2.4.2). */
const PKI_STATUS = ['granted', 'grantedWithMods', 'rejection', 'waiting', 'revocationWarning', 'revocationNotification'];
/** PKIFailureInfo bit names. */
const FAILURE_INFO: Record<number, string> = {
  0: 'badAlg',
  2: 'badRequest',
  5: 'badDataFormat',
  14: 'timeNotAvailable',
  15: 'unacceptedPolicy',
  16: 'unacceptedExtension',
  17: 'addInfoNotAvailable',
  25: 'systemFailure',
};

const bin = (b: Buffer) => b.toString('binary');
const buf = (s: string) => Buffer.from(s, 'binary');
const seq = (v: Asn1[]) => asn1.create(C.UNIVERSAL, T.SEQUENCE, true, v);
const oid = (o: string) => asn1.create(C.UNIVERSAL, T.OID, false, asn1.oidToDer(o).getBytes());
const der = (node: Asn1) => buf(asn1.toDer(node).getBytes());
const kids = (n: Asn1 | undefined): Asn1[] => (n && Array.isArray(n.value) ? (n.value as Asn1[]) : []);
const oidOf = (n: Asn1 | undefined) => (n && n.type === T.OID && typeof n.value === 'string' ? asn1.derToOid(n.value) : '');
const bytesOf = (n: Asn1 | undefined) => (n && typeof n.value === 'string' ? buf(n.value) : Buffer.alloc(0));
const isContext = (n: Asn1 | undefined, tag: number) => !!n && n.tagClass === C.CONTEXT_SPECIFIC && n.type === tag;

function parse(b: Buffer): Asn1 {
  // The typings know only the boolean form; forge takes these options (strict DER, all bytes used,
  // BIT STRING contents left alone).
  const options = { strict: true, parseAllBytes: true, decodeBitStrings: false } as unknown as boolean;
  return asn1.fromDer(forge.util.createBuffer(bin(b)), options);
}

/** An INTEGER's content octets as a positive number's bytes, for comparison (leading zero dropped). */
function unsigned(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** GeneralizedTime as RFC 3161 requires it: YYYYMMDDHHMMSS[.s…]Z. */
function generalizedTime(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d+))?Z$/.exec(s);
  if (!m) return undefined;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms));
}


// ---------------------------------------------------------------------------------------------
// The request and the response

export interface TimestampRequest {
  /** The DER TimeStampReq to POST. */
  der: Buffer;
  /** The nonce sent (INTEGER content octets), to be found again in the token. */
  nonce: Buffer;
}

/** A random positive 64-bit nonce, minimal DER (first octet 01..7F). */
function newNonce(): Buffer {
  const n = randomBytes(8);
  n[0] = (n[0]! % 0x7f) + 1;
  return n;
}

/** Builds a TimeStampReq (RFC 3161 2.4.1) over a SHA-256, -384 or -512 digest. */
export function buildTimestampRequest(digest: Buffer, options: { policy?: string; nonce?: Buffer } = {}): TimestampRequest {
  const hashOid = HASH_OID_BY_LENGTH[digest.length];
  if (!hashOid) throw new AmurError('signing.tsa.badDigest', { length: digest.length });
  const nonce = options.nonce ?? newNonce();
  const fields: Asn1[] = [
    asn1.create(C.UNIVERSAL, T.INTEGER, false, asn1.integerToDer(1).getBytes()),
    // NULL parameters: RFC 5754 lets them be absent, but some TSAs still insist on NULL.
    seq([seq([oid(hashOid), asn1.create(C.UNIVERSAL, T.NULL, false, '')]), asn1.create(C.UNIVERSAL, T.OCTETSTRING, false, bin(digest))]),
  ];
  if (options.policy) fields.push(oid(options.policy));
  fields.push(asn1.create(C.UNIVERSAL, T.INTEGER, false, bin(nonce)));
  // certReq: the TSA's certificate in the token, so a reader can check it without fetching it.
  fields.push(asn1.create(C.UNIVERSAL, T.BOOLEAN, false, String.fromCharCode(0xff)));
  return { der: der(seq(fields)), nonce };
}

/**
 * Reads a TimeStampResp (RFC 3161 2.4.2): the token when the status is granted, else a translated
 * refusal naming the TSA's host and its reason.
 */
export function parseTimestampResponse(response: Buffer, host: string): Buffer {
  let top: Asn1[];
  try {
    top = kids(parse(response));
  } catch (e) {
    throw new AmurError('signing.tsa.badResponse', { host, detail: 'not DER' }, { cause: e });
  }
  const statusInfo = kids(top[0]);
  if (!statusInfo.length || statusInfo[0]!.type !== T.INTEGER) throw new AmurError('signing.tsa.badResponse', { host, detail: 'no PKIStatusInfo' });
  const status = asn1.derToInteger(statusInfo[0]!.value as string);
  if (status !== 0 && status !== 1) {
    const texts = statusInfo.filter((n) => n.type === T.SEQUENCE).flatMap((s) => kids(s).map((u) => forge.util.decodeUtf8(u.value as string)));
    const failBits = statusInfo.find((n) => n.type === T.BITSTRING);
    const failures: string[] = [];
    if (failBits) {
      const v = buf(failBits.value as string);
      for (let bit = 0; bit < (v.length - 1) * 8; bit++) if (v[1 + (bit >> 3)]! & (0x80 >> (bit & 7))) failures.push(FAILURE_INFO[bit] ?? `bit ${bit}`);
    }
    const detail = [...failures, ...texts].join('; ') || '-';
    throw new AmurError('signing.tsa.rejected', { host, status: PKI_STATUS[status] ?? String(status), detail });
  }
  if (!top[1]) throw new AmurError('signing.tsa.badResponse', { host, detail: 'granted without a token' });
  return der(top[1]);
}

export interface RequestTimestampOptions {
  /** The whole exchange (connect, send, answer) must finish within this time. Default 15 s. */
  timeoutMs?: number;
  /** A TSA policy OID to ask for. */
  policy?: string;
  /** Extra CA certificates (PEM) for an https TSA with a private CA. */
  ca?: string | Buffer;
}

const MAX_RESPONSE = 1 << 20;

function post(url: URL, body: Buffer, options: RequestTimestampOptions): Promise<Buffer> {
  const host = url.host;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolvePost, reject) => {
    let settled = false;
    const fail = (e: AmurError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(e);
    };
    const timer = setTimeout(() => fail(new AmurError('signing.tsa.timeout', { host, seconds: Math.round(timeoutMs / 100) / 10 })), timeoutMs);
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/timestamp-query', Accept: 'application/timestamp-reply', 'Content-Length': body.length },
        ...(options.ca ? { ca: options.ca } : {}),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          fail(new AmurError('signing.tsa.httpStatus', { host, status: res.statusCode ?? 0 }));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) fail(new AmurError('signing.tsa.badResponse', { host, detail: 'answer too large' }));
          else chunks.push(c);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolvePost(Buffer.concat(chunks));
        });
        res.on('error', (e) => fail(new AmurError('signing.tsa.unreachable', { host, detail: e.message }, { cause: e })));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => fail(new AmurError('signing.tsa.unreachable', { host, detail: e.code ?? e.message }, { cause: e })));
    req.end(body);
  });
}

/**
 * Asks the TSA at `url` (http: or https:) to time-stamp `digest` (SHA-256/384/512 of the data) and
 * returns the TimeStampToken (DER ContentInfo). The token is checked against the request (imprint,
 * nonce, and that it parses); whether its TSA is trusted is verifyTimestampToken's question, asked
 * by whoever relies on it.
 */
export async function requestTimestamp(url: string, digest: Buffer, options: RequestTimestampOptions = {}): Promise<Buffer> {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new AmurError('signing.tsa.badUrl', { url }, { cause: e });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AmurError('signing.tsa.badUrl', { url });
  const request = buildTimestampRequest(digest, { policy: options.policy });
  const token = parseTimestampResponse(await post(u, request.der, options), u.host);
  let info: TstInfo;
  try {
    info = readTimestampToken(token).tstInfo;
  } catch (e) {
    throw new AmurError('signing.tsa.badResponse', { host: u.host, detail: e instanceof Error ? e.message : String(e) }, { cause: e });
  }
  if (Buffer.compare(info.hashedMessage, digest) !== 0) throw new AmurError('signing.tsa.mismatch', { host: u.host, detail: 'message imprint' });
  if (!info.nonce || Buffer.compare(unsigned(info.nonce), unsigned(request.nonce)) !== 0) {
    throw new AmurError('signing.tsa.mismatch', { host: u.host, detail: 'nonce' });
  }
  return token;
}

// ---------------------------------------------------------------------------------------------
// Reading and verifying a token

export interface TstInfo {
  policy: string;
  hashAlgorithm: string;
  hashedMessage: Buffer;
  /** Hexadecimal, upper case, as X509Certificate prints serial numbers. */
  serialNumber: string;
  genTime: Date;
  nonce?: Buffer;
}

interface ParsedToken {
  tstInfo: TstInfo;
  tstInfoDer: Buffer;
  signedData: Asn1[];
}

/** Parses a TimeStampToken far enough to read its TSTInfo; throws a plain Error when malformed. */
export function readTimestampToken(token: Buffer): ParsedToken {
  // DICOM pads an odd-length OB value with a zero byte: read the one DER element only.
  const ci = kids(parse(token.subarray(0, derLength(token))));
  if (oidOf(ci[0]) !== TIMESTAMP_OIDS.signedData || !isContext(ci[1], 0)) throw new Error('not a CMS SignedData');
  const signedData = kids(kids(ci[1])[0]);
  const encap = kids(signedData[2]);
  if (oidOf(encap[0]) !== TIMESTAMP_OIDS.tstInfo) throw new Error('content is not a TSTInfo');
  const octets = kids(encap[1])[0];
  if (!octets || octets.type !== T.OCTETSTRING) throw new Error('no TSTInfo');
  // A constructed OCTET STRING (BER) is joined; DER TSAs write a primitive one.
  const tstInfoDer = Array.isArray(octets.value) ? Buffer.concat(kids(octets).map(bytesOf)) : bytesOf(octets);
  const f = kids(parse(tstInfoDer));
  const imprint = kids(f[2]);
  const hash = HASHES[oidOf(kids(imprint[0])[0])];
  const genTimeNode = f[4];
  const genTime = genTimeNode?.type === T.GENERALIZEDTIME ? generalizedTime(genTimeNode.value as string) : undefined;
  if (!hash || !genTime || f[3]?.type !== T.INTEGER) throw new Error('TSTInfo incomplete');
  const nonceNode = f.slice(5).find((n) => n.tagClass === C.UNIVERSAL && n.type === T.INTEGER);
  return {
    tstInfo: {
      policy: oidOf(f[1]),
      hashAlgorithm: hash.name,
      hashedMessage: bytesOf(imprint[1]),
      serialNumber: unsigned(bytesOf(f[3])).toString('hex').toUpperCase(),
      genTime,
      ...(nonceNode ? { nonce: bytesOf(nonceNode) } : {}),
    },
    tstInfoDer,
    signedData,
  };
}

/** The digest algorithm a token's imprint uses ('sha256', …), to hash data before verifying it. */
export function timestampHashAlgorithm(token: Buffer): string | undefined {
  try {
    return readTimestampToken(token).tstInfo.hashAlgorithm;
  } catch {
    return undefined;
  }
}

function extension(cert: X509Certificate, extOid: string): { critical: boolean; value: Buffer } | undefined {
  const tbs = kids(kids(parse(cert.raw))[0]);
  const wrap = tbs.find((n) => isContext(n, 3));
  for (const ext of kids(kids(wrap)[0])) {
    const [o, ...rest] = kids(ext);
    if (oidOf(o) !== extOid) continue;
    const critical = rest.length === 2 && rest[0]!.type === T.BOOLEAN && (rest[0]!.value as string) !== '\x00';
    return { critical, value: bytesOf(rest[rest.length - 1]) };
  }
  return undefined;
}

/**
 * RFC 3161 2.3: a TSA's certificate has exactly one extended key usage, id-kp-timeStamping, and
 * the extension is critical (so no other software takes the key for anything else).
 */
export function isTimeStampingCertificate(cert: X509Certificate): boolean {
  const eku = extension(cert, TIMESTAMP_OIDS.extKeyUsage);
  if (!eku || !eku.critical) return false;
  const purposes = kids(parse(eku.value)).map(oidOf);
  return purposes.length === 1 && purposes[0] === TIMESTAMP_OIDS.timeStamping;
}

export interface TimestampCheck {
  valid: boolean;
  problems: Problem[];
  /** The TSA's time (ISO 8601, UTC). */
  genTime?: string;
  /** The TSA's name: its certificate's common name. */
  tsa?: string;
  serialNumber?: string;
  policy?: string;
  signer?: SignerInfo;
}

export interface VerifyTimestampOptions {
  /** The nonce that was sent, when the caller still knows it. */
  nonce?: Buffer;
}

/**
 * Verifies a TimeStampToken for `digest`: the TSA's signature over the signed attributes, their
 * message digest over the TSTInfo, the ESS binding of the TSA's certificate, the imprint, the
 * nonce when given, the certificate's time-stamping purpose and its chain to `trust` at genTime.
 * Never throws: a bad token is a check with problems.
 */
export function verifyTimestampToken(token: Buffer, digest: Buffer, trust: X509Certificate[], options: VerifyTimestampOptions = {}): TimestampCheck {
  const problems: Problem[] = [];
  const check: TimestampCheck = { valid: false, problems };
  const malformed = (detail: string) => {
    problems.push({ code: 'signing.timestamp.malformed', params: { detail } });
    return check;
  };
  let parsed: ParsedToken;
  try {
    parsed = readTimestampToken(token);
  } catch (e) {
    return malformed(e instanceof Error ? e.message : String(e));
  }
  const { tstInfo, tstInfoDer, signedData } = parsed;
  check.genTime = tstInfo.genTime.toISOString();
  check.serialNumber = tstInfo.serialNumber;
  check.policy = tstInfo.policy;

  const certificates: X509Certificate[] = [];
  for (const c of kids(signedData.find((n, i) => i > 2 && isContext(n, 0)))) {
    try {
      certificates.push(new X509Certificate(der(c)));
    } catch {
      // not an X.509 certificate (attribute certificates may be here); not needed
    }
  }
  const signerInfos = kids(signedData[signedData.length - 1]);
  if (signerInfos.length !== 1) return malformed(`${signerInfos.length} SignerInfos`);
  const si = kids(signerInfos[0]);
  const signedAttrsNode = si[3];
  if (si.length < 6 || !isContext(signedAttrsNode, 0)) return malformed('no signed attributes');
  const sid = si[1]!;
  const signer = certificates.find((c) => {
    if (isContext(sid, 0)) return Buffer.compare(bytesOf(sid), extensionKeyId(c)) === 0;
    const [issuer, serial] = kids(sid);
    const tbs = kids(kids(parse(c.raw))[0]);
    const off = isContext(tbs[0], 0) ? 1 : 0;
    return !!issuer && !!serial && Buffer.compare(der(issuer), der(tbs[off + 2]!)) === 0 && Buffer.compare(der(serial), der(tbs[off]!)) === 0;
  });
  if (!signer) {
    problems.push({ code: 'signing.timestamp.noCertificate', params: {} });
    return check;
  }
  check.tsa = commonName(signer);
  check.signer = signerInfo(signer);

  // Integrity: the TSTInfo is what the TSA signed.
  const attrs = kids(signedAttrsNode);
  const attr = (o: string) => kids(attrs.find((a) => oidOf(kids(a)[0]) === o))[1];
  const digestAlg = HASHES[oidOf(kids(si[2])[0])];
  const sigAlg = SIGNATURE_ALGORITHMS[oidOf(kids(si[4])[0])];
  if (!digestAlg || !sigAlg) {
    problems.push({ code: 'signing.timestamp.unsupportedAlgorithm', params: { algorithm: oidOf(kids(si[2])[0]) + ' / ' + oidOf(kids(si[4])[0]) } });
    return check;
  }
  const contentTypeOk = oidOf(kids(attr(TIMESTAMP_OIDS.contentType))[0]) === TIMESTAMP_OIDS.tstInfo;
  const md = bytesOf(kids(attr(TIMESTAMP_OIDS.messageDigest))[0]);
  const digestOk = Buffer.compare(md, createHash(digestAlg.name).update(tstInfoDer).digest()) === 0;
  // The signature covers the DER of the attributes with the SET tag in place of [0].
  const toVerify = Buffer.concat([Buffer.from([0x31]), der(signedAttrsNode!).subarray(1)]);
  let signatureOk: boolean;
  try {
    const d = sigAlg.digest || digestAlg.name;
    signatureOk = sigAlg.ec
      ? cryptoVerify(d, toVerify, { key: signer.publicKey, dsaEncoding: 'der' }, bytesOf(si[5]))
      : cryptoVerify(d, toVerify, signer.publicKey, bytesOf(si[5]));
  } catch {
    signatureOk = false;
  }
  if (!contentTypeOk || !digestOk || !signatureOk) problems.push({ code: 'signing.timestamp.altered', params: { tsa: check.tsa } });
  if (!essBound(attr(TIMESTAMP_OIDS.signingCertificateV2), attr(TIMESTAMP_OIDS.signingCertificate), signer)) {
    problems.push({ code: 'signing.timestamp.certificateNotBound', params: { tsa: check.tsa } });
  }

  // It is a time-stamp of this digest (and of this request).
  if (Buffer.compare(tstInfo.hashedMessage, digest) !== 0 || HASHES[HASH_OID_BY_LENGTH[digest.length] ?? '']?.name !== tstInfo.hashAlgorithm) {
    problems.push({ code: 'signing.timestamp.otherData', params: { tsa: check.tsa } });
  }
  if (options.nonce && (!tstInfo.nonce || Buffer.compare(unsigned(tstInfo.nonce), unsigned(options.nonce)) !== 0)) {
    problems.push({ code: 'signing.timestamp.nonceMismatch', params: { tsa: check.tsa } });
  }

  // From a time-stamping authority the reader trusts.
  if (!isTimeStampingCertificate(signer)) problems.push({ code: 'signing.timestamp.notTsaCertificate', params: { tsa: check.tsa } });
  for (const p of checkSigner(signer, trust, certificates.filter((c) => c !== signer), tstInfo.genTime)) {
    problems.push(p.code === 'signing.verify.untrusted' ? { code: 'signing.timestamp.untrusted', params: { tsa: check.tsa, issuer: String(p.params.issuer) } } : p);
  }
  check.valid = problems.length === 0;
  return check;
}

/** Verifies a token over `data` itself, hashed with the token's own imprint algorithm. */
export function verifyTimestampOf(token: Buffer, data: Buffer, trust: X509Certificate[]): TimestampCheck {
  const alg = timestampHashAlgorithm(token) ?? 'sha256';
  // A SHA-1 imprint is not accepted (verifyTimestampToken only matches SHA-2 digests to their length).
  return verifyTimestampToken(token, createHash(alg).update(data).digest(), trust);
}

function extensionKeyId(cert: X509Certificate): Buffer {
  const ski = extension(cert, TIMESTAMP_OIDS.subjectKeyIdentifier);
  return ski ? bytesOf(parse(ski.value)) : Buffer.alloc(0);
}

/**
 * ESS signing-certificate (v1, SHA-1) or -v2 (RFC 5035): the first ESSCertID names the TSA's
 * certificate by hash, so a certificate cannot be swapped for another with the same key.
 */
function essBound(v2: Asn1 | undefined, v1: Asn1 | undefined, cert: X509Certificate): boolean {
  // attribute values SET > SigningCertificateV2 > certs > the first ESSCertIDv2
  const firstV2 = kids(kids(kids(kids(v2)[0])[0])[0]);
  if (firstV2.length) {
    const algNode = firstV2[0]!.type === T.SEQUENCE ? firstV2[0] : undefined;
    const alg = algNode ? HASHES[oidOf(kids(algNode)[0])]?.name : 'sha256';
    const hash = firstV2.find((n) => n.type === T.OCTETSTRING);
    return !!alg && !!hash && Buffer.compare(bytesOf(hash), createHash(alg).update(cert.raw).digest()) === 0;
  }
  const firstV1 = kids(kids(kids(kids(v1)[0])[0])[0]);
  const hash = firstV1[0];
  return !!hash && hash.type === T.OCTETSTRING && Buffer.compare(bytesOf(hash), createHash('sha1').update(cert.raw).digest()) === 0;
}
