// Signing a report in the browser shell in Chromium, in Russian, as a radiologist would (issue 11,
// rule 3): with no identity yet the editor says so and offers to import one; a wrong passphrase and
// an expired certificate are refused in Russian and nothing is stored; the imported identity's
// holder and organisation are shown as who signs, and cannot be typed over. An empty report and
// contradictory findings are refused with every reason listed beside the Sign button, translated
// and without internal names; Russian typed in the English box is listed and re-tagged on the
// user's word; the PDF that will be signed is previewed first, drawn in the page by pdf.js (every
// page poppler counts, ink on white, no policy violation; the bytes it drew name the certificate's
// holder); signing says so, offers the signed PDF, shows the study as reported and
// offers the next unread study, which opens.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { decodeMessage, type HostMessage } from '../../core/contract/wire.js';
import { StudyStore } from '../../core/store/store.js';
import { makePki, type TestPki } from '../fixtures/pki/pki.js';
import { headCtFiles } from '../report-fixtures.js';
import { PYDICOM_DATA, REPO_ROOT } from '../shared-data.js';
import { unlockTestHome } from '../vault.js';
import { readingRoomForTests, type RunningApp, screenshotDir } from './harness.js';
import { drawnPdf, inkAgreement, sha256, popplerPages, watchCspViolations } from './pdf-drawn.js';

/** What a user must never be shown: field paths, UUIDs, translation keys, unfilled placeholders. */
const INTERNAL = /observer\.|findings\[|texts\[|impression\[|aiFindings|[0-9a-f]{8}-[0-9a-f]{4}-|\{\{|reports\.problem|errors\./;

describe('signing a report in the browser shell (ru)', () => {
  let pki: TestPki;
  let app: RunningApp;
  let headCt = '';
  let mr = '';
  const out = mkdtempSync(join(tmpdir(), 'amur-e2e-signing-'));
  /** The PDFs the host sent the page (contract results over the WebSocket), by file name. */
  const pdfsSent: { fileName: string; bytes: Uint8Array }[] = [];
  const cspViolations: string[] = [];

  before(() => {
    pki = makePki();
  });
  const room = readingRoomForTests(() => ({
    locale: 'ru-RU',
    env: { AMUR_DELIVERY_INTERVAL: '0' },
    prepare: async (running) => {
      app = running;
      for (const path of [join(headCtFiles()[0]!, '..'), join(PYDICOM_DATA, 'test_files', 'MR_small.dcm')]) {
        const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'import', path], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: app.home } });
        assert.equal(r.status, 0, r.stdout + r.stderr);
      }
      await unlockTestHome(app.home);
      const store = StudyStore.open(app.home);
      try {
        for (const s of store.listStudies()) {
          if (s.ModalitiesInStudy.includes('CT')) headCt = s.StudyInstanceUID;
          else mr = s.StudyInstanceUID;
        }
      } finally {
        store.close();
      }
    },
    onPage: (page) => {
      page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
      page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string') return;
        const msg = decodeMessage<HostMessage>(new Uint8Array(payload));
        const v = msg.t === 'result' ? (msg.value as { fileName?: string; mediaType?: string; bytes?: Uint8Array } | null) : null;
        if (v?.mediaType === 'application/pdf' && v.bytes) pdfsSent.push({ fileName: v.fileName!, bytes: v.bytes });
      }));
    },
  }));
  after(() => {
    pki?.remove();
    rmSync(out, { recursive: true, force: true });
  });

  const problems = (page: Page) => page.locator('[data-testid="report-sign"] [data-testid="report-problems"][data-state="ready"]');
  const saved = (page: Page) => page.locator('[data-testid="report-editor"][data-save-state="saved"]').waitFor();
  const signButton = (page: Page) => page.locator('[data-testid="report-sign-button"]');
  const pdfText = (bytes: Uint8Array, name: string) => {
    const file = join(out, name);
    writeFileSync(file, bytes);
    return spawnSync('pdftotext', [file, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
  };
  const storedIdentities = () => {
    const dir = join(app.home, 'identities');
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  };
  /** Waits until the problems listed are those of what is saved now, and returns their codes. */
  async function problemCodes(page: Page): Promise<string[]> {
    await saved(page);
    await problems(page).waitFor();
    return page.locator('[data-testid="report-problem"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')!));
  }

  test('without an identity the editor says so and offers the import; a wrong passphrase and an expired certificate are refused in Russian, nothing stored', async () => {
    const { page } = room();
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${headCt}"]`).dblclick();
    await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
    await page.locator('[data-testid="toggle-report"]').click();
    await page.locator('[data-testid="report-editor"][data-state="ready"]').waitFor();
    const none = page.locator('[data-testid="report-no-signer"]');
    await none.waitFor();
    assert.match(await none.innerText(), /ещё нет ключа подписи/);
    assert.equal(await signButton(page).count(), 0, 'nothing to sign with');

    // The import is open at once: without an identity it is the one thing to do.
    assert.equal(await page.locator('[data-testid="identity-import-toggle"]').count(), 0);
    await page.locator('[data-testid="identity-import-file"]').setInputFiles(pki.file('rsa.p12'));
    // The name is proposed from the file; the radiologist keeps it under their own.
    assert.equal(await page.locator('[data-testid="identity-import-name"]').inputValue(), 'rsa');
    await page.locator('[data-testid="identity-import-name"]').fill('ivanov');
    await page.locator('[data-testid="identity-import-passphrase"]').fill('wrong');
    await page.locator('[data-testid="identity-import-button"]').click();
    const error = page.locator('[data-testid="identity-import"][data-state="failed"] [data-testid="identity-import-error"]');
    await error.waitFor();
    assert.equal(await error.innerText(), 'Пароль не подходит к rsa.p12. Проверьте пароль и повторите.');

    await page.locator('[data-testid="identity-import-file"]').setInputFiles(pki.file('expired.p12'));
    await page.locator('[data-testid="identity-import-passphrase"]').fill(pki.passphrase);
    await page.locator('[data-testid="identity-import-button"]').click();
    await error.waitFor();
    assert.match(await error.innerText(), /^Срок действия сертификата CN=Expired Signer, O=Amur tests истёк 2021-06-01.*подписывать им больше нельзя\.$/);
    assert.doesNotMatch(await error.innerText(), INTERNAL);
    assert.deepEqual(storedIdentities(), [], 'nothing stored');
    assert.equal(await none.count(), 1);
  });

  test('the right passphrase imports it; the signer shown is the certificate holder and organisation, not editable', async () => {
    const { page } = room();
    await page.locator('[data-testid="identity-import-file"]').setInputFiles(pki.file('rsa.p12'));
    await page.locator('[data-testid="identity-import-passphrase"]').fill(pki.passphrase);
    await page.locator('[data-testid="identity-import-button"]').click();
    await page.locator('[data-testid="identity-imported"]').waitFor();
    assert.equal(await page.locator('[data-testid="identity-imported"]').innerText(), 'Ключ подписи «ivanov» импортирован.');
    assert.deepEqual(storedIdentities(), ['ivanov.json']);

    const who = page.locator('[data-testid="report-signer-identity"][data-state="ready"]');
    await who.waitFor();
    assert.equal(await page.locator('[data-testid="report-signer"]').inputValue(), 'ivanov');
    assert.equal(await page.locator('[data-testid="report-signer-name"]').innerText(), 'Ivanov Ivan');
    assert.equal(await page.locator('[data-testid="report-signer-organization"]').innerText(), 'Amur tests');
    // Nothing to type a reader's name or organisation into, anywhere in the editor.
    assert.equal(await who.locator('input, textarea, [contenteditable="true"]').count(), 0);
    assert.equal(await page.locator('[data-testid="report-observer-name"], [data-testid="report-organization"]').count(), 0);
    assert.match(await page.locator('[data-testid="report-sign"]').innerText(), /Врач-рентгенолог\s+Ivanov Ivan\s+Организация\s+Amur tests/);
  });

  test('an empty report: the reason listed beside the Sign button in Russian, without internal names, and Sign disabled', async () => {
    const { page } = room();
    // The AI's proposals, if the import brought any, rejected: what is left says nothing.
    for (const reject of await page.locator('[data-testid="report-ai-reject"]').all()) await reject.click();
    assert.deepEqual(await problemCodes(page), ['reports.problem.empty']);
    const text = await problems(page).innerText();
    assert.match(text, /Пока нельзя подписать \(1\)/);
    assert.match(text, /В заключении нет ни находки, ни текста, ни вывода — подписывать нечего/);
    assert.doesNotMatch(text, INTERNAL);
    await page.locator('[data-testid="report-passphrase"]').fill(pki.passphrase);
    assert.equal(await signButton(page).isDisabled(), true);
  });

  test('contradictory findings are refused with the reason naming both', async () => {
    const { page } = room();
    await page.locator('[data-testid="report-finding"][data-finding-id="normal"]').check();
    await page.locator('[data-testid="report-finding"][data-finding-id="intracranial-hemorrhage"]').check();
    assert.deepEqual(await problemCodes(page), ['reports.problem.contradictory']);
    assert.match(await problems(page).innerText(), /«Патологических изменений головного мозга не выявлено» противоречит находке «Внутричерепное кровоизлияние»/);
    assert.equal(await signButton(page).isDisabled(), true);
    await page.locator('[data-testid="report-finding"][data-finding-id="normal"]').uncheck();
    assert.deepEqual(await problemCodes(page), []);
    assert.equal(await problems(page).innerText(), 'Подписи ничего не мешает.');
    assert.equal(await signButton(page).isDisabled(), false);
  });

  test('Russian typed into the English box is listed, and re-tagged only on the user\'s word', async () => {
    const { page } = room();
    await page.locator('[data-testid="report-reader"]').selectOption('en');
    await page.locator('[data-testid="report-impression-en"]').fill('Внутримозговая гематома левой лобной доли.');
    assert.deepEqual(await problemCodes(page), ['reports.problem.languageMismatch']);
    assert.match(await problems(page).innerText(), /помечен как английский, но написан на другом языке \(русский\)/i);
    assert.equal(await signButton(page).isDisabled(), true);
    await page.locator('[data-testid="report-retag"]').click();
    const confirm = page.locator('[data-testid="report-retag-confirm"]');
    assert.match(await confirm.innerText(), /«Заключение»: английский → русский/i);
    // Declined: nothing changes.
    await page.locator('[data-testid="report-retag-no"]').click();
    assert.equal(await page.locator('[data-testid="report-problem"]').count(), 1);
    await page.locator('[data-testid="report-retag"]').click();
    await page.locator('[data-testid="report-retag-yes"]').click();
    await page.locator('[data-testid="report-impression-ru"]').waitFor();
    assert.equal(await page.locator('[data-testid="report-impression-ru"]').inputValue(), 'Внутримозговая гематома левой лобной доли.');
    assert.equal(await page.locator('[data-testid="report-impression-en"]').inputValue(), '');
    assert.deepEqual(await problemCodes(page), []);
  });

  test('the PDF that will be signed is shown before signing, naming the certificate holder', async () => {
    const { page } = room();
    await page.locator('[data-testid="report-impression-zh-CN"]').fill('左额叶脑内血肿。');
    await saved(page);
    const violations = await watchCspViolations(page);
    await page.locator('[data-testid="report-preview-button"]').click();
    const drawn = await drawnPdf(page.locator('[data-testid="report-preview"]'));
    const preview = pdfsSent.filter((f) => f.fileName === 'report-preview.pdf').at(-1);
    assert.ok(preview, 'the host sent the preview');
    // What is drawn is the host's preview, every page of it, and each page shows text on paper.
    assert.equal(drawn.sha256, sha256(preview.bytes), 'the page drew the bytes the host sent');
    assert.equal(drawn.pages, popplerPages(preview.bytes), 'as many pages as poppler reads');
    assert.equal(drawn.canvases, drawn.pages);
    for (const [i, p] of drawn.ink.entries()) {
      assert.ok(p.dark > 0.001 && p.white > 0.5, `page ${i + 1} shows dark text on white: ${JSON.stringify(p)}`);
    }
    // Its Chinese and Russian text in the fonts the PDF embeds: page 1 drawn as poppler draws it.
    const agreement = await inkAgreement(page.locator('[data-testid="report-preview"]'), preview.bytes);
    assert.ok(agreement > 0.9, `page 1 drawn as poppler draws it: ${agreement}`);
    // The reader's language is English now, so the PDF is in Chinese and English (the re-tagged
    // impression in Russian, as written).
    const text = pdfText(preview.bytes, 'preview.pdf');
    for (const s of ['Ivanov Ivan', 'Amur tests', 'PREVIEW — not signed', '预览——尚未签名', 'Внутримозговая гематома левой лобной доли.', '左额叶脑内血肿。', 'Intracranial haemorrhage']) {
      assert.ok(text.includes(s), `the preview lacks ${s}`);
    }
    assert.ok(!Buffer.from(preview.bytes).includes('/ByteRange'), 'not signed yet');
    assert.deepEqual(cspViolations, [], 'drawing the preview breaks none of the page\'s policy (console)');
    assert.deepEqual(await violations(), [], 'no securitypolicyviolation event');
    await page.locator('[data-testid="report-preview"] canvas[data-page="1"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir(), 'report-signing-preview-ru.png') });
  });

  test('signing: a clear confirmation, the signed PDF one click away, the study reported, the next study offered and opened', async () => {
    const { page } = room();
    await page.locator('[data-testid="report-passphrase"]').fill(pki.passphrase);
    await signButton(page).click();
    const done = page.locator('[data-testid="report-signed-confirmation"][data-state="ready"]');
    await done.waitFor();
    assert.match(await done.innerText(), /Заключение подписано/);
    assert.match(await page.locator('[data-testid="report-signed-by"]').innerText(), /^Подписал\(а\) Ivanov Ivan, Amur tests, /);
    assert.equal(await page.locator('[data-testid="report-study-status"]').getAttribute('data-status'), 'reported');
    assert.match(await page.locator('[data-testid="report-study-status"]').innerText(), /Статус исследования: /);
    // Not a silent switch into an amendment: no draft is open until one is asked for.
    assert.equal(await page.locator('[data-testid="report-amends"], [data-testid="report-sign-button"]').count(), 0);
    await page.screenshot({ path: join(screenshotDir(), 'report-signing-done-ru.png') });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-testid="report-signed-pdf"]').click()]);
    assert.equal(download.suggestedFilename(), 'report.pdf');
    const pdf = join(out, 'report.pdf');
    await download.saveAs(pdf);
    assert.match(spawnSync('pdfsig', [pdf], { encoding: 'utf8' }).stdout, /Signature is Valid/);
    const text = spawnSync('pdftotext', [pdf, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    assert.ok(text.includes('Ivanov Ivan') && text.includes('Amur tests') && !text.includes('PREVIEW'));

    const next = page.locator(`[data-testid="report-next-study"][data-study-uid="${mr}"]`);
    await next.waitFor();
    await next.click();
    await page.locator(`[data-testid="viewer"][data-study-uid="${mr}"]`).waitFor();
  });
});

/** The empty report's reason and the problem count, as each language words them. */
const LAYOUT = [
  { locale: 'zh-CN', head: /尚不能签名（1 项）/, empty: /报告没有任何所见、文字或诊断意见，无可签名/ },
  { locale: 'ru-RU', head: /Пока нельзя подписать \(1\)/, empty: /В заключении нет ни находки, ни текста, ни вывода/ },
  { locale: 'en-US', head: /Not ready to sign \(1\)/, empty: /The report has no finding, no text and no impression/ },
];

for (const { locale, head, empty } of LAYOUT) {
  describe(`the signing panel at 1280×720 (${locale})`, () => {
    let pki: TestPki;
    before(() => {
      pki = makePki();
    });
    after(() => pki?.remove());
    const room = readingRoomForTests(() => ({
      locale,
      viewport: { width: 1280, height: 720 },
      env: { AMUR_DELIVERY_INTERVAL: '0' },
      prepare: (app) => {
        const amur = (args: string[]) => {
          const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: app.home } });
          assert.equal(r.status, 0, r.stdout + r.stderr);
        };
        amur(['import', join(headCtFiles()[0]!, '..')]);
        amur(['identity', 'import', pki.file('reader-ru.p12'), '--name', 'kuznetsova', '--passphrase-file', pki.file('passphrase.txt')]);
      },
    }));

    test('the signer, the reason and the Sign button read in the language on screen, each label on one line', async () => {
      const { page } = room();
      await page.locator('[data-testid="worklist-row"]').first().dblclick();
      await page.waitForSelector('[data-testid="viewer"][data-state="ready"]');
      await page.locator('[data-testid="toggle-report"]').click();
      await page.locator('[data-testid="report-editor"][data-state="ready"]').waitFor();
      await page.locator('[data-testid="report-signer-identity"][data-state="ready"]').waitFor();
      // The Cyrillic holder of the certificate, as the signed report will name her.
      assert.equal(await page.locator('[data-testid="report-signer-name"]').innerText(), 'Кузнецова Мария');
      assert.equal(await page.locator('[data-testid="report-signer-organization"]').innerText(), 'Городская больница №1');
      for (const reject of await page.locator('[data-testid="report-ai-reject"]').all()) await reject.click();
      await page.locator('[data-testid="report-editor"][data-save-state="saved"]').waitFor();
      const list = page.locator('[data-testid="report-sign"] [data-testid="report-problems"][data-state="ready"]');
      await list.waitFor();
      const text = await list.innerText();
      assert.match(text, head);
      assert.match(text, empty);
      assert.doesNotMatch(text, INTERNAL);
      const sign = page.locator('[data-testid="report-sign-button"]');
      await sign.scrollIntoViewIfNeeded();
      assert.equal(await sign.isDisabled(), true);
      // Labels are never broken one character per line: each is one line high, inside the window.
      const boxes = await page.locator('[data-testid="report-sign"] dt, [data-testid="report-sign-button"], [data-testid="report-preview-button"], [data-testid="identity-import-toggle"]').evaluateAll((els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { text: (e as HTMLElement).innerText, height: r.height, lineHeight: parseFloat(getComputedStyle(e).lineHeight) || 20, right: r.right };
        }));
      assert.equal(boxes.length, 6);
      for (const b of boxes) {
        assert.ok(b.height < b.lineHeight * 1.9 + 12, `“${b.text}” wraps (${b.height}px for lines of ${b.lineHeight}px)`);
        assert.ok(b.right <= 1280, `“${b.text}” is outside the window`);
      }
      await page.screenshot({ path: join(screenshotDir(), `report-signing-${locale}-1280.png`) });
    });
  });
}
