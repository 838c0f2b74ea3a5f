// UIDs for files that lack one or carry one that is not a UID: what other viewers (Weasis, fo-dicom,
// dcmtk) open, Amur files under a UID it derives. The derivation is deterministic, so importing the
// same file again gives the same UID and is recognised as a duplicate, and the UID is a real one
// (PS3.5 B.2: 2.25 followed by the decimal value of a UUID, here a version 8 UUID made of a SHA-256).
import { createHash } from 'node:crypto';

/** The longest a UID may be (PS3.5 9.1). */
export const MAX_UID_LENGTH = 64;

/**
 * Whether a value is a UID as PS3.5 9.1 defines it: components of digits separated by single dots,
 * no leading zero in a component of more than one digit, at most 64 characters.
 */
export function isValidUid(value: string): boolean {
  return value.length <= MAX_UID_LENGTH && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(value);
}

/**
 * A 2.25 UID from the given parts (kind first, so that a study and a series made of the same values
 * differ). Parts are joined with NUL, which no DICOM text value contains, so ["a", "bc"] and
 * ["ab", "c"] give different UIDs.
 */
export function derivedUid(kind: string, parts: readonly (string | number | Uint8Array | undefined)[]): string {
  const h = createHash('sha256');
  h.update(`amur-derived-uid\0${kind}`);
  for (const p of parts) {
    h.update('\0');
    if (p instanceof Uint8Array) h.update(p);
    else if (p !== undefined) h.update(String(p));
  }
  const b = h.digest().subarray(0, 16);
  // RFC 9562 version 8 (custom) and variant 10xx, so the number is a UUID as 2.25 requires.
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${b.toString('hex')}`)}`;
}
