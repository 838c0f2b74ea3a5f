// The report service the UI uses, on a real head CT imported with `amur import`: a draft is created
// (and saved) for the study with the length measured in the viewer, edited and saved again (the
// save event fires; measurements stay those of the measurement service), signed with an identity
// from the identity store into AMUR_HOME/reports/signed/<SR UID>/ (the draft is then gone), and
// amended: the amendment's draft names the signed SR as its predecessor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAmurError } from '../core/common/errors.js';
import { checkArguments } from '../core/contract/proxy.js';
import { decodeImageFrame } from '../core/imaging/decode.js';
import { LocalMeasurementService } from '../core/measurements/service.js';
import { newUid } from '../core/reports/draft.js';
import type { ReportDraft } from '../core/reports/draft.js';
import type { DraftSummary } from '../core/reports/drafts.js';
import { LocalReportService } from '../core/reports/service.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { openIdentity } from '../core/signing/index.js';
import { StudyStore } from '../core/store/store.js';
import { type TestPki } from './fixtures/pki/pki.js';
import { filledDraft, signingHome, type SigningHome } from './report-fixtures.js';

let fixture: SigningHome;
let tmp: string;
let home: string;
let pki: TestPki;
let store: StudyStore;
let service: LocalReportService;
let StudyInstanceUID: string;

before(async () => {
  fixture = await signingHome();
  ({ tmp, home, pki, store, StudyInstanceUID } = fixture);
  service = new LocalReportService(store, home);
});

/** Measures a length on the 4th slice as the viewer does (through the measurement service). */
async function measureLength(): Promise<string> {
  const measurements = new LocalMeasurementService(store, {
    getImageFrame: async (uid, frame) => decodeImageFrame((await store.readInstance(uid))!, frame),
  });
  const se = store.listSeries(StudyInstanceUID)[0]!;
  const img = store.listInstances(se.SeriesInstanceUID)[3]!;
  const trackingUID = newUid();
  await measurements.saveMeasurement(StudyInstanceUID, {
    trackingUID, toolType: 'Length',
    image: { SeriesInstanceUID: se.SeriesInstanceUID, SOPInstanceUID: img.SOPInstanceUID, SOPClassUID: img.SOPClassUID, frame: 0 },
    points: [{ x: 100, y: 256 }, { x: 300, y: 256 }],
  });
  return trackingUID;
}
after(() => fixture.close());

describe('LocalReportService', () => {
  let draftId: string;
  let filled: ReportDraft;

  it('lists the templates and the stored signers', async () => {
    assert.deepEqual((await service.listTemplates()).map((t) => t.id), ['ct-chest', 'ct-head', 'cxr', 'mr-brain']);
    const signers = await service.listSigners();
    assert.deepEqual(signers.map((s) => [s.name, s.keyAlgorithm]), [['ivanov', 'rsa']]);
  });

  it('creates a saved draft for the study, and saves edits with an event', async () => {
    const saved: DraftSummary[] = [];
    const off = service.onDidSaveDraft((s) => saved.push(s));
    const trackingUID = await measureLength();
    const d = await service.createDraft(StudyInstanceUID, { reader: 'ru' });
    draftId = d.draftId;
    assert.equal(d.template.id, 'ct-head');
    assert.deepEqual(d.measurements.map((m) => [m.trackingUID, m.values[0]!.kind, m.values[0]!.unit]), [[trackingUID, 'length', 'mm']]);
    assert.deepEqual((await service.listDrafts(StudyInstanceUID)).map((s) => s.draftId), [draftId]);
    // The editor's copy of the measurements does not win over the measurement service's.
    filled = { ...filledDraft(d.study), draftId, createdAt: d.createdAt };
    await service.saveDraft(filled);
    assert.deepEqual(await service.getDraft(draftId), { ...filled, measurements: d.measurements });
    assert.deepEqual(saved.map((s) => s.draftId), [draftId, draftId]);
    off();
    await assert.rejects(service.saveDraft({ ...filled, findings: [{ id: 'nope' }] }), (e: unknown) => isAmurError(e) && e.code === 'reports.draftInvalid');
  });

  it('refuses a wrong passphrase and keeps the draft', async () => {
    await assert.rejects(service.signDraft(draftId, 'ivanov', 'wrong'), (e: unknown) => isAmurError(e) && e.code === 'signing.wrongPassphrase');
    assert.equal((await service.listDrafts(StudyInstanceUID)).length, 1);
    const signed = join(home, 'reports', 'signed');
    assert.ok(!existsSync(signed) || readdirSync(signed).length === 0, 'nothing signed, nothing pending');
  });

  it('shows who will sign from the stored certificate, before any passphrase is asked for', async () => {
    assert.deepEqual(await service.signingIdentity('ivanov'), {
      signer: 'ivanov', name: 'Ivanov Ivan^', displayName: 'Ivanov Ivan', organization: 'Amur tests', commonName: 'Ivanov Ivan',
      subject: 'CN=Ivanov Ivan, O=Amur tests',
    });
    await assert.rejects(service.signingIdentity('nobody'), (e: unknown) => isAmurError(e) && e.code === 'signing.identityNotFound');
  });

  it('lists every reason a saved draft cannot be signed, and signDraft refuses with them, keeping the draft', async () => {
    assert.deepEqual(await service.validateDraft(draftId, 'ivanov'), []);
    await service.saveDraft({
      ...filled,
      findings: [{ id: 'normal' }, { id: 'intracranial-hemorrhage' }],
      aiFindings: [{ ...filled.aiFindings[0]!, status: 'proposed' }],
      impression: [{ lang: 'en', text: 'Внутримозговая гематома левой лобной доли.' }],
    });
    const problems = await service.validateDraft(draftId);
    assert.deepEqual(problems.map((p) => [p.code, p.field]), [
      ['reports.problem.aiUndecided', 'aiFindings[0]'],
      ['reports.problem.contradictory', 'findings[1]'],
      ['reports.problem.languageMismatch', 'impression[0].lang'],
    ]);
    assert.equal(problems[1]!.message.ru, '«Патологических изменений головного мозга не выявлено» противоречит находке «Внутричерепное кровоизлияние»: заключение не может утверждать и то и другое; уберите одно из них');
    assert.match(problems[0]!.message['zh-CN'], /人工智能建议“脑积水”尚未接受或拒绝/);
    await assert.rejects(service.signDraft(draftId, 'ivanov', 'store-pass'), (e: unknown) =>
      isAmurError(e) && e.code === 'reports.notSignable' && e.params.count === 3 && String(e.params.reasonsEn).split('\n').length === 4);
    assert.deepEqual((await service.listDrafts(StudyInstanceUID)).map((x) => x.draftId), [draftId]);
    const signed = join(home, 'reports', 'signed');
    assert.ok(!existsSync(signed) || readdirSync(signed).length === 0, 'nothing signed, nothing pending');
    await service.saveDraft(filled);
  });

  it('previews the PDF that signing would sign: the certificate holder named, marked unsigned, nothing signed', async () => {
    const f = await service.previewDraft(draftId, 'ivanov');
    assert.equal(f.mediaType, 'application/pdf');
    assert.equal(f.fileName, 'report-preview.pdf');
    const text = pdfText(f.bytes);
    for (const s of ['Ivanov Ivan', 'Amur tests', 'CN=Ivanov Ivan, O=Amur tests', 'ПРЕДВАРИТЕЛЬНЫЙ ПРОСМОТР — не подписано', '预览——尚未签名',
      'Внутримозговая гематома левой лобной доли.', '左额叶脑内血肿。']) {
      assert.ok(text.includes(s), `the preview lacks ${s}`);
    }
    // The observer typed into the draft is not who the report names (rule 3).
    assert.ok(!text.includes('Ivanov Petr') && !text.includes('Amur Radiology Group'));
    assert.ok(!Buffer.from(f.bytes).includes('/ByteRange'), 'the preview carries no signature');
    assert.deepEqual((await service.listDrafts(StudyInstanceUID)).map((x) => x.draftId), [draftId]);
    const signed = join(home, 'reports', 'signed');
    assert.ok(!existsSync(signed) || readdirSync(signed).length === 0, 'nothing signed');
    await assert.rejects(service.previewDraft(draftId, 'nobody'), (e: unknown) => isAmurError(e) && e.code === 'signing.identityNotFound');
  });

  it('re-tags a text whose language mark contradicts its script only when asked, and the problem is gone', async () => {
    await service.saveDraft({ ...filled, impression: [{ lang: 'en', text: 'Внутримозговая гематома левой лобной доли.' }, { lang: 'zh-CN', text: '左额叶脑内血肿。' }] });
    assert.deepEqual((await service.validateDraft(draftId, 'ivanov')).map((p) => [p.code, p.params.tagged, p.params.detected]),
      [['reports.problem.languageMismatch', 'en', 'ru']]);
    const saved: string[] = [];
    const off = service.onDidSaveDraft((x) => saved.push(x.draftId));
    const retagged = await service.retagDraft(draftId);
    off();
    assert.deepEqual(retagged.impression.map((x) => x.lang), ['ru', 'zh-CN']);
    assert.deepEqual((await service.getDraft(draftId)).impression, retagged.impression);
    assert.deepEqual(saved, [draftId]);
    assert.deepEqual(await service.validateDraft(draftId, 'ivanov'), []);
    await service.saveDraft(filled);
  });

  it('signs into reports/signed/<SR UID>/, removes the draft, and lists the signed report', async () => {
    const signedEvents: string[] = [];
    service.onDidSignReport((s) => signedEvents.push(s.SOPInstanceUID));
    const s = await service.signDraft(draftId, 'ivanov', 'store-pass');
    assert.equal(s.dir, join(home, 'reports', 'signed', s.SOPInstanceUID));
    assert.deepEqual(s.files, ['report-pdf.dcm', 'report-sr.dcm', 'report.pdf']);
    // Kept sealed: the service opens it.
    const sr = readReportSR((await service.getSignedReportFile(s.SOPInstanceUID, 'report-sr.dcm')).bytes);
    assert.equal(sr.SOPInstanceUID, s.SOPInstanceUID);
    // The draft typed Ivanov^Petr of Amur Radiology Group; the certificate's holder is who signed.
    assert.equal(filled.observer.name, 'Ivanov^Petr');
    assert.deepEqual([sr.observerName, sr.verifyingObserverName], ['Ivanov Ivan^', 'Ivanov Ivan^']);
    assert.equal(sr.measurements.length, 1);
    assert.equal(sr.measurements[0]!.values[0]!.kind, 'length');
    assert.match(s.verifiedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(signedEvents, [s.SOPInstanceUID]);
    assert.deepEqual(await service.listDrafts(StudyInstanceUID), []);
    assert.deepEqual((await service.listSignedReports(StudyInstanceUID)).map((x) => x.SOPInstanceUID), [s.SOPInstanceUID]);
    assert.equal(existsSync(join(home, 'reports', 'signed', `.pending-${draftId}`)), false);

    // The amendment starts as what was signed, pointing at it.
    const signedDraft = filled;
    const amendment = await service.createDraft(StudyInstanceUID, { amends: s.SOPInstanceUID });
    assert.equal(amendment.predecessor?.SOPInstanceUID, s.SOPInstanceUID);
    assert.notEqual(amendment.draftId, draftId);
    assert.deepEqual(amendment.findings, signedDraft.findings);
    assert.deepEqual(amendment.impression, signedDraft.impression);
    assert.equal(amendment.measurements.length, 1);
    assert.deepEqual(amendment.aiFindings.map((a) => a.status), ['accepted', 'rejected']);
    await assert.rejects(service.createDraft(StudyInstanceUID, { amends: '1.2.3' }), (e: unknown) => isAmurError(e) && e.code === 'reports.signedNotFound');
  });

  it('declares the argument shapes the contract checks', () => {
    checkArguments('reports', 'signDraft', ['id', 'signer', 'pass']);
    assert.throws(() => checkArguments('reports', 'signDraft', ['id', 'signer', 42]));
    assert.throws(() => checkArguments('reports', 'createDraft', ['not a uid']));
    checkArguments('reports', 'createDraft', [StudyInstanceUID, { reader: 'en' }]);
    checkArguments('reports', 'signingIdentity', ['ivanov']);
    checkArguments('reports', 'validateDraft', ['id']);
    checkArguments('reports', 'validateDraft', ['id', 'ivanov']);
    assert.throws(() => checkArguments('reports', 'validateDraft', ['id', 'ivanov', 'extra']));
    assert.throws(() => checkArguments('reports', 'signingIdentity', [42]));
    checkArguments('reports', 'previewDraft', ['id', 'ivanov']);
    assert.throws(() => checkArguments('reports', 'previewDraft', ['id']));
    checkArguments('reports', 'retagDraft', ['id']);
    checkArguments('reports', 'importSigner', [new Uint8Array(3), 'pass', { name: 'petrov', fileName: 'petrov.p12' }]);
    assert.throws(() => checkArguments('reports', 'importSigner', ['not bytes', 'pass', { name: 'petrov' }]));
    assert.throws(() => checkArguments('reports', 'importSigner', [new Uint8Array(3), 'pass', { name: 'petrov', path: '/etc/passwd' }]));
  });
});

describe('importing a signing identity through the service (the editor\'s import)', () => {
  const names = async () => (await service.listSigners()).map((s) => s.name);

  it('refuses a wrong passphrase, an expired certificate, a non-PKCS#12 file and a taken name, storing nothing', async () => {
    const before = await names();
    const stored = readFileSync(join(home, 'identities', 'ivanov.json'));
    const refused = async (p: Promise<unknown>, code: string) => assert.rejects(p, (e: unknown) => isAmurError(e) && e.code === code);
    await refused(service.importSigner(pki.bytes('ec.p12'), 'wrong', { name: 'petrov', fileName: 'ec.p12' }), 'signing.wrongPassphrase');
    await refused(service.importSigner(pki.bytes('expired.p12'), pki.passphrase, { name: 'old', fileName: 'expired.p12' }), 'signing.certificateExpired');
    await refused(service.importSigner(new Uint8Array(Buffer.from('not a PKCS#12 file')), pki.passphrase, { name: 'junk', fileName: 'junk.p12' }), 'signing.badPkcs12');
    await refused(service.importSigner(pki.bytes('ec.p12'), pki.passphrase, { name: 'ivanov', fileName: 'ec.p12' }), 'signing.identityExists');
    await refused(service.importSigner(pki.bytes('ec.p12'), pki.passphrase, { name: '../x', fileName: 'ec.p12' }), 'signing.badIdentityName');
    assert.deepEqual(await names(), before);
    assert.deepEqual(readFileSync(join(home, 'identities', 'ivanov.json')), stored, 'the identity of that name is untouched');
  });

  it('stores a good one under its name, which then signs and names its holder', async () => {
    const s = await service.importSigner(pki.bytes('reader-ru.p12'), pki.passphrase, { name: 'petrova', fileName: 'reader-ru.p12' });
    assert.equal(s.name, 'petrova');
    assert.deepEqual(await names(), ['ivanov', 'petrova']);
    const who = await service.signingIdentity('petrova');
    assert.ok(who.displayName.length > 0 && who.organization.length > 0, JSON.stringify(who));
    assert.equal(openIdentity('petrova', pki.passphrase, home).certificate.subject, pki.cert('reader-ru.pem').subject);
  });
});

/** The text of a PDF, as poppler's pdftotext reads it, on one line. */
function pdfText(bytes: Uint8Array): string {
  const file = join(tmp, `preview-${process.hrtime.bigint()}.pdf`);
  writeFileSync(file, bytes);
  return spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
}
