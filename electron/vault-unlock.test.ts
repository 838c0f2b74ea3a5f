// The desktop app's unlock of AMUR_HOME (vault-unlock.ts) with a fake safeStorage (fake-safe-storage.ts):
// Electron's runtime cannot be launched on this project's machines, so the OS key store is played
// by an object that seals as opaquely as the real one. The vault, the session registry and the
// store behind it are the real ones.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditTrail } from '../core/audit/index.js';
import { AmurError } from '../core/common/errors.js';
import { LANGUAGES } from '../core/i18n/index.js';
import { StudyStore } from '../core/store/store.js';
import { lockVault, vaultKey } from '../core/vault/session.js';
import { createVault, readVaultInfo, unlockWithPassphrase, vaultPath } from '../core/vault/vault.js';
import { REPO_ROOT } from '../test/shared-data.js';
import { FakeSafeStorage } from './fake-safe-storage.js';
import { desktopKeyPath, keyStoreState, startupFailureText, unlockDesktopVault, type DesktopUnlockOptions } from './vault-unlock.js';

const scratch = mkdtempSync(join(tmpdir(), 'amur-desktop-vault-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const newHome = () => join(scratch, `home-${++n}`);
const passphraseFile = (text: string) => {
  const f = join(scratch, `pass-${++n}`);
  writeFileSync(f, `${text}\n`, { mode: 0o600 });
  return f;
};

/** A start of the app in a fresh process: the home's key is forgotten first. */
function start(o: DesktopUnlockOptions) {
  lockVault(o.home);
  return unlockDesktopVault({ platform: 'linux', ...o });
}

async function refused(p: Promise<unknown>, code: string): Promise<AmurError> {
  let got: unknown;
  await assert.rejects(p, (e: unknown) => {
    got = e;
    return e instanceof AmurError && e.code === code;
  });
  return got as AmurError;
}

const locked = (home: string) => assert.throws(() => vaultKey(home), (e: unknown) => e instanceof AmurError && e.code === 'vault.locked');
const keyFile = (home: string) => JSON.parse(readFileSync(desktopKeyPath(home), 'utf8')) as Record<string, unknown>;
const actions = (home: string) => auditTrail(home).list().map((e) => `${e.action} ${String(e.detail.operation ?? e.detail.reason ?? '')}`);

test('first start: a new vault without passphrase and vault.key (0600), which holds only the key store\'s sealed form of the master key', async () => {
  const home = newHome(); // not even the folder exists yet
  const ss = new FakeSafeStorage();
  const r = await start({ home, safeStorage: ss });
  assert.equal(r.how, 'created');
  assert.equal(r.keyWritten, true);
  assert.ok(existsSync(vaultPath(home)));
  assert.equal(readVaultInfo(home).kdf, undefined, 'no passphrase: the key store alone keeps the key');
  if (process.platform !== 'win32') assert.equal(statSync(desktopKeyPath(home)).mode & 0o777, 0o600);

  const raw = vaultKey(home).export();
  const bytes = readFileSync(desktopKeyPath(home));
  for (const form of [raw, Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64url'))]) {
    assert.equal(bytes.includes(form), false, 'no form of the raw key in vault.key');
  }
  const k = keyFile(home);
  assert.equal(k.format, 'amur-desktop-key');
  assert.equal(k.vault, readVaultInfo(home).id);
  assert.equal(k.backend, 'linux/gnome_libsecret');
  assert.equal(ss.decryptString(Buffer.from(k.sealed as string, 'base64')), raw.toString('base64'), 'what is kept is exactly the key store\'s seal');
  assert.deepEqual(readdirSync(home).filter((f) => /pending|\.tmp$/.test(f)), [], 'no marker or temporary file left');
  assert.ok(actions(home).includes('key.change vault.create'));
});

test('a later start opens the same master key from vault.key, and the store made after the first start opens with it', async () => {
  const home = newHome();
  const ss = new FakeSafeStorage();
  await start({ home, safeStorage: ss });
  const first = vaultKey(home).export();
  const store = StudyStore.open(home);
  assert.deepEqual(store.listStudies(), []);
  store.close();

  lockVault(home);
  locked(home);
  assert.throws(() => StudyStore.open(home), (e: unknown) => e instanceof AmurError && e.code === 'vault.locked');

  const r = await start({ home, safeStorage: ss });
  assert.equal(r.how, 'keyStore');
  assert.equal(r.keyWritten, false);
  assert.ok(vaultKey(home).export().equals(first), 'the same master key');
  const again = StudyStore.open(home); // the SQLCipher catalogue opens only with the right key
  assert.deepEqual(again.listStudies(), []);
  again.close();
});

test('a vault.key altered, sealed under another account, of another store, or missing is refused, each with its own reason, and nothing unlocks', async () => {
  const home = newHome();
  const ss = new FakeSafeStorage();
  await start({ home, safeStorage: ss });
  StudyStore.open(home).close(); // the store exists: a missing key is no unfinished first start
  const good = readFileSync(desktopKeyPath(home));
  const restore = () => writeFileSync(desktopKeyPath(home), good);

  const k = keyFile(home);
  const sealed = Buffer.from(k.sealed as string, 'base64');
  sealed[sealed.length - 20] ^= 1;
  writeFileSync(desktopKeyPath(home), JSON.stringify({ ...k, sealed: sealed.toString('base64') }));
  let e = await refused(start({ home, safeStorage: ss }), 'desktopVault.keyUnreadable');
  locked(home);
  assert.match(startupFailureText(e, 'en').message, /Restore vault\.json and vault\.key together/);

  writeFileSync(desktopKeyPath(home), 'not json');
  await refused(start({ home, safeStorage: ss }), 'desktopVault.keyUnreadable');
  restore();

  const elsewhere = new FakeSafeStorage(); // another user account or computer: same files, another secret
  await refused(start({ home, safeStorage: elsewhere }), 'desktopVault.keyUnreadable');

  // Another store's vault.key, and one that names this vault but holds another key: both 'vault.wrongKey'.
  const other = newHome();
  await start({ home: other, safeStorage: ss });
  copyFileSync(desktopKeyPath(other), desktopKeyPath(home));
  e = await refused(start({ home, safeStorage: ss }), 'vault.wrongKey');
  assert.match(startupFailureText(e, 'en').message, /belongs to another store/);
  writeFileSync(desktopKeyPath(home), JSON.stringify({ ...k, sealed: ss.encryptString(randomBytes(32).toString('base64')).toString('base64') }));
  await refused(start({ home, safeStorage: ss }), 'vault.wrongKey');
  locked(home);

  rmSync(desktopKeyPath(home));
  e = await refused(start({ home, safeStorage: ss }), 'desktopVault.keyMissing');
  assert.ok(existsSync(vaultPath(home)), 'the vault is never touched by a refusal');
  assert.ok(startupFailureText(e, 'ru').message.includes(home));

  restore();
  await start({ home, safeStorage: ss });
  assert.ok(vaultKey(home));
  const refusals = actions(home).filter((a) => a.startsWith('access.refused'));
  assert.deepEqual(refusals.sort(), [
    'access.refused desktopVault.keyMissing', 'access.refused desktopVault.keyUnreadable', 'access.refused desktopVault.keyUnreadable',
    'access.refused desktopVault.keyUnreadable', 'access.refused vault.wrongKey', 'access.refused vault.wrongKey',
  ]);
});

test('basic_text on Linux counts as no key store: a first start is refused and creates nothing; with a passphrase it makes a passphrase vault instead', async () => {
  const ss = new FakeSafeStorage();
  ss.backend = 'basic_text';
  assert.equal(keyStoreState(ss, 'linux').usable, false);
  assert.equal(keyStoreState(ss, 'darwin').usable, true, 'the backend is a Linux matter only');
  const home = newHome();
  const e = await refused(start({ home, safeStorage: ss }), 'desktopVault.basicText');
  assert.equal(existsSync(vaultPath(home)), false);
  assert.equal(existsSync(desktopKeyPath(home)), false);
  assert.deepEqual(ss.calls, [], 'nothing was sealed with the built-in password');
  for (const lang of LANGUAGES) assert.ok(startupFailureText(e, lang).message.includes('AMUR_PASSPHRASE_FILE'), lang);

  const pass = passphraseFile('basic text is no protection');
  const r = await start({ home, safeStorage: ss, passphraseFile: pass });
  assert.equal(r.how, 'created');
  assert.equal(r.keyWritten, false);
  assert.equal(existsSync(desktopKeyPath(home)), false);
  assert.ok(readVaultInfo(home).kdf);
  const master = vaultKey(home).export();

  // Next start without the passphrase: refused, and the dialog says the passphrase opens it.
  await refused(start({ home, safeStorage: ss }), 'desktopVault.passphraseNeeded');
  // Once a key ring runs, the passphrase opens it one last time and the key goes to the key store.
  ss.backend = 'kwallet6';
  const adopted = await start({ home, safeStorage: ss, passphraseFile: pass });
  assert.deepEqual([adopted.how, adopted.keyWritten], ['passphrase', true]);
  assert.equal(keyFile(home).backend, 'linux/kwallet6');
  assert.ok((await start({ home, safeStorage: ss })).master.export().equals(master));

  // A kept key while the key ring is gone again: refused (not opened with the built-in password), vault.key kept.
  ss.backend = 'basic_text';
  const gone = await refused(start({ home, safeStorage: ss }), 'desktopVault.basicText');
  assert.ok(existsSync(desktopKeyPath(home)));
  assert.match(startupFailureText(gone, 'en').message, /passphrase opens it/);
});

test('no key store at all (isEncryptionAvailable false) is refused with its own reason', async () => {
  const ss = new FakeSafeStorage();
  ss.available = false;
  const home = newHome();
  const e = await refused(start({ home, safeStorage: ss, platform: 'win32' }), 'desktopVault.unavailable');
  assert.equal(existsSync(vaultPath(home)), false);
  assert.match(startupFailureText(e, 'zh-CN').title, /Amur/);
});

test('a store the amur command created (passphrase, no vault.key): refused without the passphrase, opened with it, then kept by the key store', async () => {
  const home = newHome();
  const cli = await createVault(home, { passphrase: 'made on the command line' });
  const ss = new FakeSafeStorage();
  const e = await refused(start({ home, safeStorage: ss }), 'desktopVault.passphraseNeeded');
  for (const lang of LANGUAGES) {
    const text = startupFailureText(e, lang);
    assert.ok(text.title && !/desktopVault\.|errors\./.test(text.title + text.message), `${lang}: translated`);
    assert.ok(text.message.includes('AMUR_PASSPHRASE_FILE') && text.message.includes(home), lang);
  }
  await refused(start({ home, safeStorage: ss, passphraseFile: passphraseFile('not it') }), 'vault.wrongPassphrase');
  assert.equal(existsSync(desktopKeyPath(home)), false);

  let asked = 0;
  const r = await start({ home, safeStorage: ss, askPassphrase: async () => { asked++; return 'made on the command line'; } });
  assert.deepEqual([r.how, r.keyWritten, asked], ['passphrase', true, 1]);
  assert.ok(r.master.export().equals(cli.export()));
  const later = await start({ home, safeStorage: ss, askPassphrase: async () => { asked++; return undefined; } });
  assert.deepEqual([later.how, asked], ['keyStore', 1], 'the passphrase is not asked again');
  assert.ok((await unlockWithPassphrase(home, 'made on the command line')).export().equals(cli.export()), 'the amur command still opens it');

  // vault.key unusable on a passphrase vault: the passphrase opens it, and the old vault.key is kept aside.
  writeFileSync(desktopKeyPath(home), 'damaged');
  const fixed = await start({ home, safeStorage: ss, passphraseFile: passphraseFile('made on the command line') });
  assert.deepEqual([fixed.how, fixed.keyWritten], ['passphrase', true]);
  assert.equal(readdirSync(home).filter((f) => /^vault\.key\.\d+\.old$/.test(f)).length, 1);
  assert.equal((await start({ home, safeStorage: ss })).how, 'keyStore');
});

test('started with AMUR_PASSPHRASE_FILE, a key-store vault gets that passphrase too, so the amur command opens the same store', async () => {
  const ss = new FakeSafeStorage();
  const home = newHome();
  const pass = passphraseFile('desktop and command line');
  const r = await start({ home, safeStorage: ss, passphraseFile: pass });
  assert.deepEqual([r.how, r.keyWritten], ['created', true]);
  assert.ok((await unlockWithPassphrase(home, 'desktop and command line')).export().equals(r.master.export()));

  const plain = newHome();
  const p = (await start({ home: plain, safeStorage: ss })).master.export(); // the next start wipes that object
  assert.equal(readVaultInfo(plain).kdf, undefined);
  const q = await start({ home: plain, safeStorage: ss, passphraseFile: pass });
  assert.deepEqual([q.how, q.passphraseAdded], ['keyStore', true]);
  assert.ok((await unlockWithPassphrase(plain, 'desktop and command line')).export().equals(p));
  assert.ok(actions(plain).includes('key.change passphrase.set'));
});

test('a first start that died before keeping its key begins again; one that cannot keep its key leaves nothing behind', async () => {
  const ss = new FakeSafeStorage();
  const home = newHome();
  // What a start killed between vault.json and vault.key leaves: the marker and a vault whose key nobody has.
  (await createVault(home)).destroy();
  writeFileSync(`${desktopKeyPath(home)}.pending`, 'x');
  const orphanId = readVaultInfo(home).id;
  const r = await start({ home, safeStorage: ss });
  assert.equal(r.how, 'created');
  assert.notEqual(readVaultInfo(home).id, orphanId);
  assert.equal(readdirSync(home).filter((f) => f.startsWith('vault.json.unfinished-')).length, 1, 'set aside, not deleted');
  assert.equal(existsSync(`${desktopKeyPath(home)}.pending`), false);

  const failing = new FakeSafeStorage();
  failing.encryptString = () => { throw new Error('the key ring said no'); };
  const empty = newHome();
  const e = await refused(start({ home: empty, safeStorage: failing }), 'desktopVault.keyWriteFailed');
  assert.match(startupFailureText(e, 'en').message, /the key ring said no/);
  assert.deepEqual(readdirSync(empty).filter((f) => f.startsWith('vault')), [], 'no vault nobody could open');
  locked(empty);
  assert.equal((await start({ home: empty, safeStorage: ss })).how, 'created', 'the next start begins afresh');
});

test('the desktop vault\'s messages have the same keys in zh-CN, ru and en, all non-empty', () => {
  type Tree = { [k: string]: string | Tree };
  const flat = (t: Tree, p = ''): string[] => Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? (assert.ok(v.trim(), p + k), [p + k]) : flat(v, `${p}${k}.`)));
  const keys = LANGUAGES.map((l) => flat(JSON.parse(readFileSync(join(REPO_ROOT, 'assets', 'i18n', l, 'desktop-vault.json'), 'utf8')) as Tree).sort());
  for (const k of keys.slice(1)) assert.deepEqual(k, keys[0]);
  const codes = ['unavailable', 'basicText', 'keyMissing', 'keyUnreadable', 'passphraseNeeded', 'keyWriteFailed'];
  assert.deepEqual(keys[0].filter((k) => k.startsWith('errors.')).sort(), codes.map((c) => `errors.desktopVault.${c}`).sort());
  for (const lang of LANGUAGES) {
    const other = startupFailureText(new Error('boom'), lang);
    assert.ok(other.title && other.message.includes('boom'), lang);
  }
});
