// What a security officer checks of the report side at rest, on a partner's real head CT given a
// patient of its own (dcmodify: a name with Chinese characters, an unusual ID): after a draft is
// saved, and after the report is signed and queued for delivery, no file under AMUR_HOME/reports or
// store/outbox holds the patient's name or ID, or the study's UIDs, in clear; the workstation still
// reads everything back (the draft reopened, the signed PDF served and valid, an amendment started
// from the signed SR, the report delivered); and once the study is purged, its key shredded, a copy
// of those files that a disk kept can no longer be opened, with a translated reason, not a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holds, filesUnder, scan } from './leak-scan.js';
import { after, before, describe, it } from 'node:test';
import { createAgreement, importAgreement } from '../core/agreements/index.js';
import { recordCase } from '../core/cases/cases.js';
import { purge } from '../core/cases/retention.js';
import { AmurError, isAmurError } from '../core/common/errors.js';
import { errorMessage, LANGUAGES } from '../core/i18n/index.js';
import { importPaths } from '../core/importer/importer.js';
import { deliver, listOutbox, readOutboxFile, type OutboxTarget } from '../core/outbox/outbox.js';
import { readPart10 } from '../core/reports/dcmjs.js';
import { newUid } from '../core/reports/draft.js';
import { LocalReportService } from '../core/reports/service.js';
import { readReportSR } from '../core/reports/sr-read.js';
import { importIdentity, readPkcs12 } from '../core/signing/index.js';
import { StudyStore } from '../core/store/store.js';
import { makePki, type TestPki } from './fixtures/pki/pki.js';
import { filledDraft, headCtFiles } from './report-fixtures.js';
import { unlockTestHome } from './vault.js';

const PATIENT_NAME = 'Lu^Meixiu=卢^美秀';
const PATIENT_ID = 'RST77120QZ';
const AGREEMENT = 'GZ-REST-01';

/** An exchange kept in memory: what it was sent, filed by the SOP Instance UID each object carries. */
class Exchange implements OutboxTarget {
  readonly held = new Map<string, Buffer>();
  async hasInstance(_study: string, sop: string) {
    return this.held.has(sop);
  }
  async store(_study: string, instances: Buffer[]) {
    for (const b of instances) this.held.set(String(readPart10(b).dataset.SOPInstanceUID), b);
  }
}

describe('the report side at rest', () => {
  let tmp: string;
  let home: string;
  let pki: TestPki;
  let store: StudyStore;
  let service: LocalReportService;
  const StudyInstanceUID = newUid();
  const SeriesInstanceUID = newUid();
  const needles = [PATIENT_ID, 'Lu^Meixiu', '卢^美秀', '美秀', StudyInstanceUID, SeriesInstanceUID];
  const keptFiles = () => [...filesUnder(join(home, 'reports')), ...filesUnder(join(home, 'store', 'outbox'))];
  let draftId: string;
  let signedUid: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'amur-at-rest-'));
    home = join(tmp, 'home');
    const studyDir = join(tmp, 'study');
    mkdirSync(studyDir);
    for (const f of headCtFiles()) cpSync(f, join(studyDir, f.split('/').at(-1)!));
    const mod = spawnSync('dcmodify', ['-nb', '-gin', '-i', '(0008,0005)=ISO_IR 192', '-m', `(0010,0010)=${PATIENT_NAME}`, '-m', `(0010,0020)=${PATIENT_ID}`,
      '-m', `(0020,000d)=${StudyInstanceUID}`, '-m', `(0020,000e)=${SeriesInstanceUID}`, ...readdirSync(studyDir).map((n) => join(studyDir, n))], { encoding: 'utf8' });
    assert.equal(mod.status, 0, mod.stderr);
    pki = makePki();
    await unlockTestHome(home);
    store = StudyStore.open(home);
    const imported = await importPaths(store, readdirSync(studyDir).map((n) => join(studyDir, n)), { workers: 0 });
    assert.equal(imported.imported, 28);
    // A partner's case under an agreement that names the reader (ec.p12), so that signing queues it.
    const today = new Date();
    const day = (d: number) => new Date(today.getTime() + d * 86_400_000).toISOString().slice(0, 10);
    const doc = createAgreement({
      id: AGREEMENT, partner: { nameLatin: 'Guangzhou Partner Hospital', nameZh: '广州合作医院' }, validFrom: day(-1), validTo: day(365),
      modalities: ['CT'], readers: [pki.cert('ec.pem').toString()], languages: ['zh-CN', 'ru'], exchange: { url: 'https://exchange.invalid/dicom-web' },
    }, readPkcs12(pki.bytes('rsa.p12'), pki.passphrase));
    importAgreement(home, doc, [pki.cert('ca.pem')]);
    recordCase(store, {
      StudyInstanceUID, agreementId: AGREEMENT, partner: 'Guangzhou Partner Hospital', requestId: 'REQ-1', consentRef: 'C-1', priority: 'routine',
      receivedAt: today.toISOString(), deadlineAt: new Date(today.getTime() + 86_400_000).toISOString(), exchangeUrl: 'https://exchange.invalid/dicom-web',
    });
    importIdentity(pki.bytes('ec.p12'), pki.passphrase, { name: 'anna', storePassphrase: 'store-pass', home });
    service = new LocalReportService(store, home);
  });
  after(() => {
    store.close();
    pki.remove();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a saved draft names the patient, and its file shows nothing of it; the draft reopens', async () => {
    const d = await service.createDraft(StudyInstanceUID, { reader: 'ru' });
    draftId = d.draftId;
    const filled = { ...filledDraft(d.study), draftId, createdAt: d.createdAt, measurements: [] };
    await service.saveDraft(filled);
    // The search finds what is there: the draft itself names the patient and the study.
    const opened = await service.getDraft(draftId);
    assert.deepEqual(holds(Buffer.from(JSON.stringify(opened)), needles).sort(), [...needles].sort());
    assert.deepEqual(opened, filled);
    const files = keptFiles();
    assert.ok(files.some((f) => f.endsWith(`${draftId}.draft`)), 'the draft is on the disk');
    assert.deepEqual(scan(files, needles, home), []);
  });

  it('signed and queued: the kept report, its source and the outbox copies show nothing of the patient; the PDF is served, valid', async () => {
    const s = await service.signDraft(draftId, 'anna', 'store-pass');
    signedUid = s.SOPInstanceUID;
    const [item] = listOutbox(store);
    assert.equal(item?.StudyInstanceUID, StudyInstanceUID, 'queued for delivery');
    const files = keptFiles();
    assert.ok(files.some((f) => f.includes(join('reports', 'signed', signedUid))), 'the signed report is kept');
    assert.ok(files.some((f) => f.includes(join('reports', 'sources'))), 'its source is kept');
    assert.ok(files.filter((f) => f.includes(join('store', 'outbox'))).length >= 3, 'the outbox holds its copies');
    assert.deepEqual(scan(files, needles, home), []);

    // What is served is the signed report, opened: the SR names the patient, the PDF's signature verifies.
    const sr = await service.getSignedReportFile(signedUid, 'report-sr.dcm');
    assert.equal(sr.mediaType, 'application/dicom');
    assert.equal(holds(Buffer.from(sr.bytes), [PATIENT_ID, '卢^美秀', StudyInstanceUID]).length, 3);
    const pdf = await service.getSignedReportFile(signedUid, 'report.pdf');
    assert.equal(pdf.mediaType, 'application/pdf');
    const served = join(tmp, 'served.pdf');
    writeFileSync(served, pdf.bytes);
    assert.match(spawnSync('pdfsig', [served], { encoding: 'utf8' }).stdout, /Signature is Valid/);
    assert.deepEqual(Buffer.from(readOutboxFile(store, item!, 'report.pdf')), Buffer.from(pdf.bytes), 'the outbox copy is the same PDF');
    await assert.rejects(service.getSignedReportFile(signedUid, '../../vault.json'), (e: unknown) => isAmurError(e) && e.code === 'reports.signedFileNotFound');
    assert.deepEqual((await service.listSignedReports(StudyInstanceUID)).map((r) => r.SOPInstanceUID), [signedUid]);
  });

  it('an amendment starts from the kept SR and its sealed source', async () => {
    const amendment = await service.createDraft(StudyInstanceUID, { amends: signedUid });
    assert.equal(amendment.predecessor?.SOPInstanceUID, signedUid);
    assert.deepEqual(amendment.findings, [{ id: 'intracranial-hemorrhage' }, { id: 'midline-shift' }]);
    assert.deepEqual(scan(keptFiles(), needles, home), []);
  });

  it('delivery opens the outbox copies: the exchange gets the signed objects as they were signed', async () => {
    const exchange = new Exchange();
    const r = await deliver(store, () => exchange);
    assert.equal(r.delivered.length, 1, JSON.stringify(r.failed));
    const got = exchange.held.get(signedUid);
    assert.ok(got, 'the SR arrived');
    assert.deepEqual(Buffer.from(got), Buffer.from((await service.getSignedReportFile(signedUid, 'report-sr.dcm')).bytes));
    assert.equal(readReportSR(got).SOPInstanceUID, signedUid);
  });

  it('after the purge shreds the study\'s key, what a disk kept of its files no longer opens, with a translated reason', async () => {
    // What a disk (or a backup) still holds of the study's kept files after the purge removed them.
    const left = join(tmp, 'left-on-disk');
    cpSync(join(home, 'reports'), join(left, 'reports'), { recursive: true });
    cpSync(join(home, 'store', 'outbox'), join(left, 'outbox'), { recursive: true });
    const r = purge(store, home, { now: new Date(Date.now() + 400 * 86_400_000) });
    const purged = r.purged.find((p) => p.StudyInstanceUID === StudyInstanceUID);
    assert.ok(purged, JSON.stringify(r));
    assert.equal(purged.keyShredded, true);
    assert.equal(purged.drafts, 1, 'the amendment\'s draft');
    assert.equal(store.keys.existingKey(StudyInstanceUID), undefined);
    assert.deepEqual(filesUnder(join(home, 'reports', 'drafts')), []);
    assert.deepEqual(readdirSync(join(home, 'reports', 'signed')), []);

    // Put back as they were, the files are still there to read, and none of them opens.
    cpSync(join(left, 'reports'), join(home, 'reports'), { recursive: true });
    const reasons: AmurError[] = [];
    const refused = async (p: Promise<unknown>) => {
      await assert.rejects(p, (e: unknown) => {
        assert.ok(isAmurError(e), String(e));
        reasons.push(e);
        return e.code === 'vault.studyKeyGone';
      });
    };
    const [draft] = readdirSync(join(home, 'reports', 'drafts')).filter((n) => n.endsWith('.draft'));
    await refused(service.getDraft(draft!.replace(/\.draft$/, '')));
    await refused(service.getSignedReportFile(signedUid, 'report.pdf'));
    await refused(service.createDraft(StudyInstanceUID, { amends: signedUid }));
    assert.deepEqual(await service.listSignedReports(StudyInstanceUID), [], 'an unreadable report is not listed');
    assert.deepEqual(await service.listDrafts(StudyInstanceUID), [], 'nor an unreadable draft');
    for (const e of reasons) {
      for (const lang of LANGUAGES) {
        const text = errorMessage(e, lang);
        assert.ok(text.includes(StudyInstanceUID) && !text.includes('errors.') && !/\{\{/.test(text), `${lang}: ${text}`);
      }
    }
    // And still nothing of the patient in clear anywhere there.
    assert.deepEqual(scan(filesUnder(left), needles.slice(0, 4), left), []);
  });
});
