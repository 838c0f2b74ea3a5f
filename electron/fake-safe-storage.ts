// A stand-in for Electron's safeStorage in the tests of the desktop shell. It exists only because
// Electron's runtime cannot be launched on this project's development machines
// (../shared/docs/environment.md); on a user's machine the real key store does this. It behaves
// as the real one does where the unlock depends on it: what it seals is unreadable without its
// own secret (AES-256-GCM under a key of this object, like Chromium's OSCrypt "v10/v11" blobs),
// decryptString throws on anything it did not seal or that was altered, encryptString throws
// while "encryption is not available", and on Linux it names a storage backend.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SafeStorageLike } from './vault-unlock.js';

const PREFIX = Buffer.from('v11');

export class FakeSafeStorage implements SafeStorageLike {
  available = true;
  backend = 'gnome_libsecret';
  readonly calls: string[] = [];
  #secret = randomBytes(32);

  isEncryptionAvailable(): boolean {
    return this.available;
  }

  getSelectedStorageBackend(): string {
    return this.backend;
  }

  encryptString(plainText: string): Buffer {
    this.calls.push('encryptString');
    if (!this.available) throw new Error('Error while encrypting the text provided to safeStorage.encryptString. Encryption is not available.');
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#secret, nonce);
    const ct = Buffer.concat([c.update(plainText, 'utf8'), c.final()]);
    return Buffer.concat([PREFIX, nonce, ct, c.getAuthTag()]);
  }

  decryptString(encrypted: Buffer): string {
    this.calls.push('decryptString');
    const fail = () => new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    if (!this.available || encrypted.length < PREFIX.length + 28 || !encrypted.subarray(0, PREFIX.length).equals(PREFIX)) throw fail();
    const nonce = encrypted.subarray(PREFIX.length, PREFIX.length + 12);
    const d = createDecipheriv('aes-256-gcm', this.#secret, nonce);
    d.setAuthTag(encrypted.subarray(encrypted.length - 16));
    try {
      return Buffer.concat([d.update(encrypted.subarray(PREFIX.length + 12, encrypted.length - 16)), d.final()]).toString('utf8');
    } catch {
      throw fail();
    }
  }

  /** Another user account or computer: the same files, another secret. */
  resetSecret(): void {
    this.#secret = randomBytes(32);
  }
}
