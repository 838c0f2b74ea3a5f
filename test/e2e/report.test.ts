// The report editor through the browser shell in Chromium: from the viewer of a real head CT, the
// editor opens beside the images, creates the study's draft, proposes the AI's finding (stored by
// triage) for the radiologist to decide, saves every change (a reload loses nothing), and signs
// with an identity from the identity store; the signed files are kept sealed, and opened (the PDF
// saved from the editor) they pass dcmsign and pdfsig; the editor then says the report is signed, and
// an amendment of it starts only when asked for. (report-signing.test.ts covers the refusals, the
// preview, the confirmation and importing an identity.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { SignedReports } from '../../core/reports/signed.js';
import { StudyStore } from '../../core/store/store.js';
import { TriageResults } from '../../core/triage/results.js';
import { makePki, type TestPki } from '../fixtures/pki/pki.js';
import { headCtFiles } from '../report-fixtures.js';
import { REPO_ROOT } from '../shared-data.js';
import { openReadingRoom, type ReadingRoom, type RunningApp, screenshotDir } from './harness.js';
import { unlockTestHome } from '../vault.js';

const MODEL = { id: 'ct-ich', version: '0.1.0', sha256: '5'.repeat(64) };

describe('report editor in the browser shell', () => {
  let app: RunningApp;
  let room: ReadingRoom;
  let pki: TestPki;
  let StudyInstanceUID: string;

  const amur = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: app.home } });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const editor = (page: Page) => page.locator('[data-testid="report-editor"][data-state="ready"]');
  const saved = (page: Page) => page.locator('[data-testid="report-editor"][data-save-state="saved"]').waitFor();

  async function openReport(page: Page): Promise<void> {
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${StudyInstanceUID}"]`).dblclick();
    await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
    await page.locator('[data-testid="toggle-report"]').click();
    await editor(page).waitFor();
  }

  before(async () => {
    pki = makePki();
    room = await openReadingRoom({
      // The study, the signing identity and a triage result are in the store before the page opens.
      prepare: async (running) => {
        app = running;
        amur(['import', join(headCtFiles()[0]!, '..')]);
        amur(['identity', 'import', pki.file('rsa.p12'), '--name', 'ivanov', '--passphrase-file', pki.file('passphrase.txt')]);
        await unlockTestHome(app.home);
        const store = StudyStore.open(app.home);
        try {
          StudyInstanceUID = store.listStudies()[0]!.StudyInstanceUID;
          new TriageResults(store.db).put({
            StudyInstanceUID, status: 'done', model: MODEL,
            findings: [{ label: 'intracranial-hemorrhage', score: 0.91, positive: true, positiveAtHighSensitivity: true }],
            operatingPoints: { balanced: 0.5, high_sensitivity: 0.3 }, instances: { done: 28, notApplicable: 0, error: 0 },
            triagedAt: new Date().toISOString(),
          });
        } finally {
          store.close();
        }
      },
    });
  });
  after(async () => {
    await room?.close();
    pki?.remove();
  });

  test('opens beside the viewer with the CT head template in Chinese and English, and the AI proposal', async () => {
    const { page } = room;
    await openReport(page);
    assert.match(await page.locator('.report-head').innerText(), /头颅CT检查报告[\s\S]*CT head report/);
    const finding = page.locator('[data-testid="report-finding"][data-finding-id="intracranial-hemorrhage"]');
    assert.equal(await finding.isChecked(), false);
    const ai = page.locator('[data-testid="report-ai-finding"][data-finding-id="intracranial-hemorrhage"]');
    assert.equal(await ai.getAttribute('data-status'), 'proposed');
    assert.match(await page.locator('[data-testid="report-ai"]').innerText(), /Assistive[\s\S]*颅内出血\s*\/\s*Intracranial haemorrhage[\s\S]*ct-ich 0\.1\.0/);
    // Signing waits for the radiologist's decision on every AI proposal.
    assert.equal(await page.locator('[data-testid="report-sign-button"]').isDisabled(), true);
  });

  test('changes the template while nothing is picked from it, and not after', async () => {
    const { page } = room;
    const select = page.locator('[data-testid="report-template"]');
    await select.selectOption('mr-brain');
    await page.locator('[data-testid="report-finding"][data-finding-id="white-matter-lesions"]').waitFor();
    await saved(page);
    // MR brain has the proposed finding too, so the proposal stays.
    assert.equal(await page.locator('[data-testid="report-ai-finding"]').count(), 1);
    await select.selectOption('ct-head');
    await page.locator('[data-testid="report-finding"][data-finding-id="midline-shift"]').waitFor();
    await saved(page);
    await page.locator('[data-testid="report-finding"][data-finding-id="hydrocephalus"]').check();
    assert.equal(await select.isDisabled(), true);
    await page.locator('[data-testid="report-finding"][data-finding-id="hydrocephalus"]').uncheck();
    assert.equal(await select.isDisabled(), false);
  });

  test('saves every change; a reload of the page loses nothing', async () => {
    const { page } = room;
    await page.locator('[data-testid="report-finding"][data-finding-id="midline-shift"]').check();
    await page.locator('[data-testid="report-ai-finding"] [data-testid="report-ai-accept"]').click();
    await page.locator('[data-testid="report-text-lang-history"]').selectOption('zh-CN');
    await page.locator('[data-testid="report-text-history"]').fill('外伤后头痛3小时。');
    await page.locator('[data-testid="report-impression-en"]').fill('Left frontal intracerebral haematoma.');
    await page.locator('[data-testid="report-impression-zh-CN"]').fill('左额叶脑内血肿。');
    await saved(page);
    await page.reload();
    await page.waitForSelector('[data-testid="worklist"][data-state="ready"]');
    await openReport(page);
    assert.equal(await page.locator('[data-testid="report-finding"][data-finding-id="midline-shift"]').isChecked(), true);
    assert.equal(await page.locator('[data-testid="report-ai-finding"]').getAttribute('data-status'), 'accepted');
    assert.equal(await page.locator('[data-testid="report-text-history"]').inputValue(), '外伤后头痛3小时。');
    assert.equal(await page.locator('[data-testid="report-impression-zh-CN"]').inputValue(), '左额叶脑内血肿。');
    // Who signs is not typed in the editor: it comes from the certificate.
    assert.equal(await page.locator('[data-testid="report-observer-name"]').count(), 0);
  });

  test('closing the editor right after typing keeps what was typed', async () => {
    const { page } = room;
    await page.locator('[data-testid="report-text-lang-recommendations"]').selectOption('ru');
    await page.locator('[data-testid="report-text-recommendations"]').fill('Контроль КТ через 24 часа.');
    // No wait for the save: the editor is closed at once, and opened again.
    await page.locator('[data-testid="toggle-report"]').click();
    await page.locator('[data-testid="report-editor"]').waitFor({ state: 'detached' });
    await page.locator('[data-testid="toggle-report"]').click();
    await editor(page).waitFor();
    assert.equal(await page.locator('[data-testid="report-text-recommendations"]').inputValue(), 'Контроль КТ через 24 часа.');
    // Marked Russian by the radiologist, though the reader's language is English.
    assert.equal(await page.locator('[data-testid="report-text-lang-recommendations"]').inputValue(), 'ru');
  });

  test('refuses a wrong passphrase with a translated message, then signs', async () => {
    const { page } = room;
    await page.locator('[data-testid="report-passphrase"]').fill('wrong');
    await page.locator('[data-testid="report-sign-button"]').click();
    await page.locator('[data-testid="report-sign-error"]').waitFor();
    assert.match(await page.locator('[data-testid="report-sign-error"]').innerText(), /passphrase does not open/);
    await page.locator('[data-testid="report-passphrase"]').fill(pki.passphrase);
    await page.locator('[data-testid="report-sign-button"]').click();
    const signed = page.locator('[data-testid="signed-report"]');
    await signed.waitFor();
    const uid = (await signed.getAttribute('data-sop-instance-uid'))!;
    await page.screenshot({ path: join(screenshotDir(), 'report-editor-signed.png'), fullPage: true });
    // Kept sealed under the study's key: on disk the files are not DICOM or PDF to anyone.
    const dir = join(app.home, 'reports', 'signed', uid);
    assert.notEqual(spawnSync('dcmsign', ['--verify', join(dir, 'report-sr.dcm')], { encoding: 'utf8' }).status, 0, 'the kept SR is sealed');
    // Opened by the workstation: the SR as the store keeps it, the PDF as the editor offers it for saving.
    const out = mkdtempSync(join(tmpdir(), 'amur-e2e-signed-'));
    const store = StudyStore.open(app.home);
    try {
      writeFileSync(join(out, 'report-sr.dcm'), new SignedReports(store).read(uid, 'report-sr.dcm').bytes);
    } finally {
      store.close();
    }
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-testid="signed-report"][data-sop-instance-uid="${uid}"] [data-testid="signed-report-pdf"]`).click()]);
    assert.equal(download.suggestedFilename(), 'report.pdf');
    await download.saveAs(join(out, 'report.pdf'));
    const dcmsign = spawnSync('dcmsign', ['--verify', '+rg', '+cf', pki.file('ca.pem'), join(out, 'report-sr.dcm')], { encoding: 'utf8' });
    assert.equal(dcmsign.status, 0, dcmsign.stdout + dcmsign.stderr);
    assert.match(spawnSync('pdfsig', [join(out, 'report.pdf')], { encoding: 'utf8' }).stdout, /Signature is Valid/);
    const text = spawnSync('pdftotext', [join(out, 'report.pdf'), '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    // The reader named is the certificate's holder (rule 3).
    for (const s of ['颅内出血', 'Intracranial haemorrhage', '人工智能辅助发现', 'ct-ich 0.1.0', '左额叶脑内血肿。', 'Ivanov Ivan', 'Amur tests']) {
      assert.ok(text.includes(s), `PDF lacks ${s}`);
    }
    rmSync(out, { recursive: true, force: true });
    // The signed report is immutable: the editor says it is signed, and a new draft amending it
    // starts only when the radiologist asks for one.
    assert.equal(await page.locator(`[data-testid="report-signed-confirmation"][data-sop-instance-uid="${uid}"]`).count(), 1);
    assert.equal(await page.locator('[data-testid="report-amends"]').count(), 0);
    await page.locator('[data-testid="report-amend"]').click();
    await page.locator('[data-testid="report-amends"]').waitFor();
    assert.match(await page.locator('[data-testid="report-amends"]').innerText(), new RegExp(uid.replace(/\./g, '\\.')));
  });
});
