// PDF signatures (PAdES baseline B, ETSI.CAdES.detached) on PDFs made by pdfkit, checked by poppler's
// pdfsig (with the test CA trusted in a fresh NSS database) and by Amur; a changed byte, bytes
// appended after signing, an untrusted signer and an expired certificate are all caught.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import PDFDocument from 'pdfkit';
import { AmurError } from '../core/common/errors.js';
import { readPkcs12, signPdf, verifyPdfSignatures, type SigningIdentity } from '../core/signing/index.js';
import { derLength } from '../core/signing/cms.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';

let pki: TestPki;
let tmp: string;
let nss: string;
let rsa: SigningIdentity;
let ec: SigningIdentity;

async function makePdf(pages = 2): Promise<Buffer> {
  const doc = new PDFDocument({ info: { Title: 'Test report' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((r) => doc.on('end', () => r()));
  for (let i = 0; i < pages; i++) {
    if (i) doc.addPage();
    doc.fontSize(14).text(`Report page ${i + 1}: no acute intracranial findings.`);
  }
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

function pdfsig(file: string): string {
  const r = spawnSync('pdfsig', ['-nssdir', `sql:${nss}`, file], { encoding: 'utf8', input: '', timeout: 120_000 });
  return `${r.stdout}${r.stderr}`;
}

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  nss = join(tmp, 'nss');
  execFileSync('mkdir', ['-p', nss]);
  execFileSync('certutil', ['-N', '-d', `sql:${nss}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${nss}`, '-n', 'amur-test-ca', '-t', 'C,C,C', '-i', pki.file('ca.pem')]);
  rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
  ec = readPkcs12(pki.bytes('ec.p12'), pki.passphrase);
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('PDF signatures', () => {
  for (const [name, id] of [
    ['RSA', () => rsa],
    ['ECDSA', () => ec],
  ] as const) {
    it(`${name}: pdfsig validates the signature and trusts the signer; Amur agrees`, async () => {
      const pdf = await makePdf();
      const signed = await signPdf(pdf, id(), { reason: 'Report verified', location: 'Khabarovsk' });
      assert.deepEqual(signed.subarray(0, pdf.length - 1), pdf.subarray(0, pdf.length - 1), 'an incremental update: the original bytes stay');
      const file = join(tmp, `signed-${name}.pdf`);
      writeFileSync(file, signed);
      const out = pdfsig(file);
      assert.match(out, /Signature Validation: Signature is Valid\./);
      assert.match(out, /Certificate Validation: Certificate is Trusted\./);
      assert.match(out, /Signature Type: ETSI\.CAdES\.detached/);
      assert.match(out, /Total document signed/);
      const [check, ...more] = verifyPdfSignatures(signed, [pki.cert('ca.pem')]);
      assert.equal(more.length, 0);
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.valid, true);
      assert.match(check!.signer!.subject, name === 'RSA' ? /Ivanov Ivan/ : /Petrova Anna/);
      // Still a PDF that renders: poppler draws both pages.
      execFileSync('pdftoppm', ['-r', '20', '-png', file, join(tmp, `page-${name}`)]);
    });
  }

  it('the CMS inside is what OpenSSL calls valid CAdES: signed attributes and signing-certificate-v2', async () => {
    const signed = await signPdf(await makePdf(), ec);
    const m = /\/ByteRange \[(\d+) (\d+) (\d+) (\d+)\]/.exec(signed.toString('latin1'))!;
    const [, l1, s2, l2] = m.slice(1).map(Number) as [number, number, number, number];
    const content = join(tmp, 'ranges.bin');
    writeFileSync(content, Buffer.concat([signed.subarray(0, l1), signed.subarray(s2, s2 + l2)]));
    const hex = Buffer.from(signed.subarray(l1 + 1, s2 - 1).toString('latin1'), 'hex');
    const cms = join(tmp, 'sig.der');
    writeFileSync(cms, hex.subarray(0, derLength(hex)));
    const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', cms, '-content', content, '-CAfile', pki.file('ca.pem'), '-purpose', 'any', '-out', '/dev/null'], {
      encoding: 'utf8',
    });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /CMS Verification successful/);
    const printed = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', cms], { encoding: 'utf8' });
    const attrs = printed.slice(printed.indexOf('signedAttrs:'), printed.indexOf('signatureAlgorithm:', printed.indexOf('signedAttrs:')));
    assert.match(attrs, /contentType/);
    assert.match(attrs, /messageDigest/);
    assert.match(attrs, /id-smime-aa-signingCertificateV2/);
    assert.doesNotMatch(attrs, /signingTime/, 'PAdES-B puts the time in /M, not in a signing-time attribute');
  });

  it('a signer under an intermediate CA: the CMS carries the chain, so trusting the root is enough', async () => {
    const staff = readPkcs12(pki.bytes('staff.p12'), pki.passphrase);
    assert.equal(staff.chain.length, 2);
    const file = join(tmp, 'staff.pdf');
    writeFileSync(file, await signPdf(await makePdf(), staff));
    const out = pdfsig(file);
    assert.match(out, /Signature is Valid\./);
    assert.match(out, /Certificate is Trusted\./);
    const [check] = verifyPdfSignatures(readFileSync(file), [pki.cert('ca.pem')]);
    assert.deepEqual(check!.problems, []);
    // Trusting only another CA is not enough, intermediate or not.
    const [other] = verifyPdfSignatures(readFileSync(file), [pki.cert('rogue-ca.pem')]);
    assert.deepEqual(other!.problems.map((p) => p.code), ['signing.verify.untrusted']);
  });

  it('one changed byte in the signed range: pdfsig and Amur reject', async () => {
    const signed = await signPdf(await makePdf(), rsa);
    const at = signed.indexOf(Buffer.from('/Title'));
    assert.ok(at > 0);
    signed[at + 8] = signed[at + 8]! ^ 0x01;
    const file = join(tmp, 'tampered.pdf');
    writeFileSync(file, signed);
    assert.doesNotMatch(pdfsig(file), /Signature is Valid/);
    const [check] = verifyPdfSignatures(signed, [pki.cert('ca.pem')]);
    assert.equal(check!.valid, false);
    assert.ok(check!.problems.some((p) => p.code === 'signing.verify.pdfMismatch'));
  });

  it('bytes appended after signing: the signature no longer covers the file', async () => {
    const file = join(tmp, 'appended.pdf');
    writeFileSync(file, await signPdf(await makePdf(), rsa));
    appendFileSync(file, '\n1 0 obj\n<< /Evil true >>\nendobj\n');
    assert.doesNotMatch(pdfsig(file), /Total document signed/);
    const [check] = verifyPdfSignatures(readFileSync(file), [pki.cert('ca.pem')]);
    assert.equal(check!.valid, false);
    assert.ok(check!.problems.some((p) => p.code === 'signing.verify.pdfNotWholeFile'));
  });

  it('a signer outside the trusted set', async () => {
    const rogue = readPkcs12(pki.bytes('rogue.p12'), pki.passphrase);
    const file = join(tmp, 'rogue.pdf');
    writeFileSync(file, await signPdf(await makePdf(), rogue));
    const out = pdfsig(file);
    assert.match(out, /Signature is Valid/);
    assert.doesNotMatch(out, /Certificate is Trusted/);
    const [check] = verifyPdfSignatures(readFileSync(file), [pki.cert('ca.pem')]);
    assert.equal(check!.valid, false);
    assert.deepEqual(check!.problems.map((p) => p.code), ['signing.verify.untrusted']);
  });

  it('an expired certificate does not sign; a signed PDF is not signed again unless asked', async () => {
    const expired = readPkcs12(pki.bytes('expired.p12'), pki.passphrase);
    await assert.rejects(signPdf(await makePdf(), expired), (e: unknown) => e instanceof AmurError && e.code === 'signing.certificateExpired');
    const once = await signPdf(await makePdf(1), rsa);
    await assert.rejects(signPdf(once, ec), (e: unknown) => e instanceof AmurError && e.code === 'signing.alreadySigned');
  });

  it('a co-signature asked for on purpose: both signatures valid for pdfsig and Amur', async () => {
    const once = await signPdf(await makePdf(), rsa, { reason: 'Report verified' });
    const twice = await signPdf(once, ec, { addSignature: true, reason: 'Second reading', name: 'Петрова Анна' });
    const file = join(tmp, 'twice.pdf');
    writeFileSync(file, twice);
    const out = pdfsig(file);
    assert.equal(out.match(/Signature is Valid\./g)?.length, 2, out);
    assert.equal(out.match(/Certificate is Trusted\./g)?.length, 2, out);
    const checks = verifyPdfSignatures(twice, [pki.cert('ca.pem')]);
    assert.deepEqual(
      checks.map((c) => [c.valid, c.coversWholeFile]),
      [
        [true, false],
        [true, true],
      ],
    );
  });
});
