// The whole round trip, both sides, on real engines and through the CLI a hospital's IT and a
// reader use: a partner PACS (Orthanc, DICOMweb; and a DIMSE-only one), the exchange (Orthanc with
// DICOMweb, authentication on), `amur hospital send` de-identifying a GB18030 Chinese patient's CT
// and a Cyrillic patient's study, `amur pull` into the reader's store, a report signed under the
// agreement, queued and delivered, and `amur hospital receive` verifying, re-identifying and filing
// it into the PACS under the real patient. The de-identified instances are checked against PS3.15
// Table E.1-1 by test/deid-check.py (pydicom), not by Amur's own code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_DEIDENTIFICATION_OPTIONS } from '../core/agreements/agreement.js';
import { MAGIC } from '../core/vault/file-cipher.js';
import { amur, amurInBackground, credentialsFile as credentialsIn, dcmdumpText, download, makeAgreement, makePartnerStudies, makeWorld, ok, rest, upload, type RoundTripWorld } from './roundtrip-helpers.js';
import type { TestPki } from './fixtures/pki/pki.js';
import { startOrthanc, type OrthancInstance } from './orthanc.js';
import { REPO_ROOT } from './shared-data.js';
import { unlockTestHome } from './vault.js';

let world: RoundTripWorld;
let pki: TestPki;
let tmp: string;
let hospitalHome: string;
let readerHome: string;
let exchange: OrthancInstance;
let pacs: OrthancInstance;
let dimsePacs: OrthancInstance;
let studies: ReturnType<typeof makePartnerStudies>;

const credentialsFile = (o: OrthancInstance, name: string) => credentialsIn(tmp, o, name);
/** Every file under a folder. */
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));

before(async () => {
  world = makeWorld('amur-roundtrip-');
  ({ pki, tmp, hospitalHome, readerHome, studies } = world);
  [exchange, pacs, dimsePacs] = await Promise.all([
    startOrthanc({ name: 'exchange' }),
    startOrthanc({ name: 'pacs' }),
    startOrthanc({ name: 'dimse-pacs', dicomweb: false, modalities: { AMUR_HOSPITAL: { aet: 'AMUR_HOSPITAL' } } }),
  ]);
  await upload(pacs, studies['ct-gb18030']!.dir);
  await upload(dimsePacs, studies['ot-cyrillic']!.dir);

  // The agreement: made and signed by the hospital, imported on both sides with the exchange's credentials.
  makeAgreement({ pki, dir: tmp, homes: [hospitalHome, readerHome], exchangeUrl: exchange.url, credentials: credentialsFile(exchange, 'exchange-cred') });
});

after(async () => {
  await Promise.all([exchange?.destroy(), pacs?.destroy(), dimsePacs?.destroy()]);
  world?.remove();
});

describe('round trip: partner PACS → exchange → reader → exchange → partner PACS', () => {
  let deidStudy = '';

  it('the hospital sends the Chinese patient\'s CT de-identified to the exchange', () => {
    const r = ok(amur(hospitalHome, ['hospital', 'send', '--agreement', 'GZ-2026-01', '--pacs', pacs.url,
      '--pacs-credentials', credentialsFile(pacs, 'pacs-cred'), '--study', studies['ct-gb18030']!.uid,
      '--request-id', 'REQ-1001', '--consent', 'CONSENT-77', '--priority', 'urgent', '--json']), 'hospital send');
    const sent = r.json() as { study: string; instances: number };
    assert.equal(sent.instances, 28);
    assert.notEqual(sent.study, studies['ct-gb18030']!.uid, 'the study UID was replaced');
    deidStudy = sent.study;
  });

  it('sending again is idempotent: the same de-identified study, no second copy', async () => {
    const r = ok(amur(hospitalHome, ['hospital', 'send', '--agreement', 'GZ-2026-01', '--pacs', pacs.url,
      '--pacs-credentials', credentialsFile(pacs, 'pacs-cred'), '--study', studies['ct-gb18030']!.uid,
      '--request-id', 'REQ-1001', '--consent', 'CONSENT-77', '--priority', 'urgent', '--json']), 'hospital send again');
    assert.equal((r.json() as { study: string }).study, deidStudy);
    const ids = (await (await rest(exchange, '/instances')).json()) as string[];
    assert.equal(ids.length, 28);
  });

  it('an independent check (pydicom, Table E.1-1) finds no identifying value on the exchange', async () => {
    const files = await download(exchange, join(tmp, 'on-exchange'));
    // Each object on the exchange against its original, paired by Instance Number (kept by the profile).
    const byNumber = new Map<string, string>();
    for (const f of readdirSync(studies['ct-gb18030']!.dir)) {
      const p = join(studies['ct-gb18030']!.dir, f);
      byNumber.set(/\(0020,0013\) IS \[(\d+)/.exec(dcmdumpText(p))![1]!, p);
    }
    assert.equal(files.length, byNumber.size);
    for (const f of files) {
      const original = byNumber.get(/\(0020,0013\) IS \[(\d+)/.exec(dcmdumpText(f))![1]!);
      assert.ok(original, `no original for ${f}`);
      const r = spawnSync('/usr/bin/python3', [join(REPO_ROOT, 'test', 'deid-check.py'), join(REPO_ROOT, 'core', 'deid', 'annex-e.tsv'),
        DEFAULT_DEIDENTIFICATION_OPTIONS.join(','), original, f], { encoding: 'utf8' });
      assert.equal(r.status, 0, `deid-check found identifying values:\n${r.stdout}${r.stderr}`);
    }
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const s of ['GZ-2026-000123', 'ACC77881', '19620314', studies['ct-gb18030']!.uid]) {
        assert.ok(!bytes.includes(Buffer.from(s, 'latin1')), `${s} left in ${f}`);
      }
      assert.ok(!bytes.includes(Buffer.from('张', 'utf8')), 'the name (UTF-8) left');
    }
  });

  it('the reader pulls it under the agreement: the worklist has the case, urgent, with a deadline', () => {
    const r = ok(amur(readerHome, ['pull', '--json']), 'pull');
    assert.deepEqual(r.json(), { pulled: [deidStudy], refused: [] });
    const again = ok(amur(readerHome, ['pull', '--json']), 'pull again');
    assert.deepEqual(again.json(), { pulled: [], refused: [] }, 'nothing pulled twice');
    const list = ok(amur(readerHome, ['studies', '--json']), 'studies').json() as any[];
    const s = list.find((x) => x.StudyInstanceUID === deidStudy);
    assert.ok(s, 'the study is in the store');
    assert.equal(s.NumberOfStudyRelatedInstances, 28);
    assert.equal(s.status, 'new');
    assert.equal(s.case.agreementId, 'GZ-2026-01');
    assert.equal(s.case.requestId, 'REQ-1001');
    assert.equal(s.case.priority, 'urgent');
    assert.equal(new Date(s.case.deadlineAt).getTime() - new Date(s.case.receivedAt).getTime(), 4 * 3600_000, 'urgent: 4 hours');
    assert.ok(!JSON.stringify(s).includes('张'), 'no real name on the reader side');
  });

  let signedDir = '';
  it('a reader the agreement does not name cannot sign; the named reader signs and the report is queued', () => {
    const draft = ok(amur(readerHome, ['report', 'draft', '--study', deidStudy, '--reader', 'ru']), 'draft').json();
    draft.findings = [{ id: 'normal' }];
    draft.impression = [{ lang: 'ru', text: 'Без острой патологии.' }];
    const draftPath = join(tmp, 'draft.json');
    writeFileSync(draftPath, JSON.stringify(draft));
    const pass = pki.file('passphrase.txt');
    const refused = amur(readerHome, ['report', 'sign', draftPath, '--identity', pki.file('rsa.p12'), '--passphrase-file', pass,
      '--out', join(tmp, 'signed-rogue')], 'ru');
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /не указан как врач-рентгенолог в соглашении GZ-2026-01/);
    signedDir = join(tmp, 'signed');
    ok(amur(readerHome, ['report', 'sign', draftPath, '--identity', pki.file('ec.p12'), '--passphrase-file', pass, '--out', signedDir]), 'sign');
    const items = ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[];
    assert.equal(items.length, 1);
    assert.equal(items[0].status, 'queued');
    assert.equal(items[0].StudyInstanceUID, deidStudy);
    const s = (ok(amur(readerHome, ['studies', '--json']), 'studies').json() as any[]).find((x) => x.StudyInstanceUID === deidStudy);
    assert.equal(s.status, 'reported');
  });

  it('delivery is exactly once, also when the exchange was down the first time', async () => {
    await exchange.stop();
    const down = amur(readerHome, ['deliver', '--json']);
    assert.equal(down.code, 1, 'a failed delivery exits non-zero');
    const failed = down.json() as { delivered: number; failed: { item: string; reason: string }[] };
    assert.equal(failed.delivered, 0);
    assert.match(failed.failed[0]!.reason, /127\.0\.0\.1/);
    assert.equal((ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[])[0].status, 'failed');
    await exchange.restart();
    assert.deepEqual(ok(amur(readerHome, ['deliver', '--json']), 'deliver').json(), { delivered: 1, failed: [] });
    assert.deepEqual(ok(amur(readerHome, ['deliver', '--json']), 'deliver again').json(), { delivered: 0, failed: [] });
    const ids = (await (await rest(exchange, '/instances')).json()) as string[];
    assert.equal(ids.length, 30, '28 images + SR + Encapsulated PDF, each once');
    const s = (ok(amur(readerHome, ['studies', '--json']), 'studies').json() as any[]).find((x) => x.StudyInstanceUID === deidStudy);
    assert.equal(s.status, 'delivered');
  });

  it('the hospital verifies, re-identifies and files the report under the real patient, once', async () => {
    const pass = pki.file('passphrase.txt');
    const args = ['hospital', 'receive', '--agreement', 'GZ-2026-01', '--pacs', pacs.url, '--pacs-credentials', credentialsFile(pacs, 'pacs-cred'),
      '--identity', pki.file('rsa.p12'), '--passphrase-file', pass, '--json'];
    assert.deepEqual(ok(amur(hospitalHome, args), 'receive').json(), { filed: 2, rejected: [] });
    assert.deepEqual(ok(amur(hospitalHome, args), 'receive again').json(), { filed: 0, rejected: [] });
    const res = await rest(pacs, `/tools/find`, {
      method: 'POST',
      body: JSON.stringify({ Level: 'Instance', Query: { StudyInstanceUID: studies['ct-gb18030']!.uid, Modality: 'SR' }, Expand: true }),
    });
    const found = (await res.json()) as { ID: string }[];
    assert.equal(found.length, 1, 'the SR is filed in the original study');
    const sr = join(tmp, 'filed-sr.dcm');
    writeFileSync(sr, Buffer.from(await (await rest(pacs, `/instances/${found[0]!.ID}/file`)).arrayBuffer()));
    const dump = dcmdumpText(sr);
    assert.match(dump, /\(0010,0020\) LO \[GZ-2026-000123\]/);
    assert.match(dump, /张\^伟/);
    assert.match(dump, /\(0400,0561\) SQ/, 'Original Attributes Sequence');
    assert.match(dump, /COERCE/);
    const v = amur(hospitalHome, ['verify', sr, '--trust', pki.file('ca.pem'), '--json']);
    assert.equal(v.code, 0, v.out);
    const signers = (v.json() as { signatures: { valid: boolean; signer: { fingerprint256: string } }[] }[])[0]!.signatures;
    const hospital = new X509Certificate(readFileSync(pki.file('rsa.pem'))).fingerprint256;
    assert.ok(signers.some((g) => g.valid && g.signer.fingerprint256 === hospital), 'signed by the hospital after re-identification');
    const archived = readdirSync(join(hospitalHome, 'hospital', 'archive', 'GZ-2026-01'));
    assert.equal(archived.length, 2);
    // Kept sealed under the hospital's vault: no DICOM, no report text on the disk in clear.
    for (const f of archived) {
      const kept = readFileSync(join(hospitalHome, 'hospital', 'archive', 'GZ-2026-01', f));
      assert.ok(kept.subarray(0, MAGIC.length).equals(MAGIC), `${f} is sealed`);
      assert.ok(!kept.includes(Buffer.from('DICM')) && !kept.includes(Buffer.from('Без острой патологии', 'utf8')), `${f} holds nothing in clear`);
    }
    // `amur hospital original` gives the reader's original back as it arrived: it stays verifiable.
    const out = join(tmp, 'reader-original.dcm');
    ok(amur(hospitalHome, ['hospital', 'original', '--agreement', 'GZ-2026-01', '--sop', archived[0]!.replace(/\.dcm$/, ''), '--out', out]), 'original');
    const original = amur(hospitalHome, ['verify', out, '--trust', pki.file('ca.pem')]);
    assert.equal(original.code, 0, `the reader's original stays verifiable: ${original.out}`);
    const readers = (amur(hospitalHome, ['verify', out, '--trust', pki.file('ca.pem'), '--json']).json() as { signatures: { signer: { fingerprint256: string } }[] }[])[0]!.signatures;
    const reader = new X509Certificate(readFileSync(pki.file('ec.pem'))).fingerprint256;
    assert.ok(readers.some((g) => g.signer.fingerprint256 === reader), 'signed by the reader, not re-signed');
  });

  it('the hospital\'s map, state and kept reports are encrypted: no patient name or ID in clear under its AMUR_HOME', () => {
    for (const db of ['reid.sqlite', 'state.sqlite']) {
      const r = spawnSync('sqlite3', [join(hospitalHome, 'hospital', db), 'SELECT count(*) FROM sqlite_schema'], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, db);
      assert.match(r.stderr, /file is not a database/, db);
    }
    const needles = [Buffer.from('GZ-2026-000123'), Buffer.from('张^伟', 'utf8'), Buffer.from([0xd5, 0xc5, 0x5e, 0xce, 0xb0]) /* 张^伟 in GB18030 */];
    for (const f of walk(hospitalHome)) {
      const bytes = readFileSync(f);
      for (const n of needles) assert.ok(!bytes.includes(n), `${n.toString('latin1')} in clear in ${f}`);
    }
  });

  it('a report not signed by a reader of the agreement is kept aside, never filed', async () => {
    // Someone with access to the exchange puts an unsigned SR into the de-identified study.
    const sr = readFileSync(join(signedDir, 'report-sr.dcm'));
    const { forgeUnsignedCopy } = await import('./roundtrip-helpers.js');
    const forged = forgeUnsignedCopy(sr);
    const res = await rest(exchange, '/instances', { method: 'POST', body: new Uint8Array(forged) });
    assert.equal(res.status, 200);
    const pass = pki.file('passphrase.txt');
    const r = ok(amur(hospitalHome, ['hospital', 'receive', '--agreement', 'GZ-2026-01', '--pacs', pacs.url,
      '--pacs-credentials', credentialsFile(pacs, 'pacs-cred'), '--identity', pki.file('rsa.p12'), '--passphrase-file', pass, '--json'], 'zh-CN'),
    'receive forged').json() as { filed: number; rejected: { reason: string }[] };
    assert.equal(r.filed, 0);
    assert.equal(r.rejected.length, 1);
    assert.match(r.rejected[0]!.reason, /没有签名/);
  });

  it('a DIMSE-only PACS: C-GET out, de-identified (Cyrillic name), and the report filed back by C-STORE', async () => {
    const url = `dicom://${dimsePacs.aet}@127.0.0.1:${dimsePacs.dicomPort}`;
    const sent = ok(amur(hospitalHome, ['hospital', 'send', '--agreement', 'GZ-2026-01', '--pacs', url, '--study', studies['ot-cyrillic']!.uid,
      '--request-id', 'REQ-2002', '--consent', 'CONSENT-78', '--json']), 'send over DIMSE').json() as { study: string; instances: number };
    assert.equal(sent.instances, 1);
    const pulled = ok(amur(readerHome, ['pull', '--json']), 'pull').json();
    assert.deepEqual(pulled.pulled, [sent.study]);
    const draft = ok(amur(readerHome, ['report', 'draft', '--study', sent.study, '--template', 'ct-head', '--reader', 'ru']), 'draft').json();
    draft.texts = [{ section: 'findings', lang: 'ru', text: 'Изображение без особенностей.' }];
    draft.impression = [{ lang: 'ru', text: 'Норма.' }];
    const draftPath = join(tmp, 'draft2.json');
    writeFileSync(draftPath, JSON.stringify(draft));
    ok(amur(readerHome, ['report', 'sign', draftPath, '--identity', pki.file('ec.p12'), '--passphrase-file', pki.file('passphrase.txt'),
      '--out', join(tmp, 'signed2')]), 'sign');
    // The app delivers by itself while it runs: the browser shell's host, with a short interval.
    const app = amurInBackground(readerHome, ['serve', '--port', '0'], 'en', { AMUR_DELIVERY_INTERVAL: '1' });
    try {
      const status = () => (ok(amur(readerHome, ['outbox', 'list', '--json']), 'outbox').json() as any[]).map((i) => i.status);
      const end = Date.now() + 60_000;
      while (status().includes('queued') && Date.now() < end) await delay(500);
      assert.deepEqual(status(), ['delivered', 'delivered'], 'the app delivered the second report by itself');
    } finally {
      app.child.kill('SIGTERM');
      await app.done;
    }
    const r = ok(amur(hospitalHome, ['hospital', 'receive', '--agreement', 'GZ-2026-01', '--pacs', url, '--identity', pki.file('rsa.p12'),
      '--passphrase-file', pki.file('passphrase.txt'), '--json']), 'receive over DIMSE').json();
    assert.equal(r.filed, 2);
    const res = await rest(dimsePacs, `/tools/find`, {
      method: 'POST',
      body: JSON.stringify({ Level: 'Instance', Query: { StudyInstanceUID: studies['ot-cyrillic']!.uid }, Expand: true }),
    });
    assert.equal(((await res.json()) as unknown[]).length, 3, 'the image and the two report objects, in the original study');
  });

  it('both sides\' audit trails record the round trip, with no patient\'s name or ID, and verify', () => {
    const reader = ok(amur(readerHome, ['audit', 'list', '--json']), 'reader audit').json() as { action: string; outcome: string; agreement?: string; studies: string[]; user: string }[];
    const of = (study: string) => reader.filter((e) => e.studies.includes(study)).map((e) => e.action);
    for (const a of ['agreement.import', 'study.pull', 'report.draft', 'access.refused', 'report.sign', 'report.deliver']) {
      assert.ok(reader.some((e) => e.action === a), `${a} in the reader's trail`);
    }
    assert.deepEqual([...new Set(of(deidStudy))].filter((a) => ['study.pull', 'report.draft', 'report.sign', 'report.deliver'].includes(a)),
      ['study.pull', 'report.draft', 'report.sign', 'report.deliver'], 'in the order they happened');
    assert.ok(reader.some((e) => e.action === 'report.deliver' && e.outcome === 'seriousFailure'), 'the failed delivery while the exchange was down');
    assert.equal(reader.find((e) => e.action === 'report.sign')!.user, 'Petrova Anna', 'the signer by the certificate');
    const hospital = ok(amur(hospitalHome, ['audit', 'list', '--json']), 'hospital audit').json() as { action: string; role: string; studies: string[] }[];
    for (const a of ['hospital.send', 'hospital.reidentify', 'hospital.receive', 'verification.failure']) {
      assert.ok(hospital.some((e) => e.action === a && e.role === 'hospital'), `${a} in the hospital's trail`);
    }
    for (const home of [readerHome, hospitalHome]) {
      const text = JSON.stringify(ok(amur(home, ['audit', 'list', '--json']), 'audit').json());
      for (const needle of ['GZ-2026-000123', '张', 'Zhang']) assert.ok(!text.includes(needle), `${needle} in the audit of ${home}`);
      assert.deepEqual(ok(amur(home, ['audit', 'verify', '--json']), 'verify').json().valid, true);
    }
  });

  it('after the agreement\'s retention the reader\'s copy is purged, files, rows and reports, and the purge is audited', async () => {
    const { StudyStore } = await import('../core/store/store.js');
    const { purge, retentionOf } = await import('../core/cases/retention.js');
    assert.deepEqual(ok(amur(readerHome, ['purge', '--dry-run', '--json']), 'dry run').json(), { dryRun: true, purged: [] }, 'nothing is due yet');
    await unlockTestHome(readerHome);
    const store = StudyStore.open(readerHome);
    try {
      const due = retentionOf(store, readerHome);
      assert.equal(due.length, 2);
      assert.ok(due.every((d) => d.retentionFrom === 'agreement' && d.retentionDays === 30));
      const later = new Date(Date.parse(due[0]!.purgeAt) + 60_000);
      const files = store.allFilePaths().length;
      const r = purge(store, readerHome, { now: later });
      assert.ok(r.purged.some((p) => p.StudyInstanceUID === deidStudy && p.instances === 28 && p.reports === 1));
      const purgedInstances = r.purged.reduce((n, p) => n + p.instances, 0);
      assert.equal(store.allFilePaths().length, files - purgedInstances, 'the instance files are gone');
      assert.equal(store.listStudies().some((s) => s.StudyInstanceUID === deidStudy), false, 'the catalogue no longer lists it');
      assert.deepEqual(store.db.prepare('SELECT count(*) AS n FROM outbox WHERE StudyInstanceUID = ?').get(deidStudy), { n: 0 });
    } finally {
      store.close();
    }
    // The outbox's copies of the signed reports are gone (`--out` folders are the user's own, and stay).
    // (The folder keeps its '.sealed' marker: the outbox's own bookkeeping, no report.)
    assert.deepEqual(readdirSync(join(readerHome, 'store', 'outbox')).filter((f) => !f.startsWith('.')), [], 'the outbox copies of the reports are gone');
    const events = ok(amur(readerHome, ['audit', 'list', '--study', deidStudy, '--json']), 'audit').json() as { action: string }[];
    assert.equal(events.at(-1)!.action, 'study.purge');
    assert.deepEqual(ok(amur(readerHome, ['purge', '--json']), 'purge again').json(), { dryRun: false, purged: [] });
  });
});
