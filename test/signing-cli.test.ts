// `amur verify` and `amur identity` as a user runs them: one verdict per file in the reader's
// language, exit 0 only when every file is valid, and clear refusals.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import PDFDocument from 'pdfkit';
import { readPkcs12, signDicom, signPdf, writeSignedPackage } from '../core/signing/index.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { REPO_ROOT, shared } from './shared-data.js';

let pki: TestPki;
let tmp: string;
let home: string;
const files: Record<string, string> = {};

function amur(args: string[], lang = 'en'): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 240_000,
    env: { ...process.env, AMUR_HOME: home, AMUR_LANG: lang },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

async function pdf(): Promise<Buffer> {
  const doc = new PDFDocument();
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((r) => doc.on('end', () => r()));
  doc.text('Заключение / 报告 / Report');
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

before(async () => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  home = join(tmp, 'home');
  const rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
  files.sr = join(tmp, 'report-sr.dcm');
  writeFileSync(files.sr, signDicom(readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')), rsa));
  files.pdf = join(tmp, 'report.pdf');
  writeFileSync(files.pdf, await signPdf(await pdf(), rsa));
  files.manifest = writeSignedPackage(tmp, ['report-sr.dcm', 'report.pdf'], readPkcs12(pki.bytes('sm2.p12'), pki.passphrase)).manifest;
  files.unsigned = join(tmp, 'unsigned.dcm');
  writeFileSync(files.unsigned, readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')));
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('amur verify', () => {
  it('all valid: exit 0, a verdict per file naming the signer', () => {
    const r = amur(['verify', files.sr!, files.pdf!, files.manifest!, '--trust', pki.file('ca.pem')]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /report-sr\.dcm: VALID\n {2}✓ DICOM signature by CN=Ivanov Ivan, O=Amur tests, signed 20\d\d-/);
    assert.match(r.out, /report\.pdf: VALID\n {2}✓ PDF signature by CN=Ivanov Ivan/);
    assert.match(r.out, /package\.manifest\.json: VALID\n {2}✓ SM2 package signature by CN=Zhang Wei/);
    assert.match(r.out, /All 3 files are valid\./);
  });

  it('a folder stands for its files (the manifest covers its .sig)', () => {
    const r = amur(['verify', tmp, '--trust', pki.file('ca.pem'), '--json']);
    const names = (JSON.parse(r.out) as { path: string; valid: boolean }[]).map((v) => [v.path.slice(tmp.length + 1), v.valid]);
    for (const expected of [
      ['package.manifest.json', true],
      ['report-sr.dcm', true],
      ['report.pdf', true],
      ['unsigned.dcm', false],
    ]) {
      assert.ok(names.some((n) => n[0] === expected[0] && n[1] === expected[1]), JSON.stringify(names));
    }
    assert.ok(!names.some((n) => String(n[0]).endsWith('.sig')));
    assert.equal(r.code, 1);
  });

  it('trust given before the files and as several certificates works the same', () => {
    const r = amur(['verify', '--trust', pki.file('rogue-ca.pem'), pki.file('ca.pem'), files.sr!]);
    assert.equal(r.code, 0, r.out + r.err);
  });

  it('an untrusted signer and an unsigned file: exit 1 with the reasons, in Russian and Chinese too', () => {
    const r = amur(['verify', files.sr!, files.unsigned!, '--trust', pki.file('rogue-ca.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /report-sr\.dcm: INVALID[\s\S]*is not among the trusted certificates/);
    assert.match(r.out, /unsigned\.dcm: INVALID\n {2}- there is no signature/);
    assert.match(r.out, /2 of 2 files are not valid\./);
    const ru = amur(['verify', files.sr!, '--trust', pki.file('rogue-ca.pem')], 'ru');
    assert.match(ru.out, /НЕДЕЙСТВИТЕЛЬНА[\s\S]*не входит в число доверенных сертификатов/);
    const zh = amur(['verify', files.sr!, '--trust', pki.file('rogue-ca.pem')], 'zh-CN');
    assert.match(zh.out, /无效[\s\S]*不在受信任证书之列/);
  });

  it('a signature made with an expired certificate (by dcmsign) is refused with the reason', () => {
    const src = join(tmp, 'in.dcm');
    writeFileSync(src, readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')));
    const out = join(tmp, 'expired.dcm');
    spawnSync('dcmsign', ['--sign', pki.file('expired.key'), pki.file('expired.pem'), '-pw', '+m2', src, out]);
    const r = amur(['verify', out, '--trust', pki.file('ca.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /expired\.dcm: INVALID[\s\S]*the certificate of CN=Expired Signer, O=Amur tests had expired \(2021-06-01T00:00:00\.000Z\)/);
  });

  it('a changed PDF byte makes only that file invalid', () => {
    const changed = join(tmp, 'changed.pdf');
    const b = readFileSync(files.pdf!);
    b[200] = b[200]! ^ 0x20;
    writeFileSync(changed, b);
    const r = amur(['verify', files.sr!, changed, '--trust', pki.file('ca.pem')]);
    assert.equal(r.code, 1);
    assert.match(r.out, /report-sr\.dcm: VALID/);
    assert.match(r.out, /changed\.pdf: INVALID[\s\S]*the PDF has changed since it was signed/);
  });

  it('an Encapsulated PDF: the DICOM signature and the signature of the PDF inside are both checked', () => {
    const rsa = readPkcs12(pki.bytes('rsa.p12'), pki.passphrase);
    const wrap = (pdfFile: string, name: string) => {
      const raw = join(tmp, `${name}.raw.dcm`);
      execFileSync('pdf2dcm', [pdfFile, raw]);
      const signed = join(tmp, `${name}.dcm`);
      writeFileSync(signed, signDicom(readFileSync(raw), rsa));
      rmSync(raw);
      return signed;
    };
    const good = amur(['verify', wrap(files.pdf!, 'epdf'), '--trust', pki.file('ca.pem')]);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /epdf\.dcm: VALID\n {2}✓ DICOM signature by CN=Ivanov Ivan[^\n]*\n {2}✓ PDF \(inside the DICOM object\) signature by CN=Ivanov Ivan/);
    // A PDF changed before it was wrapped and signed as DICOM: the DICOM signature holds, the PDF's does not.
    const changed = join(tmp, 'changed-inner.pdf');
    const b = readFileSync(files.pdf!);
    b[300] = b[300]! ^ 0x20;
    writeFileSync(changed, b);
    const bad = amur(['verify', wrap(changed, 'epdf-bad'), '--trust', pki.file('ca.pem')]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /epdf-bad\.dcm: INVALID\n {2}✓ DICOM signature[^\n]*\n {2}✗ PDF \(inside the DICOM object\) signature[\s\S]*the PDF has changed since it was signed/);
  });

  it('--json gives the structured result', () => {
    const r = amur(['verify', files.sr!, '--trust', pki.file('ca.pem'), '--json']);
    assert.equal(r.code, 0);
    const [v] = JSON.parse(r.out) as { format: string; valid: boolean; signatures: { kind: string; signer: { subject: string } }[] }[];
    assert.equal(v!.format, 'dicom');
    assert.equal(v!.valid, true);
    assert.equal(v!.signatures[0]!.kind, 'dicom');
  });

  it('without --trust: a usage refusal, exit 2', () => {
    const r = amur(['verify', files.sr!]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--trust CERT\.pem/);
  });
});

describe('amur sign', () => {
  it('signs copies; refuses a signed file unless --add; a co-signature keeps both valid', async () => {
    const pass = join(tmp, 'sign-pass.txt');
    writeFileSync(pass, pki.passphrase);
    const plainPdf = join(tmp, 'plain.pdf');
    writeFileSync(plainPdf, await pdf());
    const out1 = join(tmp, 'out1');
    const first = amur(['sign', files.unsigned!, plainPdf, '--identity', pki.file('rsa.p12'), '--passphrase-file', pass, '--out', out1]);
    assert.equal(first.code, 0, first.err);
    assert.deepEqual(readFileSync(files.unsigned!), readFileSync(shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm')), 'the original is untouched');
    const v1 = amur(['verify', out1, '--trust', pki.file('ca.pem')]);
    assert.equal(v1.code, 0, v1.out);
    assert.equal(spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file('ca.pem'), join(out1, 'unsigned.dcm')]).status, 0);
    assert.match(spawnSync('pdfsig', [join(out1, 'plain.pdf')], { encoding: 'utf8' }).stdout, /Signature is Valid/);

    const out2 = join(tmp, 'out2');
    const again = amur(['sign', join(out1, 'unsigned.dcm'), '--identity', pki.file('ec.p12'), '--passphrase-file', pass, '--out', out2]);
    assert.equal(again.code, 1);
    assert.match(again.err, /is already signed, and a signed object is never changed/);
    assert.equal(existsSync(out2), false, 'nothing written');

    const cosign = amur(['sign', join(out1, 'unsigned.dcm'), '--add', '--purpose', 'review', '--identity', pki.file('ec.p12'), '--passphrase-file', pass, '--out', out2]);
    assert.equal(cosign.code, 0, cosign.err);
    const ref = spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file('ca.pem'), join(out2, 'unsigned.dcm')], { encoding: 'utf8' });
    assert.equal(ref.status, 0);
    assert.equal(`${ref.stdout}${ref.stderr}`.match(/Signature Verification : OK/g)?.length, 2);
    const v2 = amur(['verify', join(out2, 'unsigned.dcm'), '--trust', pki.file('ca.pem')]);
    assert.equal(v2.code, 0);
    assert.match(v2.out, /Ivanov Ivan[\s\S]*Petrova Anna/);
  });
});

describe('amur identity', () => {
  it('imports with the passphrase, refuses a wrong one, lists', () => {
    const pass = join(tmp, 'pass.txt');
    writeFileSync(pass, `${pki.passphrase}\n`);
    const wrong = join(tmp, 'wrong.txt');
    writeFileSync(wrong, 'wrong\n');
    const bad = amur(['identity', 'import', pki.file('ec.p12'), '--name', 'petrova', '--passphrase-file', wrong]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /The passphrase does not open .*ec\.p12/);
    const ok = amur(['identity', 'import', pki.file('ec.p12'), '--name', 'petrova', '--passphrase-file', pass]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /Imported petrova: CN=Petrova Anna/);
    const list = amur(['identity', 'list', '--json']);
    assert.deepEqual(
      (JSON.parse(list.out) as { name: string; keyAlgorithm: string }[]).map((i) => [i.name, i.keyAlgorithm]),
      [['petrova', 'ec']],
    );
  });
});
