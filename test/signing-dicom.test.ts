// DICOM digital signatures against the referee, dcmtk's dcmsign: what Amur signs dcmsign accepts,
// what dcmsign signs Amur accepts, and every later change is caught by both. The PKI is made with
// OpenSSL for this run (test/fixtures/pki/make-pki.sh).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { AmurError } from '../core/common/errors.js';
import { readPkcs12, signDicom, verifyDicomSignatures, type SigningIdentity } from '../core/signing/index.js';
import { find, parsePart10, tagOf } from '../core/signing/dicom-stream.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { PYDICOM_DATA, shared } from './shared-data.js';

// dcmjs ships no types; the little used here is typed loosely on purpose.
const dcmjs = createRequire(import.meta.url)('dcmjs') as any;

let pki: TestPki;
let tmp: string;
let rsa: SigningIdentity;
let ec: SigningIdentity;

function dcmsignVerify(file: string, trusted = 'ca.pem'): { ok: boolean; out: string } {
  const r = spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file(trusted), file], { encoding: 'utf8', input: '', timeout: 120_000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
}

function write(name: string, bytes: Uint8Array): string {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

function amurVerify(file: string) {
  return verifyDicomSignatures(readFileSync(file), [pki.cert('ca.pem')], file);
}

/** A file written by dcmjs (as the report writers do): the sample SR read and written again. */
function dcmjsWritten(): Buffer {
  const src = readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm'));
  const dict = dcmjs.data.DicomMessage.readFile(src.buffer.slice(src.byteOffset, src.byteOffset + src.byteLength));
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  ds.PatientName = 'Wang^Fang';
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta);
  meta.TransferSyntaxUID = '1.2.840.10008.1.2.1';
  const out = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  out.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return Buffer.from(out.write());
}

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
  ec = readPkcs12(pki.bytes('ec.p12'), pki.passphrase);
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

const inputs: [string, () => Buffer][] = [
  ['the dcmjs sample SR', () => readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm'))],
  ['a file written by dcmjs', dcmjsWritten],
  ['a CT slice (pydicom CT_small)', () => readFileSync(join(PYDICOM_DATA, 'test_files', 'CT_small.dcm'))],
  ['a GE CT slice (dcm_qa_ct)', () => readFileSync(shared('dicom', 'dcm_qa_ct', 'In', 'GE', '14.dcm'))],
  ['an Encapsulated PDF made by dcmtk pdf2dcm', encapsulatedPdf],
  ['a JPEG baseline image (encapsulated pixel data)', () => readFileSync(join(PYDICOM_DATA, 'test_files', 'SC_rgb_jpeg_dcmtk.dcm'))],
  ['a JPEG 2000 image', () => readFileSync(join(PYDICOM_DATA, 'test_files', 'JPEG2000.dcm'))],
  ['an RLE image', () => readFileSync(join(PYDICOM_DATA, 'test_files', 'MR_small_RLE.dcm'))],
];

/** An Encapsulated PDF object made by dcmtk's pdf2dcm from a one-page PDF. */
function encapsulatedPdf(): Buffer {
  const pdf = join(tmp, 'one-page.pdf');
  // The smallest complete PDF: catalog, page tree, one empty page; pdf2dcm checks the header only.
  writeFileSync(
    pdf,
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n' +
      '3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\ntrailer << /Root 1 0 R /Size 4 >>\n%%EOF\n',
  );
  const out = join(tmp, 'epdf.dcm');
  execFileSync('pdf2dcm', [pdf, out]);
  return readFileSync(out);
}

describe('Amur signs, dcmsign verifies', () => {
  for (const [what, load] of inputs) {
    for (const key of ['rsa', 'ec'] as const) {
      it(`${what}, ${key.toUpperCase()} key`, () => {
        const original = load();
        const signed = signDicom(original, key === 'rsa' ? rsa : ec);
        const file = write(`signed-${key}.dcm`, signed);
        const ref = dcmsignVerify(file);
        assert.ok(ref.ok, ref.out);
        assert.match(ref.out, /Signature Verification : OK/);
        const [check, ...more] = amurVerify(file);
        assert.equal(more.length, 0);
        assert.deepEqual(check!.problems, []);
        assert.equal(check!.valid, true);
        assert.equal(check!.macAlgorithm, 'SHA256');
        assert.equal(check!.purpose, '5 Verification Signature');
        assert.match(check!.signer!.subject, key === 'rsa' ? /Ivanov Ivan/ : /Petrova Anna/);
        if (what === 'the dcmjs sample SR' && key === 'rsa') {
          // dcmtk's SR RSA signature profile check (what a report's signature must satisfy).
          const sr = spawnSync('dcmsign', ['--verify', '+rs', '+cf', pki.file('ca.pem'), file], { encoding: 'utf8' });
          assert.equal(sr.status, 0, `${sr.stdout}${sr.stderr}`);
        }
        // Nothing of the original data set changed: its bytes are all still there, in order.
        const part = parsePart10(original);
        for (const el of part.elements) {
          assert.ok(signed.includes(original.subarray(el.start, el.end)), `element ${el.tag.toString(16)} kept`);
        }
      });
    }
  }

  it('the signature survives re-encoding by dcmtk (undefined lengths), in both verifiers', () => {
    const file = write('signed.dcm', signDicom(inputs[0]![1](), rsa));
    const recoded = join(tmp, 'recoded.dcm');
    execFileSync('dcmconv', ['-e', file, recoded]);
    assert.notDeepEqual(readFileSync(recoded), readFileSync(file));
    assert.ok(dcmsignVerify(recoded).ok);
    assert.equal(amurVerify(recoded)[0]!.valid, true);
  });
});

describe('dcmsign signs, Amur verifies', () => {
  for (const [key, mac, input] of [
    ['rsa', '+m2', 0],
    ['rsa', '+mr', 0],
    ['ec', '+m2', 0],
    ['rsa', '+m2', 2],
    ['ec', '+m2', 5],
    ['rsa', '+m2', 6],
  ] as const) {
    it(`${inputs[input]![0]}, ${key.toUpperCase()} key, MAC option ${mac}`, () => {
      const src = write('in.dcm', inputs[input]![1]());
      const out = join(tmp, 'dcmsign.dcm');
      execFileSync('dcmsign', ['--sign', pki.file(`${key}.key`), pki.file(`${key}.pem`), '-pw', mac, '+sp', '5', src, out], { stdio: 'ignore' });
      const [check] = amurVerify(out);
      assert.deepEqual(check!.problems, []);
      assert.equal(check!.valid, true);
      assert.equal(check!.macAlgorithm, mac === '+mr' ? 'RIPEMD160' : 'SHA256');
    });
  }
});

describe('any later change is caught by dcmsign and by Amur', () => {
  const signedFile = (name: string, source = 0) => write(name, signDicom(inputs[source]![1](), rsa));
  const bothReject = (file: string, code: string) => {
    assert.equal(dcmsignVerify(file).ok, false, 'dcmsign rejects');
    const [check] = amurVerify(file);
    assert.equal(check!.valid, false);
    assert.ok(
      check!.problems.some((p) => p.code === code),
      JSON.stringify(check!.problems),
    );
  };

  it('a changed PatientName', () => {
    const file = signedFile('pn.dcm');
    execFileSync('dcmodify', ['-nb', '-m', '(0010,0010)=Changed^Name', file]);
    bothReject(file, 'signing.verify.dicomMismatch');
  });

  it('an element added after signing: dcmsign still says OK (the standard allows it), Amur does not', () => {
    const file = signedFile('added.dcm');
    execFileSync('dcmodify', ['-nb', '-i', '(0010,1030)=70', file]);
    assert.ok(dcmsignVerify(file).ok, 'dcmsign only checks the listed elements');
    const [check] = amurVerify(file);
    assert.equal(check!.valid, false);
    assert.deepEqual(check!.problems, [{ code: 'signing.verify.elementsNotCovered', params: { count: 1, tags: '(0010,1030)' } }]);
  });

  it('a changed text value deep in the SR content tree', () => {
    const file = signedFile('text.dcm');
    const b = readFileSync(file);
    // A TEXT content item's Text Value (0040,A160): change one character of its value.
    const el = Buffer.from([0x40, 0x00, 0x60, 0xa1, 0x55, 0x54]);
    const at = b.indexOf(el);
    assert.ok(at > 0, 'the SR has a Text Value');
    b[at + 12] = b[at + 12]! ^ 0x01;
    writeFileSync(file, b);
    bothReject(file, 'signing.verify.dicomMismatch');
  });

  it('one changed byte of the pixel data', () => {
    const file = signedFile('pixel.dcm', 2);
    const b = readFileSync(file);
    const pixel = find(parsePart10(b).elements, tagOf(0x7fe0, 0x0010))!;
    b[pixel.valueStart + 1000] = b[pixel.valueStart + 1000]! ^ 0x10;
    writeFileSync(file, b);
    bothReject(file, 'signing.verify.dicomMismatch');
  });

  it('one changed byte in a compressed (encapsulated) frame', () => {
    const file = signedFile('jpeg.dcm', 5);
    const b = readFileSync(file);
    const pixel = find(parsePart10(b).elements, tagOf(0x7fe0, 0x0010))!;
    const lastFragment = pixel.fragments![pixel.fragments!.length - 1]!;
    const at = lastFragment.start + 8 + 100;
    b[at] = b[at]! ^ 0x01;
    writeFileSync(file, b);
    bothReject(file, 'signing.verify.dicomMismatch');
  });

  it('a signing time in the future is not believed', () => {
    const file = write('future-time.dcm', signDicom(inputs[0]![1](), rsa, { now: new Date('2035-01-01T00:00:00Z') }));
    const [check] = amurVerify(file);
    assert.deepEqual(check!.problems, [{ code: 'signing.verify.signedInFuture', params: { date: '2035-01-01T00:00:00.000Z' } }]);
  });

  it('the signer certificate removed', () => {
    const file = signedFile('nocert.dcm');
    execFileSync('dcmodify', ['-nb', '-e', '(fffa,fffa)[0].(0400,0115)', file]);
    bothReject(file, 'signing.verify.noCertificate');
  });

  it('a signer outside the trusted set', () => {
    const rogue = readPkcs12(pki.bytes('rogue.p12'), pki.passphrase);
    const file = write('rogue.dcm', signDicom(inputs[0]![1](), rogue));
    bothReject(file, 'signing.verify.untrusted');
    // …while the same file is valid to a reader who trusts the rogue CA: only trust failed.
    assert.ok(dcmsignVerify(file, 'rogue-ca.pem').ok);
    assert.equal(verifyDicomSignatures(readFileSync(file), [pki.cert('rogue-ca.pem')])[0]!.valid, true);
  });

  it('a signer under an intermediate CA: a DICOM signature carries the signer certificate only', () => {
    const staff = readPkcs12(pki.bytes('staff.p12'), pki.passphrase);
    const file = write('staff.dcm', signDicom(inputs[0]![1](), staff));
    // The root alone cannot be reached from the leaf, for dcmsign as for Amur …
    bothReject(file, 'signing.verify.untrusted');
    // … with the intermediate supplied it is valid (dcmsign takes it as an untrusted intermediate,
    // +uf; Amur takes every certificate the reader names as trusted, so the root is not needed then).
    const r = spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file('ca.pem'), '+uf', pki.file('hospital-ca.pem'), file], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    assert.equal(verifyDicomSignatures(readFileSync(file), [pki.cert('ca.pem'), pki.cert('hospital-ca.pem')])[0]!.valid, true);
    assert.equal(verifyDicomSignatures(readFileSync(file), [pki.cert('hospital-ca.pem')])[0]!.valid, true);
  });

  it('a signature made with an expired certificate (made by dcmsign, since Amur refuses)', () => {
    const src = write('in-exp.dcm', inputs[0]![1]());
    const out = join(tmp, 'expired.dcm');
    execFileSync('dcmsign', ['--sign', pki.file('expired.key'), pki.file('expired.pem'), '-pw', '+m2', src, out], { stdio: 'ignore' });
    bothReject(out, 'signing.verify.certificateExpired');
  });
});

describe('refusals', () => {
  it('an expired or not yet valid certificate does not sign', () => {
    for (const [name, code] of [
      ['expired.p12', 'signing.certificateExpired'],
      ['future.p12', 'signing.certificateNotYetValid'],
    ] as const) {
      const id = readPkcs12(pki.bytes(name), pki.passphrase);
      assert.throws(() => signDicom(inputs[0]![1](), id), (e: unknown) => e instanceof AmurError && e.code === code);
    }
  });

  it('a certificate meant for key encipherment only does not sign, and its signatures are refused', () => {
    const encipher = readPkcs12(pki.bytes('encipher.p12'), pki.passphrase);
    assert.throws(() => signDicom(inputs[0]![1](), encipher), (e: unknown) => e instanceof AmurError && e.code === 'signing.certificateNotForSigning');
    const src = write('in-enc.dcm', inputs[0]![1]());
    const out = join(tmp, 'encipher.dcm');
    execFileSync('dcmsign', ['--sign', pki.file('encipher.key'), pki.file('encipher.pem'), '-pw', '+m2', src, out], { stdio: 'ignore' });
    const [check] = amurVerify(out);
    assert.deepEqual(check!.problems.map((p) => p.code), ['signing.verify.certificateNotForSigning']);
  });

  it('a signed object is not signed again unless a further signature is asked for', () => {
    const once = signDicom(inputs[0]![1](), rsa);
    assert.throws(() => signDicom(once, ec), (e: unknown) => e instanceof AmurError && e.code === 'signing.alreadySigned');
    const twice = signDicom(once, ec, { addSignature: true, purpose: 'review' });
    const file = write('twice.dcm', twice);
    const ref = dcmsignVerify(file);
    assert.ok(ref.ok, ref.out);
    assert.equal(ref.out.match(/Signature Verification : OK/g)?.length, 2);
    const checks = amurVerify(file);
    assert.deepEqual(
      checks.map((c) => [c.valid, c.purpose]),
      [
        [true, '5 Verification Signature'],
        [true, '13 Review Signature'],
      ],
    );
  });

  it('an Implicit VR file is refused with the reason', () => {
    const src = write('explicit.dcm', inputs[0]![1]());
    const implicit = join(tmp, 'implicit.dcm');
    execFileSync('dcmconv', ['+ti', src, implicit]);
    assert.throws(
      () => signDicom(readFileSync(implicit), rsa, { path: implicit }),
      (e: unknown) => e instanceof AmurError && e.code === 'signing.unsupportedTransferSyntax' && e.params.path === implicit,
    );
  });
});
