// The vault and the keys under it: a passphrase unlocks the same master key, a wrong one is refused
// as such, a damaged file as damaged; a passphrase change keeps every wrapped key and sealed file
// readable; raw master keys (the desktop app's safeStorage) are checked against the vault; data
// keys unwrap only with their own id; a shredded study's files no longer open.
import assert from 'node:assert/strict';
import DatabaseCtor from 'better-sqlite3-multiple-ciphers';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AmurError } from '../common/errors.js';
import { errorMessage } from '../i18n/index.js';
import { openEncryptedDatabase } from './database.js';
import { openBuffer, sealBuffer } from './file-cipher.js';
import { generateDataKey, MasterKey } from './keys.js';
import { STUDY_KEYS_SQL, StudyKeyring } from './study-keys.js';
import {
  changePassphrase,
  createVault,
  readVaultInfo,
  SCRYPT_PARAMS,
  setPassphrase,
  unlockWithMasterKey,
  unlockWithPassphrase,
  vaultPath,
} from './vault.js';

const root = mkdtempSync(join(tmpdir(), 'amur-vault-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const newHome = () => join(root, `home-${++n}`);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<AmurError> {
  let err: AmurError | undefined;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AmurError, String(e));
    assert.equal(e.code, code);
    err = e;
    return true;
  });
  return err!;
}

test('a passphrase vault: the right passphrase gives the same master key, a wrong one is refused clearly', async () => {
  const home = newHome();
  mkdirSync(home, { recursive: true });
  const master = await createVault(home, { passphrase: 'correct horse' });
  const k = generateDataKey();
  const wrapped = master.wrapDataKey(k);

  const again = await unlockWithPassphrase(home, 'correct horse');
  assert.ok(again.unwrapDataKey(k.id, wrapped).key.equals(k.key));
  assert.ok(again.catalogueKey().equals(master.catalogueKey()));

  const e = await rejectsWith(unlockWithPassphrase(home, 'correct horse!'), 'vault.wrongPassphrase');
  assert.equal(e.params.path, vaultPath(home));
  assert.match(errorMessage(e, 'ru'), /Неверная парольная фраза/);
  assert.match(errorMessage(e, 'zh-CN'), /口令错误/);

  const info = readVaultInfo(home);
  assert.deepEqual(info.kdf, { name: 'scrypt', ...SCRYPT_PARAMS });
  assert.ok(128 * info.kdf!.N * info.kdf!.r >= 64 * 1024 * 1024, 'at least 64 MiB per guess');
  await rejectsWith(createVault(home, { passphrase: 'x' }), 'vault.exists');
});

test('a damaged vault file is "damaged", not a wrong passphrase; an unknown version and a missing vault say so', async () => {
  const home = newHome();
  mkdirSync(home, { recursive: true });
  (await createVault(home, { passphrase: 'pw' })).destroy();
  const good = readFileSync(vaultPath(home), 'utf8');
  const doc = JSON.parse(good);

  // One character of the wrapped key changed: the checksum catches it before the KDF runs.
  const w = doc.passphrase.wrappedMasterKey as string;
  writeFileSync(vaultPath(home), JSON.stringify({ ...doc, passphrase: { ...doc.passphrase, wrappedMasterKey: (w[0] === 'A' ? 'B' : 'A') + w.slice(1) } }));
  await rejectsWith(unlockWithPassphrase(home, 'pw'), 'vault.damaged');
  writeFileSync(vaultPath(home), good.slice(0, good.length / 2));
  await rejectsWith(unlockWithPassphrase(home, 'pw'), 'vault.damaged');
  // A hostile N would allocate gigabytes: bounded, even with a matching checksum.
  const { checksum: _c, ...body } = doc;
  body.passphrase.kdf.N = 2 ** 30;
  writeFileSync(vaultPath(home), JSON.stringify({ ...body, checksum: `sha256:${createHash('sha256').update(JSON.stringify(body)).digest('hex')}` }));
  await rejectsWith(unlockWithPassphrase(home, 'pw'), 'vault.damaged');
  writeFileSync(vaultPath(home), JSON.stringify({ ...doc, version: 2 }));
  const v = await rejectsWith(unlockWithPassphrase(home, 'pw'), 'vault.unsupportedVersion');
  assert.equal(v.params.version, '2');
  writeFileSync(vaultPath(home), good);
  (await unlockWithPassphrase(home, 'pw')).destroy();
  await rejectsWith(unlockWithPassphrase(join(root, 'nowhere'), 'pw'), 'vault.notFound');
});

test('a passphrase change rewraps the master key: old wrapped keys and sealed files still open, the old passphrase does not', async () => {
  const home = newHome();
  mkdirSync(home, { recursive: true });
  const master = await createVault(home, { passphrase: 'old' });
  const k = generateDataKey();
  const wrapped = master.wrapDataKey(k);
  const file = sealBuffer(k.key, Buffer.from('pixel data'));
  const before = JSON.parse(readFileSync(vaultPath(home), 'utf8'));

  await changePassphrase(home, 'old', 'new');
  const after = JSON.parse(readFileSync(vaultPath(home), 'utf8'));
  assert.equal(after.id, before.id);
  assert.equal(after.check, before.check, 'the check value (under the master key) is unchanged');
  assert.notEqual(after.passphrase.kdf.salt, before.passphrase.kdf.salt, 'a fresh salt');
  await rejectsWith(unlockWithPassphrase(home, 'old'), 'vault.wrongPassphrase');
  await rejectsWith(changePassphrase(home, 'old', 'newer'), 'vault.wrongPassphrase');
  const m2 = await unlockWithPassphrase(home, 'new');
  assert.equal(openBuffer(m2.unwrapDataKey(k.id, wrapped).key, file).toString(), 'pixel data');
  await rejectsWith(changePassphrase(home, 'new', ''), 'vault.emptyPassphrase');
  (await unlockWithPassphrase(home, 'new')).destroy();
});

test('a raw-key vault (safeStorage): the right bytes unlock it, other bytes are refused; a passphrase can be added', async () => {
  const home = newHome();
  mkdirSync(home, { recursive: true });
  const master = await createVault(home);
  const sealedByApp = master.export();
  assert.equal(readVaultInfo(home).kdf, undefined);
  await rejectsWith(unlockWithPassphrase(home, 'anything'), 'vault.noPassphrase');
  const m = unlockWithMasterKey(home, sealedByApp);
  assert.ok(m.catalogueKey().equals(master.catalogueKey()));
  assert.throws(() => unlockWithMasterKey(home, randomBytes(32)), (e: unknown) => e instanceof AmurError && e.code === 'vault.wrongKey');
  assert.throws(() => unlockWithMasterKey(home, randomBytes(16)), (e: unknown) => e instanceof AmurError && e.code === 'vault.badKeyLength');
  await assert.rejects(setPassphrase(home, MasterKey.generate(), 'pw'), (e: unknown) => e instanceof AmurError && e.code === 'vault.wrongKey');
  await setPassphrase(home, m, 'for the CLI');
  assert.ok((await unlockWithPassphrase(home, 'for the CLI')).catalogueKey().equals(master.catalogueKey()));
  assert.ok(unlockWithMasterKey(home, sealedByApp));
});

test('data keys unwrap only under their own id and their own master key; subkeys differ by purpose', () => {
  const m = MasterKey.generate();
  const k = generateDataKey();
  const w = m.wrapDataKey(k);
  assert.equal(w.length, 61);
  assert.ok(m.unwrapDataKey(k.id, w).key.equals(k.key));
  assert.throws(() => m.unwrapDataKey(generateDataKey().id, w), (e: unknown) => e instanceof AmurError && e.code === 'vault.keyUnwrapFailed');
  assert.throws(() => MasterKey.generate().unwrapDataKey(k.id, w), (e: unknown) => e instanceof AmurError && e.code === 'vault.keyUnwrapFailed');
  const t = Buffer.from(w);
  t[20] ^= 1;
  assert.throws(() => m.unwrapDataKey(k.id, t), (e: unknown) => e instanceof AmurError && e.code === 'vault.keyUnwrapFailed');
  assert.notDeepEqual(m.deriveKey('key-wrap/1'), m.catalogueKey());
  const copy = MasterKey.fromBytes(m.export());
  m.destroy();
  assert.notDeepEqual(copy.catalogueKey(), m.catalogueKey(), 'destroy() wiped the bytes');
});

test('study keys live wrapped in the catalogue; shredding a study makes its files unreadable and leaves no trace in the database files', () => {
  const master = MasterKey.generate();
  const path = join(root, 'keys.sqlite');
  // A clear database here, so that the test can look for the wrapped key's bytes in the files.
  const db = openClear(path);
  db.exec(STUDY_KEYS_SQL);
  const ring = new StudyKeyring(db, master);
  const a = ring.keyFor('1.2.3');
  assert.ok(ring.keyFor('1.2.3').key.equals(a.key), 'one key per study');
  const b = ring.keyFor('1.2.4');
  assert.notDeepEqual(a.key, b.key);
  const file = sealBuffer(a.key, Buffer.from('slice'), { context: 'sop' });
  const wrapped = db.prepare('SELECT wrapped FROM study_keys WHERE StudyInstanceUID = ?').pluck().get('1.2.3') as Buffer;

  // A second keyring (another process) unwraps the same key from the row.
  assert.ok(new StudyKeyring(db, master).keyFor('1.2.3').key.equals(a.key));
  assert.equal(ring.shred('1.2.3'), true);
  assert.equal(ring.existingKey('1.2.3'), undefined);
  assert.equal(ring.shred('1.2.3'), false);
  const fresh = ring.keyFor('1.2.3');
  assert.throws(() => openBuffer(fresh.key, file, { context: 'sop' }), (e: unknown) => e instanceof AmurError && e.code === 'vault.fileWrongKey');
  for (const f of [path, `${path}-wal`]) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch {
      continue;
    }
    assert.equal(bytes.indexOf(wrapped), -1, `${f} still holds the wrapped key`);
  }
  assert.ok(ring.keyFor('1.2.4').key.equals(b.key), 'other studies keep their keys');
  db.close();

  // In the encrypted catalogue, the same keyring works unchanged.
  const enc = openEncryptedDatabase(join(root, 'enc-keys.sqlite'), master.catalogueKey());
  enc.exec(STUDY_KEYS_SQL);
  const r2 = new StudyKeyring(enc, master);
  const k2 = r2.keyFor('9.9');
  assert.ok(new StudyKeyring(enc, master).keyFor('9.9').key.equals(k2.key));
  assert.throws(() => new StudyKeyring(enc, MasterKey.generate()).keyFor('9.9'), (e: unknown) => e instanceof AmurError && e.code === 'vault.keyUnwrapFailed');
  enc.close();
});

function openClear(path: string) {
  const db = new DatabaseCtor(path);
  db.pragma('journal_mode = WAL');
  return db;
}
