// The keys of encryption at rest: the master key (from the vault, core/vault/vault.ts), the subkeys
// derived from it for one purpose each, and the random per-study data keys it wraps. A data key is
// stored only wrapped (AES-256-GCM under the wrapping subkey, the key's id as AAD), so destroying
// the 61 bytes of a wrapped key makes every file sealed under it unreadable (crypto-shredding).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { AmurError } from '../common/errors.js';

export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const SEAL_VERSION = 1;

/** A 256-bit data key and the id that names it (the AAD of its wrapping). */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * Seals a small secret: version byte, random nonce, ciphertext, tag. Random nonces are safe here
 * because one key seals at most a few thousand such values (one per study), far below GCM's limit.
 */
export function sealSmall(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([Buffer.from([SEAL_VERSION]), nonce, ct, c.getAuthTag()]);
}

/** Opens what sealSmall sealed; undefined when the key, the AAD or the bytes are wrong. */
export function openSmall(key: Buffer, sealed: Buffer, aad: Buffer): Buffer | undefined {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== SEAL_VERSION) return undefined;
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const d = createDecipheriv('aes-256-gcm', key, nonce);
  d.setAAD(aad);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)), d.final()]);
  } catch {
    return undefined;
  }
}

const dataKeyAad = (id: string): Buffer => Buffer.from(`amur-data-key/1\u0000${id}`, 'utf8');

/**
 * The master key. It never encrypts data itself: each use gets its own subkey (HKDF-SHA256 with a
 * purpose label), so the check value, key wrapping and the catalogue can never be confused.
 */
export class MasterKey {
  #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** A fresh random master key (a new vault). */
  static generate(): MasterKey {
    return new MasterKey(randomBytes(KEY_BYTES));
  }

  /**
   * The master key from raw bytes, e.g. as the desktop app unseals them from Electron's
   * safeStorage. The bytes are copied; check them against the vault with unlockWithMasterKey().
   */
  static fromBytes(bytes: Uint8Array): MasterKey {
    if (bytes.length !== KEY_BYTES) throw new AmurError('vault.badKeyLength', { length: bytes.length, expected: KEY_BYTES });
    return new MasterKey(Buffer.from(bytes));
  }

  /** A copy of the raw bytes, for sealing by the OS key store (safeStorage). */
  export(): Buffer {
    return Buffer.from(this.#bytes);
  }

  /** A 256-bit subkey for one purpose ("key-wrap/1", "catalogue/1", …). */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#bytes, Buffer.alloc(0), `amur/${purpose}`, KEY_BYTES));
  }

  /** The SQLCipher key of the catalogue (derived: nothing to store, and it follows the master key). */
  catalogueKey(): Buffer {
    return this.deriveKey('catalogue/1');
  }

  /** The wrapped form of a data key: what the store keeps (61 bytes). */
  wrapDataKey(k: DataKey): Buffer {
    return sealSmall(this.deriveKey('key-wrap/1'), k.key, dataKeyAad(k.id));
  }

  /** The data key back from its wrapped form; 'vault.keyUnwrapFailed' when it is not this vault's or was altered. */
  unwrapDataKey(id: string, wrapped: Buffer): DataKey {
    const key = openSmall(this.deriveKey('key-wrap/1'), wrapped, dataKeyAad(id));
    if (!key || key.length !== KEY_BYTES) throw new AmurError('vault.keyUnwrapFailed', { keyId: id });
    return { id, key };
  }

  /** Overwrites the bytes held here (JavaScript cannot promise more; copies made by callers are theirs). */
  destroy(): void {
    this.#bytes.fill(0);
  }
}

/** A new random data key with a random id (not the study's UID, which should not appear beside it in clear). */
export function generateDataKey(): DataKey {
  return { id: randomUUID(), key: randomBytes(KEY_BYTES) };
}
