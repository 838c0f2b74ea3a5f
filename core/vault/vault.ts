// The vault file, AMUR_HOME/vault.json: what unlocks the master key. It holds the KDF and its
// parameters, the salt, the master key wrapped under the passphrase's key (absent when the
// desktop app keeps the master key sealed by Electron's safeStorage instead), a GCM-sealed check
// value that tells the right master key from a wrong one, and a SHA-256 checksum of all that, so
// that a damaged file ('vault.damaged') is told apart from a wrong passphrase.
//
// The master key is random and never changes: a passphrase change rewraps it (one small file
// replaced atomically), and nothing sealed under it is touched.
import { createHash, randomBytes, randomUUID, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fsyncDir } from '../common/fs.js';
import { AmurError } from '../common/errors.js';
import { KEY_BYTES, MasterKey, openSmall, sealSmall } from './keys.js';

/**
 * scrypt, N = 2^17, r = 8, p = 1: 128 × N × r = 128 MiB of memory per guess, ~0.6 s on this
 * project's 2-core VM (~0.3 s on a current desktop CPU). An unlock happens once per session, so a
 * fraction of a second is invisible to the user while every guess of an attacker with the file
 * costs the same 128 MiB, which is what makes GPUs and ASICs expensive (OWASP's minimum for
 * scrypt is this N). Kept in the file, so a later change of these values still opens old vaults.
 */
export const SCRYPT_PARAMS = { N: 1 << 17, r: 8, p: 1 } as const;

// What a vault file may ask for: enough to read files written with stronger settings, bounded so
// that a damaged or hostile file cannot make an unlock allocate gigabytes.
const LIMITS = { minLogN: 14, maxLogN: 20, maxR: 32, maxP: 16 };

const CHECK_TEXT = Buffer.from('amur vault check value', 'utf8');

interface KdfRecord {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
}

interface VaultBody {
  format: 'amur-vault';
  version: 1;
  id: string;
  createdAt: string;
  /** Present when a passphrase unlocks the vault. */
  passphrase?: { kdf: KdfRecord; wrappedMasterKey: string };
  check: string;
}

export interface VaultInfo {
  path: string;
  id: string;
  createdAt: string;
  /** The KDF and parameters protecting the master key, when a passphrase does. */
  kdf?: { name: 'scrypt'; N: number; r: number; p: number };
}

export function vaultPath(home: string): string {
  return join(home, 'vault.json');
}

export function vaultExists(home: string): boolean {
  return existsSync(vaultPath(home));
}

/**
 * Creates the vault with a new random master key and returns it. With a passphrase the master key
 * is wrapped under it; without, the caller must keep the returned key (the desktop app seals
 * masterKey.export() with safeStorage) or the vault can never be opened again.
 */
export async function createVault(home: string, options: { passphrase?: string } = {}): Promise<MasterKey> {
  const path = vaultPath(home);
  if (existsSync(path)) throw new AmurError('vault.exists', { path });
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new AmurError('vault.writeFailed', { path, detail: (e as Error).message }, { cause: e });
  }
  const master = MasterKey.generate();
  const id = randomUUID();
  const body: VaultBody = { format: 'amur-vault', version: 1, id, createdAt: new Date().toISOString(), check: '' };
  if (options.passphrase !== undefined) body.passphrase = await wrapUnderPassphrase(master, id, options.passphrase);
  body.check = sealSmall(master.deriveKey('vault-check/1'), CHECK_TEXT, checkAad(id)).toString('base64');
  writeVault(path, body, { exclusive: true });
  return master;
}

/** The master key from the passphrase: 'vault.wrongPassphrase' when it is not the vault's. */
export async function unlockWithPassphrase(home: string, passphrase: string): Promise<MasterKey> {
  const path = vaultPath(home);
  const body = readVault(path);
  if (!body.passphrase) throw new AmurError('vault.noPassphrase', { path });
  const kek = await deriveKek(passphrase, body.passphrase.kdf);
  const raw = openSmall(kek, Buffer.from(body.passphrase.wrappedMasterKey, 'base64'), wrapAad(body.id));
  kek.fill(0);
  // The checksum matched, so the file is as written: a failed unwrap can only be the passphrase.
  if (!raw) throw new AmurError('vault.wrongPassphrase', { path });
  const master = MasterKey.fromBytes(raw);
  raw.fill(0);
  verifyCheck(path, body, master);
  return master;
}

/** The master key from raw bytes (the desktop app's safeStorage): 'vault.wrongKey' when they are not the vault's. */
export function unlockWithMasterKey(home: string, bytes: Uint8Array): MasterKey {
  const path = vaultPath(home);
  const body = readVault(path);
  const master = MasterKey.fromBytes(bytes);
  verifyCheck(path, body, master);
  return master;
}

/** Replaces the passphrase: the same master key, rewrapped; no data are re-encrypted. */
export async function changePassphrase(home: string, oldPassphrase: string, newPassphrase: string): Promise<void> {
  const master = await unlockWithPassphrase(home, oldPassphrase);
  try {
    await setPassphrase(home, master, newPassphrase);
  } finally {
    master.destroy();
  }
}

/**
 * Sets (or replaces) the passphrase of a vault whose master key is unlocked, e.g. so that the CLI
 * can open a store the desktop app created with a safeStorage key.
 */
export async function setPassphrase(home: string, master: MasterKey, newPassphrase: string): Promise<void> {
  const path = vaultPath(home);
  const body = readVault(path);
  verifyCheck(path, body, master);
  body.passphrase = await wrapUnderPassphrase(master, body.id, newPassphrase);
  writeVault(path, body, { exclusive: false });
}

/** What the vault says about itself, without unlocking it. */
export function readVaultInfo(home: string): VaultInfo {
  const path = vaultPath(home);
  const b = readVault(path);
  const k = b.passphrase?.kdf;
  return { path, id: b.id, createdAt: b.createdAt, ...(k ? { kdf: { name: k.name, N: k.N, r: k.r, p: k.p } } : {}) };
}

// ---- internals ---------------------------------------------------------------------------

const wrapAad = (id: string) => Buffer.from(`amur-vault/1 master key\u0000${id}`, 'utf8');
const checkAad = (id: string) => Buffer.from(`amur-vault/1 check\u0000${id}`, 'utf8');

async function wrapUnderPassphrase(master: MasterKey, id: string, passphrase: string): Promise<NonNullable<VaultBody['passphrase']>> {
  if (passphrase.length === 0) throw new AmurError('vault.emptyPassphrase');
  const kdf: KdfRecord = { name: 'scrypt', ...SCRYPT_PARAMS, salt: randomBytes(16).toString('base64') };
  const kek = await deriveKek(passphrase, kdf);
  const raw = master.export();
  const wrapped = sealSmall(kek, raw, wrapAad(id));
  raw.fill(0);
  kek.fill(0);
  return { kdf, wrappedMasterKey: wrapped.toString('base64') };
}

function deriveKek(passphrase: string, k: KdfRecord): Promise<Buffer> {
  // NFC: the same passphrase typed on macOS (which may produce decomposed text) and Windows must match.
  const secret = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  // Off the main thread (libuv's pool): the UI must not freeze for the unlock.
  const options: ScryptOptions = { N: k.N, r: k.r, p: k.p, maxmem: 2 * 128 * k.N * k.r * k.p };
  return new Promise((resolve, reject) =>
    scryptCb(secret, Buffer.from(k.salt, 'base64'), KEY_BYTES, options, (e, key) => {
      secret.fill(0);
      if (e) reject(e);
      else resolve(key);
    }),
  );
}

function verifyCheck(path: string, body: VaultBody, master: MasterKey): void {
  const got = openSmall(master.deriveKey('vault-check/1'), Buffer.from(body.check, 'base64'), checkAad(body.id));
  if (!got || !got.equals(CHECK_TEXT)) throw new AmurError('vault.wrongKey', { path });
}

function checksum(body: VaultBody): string {
  return `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
}

function readVault(path: string): VaultBody {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new AmurError('vault.notFound', { path });
    throw new AmurError('vault.readFailed', { path, detail: (e as Error).message }, { cause: e });
  }
  const damaged = (why: string): never => {
    throw new AmurError('vault.damaged', { path }, { cause: new Error(why) });
  };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    return damaged(`not JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== 'amur-vault') return damaged('not an Amur vault');
  if (parsed.version !== 1) throw new AmurError('vault.unsupportedVersion', { path, version: String(parsed.version) });
  const { checksum: sum, ...rest } = parsed;
  const body = rest as unknown as VaultBody;
  if (sum !== checksum(body)) return damaged('checksum does not match');
  if (typeof body.id !== 'string' || typeof body.check !== 'string') return damaged('fields missing');
  const k = body.passphrase?.kdf;
  if (body.passphrase) {
    if (!k || k.name !== 'scrypt' || typeof body.passphrase.wrappedMasterKey !== 'string' || typeof k.salt !== 'string') return damaged('passphrase record incomplete');
    const logN = Math.log2(k.N);
    if (!Number.isInteger(logN) || logN < LIMITS.minLogN || logN > LIMITS.maxLogN) return damaged(`scrypt N ${k.N} out of bounds`);
    if (!Number.isInteger(k.r) || k.r < 1 || k.r > LIMITS.maxR || !Number.isInteger(k.p) || k.p < 1 || k.p > LIMITS.maxP) return damaged('scrypt r/p out of bounds');
  }
  return body;
}

/**
 * Written aside, flushed and renamed over the old file, the folder flushed too: unlike a study's
 * files, a lost or half-written vault loses every study, so this one file is fsynced.
 */
function writeVault(path: string, body: VaultBody, o: { exclusive: boolean }): void {
  const text = `${JSON.stringify({ ...body, checksum: checksum(body) }, null, 2)}\n`;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (o.exclusive && existsSync(path)) throw new AmurError('vault.exists', { path });
    renameSync(tmp, path);
    fsyncDir(dirname(path));
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof AmurError) throw e;
    throw new AmurError('vault.writeFailed', { path, detail: (e as Error).message }, { cause: e });
  }
}

