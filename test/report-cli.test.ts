// `amur report draft` and `amur report sign` end to end, as a user runs them: a real head CT imported
// with `amur import` into a fresh AMUR_HOME, a draft printed for it, filled, and signed with a
// PKCS#12 identity from the test PKI (made with OpenSSL for this run). The outputs are checked by
// the referees: dcmsign --verify, pdfsig, openssl (SM2), dciodvfy, dsrdump, pdffonts, pdftotext,
// and by `amur verify`; and every failure leaves nothing behind in the output folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readPart10 } from '../core/reports/dcmjs.js';
import { validateDraft, type ReportDraft } from '../core/reports/draft.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { dciodvfy, dsrdump } from './report-dicom-tools.js';
import { filledDraft, headCtFiles } from './report-fixtures.js';
import { REPO_ROOT } from './shared-data.js';

let pki: TestPki;
let tmp: string;
let home: string;
let studyUID: string;

function amur(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

let printedDraft: string | undefined;

/** A draft as `amur report draft` prints it (printed once per set of arguments), filled as in the other report tests. */
function draftFor(extraArgs: string[] = []): ReportDraft {
  let text = extraArgs.length ? undefined : printedDraft;
  if (!text) {
    const r = amur(['report', 'draft', '--study', studyUID, ...extraArgs]);
    assert.equal(r.status, 0, r.stderr);
    text = r.stdout;
    if (!extraArgs.length) printedDraft = text;
  }
  const printed = JSON.parse(text) as ReportDraft;
  const filled = filledDraft(printed.study);
  return { ...filled, draftId: printed.draftId, createdAt: printed.createdAt, predecessor: printed.predecessor };
}

function writeDraft(d: ReportDraft): string {
  const f = join(tmp, `draft-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(d, null, 2));
  return f;
}

function sign(draftFile: string, out: string, identity = 'rsa.p12', env: Record<string, string> = {}, extra: string[] = []) {
  return amur(['report', 'sign', draftFile, '--identity', pki.file(identity), '--passphrase-file', pki.file('passphrase.txt'), '--out', out, ...extra], env);
}

const dcmsignVerify = (file: string, extra: string[] = []) => run('dcmsign', ['--verify', ...extra, '+rg', '+cf', pki.file('ca.pem'), file]);

before(() => {
  pki = makePki();
  tmp = mkdtempSync(join(tmpdir(), 'amur-'));
  home = join(tmp, 'home');
  const files = headCtFiles();
  const r = amur(['import', join(files[0]!, '..')]);
  assert.equal(r.status, 0, r.stderr);
  studyUID = readPart10(readFileSync(files[0]!), { untilTag: '7FE00010' }).dataset.StudyInstanceUID;
});
after(() => {
  pki.remove();
  rmSync(tmp, { recursive: true, force: true });
});

describe('amur report draft', () => {
  it('prints a valid draft for a study in the store, with the fitting template and all its images', () => {
    const r = amur(['report', 'draft', '--study', studyUID]);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as ReportDraft;
    validateDraft(d, 'stdout');
    assert.equal(d.format, 'amur.report-draft/1');
    assert.equal(d.template.id, 'ct-head');
    assert.deepEqual(d.languages, { partner: 'zh-CN', reader: 'en' });
    assert.equal(d.study.StudyInstanceUID, studyUID);
    assert.equal(d.study.PatientID, 'PLASTIC');
    assert.equal(d.study.series.flatMap((s) => s.instances).length, 28);
  });

  it('takes --template and --reader', () => {
    const r = amur(['report', 'draft', '--study', studyUID, '--template', 'ct-chest', '--reader', 'ru']);
    assert.equal(r.status, 0, r.stderr);
    const d = JSON.parse(r.stdout) as ReportDraft;
    assert.equal(d.template.id, 'ct-chest');
    assert.equal(d.languages.reader, 'ru');
  });

  it('refuses a study that is not in the store, in the reader\'s language', () => {
    const r = amur(['report', 'draft', '--study', '1.2.3.4'], { AMUR_LANG: 'ru' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Исследования 1\.2\.3\.4 нет в локальном хранилище/);
    assert.equal(r.stdout, '');
  });
});

describe('amur report sign', () => {
  let out: string;
  let draft: ReportDraft;
  before(() => {
    draft = draftFor();
    out = join(tmp, 'signed');
    const r = sign(writeDraft(draft), out);
    assert.equal(r.status, 0, r.stderr);
  });

  it('writes the SR, the Encapsulated PDF and the PDF, and nothing else', () => {
    assert.deepEqual(readdirSync(out).sort(), ['report-pdf.dcm', 'report-sr.dcm', 'report.pdf']);
  });

  it('signs the PDF so that pdfsig validates it, also inside the Encapsulated PDF', () => {
    const v = run('pdfsig', [join(out, 'report.pdf')]);
    assert.equal(v.status, 0, v.out);
    assert.match(v.out, /Signature Validation: Signature is Valid\./);
    assert.match(v.out, /Signer full Distinguished Name: .*CN=/);
    const { dataset: enc } = readPart10(readFileSync(join(out, 'report-pdf.dcm')));
    const inner = join(tmp, 'inner.pdf');
    writeFileSync(inner, Buffer.from(enc.EncapsulatedDocument[0] ?? enc.EncapsulatedDocument).subarray(0, enc.EncapsulatedDocumentLength));
    assert.match(run('pdfsig', [inner]).out, /Signature Validation: Signature is Valid\./);
  });

  it('passes amur verify against the test CA, and fails it against another', () => {
    const files = readdirSync(out).map((f) => join(out, f));
    const ok = amur(['verify', ...files, '--trust', pki.file('ca.pem')]);
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
    const bad = amur(['verify', ...files, '--trust', pki.file('rogue-ca.pem')]);
    assert.equal(bad.status, 1, bad.stdout);
  });

  it('signs both DICOM objects so that dcmsign --verify accepts them (SR also under its RSA SR profile)', () => {
    for (const f of ['report-sr.dcm', 'report-pdf.dcm']) {
      const v = dcmsignVerify(join(out, f));
      assert.equal(v.status, 0, v.out);
      assert.match(v.out, /Signature Verification : OK/);
    }
    const sr = dcmsignVerify(join(out, 'report-sr.dcm'), ['+rs']);
    assert.equal(sr.status, 0, sr.out);
  });

  it('catches a changed PatientName with dcmsign', () => {
    const bytes = readFileSync(join(out, 'report-sr.dcm'));
    const at = bytes.indexOf(Buffer.from('PLASTIC'));
    assert.ok(at > 0);
    bytes[at] = 'Q'.charCodeAt(0);
    const f = join(tmp, 'tampered.dcm');
    writeFileSync(f, bytes);
    const v = dcmsignVerify(f);
    assert.notEqual(v.status, 0);
    assert.match(v.out, /Signature Verification : signature verification failed/);
  });

  it('gives objects dciodvfy accepts and dsrdump reads', () => {
    for (const [f, iod] of [['report-sr.dcm', 'ComprehensiveSR'], ['report-pdf.dcm', 'EncapsulatedPDF']] as const) {
      const v = dciodvfy(join(out, f));
      assert.deepEqual([v.iod, v.errors, v.unexplained], [iod, [], []]);
    }
    const d = dsrdump(join(out, 'report-sr.dcm'));
    assert.equal(d.status, 0, d.out);
    assert.match(d.out, /颅内出血/);
  });

  it('reads back to what the draft said, and the encapsulated PDF is the PDF file', () => {
    const r = readReportSR(readFileSync(join(out, 'report-sr.dcm')));
    assert.equal(r.StudyInstanceUID, studyUID);
    assert.equal(r.verificationFlag, 'VERIFIED');
    assert.equal(r.findings.length, 3);
    assert.equal(r.measurements.length, 2);
    assert.deepEqual(r.impression, draft.impression);
    const { dataset: enc } = readPart10(readFileSync(join(out, 'report-pdf.dcm')));
    const pdf = readFileSync(join(out, 'report.pdf'));
    const inner = Buffer.from(enc.EncapsulatedDocument[0] ?? enc.EncapsulatedDocument).subarray(0, enc.EncapsulatedDocumentLength);
    assert.ok(inner.equals(pdf));
    assert.equal(enc.SourceInstanceSequence[0].ReferencedSOPInstanceUID, r.SOPInstanceUID);
    assert.match(run('pdffonts', [join(out, 'report.pdf')]).out, /NotoSansSC-Regular/);
    assert.match(run('pdftotext', [join(out, 'report.pdf'), '-']).out, new RegExp(r.SOPInstanceUID.replace(/\./g, '\\.')));
    // Whose key signed is printed beside the radiologist's name.
    assert.match(run('pdftotext', [join(out, 'report.pdf'), '-']).out.replace(/\s+/g, ' '), /签名证书 \/ Сертификат подписи CN=Ivanov Ivan, O=Amur tests \([0-9A-F]+\)/);
  });

  it('never overwrites a signed report: a second signing into the same folder is refused', () => {
    const before = readFileSync(join(out, 'report-sr.dcm'));
    const r = sign(writeDraft(draft), out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /never overwritten/);
    assert.ok(readFileSync(join(out, 'report-sr.dcm')).equals(before));
    assert.deepEqual(readdirSync(out).sort(), ['report-pdf.dcm', 'report-sr.dcm', 'report.pdf']);
  });

  it('adds the SM2-with-SM3 package signature with an SM2 identity, which openssl verifies', () => {
    const out3 = join(tmp, 'sm2');
    const r = sign(writeDraft(draftFor()), out3, 'rsa.p12', {}, ['--sm2-identity', pki.file('sm2.p12')]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out3).sort(), ['package.manifest.json', 'package.manifest.json.sig', 'report-pdf.dcm', 'report-sr.dcm', 'report.pdf']);
    const manifest = JSON.parse(readFileSync(join(out3, 'package.manifest.json'), 'utf8'));
    assert.deepEqual(manifest.files.map((f: { name: string }) => f.name).sort(), ['report-pdf.dcm', 'report-sr.dcm', 'report.pdf']);
    const v = run('openssl', ['dgst', '-sm3', '-verify', pki.file('sm2.pub.pem'), '-sigopt', 'distid:1234567812345678',
      '-signature', join(out3, 'package.manifest.json.sig'), join(out3, 'package.manifest.json')]);
    assert.equal(v.status, 0, v.out);
    assert.match(v.out, /Verified OK/);
  });

  it('signs an amendment anew, referencing its predecessor', () => {
    const amended = draftFor(['--amends', join(out, 'report-sr.dcm')]);
    const first = readReportSR(readFileSync(join(out, 'report-sr.dcm')));
    assert.equal(amended.predecessor?.SOPInstanceUID, first.SOPInstanceUID);
    amended.impression = [{ lang: 'ru', text: 'Исправлено: внутримозговая гематома.' }, { lang: 'zh-CN', text: '更正：脑内血肿。' }];
    const out2 = join(tmp, 'amended');
    const r = sign(writeDraft(amended), out2);
    assert.equal(r.status, 0, r.stderr);
    const second = readReportSR(readFileSync(join(out2, 'report-sr.dcm')));
    assert.equal(second.predecessor, first.SOPInstanceUID);
    assert.notEqual(second.SOPInstanceUID, first.SOPInstanceUID);
    assert.equal(dcmsignVerify(join(out2, 'report-sr.dcm')).status, 0);
    assert.match(run('pdftotext', [join(out2, 'report.pdf'), '-']).out, new RegExp(first.SOPInstanceUID.replace(/\./g, '\\.')));
  });
});

describe('tampering with a signed report is caught by dcmsign, pdfsig and amur verify', () => {
  let out: string;
  before(() => {
    out = join(tmp, 'to-tamper');
    assert.equal(sign(writeDraft(draftFor()), out).status, 0);
  });

  /** Copies a signed file with one change; returns the copy's path. */
  function tampered(name: string, change: (b: Buffer) => void): string {
    const b = readFileSync(join(out, name));
    change(b);
    const f = join(tmp, `tampered-${Math.random().toString(36).slice(2)}-${name}`);
    writeFileSync(f, b);
    return f;
  }
  const amurVerify = (f: string) => amur(['verify', f, '--trust', pki.file('ca.pem')]);

  it('a changed text value deep in the SR content tree', () => {
    // "Внутримозговая" → "Гнутримозговая": one UTF-8 byte of the impression, still valid text.
    const f = tampered('report-sr.dcm', (b) => {
      const at = b.indexOf(Buffer.from('Внутримозговая'));
      assert.ok(at > 0);
      b[at + 1] = b[at + 1]! + 1;
    });
    assert.match(readReportSR(readFileSync(f)).impression[0]!.text, /^Гнутримозговая/);
    assert.notEqual(dcmsignVerify(f).status, 0);
    assert.equal(amurVerify(f).status, 1);
  });

  it('a changed byte of the PDF', () => {
    const f = tampered('report.pdf', (b) => {
      const at = b.indexOf(Buffer.from('/Producer'));
      b[at + 12] = b[at + 12]! ^ 0x01;
    });
    assert.doesNotMatch(run('pdfsig', [f]).out, /Signature is Valid/);
    assert.equal(amurVerify(f).status, 1);
  });

  it('a changed byte of the PDF inside the Encapsulated PDF', () => {
    const f = tampered('report-pdf.dcm', (b) => {
      const at = b.indexOf(Buffer.from('%PDF-'));
      b[at + 200] = b[at + 200]! ^ 0x01;
    });
    assert.notEqual(dcmsignVerify(f).status, 0);
    assert.equal(amurVerify(f).status, 1);
  });

  it('a report signed by someone outside the trusted set', () => {
    const rogue = join(tmp, 'rogue');
    assert.equal(sign(writeDraft(draftFor()), rogue, 'rogue.p12').status, 0);
    const v = amur(['verify', ...readdirSync(rogue).map((f) => join(rogue, f)), '--trust', pki.file('ca.pem'), '--json']);
    assert.equal(v.status, 1);
    const verdicts = JSON.parse(v.stdout) as { path: string; valid: boolean }[];
    assert.equal(verdicts.length, 3);
    for (const x of verdicts) assert.equal(x.valid, false, x.path);
    assert.notEqual(dcmsignVerify(join(rogue, 'report-sr.dcm')).status, 0);
  });
});

describe('amur report sign failures leave nothing behind', () => {
  const cases: { name: string; draft: (d: ReportDraft) => void; identity?: string; passphrase?: string; message: RegExp }[] = [
    { name: 'wrong passphrase', draft: () => {}, passphrase: 'not-the-passphrase', message: /The passphrase does not open .*rsa\.p12/ },
    { name: 'expired certificate', draft: () => {}, identity: 'expired.p12', message: /expired on .*it can no longer sign/ },
    { name: 'an AI finding not yet decided', draft: (d) => { d.aiFindings[0]!.status = 'proposed'; }, message: /neither accepted nor rejected/ },
    { name: 'a certificate that names no organisation', draft: () => {}, identity: 'noorg.p12', message: /The signing certificate \(CN=Orlov Oleg\) names no organisation \(O\)/ },
    { name: 'a finding the template does not have', draft: (d) => { d.findings.push({ id: 'no-such-finding' }); }, message: /field findings\[2\]\.id/ },
    { name: 'a measurement on an image outside the study', draft: (d) => { d.measurements[0]!.image.SOPInstanceUID = '1.2.3'; }, message: /field measurements\[0\]\.image/ },
    { name: 'a character the report font lacks', draft: (d) => { d.impression.push({ lang: 'zh-CN', text: '𠀀' }); }, message: /U\+20000/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = draftFor();
      c.draft(d);
      const out = join(tmp, `fail-${Math.random().toString(36).slice(2)}`);
      let passFile = pki.file('passphrase.txt');
      if (c.passphrase) {
        passFile = join(tmp, 'wrong-pass.txt');
        writeFileSync(passFile, c.passphrase);
      }
      const r = amur(['report', 'sign', writeDraft(d), '--identity', pki.file(c.identity ?? 'rsa.p12'), '--passphrase-file', passFile, '--out', out]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stderr, /^amur report: /);
      assert.match(r.stderr, c.message);
      assert.doesNotMatch(r.stderr, /Internal error/);
      assert.equal(existsSync(out), false, 'the output folder must not be left behind');
    });
  }

  it('an existing output folder keeps only what it had', () => {
    const out = join(tmp, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'other.txt'), 'not ours');
    const d = draftFor();
    d.aiFindings[0]!.status = 'proposed';
    const r = sign(writeDraft(d), out, 'rsa.p12', { AMUR_LANG: 'zh-CN' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /尚未接受或拒绝/);
    assert.deepEqual(readdirSync(out), ['other.txt']);
  });
});

describe('amur report sign: the reader is the certificate, and what a radiologist would not sign is refused (rule 3)', () => {
  /** The head CT draft as printed, filled, with the typed observer of another doctor and clinic. */
  function typedByAnother(): ReportDraft {
    const d = draftFor();
    d.observer = { name: 'Petrov^Sergei', organization: 'Other Clinic' };
    return d;
  }
  const pdfText = (f: string) => run('pdftotext', [f, '-']).out.replace(/\s+/g, ' ');
  const dump = (f: string) => run('dcmdump', ['+U8', '+P', 'VerifyingObserverName', '+P', 'VerifyingOrganization', '+P', 'PersonName', '+P', 'TextValue', f]).out;

  it('signs a draft naming another doctor with the certificate\'s name and organisation, and says so first', () => {
    const out = join(tmp, 'observer-rsa');
    const r = sign(writeDraft(typedByAnother()), out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.split('\n')[0]!, /^Signing as Ivanov Ivan, Amur tests \(the reading radiologist named in the report, from the certificate CN=Ivanov Ivan, O=Amur tests\)$/);
    const d = dump(join(out, 'report-sr.dcm'));
    assert.match(d, /\(0040,a075\) PN \[Ivanov Ivan\^\]/, 'VerifyingObserverName');
    assert.match(d, /\(0040,a027\) LO \[Amur tests\]/, 'VerifyingOrganization');
    assert.match(d, /\(0040,a123\) PN \[Ivanov Ivan\^\]/, 'Person Observer Name in the observer context');
    assert.doesNotMatch(d, /Petrov|Other Clinic/);
    const sr = readReportSR(readFileSync(join(out, 'report-sr.dcm')));
    assert.deepEqual([sr.observerName, sr.verifyingObserverName], ['Ivanov Ivan^', 'Ivanov Ivan^']);
    const text = pdfText(join(out, 'report.pdf'));
    assert.match(text, /Ivanov Ivan/);
    assert.match(text, /Amur tests/);
    assert.doesNotMatch(text, /Petrov|Sergei|Other Clinic/);
  });

  it('writes a Cyrillic certificate\'s surname and given name as the Person Name, in Russian', () => {
    const out = join(tmp, 'observer-ru');
    const r = sign(writeDraft(typedByAnother()), out, 'reader-ru.p12', { AMUR_LANG: 'ru' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Подписывает Кузнецова Мария, Городская больница №1 /);
    const d = dump(join(out, 'report-sr.dcm'));
    assert.match(d, /\(0040,a075\) PN \[Кузнецова\^Мария\]/);
    assert.match(d, /\(0040,a027\) LO \[Городская больница №1\]/);
    assert.match(pdfText(join(out, 'report.pdf')), /Мария Кузнецова|Кузнецова Мария/);
  });

  it('no longer takes a typed observer when the draft is made', () => {
    const r = amur(['report', 'draft', '--study', studyUID, '--observer', 'Petrov^Sergei']);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /the signed report names the person and organisation of the signing certificate/);
  });

  /** Signs a draft that must be refused: exit 1, nothing written, the draft file unchanged. */
  function refused(d: ReportDraft, lang: string, extra: string[] = []) {
    const file = writeDraft(d);
    const before = readFileSync(file);
    const out = join(tmp, `refused-${Math.random().toString(36).slice(2)}`);
    const r = sign(file, out, 'rsa.p12', { AMUR_LANG: lang }, extra);
    assert.equal(r.status, 1, r.stdout);
    assert.equal(existsSync(out), false, 'nothing is written');
    assert.ok(readFileSync(file).equals(before), 'the draft is still there, unchanged');
    assert.doesNotMatch(r.stderr, /observer\.|findings\[|[0-9a-f]{8}-[0-9a-f]{4}-|\{\{/, 'no internal names');
    return r;
  }

  it('refuses a report with no finding, no text and no impression (the only AI proposal rejected)', () => {
    const d = draftFor();
    d.findings = [];
    d.texts = [d.texts[0]!]; // the clinical history only
    d.impression = [];
    d.aiFindings = [{ ...d.aiFindings[0]!, status: 'rejected' }];
    const r = refused(d, 'ru');
    assert.match(r.stderr, /^amur report: Это заключение нельзя подписать:\n {2}– В заключении нет ни находки, ни текста, ни вывода — подписывать нечего\n$/);
  });

  it('refuses "no abnormality" with a positive finding, naming both by their labels', () => {
    const d = draftFor();
    d.findings = [{ id: 'normal' }, ...d.findings];
    const r = refused(d, 'zh-CN');
    assert.match(r.stderr, /“颅内未见明显异常”与“颅内出血”相互矛盾/);
    assert.match(r.stderr, /“颅内未见明显异常”与“中线结构移位”相互矛盾/);
    assert.match(r.stderr, /“颅内未见明显异常”与“脑积水”相互矛盾/, 'the accepted AI finding too');
  });

  it('refuses Russian text tagged English, offers --retag, and with it signs the text as Russian', () => {
    const d = draftFor(['--reader', 'en']);
    d.languages.reader = 'en';
    d.texts = [{ section: 'findings', lang: 'en', text: 'Гиперденсная зона в левой лобной доле размером до 23 мм.' }];
    d.impression = [{ lang: 'en', text: 'Left frontal intracerebral haematoma.' }, { lang: 'zh-CN', text: '左额叶脑内血肿。' }];
    const r = refused(d, 'en');
    assert.match(r.stderr, /The text under “Findings” is marked English but is written in Russian/);
    assert.match(r.stderr, /run the same command with --retag/);

    const file = writeDraft(d);
    const out = join(tmp, 'retagged');
    const ok = sign(file, out, 'rsa.p12', {}, ['--retag']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /The text under “Findings” is marked Russian instead of English \(--retag\)/);
    const sr = readReportSR(readFileSync(join(out, 'report-sr.dcm')));
    const findings = sr.texts.find((x) => x.text.startsWith('Гиперденсная'));
    assert.equal(findings?.lang, 'ru');
    assert.match(pdfText(join(out, 'report.pdf')), /Гиперденсная зона/);
  });

  it('lists every reason at once, in the reader\'s language', () => {
    const d = draftFor();
    d.findings = [{ id: 'normal' }, { id: 'midline-shift' }];
    d.aiFindings[0]!.status = 'proposed';
    d.impression = [{ lang: 'zh-CN', text: 'Left frontal haematoma.' }];
    const r = refused(d, 'en');
    const reasons = r.stderr.split('\n').filter((l) => l.startsWith('  – '));
    assert.deepEqual(reasons.map((l) => l.replace(/:.*|;.*| is .*/, '')), [
      '  – The AI proposal “Hydrocephalus”',
      '  – “No intracranial abnormality” contradicts “Midline shift”',
      '  – The text under “Impression”',
    ]);
  });
});
