// The SM2-with-SM3 package signature (GM/T 0003/0004, user ID 1234567812345678), checked by an
// independent implementation: OpenSSL 3 verifies what Amur (sm-crypto) signs, and Amur verifies
// what OpenSSL signs; a changed file, a changed manifest, the wrong user ID and an untrusted signer
// are all caught.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AmurError } from '../core/common/errors.js';
import { readPkcs12, verifyPackageSm2, writeSignedPackage, type SigningIdentity } from '../core/signing/index.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { shared } from './shared-data.js';

let pki: TestPki;
let tmp: string;
let sm2: SigningIdentity;

function opensslVerify(manifest: string, pub: string, id = '1234567812345678'): boolean {
  const r = spawnSync('openssl', ['dgst', '-sm3', '-verify', pub, '-sigopt', `distid:${id}`, '-signature', `${manifest}.sig`, manifest], {
    encoding: 'utf8',
    input: '',
    timeout: 120_000,
  });
  return r.status === 0 && /Verified OK/.test(r.stdout);
}

function packageDir(): string {
  const dir = mkdtempSync(join(tmp, 'pkg-'));
  writeFileSync(join(dir, 'report-sr.dcm'), readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')));
  writeFileSync(join(dir, 'report.pdf'), Buffer.from('%PDF-1.7\n% a stand-in for the report PDF\n'));
  return dir;
}

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  sm2 = readPkcs12(pki.bytes('sm2.p12'), pki.passphrase);
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('SM2 package signature', () => {
  it('an SM2 PKCS#12 identity opens as SM2', () => {
    assert.equal(sm2.keyAlgorithm, 'sm2');
    assert.match(sm2.certificate.subject, /Zhang Wei/);
  });

  it('OpenSSL verifies the signature with the standard user ID, and only with it', () => {
    const dir = packageDir();
    const { manifest } = writeSignedPackage(dir, ['report-sr.dcm', 'report.pdf'], sm2);
    assert.ok(opensslVerify(manifest, pki.file('sm2.pub.pem')));
    // The public key taken from the signer certificate in the manifest works as well.
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { signerCertificate: string; files: { name: string; sm3: string }[] };
    const certFile = join(dir, 'signer.pem');
    writeFileSync(certFile, m.signerCertificate);
    const pub = join(dir, 'signer-pub.pem');
    writeFileSync(pub, execFileSync('openssl', ['x509', '-in', certFile, '-pubkey', '-noout']));
    assert.ok(opensslVerify(manifest, pub));
    assert.equal(opensslVerify(manifest, pub, '1234567812345679'), false);
    // The SM3 in the manifest is OpenSSL's SM3 of the file.
    const sm3 = execFileSync('openssl', ['dgst', '-sm3', '-r', join(dir, 'report-sr.dcm')], { encoding: 'utf8' }).split(' ')[0];
    assert.equal(m.files.find((f) => f.name === 'report-sr.dcm')!.sm3, sm3);
    const check = verifyPackageSm2(manifest, [pki.cert('ca.pem')]);
    assert.deepEqual(check.problems, []);
    assert.equal(check.valid, true);
    assert.deepEqual(check.files, [
      { name: 'report-sr.dcm', ok: true },
      { name: 'report.pdf', ok: true },
    ]);
  });

  it('Amur verifies a signature made by OpenSSL', () => {
    const dir = packageDir();
    const { manifest } = writeSignedPackage(dir, ['report-sr.dcm', 'report.pdf'], sm2);
    execFileSync('openssl', ['dgst', '-sm3', '-sign', pki.file('sm2.key'), '-sigopt', 'distid:1234567812345678', '-out', `${manifest}.sig`, manifest]);
    assert.equal(verifyPackageSm2(manifest, [pki.cert('ca.pem')]).valid, true);
  });

  it('a changed file, a changed manifest and an untrusted signer are caught', () => {
    const dir = packageDir();
    const { manifest } = writeSignedPackage(dir, ['report-sr.dcm', 'report.pdf'], sm2);
    const pdf = join(dir, 'report.pdf');
    const original = readFileSync(pdf);
    writeFileSync(pdf, Buffer.concat([original.subarray(0, 10), Buffer.from('X'), original.subarray(11)]));
    let check = verifyPackageSm2(manifest, [pki.cert('ca.pem')]);
    assert.equal(check.valid, false);
    assert.deepEqual(check.problems, [{ code: 'signing.verify.packageFileChanged', params: { name: 'report.pdf' } }]);
    writeFileSync(pdf, original);

    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace(/"sha256": "[0-9a-f]/, (s) => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0')));
    assert.equal(opensslVerify(manifest, pki.file('sm2.pub.pem')), false);
    check = verifyPackageSm2(manifest, [pki.cert('ca.pem')]);
    assert.ok(check.problems.some((p) => p.code === 'signing.verify.sm2Mismatch'));
    writeFileSync(manifest, text);

    check = verifyPackageSm2(manifest, [pki.cert('rogue-ca.pem')]);
    assert.deepEqual(check.problems.map((p) => p.code), ['signing.verify.untrusted']);
  });

  it('an RSA identity cannot make an SM2 signature', () => {
    const rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
    assert.throws(() => writeSignedPackage(packageDir(), ['report.pdf'], rsa), (e: unknown) => e instanceof AmurError && e.code === 'signing.unsupportedKey');
  });
});
