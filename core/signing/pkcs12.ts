// Reads a PKCS#12 (.p12/.pfx) file into a signing identity: the private key as a Node KeyObject and
// the certificate chain as X509Certificate objects. RSA, ECDSA and SM2 keys all work, because forge
// is used only for the ASN.1 walk and the password-based decryption (PBES2 with AES or 3DES, and the
// legacy PKCS#12 PBE schemes); the decrypted PKCS#8 goes to Node's crypto, which knows every key type.
// (forge's own pkcs12FromAsn1 reads RSA keys only and fails on EC certificates.)
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { AmurError } from '../common/errors.js';

const { asn1, pki } = forge;

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

export type KeyAlgorithm = 'rsa' | 'ec' | 'sm2';

/** A private key with its certificate: what every signature in Amur is made with. */
export interface SigningIdentity {
  privateKey: KeyObject;
  /** The signer's own certificate (the one whose public key matches privateKey). */
  certificate: X509Certificate;
  /** The other certificates the file carried (issuers), signer excluded. */
  chain: X509Certificate[];
  keyAlgorithm: KeyAlgorithm;
}

type Asn1 = forge.asn1.Asn1;

function children(node: Asn1): Asn1[] {
  return Array.isArray(node.value) ? (node.value as Asn1[]) : [];
}

function octets(node: Asn1): string {
  // Constructed (BER) OCTET STRINGs are split into pieces; join them.
  if (Array.isArray(node.value)) return (node.value as Asn1[]).map(octets).join('');
  return node.value as string;
}

function oidOf(node: Asn1): string {
  return asn1.derToOid(node.value as string);
}

function explicit0(node: Asn1): Asn1 {
  const inner = children(node)[0];
  if (!inner) throw new Error('missing [0] content');
  return inner;
}

function mdFor(oid: string): forge.md.MessageDigest {
  switch (oid) {
    case OID.sha1:
      return forge.md.sha1.create();
    case OID.sha256:
      return forge.md.sha256.create();
    case OID.sha384:
      return forge.md.sha384.create();
    case OID.sha512:
      return forge.md.sha512.create();
    default:
      throw new Error(`unsupported PKCS#12 MAC digest ${oid}`);
  }
}

/** Checks the PFX MAC; a mismatch means the passphrase is wrong (or the file was altered). */
function macMatches(pfx: Asn1[], authSafeContent: string, passphrase: string): boolean {
  const macData = pfx[2];
  if (!macData) return true; // a PFX may be unauthenticated; decryption will still prove the passphrase
  const [digestInfo, saltNode, iterNode] = children(macData);
  const [algId, digestNode] = children(digestInfo!);
  const mdOid = oidOf(children(algId!)[0]!);
  const salt = forge.util.createBuffer(saltNode!.value as string);
  const iterations = iterNode ? forge.util.createBuffer(iterNode.value as string).getInt((iterNode.value as string).length * 8) : 1;
  const md = mdFor(mdOid);
  const key = forge.pkcs12.generateKey(passphrase, salt, 3, iterations, md.digestLength, md);
  const hmac = forge.hmac.create();
  hmac.start(mdFor(mdOid) as any, key);
  hmac.update(authSafeContent);
  return hmac.digest().getBytes() === (digestNode!.value as string);
}

/** PBES2 takes the passphrase as UTF-8 bytes; the PKCS#12 PBE schemes take it as text (BMPString). */
function passwordFor(algOid: string, passphrase: string): string {
  return algOid === OID.pbes2 ? forge.util.encodeUtf8(passphrase) : passphrase;
}

function decrypt(algId: Asn1, encrypted: string, passphrase: string): string | null {
  const [oidNode, params] = children(algId);
  const algOid = oidOf(oidNode!);
  // pki.pbe exists at run time but is missing from @types/node-forge.
  const pbe = (pki as unknown as { pbe: { getCipher(oid: string, params: Asn1, password: string): forge.cipher.BlockCipher } }).pbe;
  const cipher = pbe.getCipher(algOid, params!, passwordFor(algOid, passphrase));
  cipher.update(forge.util.createBuffer(encrypted));
  if (!cipher.finish()) return null;
  return cipher.output.getBytes();
}

function derToBuffer(der: string): Buffer {
  return Buffer.from(der, 'binary');
}

interface Bags {
  keys: KeyObject[];
  certificates: X509Certificate[];
}

function readSafeContents(der: string, passphrase: string, bags: Bags): void {
  for (const bag of children(asn1.fromDer(der))) {
    const [idNode, valueWrap] = children(bag);
    const id = oidOf(idNode!);
    const value = explicit0(valueWrap!);
    if (id === OID.certBag) {
      const [typeNode, certWrap] = children(value);
      if (oidOf(typeNode!) !== OID.x509Certificate) continue;
      bags.certificates.push(new X509Certificate(derToBuffer(octets(explicit0(certWrap!)))));
    } else if (id === OID.shroudedKeyBag) {
      const [algId, encNode] = children(value);
      const plain = decrypt(algId!, octets(encNode!), passphrase);
      if (plain === null) throw new AmurError('signing.wrongPassphrase');
      try {
        bags.keys.push(createPrivateKey({ key: derToBuffer(plain), format: 'der', type: 'pkcs8' }));
      } catch (e) {
        // A wrong passphrase can still leave valid padding by chance; the PKCS#8 then fails to parse.
        throw new AmurError('signing.wrongPassphrase', {}, { cause: e });
      }
    } else if (id === OID.keyBag) {
      bags.keys.push(createPrivateKey({ key: derToBuffer(asn1.toDer(value).getBytes()), format: 'der', type: 'pkcs8' }));
    }
  }
}

/** DER of the OID 1.2.156.10197.1.301 (the SM2 curve, GM/T 0006). */
const SM2_CURVE_OID_DER = Buffer.from('06082a811ccf5501822d', 'hex');

export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  const type: string | undefined = key.asymmetricKeyType;
  if (type === 'rsa') return 'rsa';
  // Node 20 reports an SM2 key as of no known type (or as 'ec' in some builds): look at its curve.
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (spki.includes(SM2_CURVE_OID_DER)) return 'sm2';
  if (type === 'ec') return 'ec';
  throw new AmurError('signing.unsupportedKey', { type: String(type) });
}

function samePublicKey(cert: X509Certificate, key: KeyObject): boolean {
  const a = cert.publicKey.export({ type: 'spki', format: 'der' });
  const b = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return Buffer.compare(a, b) === 0;
}

/**
 * Opens a PKCS#12 file with its passphrase. Throws AmurError 'signing.wrongPassphrase' when the
 * passphrase does not open it, 'signing.badPkcs12' when it is not a PKCS#12 file with one key and
 * its certificate.
 */
export function readPkcs12(bytes: Uint8Array, passphrase: string, path = ''): SigningIdentity {
  let pfx: Asn1[];
  let authSafeContent: string;
  try {
    pfx = children(asn1.fromDer(forge.util.createBuffer(Buffer.from(bytes).toString('binary'))));
    const contentInfo = children(pfx[1]!);
    if (oidOf(contentInfo[0]!) !== OID.data) throw new Error('PFX not of type data');
    authSafeContent = octets(explicit0(contentInfo[1]!));
  } catch (e) {
    throw new AmurError('signing.badPkcs12', { path }, { cause: e });
  }
  let macOk: boolean;
  try {
    macOk = macMatches(pfx, authSafeContent, passphrase);
  } catch (e) {
    throw new AmurError('signing.badPkcs12', { path }, { cause: e });
  }
  if (!macOk) throw new AmurError('signing.wrongPassphrase', { path });

  const bags: Bags = { keys: [], certificates: [] };
  try {
    for (const ci of children(asn1.fromDer(authSafeContent))) {
      const [typeNode, contentWrap] = children(ci);
      const type = oidOf(typeNode!);
      if (type === OID.data) {
        readSafeContents(octets(explicit0(contentWrap!)), passphrase, bags);
      } else if (type === OID.encryptedData) {
        const encryptedData = explicit0(contentWrap!);
        const [, eci] = children(encryptedData);
        const [, algId, encContent] = children(eci!);
        const plain = decrypt(algId!, octets(encContent!), passphrase);
        if (plain === null) throw new AmurError('signing.wrongPassphrase', { path });
        readSafeContents(plain, passphrase, bags);
      }
    }
  } catch (e) {
    if (e instanceof AmurError) throw new AmurError(e.code, { ...e.params, path }, { cause: e.cause });
    throw new AmurError('signing.badPkcs12', { path }, { cause: e });
  }
  if (bags.keys.length !== 1) throw new AmurError('signing.badPkcs12', { path });
  const privateKey = bags.keys[0]!;
  const certificate = bags.certificates.find((c) => samePublicKey(c, privateKey));
  if (!certificate) throw new AmurError('signing.badPkcs12', { path });
  return {
    privateKey,
    certificate,
    chain: bags.certificates.filter((c) => c !== certificate),
    keyAlgorithm: keyAlgorithmOf(privateKey),
  };
}
