// The unlocked vaults of this process: where every part of Amur that keeps patient data at rest
// (the study store, the drafts, the outbox, the hospital's state and re-identification map) gets
// the master key of its AMUR_HOME. A home is unlocked once per process, by whoever starts the
// work: the CLI from AMUR_PASSPHRASE_FILE or --passphrase-file, the browser shell from the same or
// a passphrase typed on its terminal, the desktop app from the key Electron's safeStorage keeps.
// Anything that opens the home's data before that is refused with 'vault.locked', which says how
// to unlock it; nothing is ever written in clear instead.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { audit } from '../audit/index.js';
import { AmurError } from '../common/errors.js';
import type { MasterKey } from './keys.js';
import { createVault, unlockWithMasterKey, unlockWithPassphrase, vaultExists } from './vault.js';

/** The environment variable naming a file whose content (one line) is the vault's passphrase. */
export const PASSPHRASE_FILE_ENV = 'AMUR_PASSPHRASE_FILE';

const unlocked = new Map<string, MasterKey>();

/** The master key of an unlocked home; 'vault.locked' (naming how to unlock it) otherwise. */
export function vaultKey(home: string): MasterKey {
  const k = unlocked.get(resolve(home));
  if (!k) throw new AmurError('vault.locked', { path: resolve(home), env: PASSPHRASE_FILE_ENV });
  return k;
}

export function isUnlocked(home: string): boolean {
  return unlocked.has(resolve(home));
}

/** Keeps an unlocked master key for the home (the desktop app, after its safeStorage unlock). */
export function rememberVaultKey(home: string, master: MasterKey): MasterKey {
  const key = resolve(home);
  const old = unlocked.get(key);
  if (old && old !== master) old.destroy();
  unlocked.set(key, master);
  return master;
}

/** Forgets (and wipes) the home's master key: what is opened after this is refused again. */
export function lockVault(home: string): void {
  const key = resolve(home);
  unlocked.get(key)?.destroy();
  unlocked.delete(key);
}

/**
 * Unlocks the home with a passphrase; a home without a vault gets one, protected by this
 * passphrase (a new store is always encrypted). 'vault.wrongPassphrase' when it does not match.
 */
export async function unlockWithPassphraseOrCreate(home: string, passphrase: string): Promise<{ master: MasterKey; created: boolean }> {
  const existing = unlocked.get(resolve(home));
  if (existing) return { master: existing, created: false };
  if (vaultExists(home)) return { master: rememberVaultKey(home, await unlockAudited(home, passphrase)), created: false };
  let master: MasterKey;
  try {
    master = await createVault(home, { passphrase });
  } catch (e) {
    // Another process made the vault at the same moment: open theirs with the same passphrase.
    if (e instanceof AmurError && e.code === 'vault.exists') {
      return { master: rememberVaultKey(home, await unlockAudited(home, passphrase)), created: false };
    }
    throw e;
  }
  audit(home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'vault.create', protection: 'passphrase' } });
  return { master: rememberVaultKey(home, master), created: true };
}

/** A wrong passphrase is an access refused, and the audit trail says so (never what was typed). */
async function unlockAudited(home: string, passphrase: string): Promise<MasterKey> {
  try {
    return await unlockWithPassphrase(home, passphrase);
  } catch (e) {
    if (e instanceof AmurError && e.code === 'vault.wrongPassphrase') {
      audit(home, { action: 'access.refused', outcome: 'seriousFailure', role: 'system', detail: { reason: e.code } });
    }
    throw e;
  }
}

/** Unlocks the home with raw master key bytes (the desktop app's safeStorage). */
export function unlockWithKeyBytes(home: string, bytes: Uint8Array): MasterKey {
  return rememberVaultKey(home, unlockWithMasterKey(home, bytes));
}

/**
 * The passphrase in a file (the vault's, a signing identity's): its first line, without the line
 * ending, so that `echo secret > F` and an editor's saved file both work. A missing or unreadable
 * file is a clear refusal, and so is an empty one unless `allowEmpty` (a PKCS#12 file may be
 * protected by the empty passphrase; the vault never is).
 */
export function readPassphraseFile(path: string, options: { allowEmpty?: boolean } = {}): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AmurError('vault.passphraseFileUnreadable', { path, detail: (e as NodeJS.ErrnoException).code ?? (e as Error).message }, { cause: e });
  }
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  if (!line && !options.allowEmpty) throw new AmurError('vault.passphraseFileEmpty', { path });
  return line;
}

/**
 * Unlocks the home from the CLI's contract: the file given by --passphrase-file, else the one
 * AMUR_PASSPHRASE_FILE names. Neither: 'vault.locked'. Already unlocked: nothing to do.
 */
export async function unlockFromEnvironment(home: string, env: NodeJS.ProcessEnv, passphraseFile?: string): Promise<MasterKey> {
  const existing = unlocked.get(resolve(home));
  if (existing) return existing;
  const file = passphraseFile ?? env[PASSPHRASE_FILE_ENV];
  if (!file) return vaultKey(home); // throws 'vault.locked'
  return (await unlockWithPassphraseOrCreate(home, readPassphraseFile(file))).master;
}
