// Who signs, as the signing certificate says it: the reading radiologist's name and organisation
// written into a signed report come from here (the subject of the certificate whose key signs),
// never from what someone typed into a draft. The subject is read from the certificate's DER, not
// from Node's one-line rendering, so that UTF-8 and BMP names (Кузнецова, 张伟) and commas inside
// an organisation's name come through exactly as the issuer wrote them.
import type { X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { oneLine } from './certificates.js';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

const OID = {
  commonName: '2.5.4.3',
  surname: '2.5.4.4',
  givenName: '2.5.4.42',
  organizationName: '2.5.4.10',
} as const;

/** The person and organisation a certificate names, ready for the SR and the PDF. */
export interface CertificateObserver {
  /**
   * DICOM Person Name: `Surname^GivenName` when the certificate names both, otherwise its common
   * name as the one (family name) component, followed by "^" when it has several words, since a
   * Person Name with spaces and no delimiter is the retired ACR-NEMA form (the order of the words
   * in a common name is not guessed). Empty when the certificate names no person.
   */
  name: string;
  /** The name as the PDF prints it (components joined by spaces). */
  displayName: string;
  /** The subject's organisation (O); empty when the certificate names none. */
  organization: string;
  /** The subject's common name (CN), as written; empty when absent. */
  commonName: string;
  /** The whole subject on one line ("CN=…, O=…"), as the PDF's certificate line prints it. */
  subject: string;
}

function kids(n: Asn1 | undefined): Asn1[] {
  return n && Array.isArray(n.value) ? (n.value as Asn1[]) : [];
}

/** The text of a DirectoryString (RFC 5280 4.1.2.4) in any of its encodings. */
function directoryString(n: Asn1): string {
  const raw = typeof n.value === 'string' ? n.value : '';
  switch (n.type as number) {
    case asn1.Type.UTF8:
      return forge.util.decodeUtf8(raw);
    case asn1.Type.BMPSTRING: {
      let s = '';
      for (let i = 0; i + 1 < raw.length; i += 2) s += String.fromCharCode((raw.charCodeAt(i) << 8) | raw.charCodeAt(i + 1));
      return s;
    }
    case 28: { // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < raw.length; i += 4) {
        s += String.fromCodePoint(((raw.charCodeAt(i) << 24) >>> 0) + (raw.charCodeAt(i + 1) << 16) + (raw.charCodeAt(i + 2) << 8) + raw.charCodeAt(i + 3));
      }
      return s;
    }
    default: // PrintableString, IA5String, TeletexString: single bytes
      return raw;
  }
}

/** The subject's attributes, in order, as (OID, text) pairs. */
export function subjectAttributes(cert: X509Certificate): { oid: string; value: string }[] {
  const tbs = kids(asn1.fromDer(forge.util.createBuffer(cert.raw.toString('binary'))))[0];
  const fields = kids(tbs);
  // TBSCertificate: [0] version (optional), serialNumber, signature, issuer, validity, subject, …
  const start = fields[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0;
  const subject = fields[start + 4];
  const out: { oid: string; value: string }[] = [];
  for (const rdn of kids(subject)) {
    for (const atv of kids(rdn)) {
      const [oid, value] = kids(atv);
      if (!oid || !value) continue;
      out.push({ oid: asn1.derToOid(oid.value as string), value: directoryString(value) });
    }
  }
  return out;
}

/**
 * Person Name components may not hold a backslash (the value separator) or control characters,
 * and '=' would start another component group; each group is at most 64 characters (PS3.5 6.2).
 */
function pnComponent(s: string): string {
  return s.replace(/[\\=\p{Cc}]/gu, ' ').replace(/\s+/g, ' ').trim();
}

export function observerFromCertificate(cert: X509Certificate): CertificateObserver {
  const attrs = subjectAttributes(cert);
  const first = (oid: string) => attrs.find((a) => a.oid === oid)?.value.trim() ?? '';
  const commonName = first(OID.commonName);
  const surname = pnComponent(first(OID.surname)).replace(/\^/g, ' ');
  const given = pnComponent(first(OID.givenName)).replace(/\^/g, ' ');
  const structured = surname && given ? `${surname}^${given}` : '';
  const single = pnComponent(commonName || surname).slice(0, 63);
  const name = structured && structured.length <= 64 ? structured : /\s/.test(single) ? `${single}^` : single;
  const displayName = name.split('^').filter(Boolean).join(' ');
  return { name, displayName, organization: first(OID.organizationName), commonName, subject: oneLine(cert.subject) };
}
