// Signing identities: PKCS#12 files made by OpenSSL 3 (default AES-256/PBKDF2 and -legacy 3DES/RC2,
// RSA and ECDSA) open with the right passphrase, refuse the wrong one in the reader's language,
// and a stored identity keeps its private key encrypted at rest.
import assert from 'node:assert/strict';
import { sign, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AmurError } from '../core/common/errors.js';
import { errorMessage } from '../core/i18n/index.js';
import { importIdentity, listIdentities, loadIdentity, openIdentity, readPkcs12 } from '../core/signing/index.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';

let pki: TestPki;
let home: string;
before(() => {
  pki = makePki();
  home = mkdtempSync(join(tmpdir(), 'amur-'));
});
after(() => {
  pki.remove();
  rmSync(home, { recursive: true, force: true });
});

const isCode = (code: string) => (e: unknown) => e instanceof AmurError && e.code === code;

describe('PKCS#12', () => {
  for (const [file, alg, subject] of [
    ['rsa.p12', 'rsa', /Ivanov Ivan/],
    ['rsa-legacy.p12', 'rsa', /Ivanov Ivan/],
    ['ec.p12', 'ec', /Petrova Anna/],
    ['ec-legacy.p12', 'ec', /Petrova Anna/],
  ] as const) {
    it(`${file} opens, and its key is the certificate's`, () => {
      const id = readPkcs12(pki.bytes(file), pki.passphrase, file);
      assert.equal(id.keyAlgorithm, alg);
      assert.match(id.certificate.subject, subject);
      assert.equal(id.chain.length, 1);
      assert.match(id.chain[0]!.subject, /Amur Test CA/);
      // The key signs what the certificate's public key verifies.
      const sig = sign('sha256', Buffer.from('report'), id.privateKey);
      assert.ok(verify('sha256', Buffer.from('report'), id.certificate.publicKey, sig));
      // Same key as OpenSSL's own PEM export of it.
      const fromOpenssl = readFileSync(pki.file(file.replace(/(-legacy)?\.p12$/, '.key')), 'utf8');
      assert.equal(
        id.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().replace(/\s/g, ''),
        fromOpenssl.replace(/\s/g, ''),
      );
    });

    it(`${file} with a wrong passphrase is refused clearly`, () => {
      assert.throws(
        () => readPkcs12(pki.bytes(file), 'not-the-passphrase', file),
        (e: unknown) =>
          isCode('signing.wrongPassphrase')(e) &&
          errorMessage(e, 'en').includes(`passphrase does not open ${file}`) &&
          /Пароль не подходит/.test(errorMessage(e, 'ru')) &&
          /口令无法打开/.test(errorMessage(e, 'zh-CN')),
      );
    });
  }

  it('a file that is not PKCS#12 is refused as such', () => {
    assert.throws(() => readPkcs12(pki.bytes('rsa.pem'), pki.passphrase, 'rsa.pem'), isCode('signing.badPkcs12'));
  });
});

describe('stored identities', () => {
  it('import, list, open; the key is not on disk in the clear', () => {
    const summary = importIdentity(pki.bytes('ec.p12'), pki.passphrase, { name: 'petrova', home, storePassphrase: 'another one' });
    assert.equal(summary.keyAlgorithm, 'ec');
    assert.deepEqual(listIdentities(home).map((i) => i.name), ['petrova']);
    const stored = readFileSync(join(home, 'identities', 'petrova.json'), 'utf8');
    const original = readPkcs12(pki.bytes('ec.p12'), pki.passphrase);
    const der = original.privateKey.export({ type: 'pkcs8', format: 'der' });
    assert.ok(!stored.includes(der.toString('base64')));
    assert.ok(!stored.includes('PRIVATE KEY'));
    assert.ok(!Buffer.from(stored).includes(der.subarray(der.length - 32)), 'no raw key bytes');
    const opened = openIdentity('petrova', 'another one', home);
    assert.deepEqual(opened.privateKey.export({ type: 'pkcs8', format: 'der' }), der);
    assert.equal(opened.certificate.fingerprint256, original.certificate.fingerprint256);
    assert.throws(() => openIdentity('petrova', pki.passphrase, home), isCode('signing.wrongPassphrase'));
    assert.equal(loadIdentity('petrova', 'another one', home).keyAlgorithm, 'ec');
    assert.equal(loadIdentity(pki.file('rsa.p12'), pki.passphrase, home).keyAlgorithm, 'rsa');
  });

  it('a wrong passphrase imports nothing; a taken name is refused', () => {
    assert.throws(() => importIdentity(pki.bytes('rsa.p12'), 'wrong', { name: 'ivanov', home }), isCode('signing.wrongPassphrase'));
    assert.ok(!readdirSync(join(home, 'identities')).some((f) => f.startsWith('ivanov')));
    importIdentity(pki.bytes('rsa.p12'), pki.passphrase, { name: 'ivanov', home });
    assert.throws(() => importIdentity(pki.bytes('rsa.p12'), pki.passphrase, { name: 'ivanov', home }), isCode('signing.identityExists'));
    assert.throws(() => openIdentity('nobody', 'x', home), isCode('signing.identityNotFound'));
    assert.throws(() => importIdentity(pki.bytes('rsa.p12'), pki.passphrase, { name: '../escape', home }), isCode('signing.badIdentityName'));
    importIdentity(pki.bytes('rsa.p12'), pki.passphrase, { name: 'Иванов_И.И', home });
    assert.deepEqual(listIdentities(home).map((i) => i.name), ['ivanov', 'petrova', 'Иванов_И.И']);
  });
});
