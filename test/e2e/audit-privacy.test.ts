// A whole reading through the browser shell in Chromium, checked as a security officer would:
// afterwards the study's audit, shown in the viewer in Russian and Chinese, says who imported,
// opened, viewed, drafted and signed it; and the patient's name and ID and the study's UIDs are
// nowhere they do not belong: not in the host's log, not in any URL the browser requested, not
// in the browser's profile (localStorage, IndexedDB, Cache Storage, history), not in the temp
// folder, and the audit trail itself carries no name or ID.
//
// The study is the 28-slice head CT given a patient of its own by dcmodify (a UTF-8 name with
// Chinese characters, an unusual ID, new UIDs), so that a hit can only come from this reading.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { makePki, type TestPki } from '../fixtures/pki/pki.js';
import { newUid } from '../import-helpers.js';
import { headCtFiles } from '../report-fixtures.js';
import { REPO_ROOT } from '../shared-data.js';
import { filesUnder, scan } from '../leak-scan.js';
import { openReadingRoom, type ReadingRoom, type RunningApp } from './harness.js';

const PATIENT_NAME = 'Qiao^Lanfang=乔^兰芳';
const PATIENT_ID = 'PRIV58213XQ';

describe('a whole reading leaves its audit and no patient data behind', () => {
  let app: RunningApp;
  let room: ReadingRoom;
  let context: BrowserContext;
  let page: Page;
  let pki: TestPki;
  const work = mkdtempSync(join(tmpdir(), 'amur-privacy-'));
  const profile = join(work, 'chromium-profile');
  const appTmp = join(work, 'app-tmp');
  const studyDir = join(work, 'study');
  const StudyInstanceUID = newUid();
  const SeriesInstanceUID = newUid();
  const urls: string[] = [];

  const amur = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: app.home } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    mkdirSync(appTmp);
    mkdirSync(studyDir);
    for (const f of headCtFiles()) cpSync(f, join(studyDir, f.split('/').at(-1)!));
    const mod = spawnSync('dcmodify', ['-nb', '-gin', '-i', '(0008,0005)=ISO_IR 192', '-m', `(0010,0010)=${PATIENT_NAME}`, '-m', `(0010,0020)=${PATIENT_ID}`,
      '-m', `(0020,000d)=${StudyInstanceUID}`, '-m', `(0020,000e)=${SeriesInstanceUID}`, ...readdirSync(studyDir).map((n) => join(studyDir, n))], { encoding: 'utf8' });
    assert.equal(mod.status, 0, mod.stderr);
    pki = makePki();
    room = await openReadingRoom({
      // The host's temp folder is this test's own, so that anything it writes there is found.
      env: { TMPDIR: appTmp, AMUR_LANG: 'ru', AMUR_DELIVERY_INTERVAL: '0' },
      prepare: (running) => {
        app = running;
        amur(['identity', 'import', pki.file('rsa.p12'), '--name', 'ivanov', '--passphrase-file', pki.file('passphrase.txt')]);
      },
      // A profile on disk, so that what the page stored in the browser can be read afterwards.
      profile,
      locale: 'ru-RU',
      onPage: (p) => {
        p.on('request', (r) => urls.push(r.url()));
        p.on('websocket', (ws) => urls.push(ws.url()));
      },
    });
    ({ context, page } = room);
  });
  after(async () => {
    await room?.close();
    pki?.remove();
    rmSync(work, { recursive: true, force: true });
  });

  test('import, open, read, report and sign through the UI; the audit panel shows each step in Russian and Chinese', async () => {
    const status = page.locator('[data-testid="import-status"]');
    const finished = Number(await status.getAttribute('data-finished'));
    await page.locator('[data-testid="import-files-input"]').setInputFiles(readdirSync(studyDir).map((n) => join(studyDir, n)));
    await page.locator(`[data-testid="import-status"][data-finished="${finished + 1}"][data-state="done"]`).waitFor();

    await page.locator(`[data-testid="worklist-row"][data-study-uid="${StudyInstanceUID}"]`).dblclick();
    await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
    await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
    await page.hover('[data-testid="viewport"]');
    await page.keyboard.press('ArrowDown');
    await page.waitForSelector('[data-testid="viewport"][data-image-index="1"]');

    await page.locator('[data-testid="toggle-report"]').click();
    await page.locator('[data-testid="report-editor"][data-state="ready"]').waitFor();
    await page.locator('[data-testid="report-finding"][data-finding-id="midline-shift"]').check();
    await page.locator('[data-testid="report-impression-ru"]').fill('Смещение срединных структур.');
    await page.locator('[data-testid="report-impression-zh-CN"]').fill('中线移位。');
    await page.locator('[data-testid="report-editor"][data-save-state="saved"]').waitFor();
    await page.locator('[data-testid="report-passphrase"]').fill(pki.passphrase);
    await page.locator('[data-testid="report-sign-button"]').click();
    await page.locator('[data-testid="signed-report"]').waitFor();

    await page.locator('[data-testid="toggle-audit"]').click();
    const panel = page.locator('[data-testid="study-audit"][data-state="ready"]');
    await panel.waitFor();
    // Wait until the signature (recorded before the signed report is shown) is listed.
    await page.locator('[data-testid="audit-event"][data-action="report.sign"]').waitFor();
    const actions = await page.locator('[data-testid="audit-event"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')));
    for (const a of ['study.import', 'study.open', 'study.view', 'report.draft', 'report.sign']) {
      assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
    }
    // Newest first: the signature is above the opening.
    assert.ok(actions.indexOf('report.sign') < actions.indexOf('study.open'));
    const ru = await panel.innerText();
    assert.match(ru, /Аудит исследования/);
    assert.match(ru, /Исследование открыто[\s\S]*Импорт исследования/);
    // The signature is the signer's, by the name in the certificate.
    assert.match(ru, /Заключение подписано[^\n]*\n?[^\n]*Ivanov Ivan/);
    await page.locator('[data-testid="language"]').selectOption('zh-CN');
    await page.locator('[data-testid="study-audit"] h2', { hasText: '本检查的审计记录' }).waitFor();
    const zh = await panel.innerText();
    assert.match(zh, /报告已签名[\s\S]*打开检查[\s\S]*导入检查/);

    // The CLI reads the same trail, and it is intact.
    const verified = JSON.parse(amur(['audit', 'verify', '--json'])) as { events: number; valid: boolean };
    assert.equal(verified.valid, true);
    assert.ok(verified.events >= 6);
  });

  test('copying what the screen shows puts nothing of the patient on the clipboard, and says why', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(page.url()).origin });
    await page.evaluate(() => navigator.clipboard.writeText('before'));
    await page.locator('[data-testid="back-to-worklist"]').click();
    const row = page.locator(`[data-testid="worklist-row"][data-study-uid="${StudyInstanceUID}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(PATIENT_ID));
    await row.evaluate((el) => {
      const r = document.createRange();
      r.selectNodeContents(el);
      getSelection()!.removeAllRanges();
      getSelection()!.addRange(r);
    });
    await page.keyboard.press('Control+C');
    await page.locator('[data-testid="copy-blocked"]').waitFor();
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    assert.ok(!clip.includes(PATIENT_ID) && !clip.includes('兰芳'), `the clipboard holds ${JSON.stringify(clip)}`);
  });

  test('the patient\'s name and ID and the study\'s UIDs are in no log, URL, browser storage or temp file; the audit has no name or ID', async () => {
    await context.close();
    const output = app.output();
    // The search finds what is there: the files that were imported carry the name and the ID.
    const sources = filesUnder(studyDir);
    assert.equal(scan(sources, [PATIENT_ID, '乔^兰芳']).length, 2 * sources.length);
    const hospitalNeedles = [PATIENT_ID, 'Qiao^Lanfang', '乔^兰芳', 'Qiao', '兰芳'];
    const uidNeedles = [StudyInstanceUID, SeriesInstanceUID];
    const everything = [...hospitalNeedles, ...uidNeedles];

    for (const n of everything) assert.ok(!output.includes(n), `the host's log mentions ${n}`);
    assert.ok(urls.length > 10, `the browser made requests (${urls.length})`);
    for (const u of urls) for (const n of everything) assert.ok(!decodeURIComponent(u).includes(n), `URL ${u} carries ${n}`);

    const profileFiles = filesUnder(profile);
    assert.ok(profileFiles.length > 10, 'the profile was written to disk');
    assert.deepEqual(scan(profileFiles, everything), [], 'the browser profile');
    assert.deepEqual(scan(filesUnder(appTmp), everything), [], 'the host\'s temp folder');
    // The audit trail names studies by UID (that is what it is for) and never a patient.
    const auditFiles = filesUnder(join(app.home, 'audit'));
    assert.ok(auditFiles.some((f) => f.endsWith('audit.sqlite')));
    assert.deepEqual(scan(auditFiles, hospitalNeedles), [], 'the audit trail');
    // Uploads are removed once imported.
    assert.deepEqual(scan(filesUnder(join(app.home, 'uploads')), everything), [], 'the upload folder');
    // At rest, everything of the reading (catalogue, images, drafts, the signed report, its outbox
    // copy) is encrypted: no file anywhere under AMUR_HOME shows the patient.
    const atRest = filesUnder(app.home);
    assert.ok(atRest.some((f) => f.includes(`${join('store', 'files')}`)), 'the study is stored');
    assert.ok(atRest.some((f) => f.includes(join('reports', 'signed'))), 'the signed report is kept');
    assert.deepEqual(scan(atRest, hospitalNeedles), [], 'AMUR_HOME at rest');
  });
});
