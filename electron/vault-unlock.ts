// How the desktop app unlocks the encrypted data of AMUR_HOME before it creates its services. The
// master key of the home's vault (core/vault) is kept sealed by the operating system's key store
// through Electron's safeStorage (Keychain on macOS, DPAPI on Windows, the Secret Service or
// KWallet on Linux) in AMUR_HOME/vault.key; the vault itself (vault.json) needs no passphrase.
//
//   first start (no vault.json)  createVault → seal the master key → vault.key → unlocked
//   later starts                 vault.key → safeStorage opens it → checked against the vault
//   vault.key gone or unusable   the vault's passphrase, when it has one (AMUR_PASSPHRASE_FILE, or
//                                typed on the terminal Amur was started from); vault.key is then
//                                written again where the key store works. Otherwise a refusal.
//
// Everything Electron-specific comes in as a parameter (a safeStorage-like object, the paths), so
// that this is unit-tested in plain Node with a fake safeStorage. Electron's runtime cannot be
// launched on this project's development machines (../shared/docs/environment.md): that is the
// only reason a fake stands in for the real key store in the tests.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { audit } from '../core/audit/index.js';
import { AmurError, isAmurError } from '../core/common/errors.js';
import { fsyncDir } from '../core/common/fs.js';
import { errorMessage, t, type Language } from '../core/i18n/index.js';
import type { MasterKey } from '../core/vault/keys.js';
import { PASSPHRASE_FILE_ENV, readPassphraseFile, rememberVaultKey, unlockWithKeyBytes, unlockWithPassphraseOrCreate } from '../core/vault/session.js';
import { createVault, readVaultInfo, setPassphrase, vaultExists, vaultPath } from '../core/vault/vault.js';

/**
 * What this module uses of Electron's safeStorage (electron 42 offers strings only: there is no
 * encryptBuffer, so the key travels as base64 text; a JavaScript string cannot be wiped, which is
 * as much as Electron's API allows).
 */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which password store seals the data; 'basic_text' is a built-in password. */
  getSelectedStorageBackend?(): string;
}

export interface DesktopUnlockOptions {
  home: string;
  safeStorage: SafeStorageLike;
  /** Where the sealed master key is kept: AMUR_HOME/vault.key unless given. */
  keyPath?: string;
  platform?: NodeJS.Platform;
  /** The file named by AMUR_PASSPHRASE_FILE, when the app was started with one. */
  passphraseFile?: string;
  /** Asks for the passphrase of a vault that has one (e.g. on the terminal); undefined: none given. */
  askPassphrase?: (home: string) => Promise<string | undefined>;
}

export interface DesktopUnlock {
  master: MasterKey;
  /** created: a new vault; keyStore: opened with vault.key; passphrase: opened with the vault's passphrase. */
  how: 'created' | 'keyStore' | 'passphrase';
  /** vault.key was written by this start. */
  keyWritten: boolean;
  /** A passphrase was added to a vault that had none (so that the `amur` command opens it too). */
  passphraseAdded: boolean;
}

const KEY_FORMAT = 'amur-desktop-key';

/** The sealed master key as it is kept on disk: nothing in it is readable without the OS key store. */
interface KeyFile {
  format: typeof KEY_FORMAT;
  version: 1;
  /** The id of the vault this key opens (vault.json's id). */
  vault: string;
  protection: 'electron-safeStorage';
  /** The platform, and on Linux the password store, that sealed it. */
  backend: string;
  /** safeStorage.encryptString(base64 of the master key), base64. */
  sealed: string;
}

export function desktopKeyPath(home: string): string {
  return join(home, 'vault.key');
}

/** Written before a first start creates its vault and removed once vault.key is kept (see setAsideUnfinished). */
const pendingPath = (keyPath: string) => `${keyPath}.pending`;

type KeyStoreState = { usable: true; backend: string } | { usable: false; code: 'desktopVault.unavailable' | 'desktopVault.basicText'; backend: string };

/**
 * Whether the key store protects anything. On Linux without a key ring Electron falls back to
 * 'basic_text', a password built into Chromium: what it seals anyone can open, so it counts as no
 * key store at all ('unknown' is what Electron answers before `ready`: not usable either).
 */
export function keyStoreState(ss: SafeStorageLike, platform: NodeJS.Platform): KeyStoreState {
  const backend = platform === 'linux' ? `linux/${ss.getSelectedStorageBackend?.() ?? 'unknown'}` : platform;
  if (platform === 'linux' && backend === 'linux/basic_text') return { usable: false, code: 'desktopVault.basicText', backend };
  if (!ss.isEncryptionAvailable() || backend === 'linux/unknown') return { usable: false, code: 'desktopVault.unavailable', backend };
  return { usable: true, backend };
}

/**
 * Unlocks the home for this process (core/vault/session.ts) or throws an AmurError that
 * startupFailureText() turns into the dialog. Nothing is created when it refuses on a first start.
 */
export async function unlockDesktopVault(o: DesktopUnlockOptions): Promise<DesktopUnlock> {
  const keyPath = o.keyPath ?? desktopKeyPath(o.home);
  const state = keyStoreState(o.safeStorage, o.platform ?? process.platform);
  if (vaultExists(o.home)) setAsideUnfinished(o.home, keyPath);
  if (!vaultExists(o.home)) {
    const r = await firstStart(o, keyPath, state);
    if (r) return r;
  }
  return laterStart(o, keyPath, state);
}

/** A new vault; undefined when another process made one meanwhile (then it is opened like any other). */
async function firstStart(o: DesktopUnlockOptions, keyPath: string, state: KeyStoreState): Promise<DesktopUnlock | undefined> {
  const passphrase = o.passphraseFile === undefined ? undefined : readPassphraseFile(o.passphraseFile);
  if (!state.usable) {
    // No key store worth the name. A passphrase given makes a passphrase vault, as the CLI does.
    if (passphrase === undefined) throw new AmurError(state.code, { path: o.home, env: PASSPHRASE_FILE_ENV, firstStart: 1, passphrase: 0 });
    const r = await unlockWithPassphraseOrCreate(o.home, passphrase);
    return { master: r.master, how: r.created ? 'created' : 'passphrase', keyWritten: false, passphraseAdded: false };
  }
  // The marker says "the vault about to appear has no kept key yet": if this start dies before
  // vault.key is written, the next one knows that nothing was ever sealed under that vault.
  try {
    mkdirSync(dirname(keyPath), { recursive: true, mode: 0o700 });
    writeFileSync(pendingPath(keyPath), `${new Date().toISOString()}\n`, { mode: 0o600 });
  } catch (e) {
    throw new AmurError('desktopVault.keyWriteFailed', { keyPath, detail: (e as Error).message }, { cause: e });
  }
  let master: MasterKey;
  try {
    master = await createVault(o.home, passphrase === undefined ? {} : { passphrase });
  } catch (e) {
    rmSync(pendingPath(keyPath), { force: true });
    if (isAmurError(e) && e.code === 'vault.exists') return undefined;
    throw e;
  }
  try {
    writeKeyFile(keyPath, sealKey(o.safeStorage, master, readVaultInfo(o.home).id, state.backend, keyPath));
  } catch (e) {
    // Nothing is sealed under this master key yet: without its key the vault is taken back, so
    // that the next start begins afresh instead of finding a vault nobody can open.
    master.destroy();
    rmSync(vaultPath(o.home), { force: true });
    rmSync(pendingPath(keyPath), { force: true });
    throw e;
  }
  rmSync(pendingPath(keyPath), { force: true });
  const protection = passphrase === undefined ? 'safeStorage' : 'safeStorage+passphrase';
  audit(o.home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'vault.create', protection, backend: state.backend } });
  return { master: rememberVaultKey(o.home, master), how: 'created', keyWritten: true, passphraseAdded: false };
}

async function laterStart(o: DesktopUnlockOptions, keyPath: string, state: KeyStoreState): Promise<DesktopUnlock> {
  const info = readVaultInfo(o.home); // vault.damaged, vault.unsupportedVersion, … as they are
  const hasPassphrase = info.kdf !== undefined ? 1 : 0;
  const params = { path: o.home, keyPath, env: PASSPHRASE_FILE_ENV, passphrase: hasPassphrase };
  const keyFileThere = existsSync(keyPath);
  let problem: AmurError | undefined;
  if (keyFileThere) {
    if (!state.usable) problem = new AmurError(state.code, { ...params, firstStart: 0 });
    else {
      try {
        const master = openKeyFile(o.safeStorage, o.home, keyPath, info.id, params);
        const passphraseAdded = await addPassphraseIfGiven(o, master, hasPassphrase === 1);
        return { master, how: 'keyStore', keyWritten: false, passphraseAdded };
      } catch (e) {
        if (!isAmurError(e)) throw e;
        problem = e;
      }
    }
  }
  if (hasPassphrase) {
    const passphrase = o.passphraseFile !== undefined ? readPassphraseFile(o.passphraseFile) : await o.askPassphrase?.(o.home);
    if (passphrase) {
      const { master } = await unlockWithPassphraseOrCreate(o.home, passphrase); // 'vault.wrongPassphrase', audited there
      // Where the key store works, the key is kept again, so that the next start needs no passphrase;
      // a vault.key that did not open is kept aside rather than lost.
      let keyWritten = false;
      if (state.usable) {
        try {
          const sealed = sealKey(o.safeStorage, master, info.id, state.backend, keyPath);
          if (keyFileThere) renameSync(keyPath, `${keyPath}.${Date.now()}.old`);
          writeKeyFile(keyPath, sealed);
          keyWritten = true;
          audit(o.home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'desktopKey.write', backend: state.backend } });
        } catch {
          // The passphrase opened the store; keeping the key failed, so it is asked for again next time.
        }
      }
      return { master, how: 'passphrase', keyWritten, passphraseAdded: false };
    }
  }
  if (!problem) {
    problem = hasPassphrase
      ? new AmurError('desktopVault.passphraseNeeded', params)
      : new AmurError('desktopVault.keyMissing', params);
  }
  refusalAudited(o.home, problem);
  throw problem;
}

/**
 * Started with AMUR_PASSPHRASE_FILE on a vault that has no passphrase: the vault gets that one
 * too, so that the `amur` command (which has no key store) opens the same store with it, and a lost
 * vault.key is no longer the end of the studies. A vault that has a passphrase keeps its own.
 */
async function addPassphraseIfGiven(o: DesktopUnlockOptions, master: MasterKey, hasPassphrase: boolean): Promise<boolean> {
  if (hasPassphrase || o.passphraseFile === undefined) return false;
  await setPassphrase(o.home, master, readPassphraseFile(o.passphraseFile));
  audit(o.home, { action: 'key.change', outcome: 'success', role: 'system', detail: { operation: 'passphrase.set' } });
  return true;
}

function sealKey(ss: SafeStorageLike, master: MasterKey, vaultId: string, backend: string, keyPath: string): KeyFile {
  const raw = master.export();
  try {
    const sealed = ss.encryptString(raw.toString('base64'));
    return { format: KEY_FORMAT, version: 1, vault: vaultId, protection: 'electron-safeStorage', backend, sealed: Buffer.from(sealed).toString('base64') };
  } catch (e) {
    throw new AmurError('desktopVault.keyWriteFailed', { keyPath, detail: (e as Error).message }, { cause: e });
  } finally {
    raw.fill(0);
  }
}

/** The master key from vault.key, checked against the vault ('vault.wrongKey' when it is another's). */
function openKeyFile(ss: SafeStorageLike, home: string, keyPath: string, vaultId: string, params: Record<string, string | number>): MasterKey {
  const unreadable = (why: string, cause?: unknown): never => {
    throw new AmurError('desktopVault.keyUnreadable', params, { cause: cause ?? new Error(why) });
  };
  let file: Partial<KeyFile>;
  try {
    file = JSON.parse(readFileSync(keyPath, 'utf8')) as Partial<KeyFile>;
  } catch (e) {
    return unreadable('not JSON', e);
  }
  if (file?.format !== KEY_FORMAT || file.version !== 1 || typeof file.sealed !== 'string') return unreadable('not an Amur desktop key');
  // The key of another vault (vault.json replaced, or vault.key copied from another home).
  if (file.vault !== vaultId) throw new AmurError('vault.wrongKey', params);
  let text: string;
  try {
    text = ss.decryptString(Buffer.from(file.sealed, 'base64'));
  } catch (e) {
    return unreadable('the key store does not open it', e);
  }
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) return unreadable('not base64');
  try {
    return unlockWithKeyBytes(home, bytes);
  } catch (e) {
    if (isAmurError(e) && (e.code === 'vault.wrongKey' || e.code === 'vault.badKeyLength')) throw new AmurError('vault.wrongKey', params, { cause: e });
    throw e;
  } finally {
    bytes.fill(0);
  }
}

/** Written aside, flushed, renamed over vault.key and the folder flushed: mode 0600 (Windows ignores modes; the folder's ACL applies). */
function writeKeyFile(keyPath: string, file: KeyFile): void {
  const tmp = `${keyPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, keyPath);
    fsyncDir(dirname(keyPath));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new AmurError('desktopVault.keyWriteFailed', { keyPath, detail: (e as Error).message }, { cause: e });
  }
}

/**
 * A first start that died between writing vault.json and vault.key left a vault whose key nobody
 * kept; nothing was sealed under it (the store opens only after the unlock). It is renamed aside,
 * never deleted, and this start begins afresh.
 */
function setAsideUnfinished(home: string, keyPath: string): void {
  if (!existsSync(pendingPath(keyPath))) return;
  if (!existsSync(keyPath) && readVaultInfo(home).kdf === undefined) {
    renameSync(vaultPath(home), `${vaultPath(home)}.unfinished-${Date.now()}`);
  }
  rmSync(pendingPath(keyPath), { force: true });
}

/** A refusal of an existing vault is an access refused (rule 7); an audit that fails does not hide the refusal. */
function refusalAudited(home: string, e: AmurError): void {
  try {
    audit(home, { action: 'access.refused', outcome: 'seriousFailure', role: 'system', detail: { reason: e.code } });
  } catch {
    // the refusal itself is what the user must see
  }
}

/** The passphrase typed on the terminal the app was started from, without echo; undefined without a terminal. */
export function terminalPassphrasePrompt(lang: Language): DesktopUnlockOptions['askPassphrase'] {
  if (!process.stdin.isTTY) return undefined;
  return (home) => {
    process.stderr.write(t('vault.cli.prompt', { path: home }, lang));
    const rl = createInterface({ input: process.stdin, output: new Writable({ write: (_c, _e, cb) => cb() }), terminal: true });
    return new Promise((resolve) =>
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer || undefined);
      }),
    );
  };
}

/** What the dialog of a failed start says: a title, the reason, and what to do about it. */
export function startupFailureText(e: unknown, lang: Language): { title: string; message: string } {
  const code = isAmurError(e) ? e.code : '';
  const p = isAmurError(e) ? e.params : {};
  const vault = code.startsWith('vault.') || code.startsWith('desktopVault.');
  const lines = [errorMessage(e, lang)];
  const hint = (name: string) => lines.push(t(`desktopVault.hint.${name}`, p, lang));
  const keyProblem = ['vault.wrongKey', 'desktopVault.keyUnreadable', 'desktopVault.keyMissing'].includes(code) && p.keyPath !== undefined;
  const keyStoreProblem = code === 'desktopVault.unavailable' || code === 'desktopVault.basicText';
  if (code === 'vault.wrongKey' && keyProblem) hint('wrongKey');
  if (keyStoreProblem && p.firstStart === 1) hint('firstStartPassphrase');
  else if (((keyProblem || keyStoreProblem) && p.passphrase === 1) || code === 'desktopVault.passphraseNeeded') hint('passphrase');
  else if (keyProblem) hint('backup');
  return { title: t(vault ? 'desktopVault.dialog.vaultTitle' : 'desktopVault.dialog.startTitle', {}, lang), message: lines.join('\n\n') };
}
