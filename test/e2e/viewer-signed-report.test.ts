/// <reference lib="dom" />
// An earlier report of Amur's own is readable with its study, in Chromium through the browser
// shell: a head CT report drafted and signed with `amur report sign` (test PKI made by OpenSSL) in
// another home, its SR and Encapsulated PDF imported beside the CT as a prior would arrive. The SR
// opens as a document showing what was signed (the Russian finding, the measurement with its unit,
// the reader named by the certificate); the PDF is drawn in the page by pdf.js, every page poppler
// counts, with ink on white (its Chinese and Russian text in the fonts the PDF embeds).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readPart10 } from '../../core/reports/dcmjs.js';
import type { ReportDraft } from '../../core/reports/draft.js';
import { makePki, type TestPki } from '../fixtures/pki/pki.js';
import { filledDraft, headCtFiles } from '../report-fixtures.js';
import { REPO_ROOT } from '../shared-data.js';
import { readingRoomForTests, screenshotDir } from './harness.js';
import { drawnPdf, inkAgreement, sha256, watchCspViolations } from './pdf-drawn.js';

const tmp = mkdtempSync(join(tmpdir(), 'amur-signed-prior-'));
let pki: TestPki | undefined;
after(() => {
  pki?.remove();
  rmSync(tmp, { recursive: true, force: true });
});

const files = headCtFiles();
const StudyInstanceUID = readPart10(readFileSync(files[0]!), { untilTag: '7FE00010' }).dataset.StudyInstanceUID as string;
const out = join(tmp, 'signed');

function amur(args: string[]): string {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: join(tmp, 'home'), AMUR_LANG: 'en' } });
  assert.equal(r.status, 0, `amur ${args[0]}: ${r.stderr}`);
  return r.stdout;
}

/** Signs a filled head CT report in a home of its own, as another workstation would have. */
function signedPrior(): string[] {
  pki = makePki();
  amur(['import', join(files[0]!, '..')]);
  const printed = JSON.parse(amur(['report', 'draft', '--study', StudyInstanceUID])) as ReportDraft;
  const draft = { ...filledDraft(printed.study), draftId: printed.draftId, createdAt: printed.createdAt };
  const draftFile = join(tmp, 'draft.json');
  writeFileSync(draftFile, JSON.stringify(draft));
  amur(['report', 'sign', draftFile, '--identity', pki.file('rsa.p12'), '--passphrase-file', pki.file('passphrase.txt'), '--out', out]);
  return [join(out, 'report-sr.dcm'), join(out, 'report-pdf.dcm')];
}

const room = readingRoomForTests(() => ({ files: [...files, ...signedPrior()] }));

describe("Amur's own signed report as a prior in the viewer", () => {
  test('the SR reads as the report that was signed, and the PDF shows', async () => {
    const { page } = room();
    await page.locator(`[data-testid="worklist-row"][data-study-uid="${StudyInstanceUID}"]`).dblclick();
    await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="series-thumbnail"]').length === 3);
    const thumbs = page.locator('[data-testid="series-thumbnail"]');
    assert.deepEqual(await thumbs.evaluateAll((ts) => ts.map((t) => t.getAttribute('data-kind'))), ['image', 'document', 'document']);

    await page.locator('[data-testid="series-thumbnail"]', { hasText: 'Structured report' }).click();
    const sr = page.locator('[data-testid="document-view"][data-kind="sr"][data-state="ready"]');
    await sr.waitFor();
    const text = await sr.innerText();
    for (const s of ['Гиперденсная зона в левой лобной доле размером до 23 мм.', '左额叶脑内血肿。', 'Hematoma 1', 'Ivanov']) {
      assert.ok(text.includes(s), `the report shows ${s}`);
    }
    const length = sr.locator('li[data-value-type="NUM"]', { hasText: '23.4' }).first();
    assert.match(await length.innerText(), /23\.4\s*mm/);
    await page.screenshot({ path: join(screenshotDir(), 'viewer-signed-sr.png') });

    const violations = await watchCspViolations(page);
    await page.locator('[data-testid="series-thumbnail"]', { hasText: 'PDF document' }).click();
    const pdf = page.locator('[data-testid="document-view"][data-kind="pdf"][data-state="ready"]');
    await pdf.waitFor();
    const info = spawnSync('pdfinfo', [join(out, 'report.pdf')], { encoding: 'utf8' }).stdout;
    assert.equal(Number(await pdf.getAttribute('data-pdf-pages')), Number(/Pages:\s+(\d+)/.exec(info)?.[1]));
    assert.equal(Number(await pdf.getAttribute('data-pdf-bytes')), readFileSync(join(out, 'report.pdf')).length);
    const drawn = await drawnPdf(pdf);
    assert.equal(drawn.sha256, sha256(readFileSync(join(out, 'report.pdf'))), 'the signed PDF is what is drawn');
    assert.equal(drawn.pages, Number(/Pages:\s+(\d+)/.exec(info)?.[1]));
    assert.equal(drawn.canvases, drawn.pages);
    for (const [i, p] of drawn.ink.entries()) {
      assert.ok(p.dark > 0.001 && p.white > 0.5, `page ${i + 1} shows dark text on white: ${JSON.stringify(p)}`);
    }
    // The Chinese and Russian text is drawn in the fonts the PDF embeds: page 1 as poppler draws it.
    const agreement = await inkAgreement(pdf, readFileSync(join(out, 'report.pdf')));
    assert.ok(agreement > 0.9, `page 1 drawn as poppler draws it: ${agreement}`);
    assert.deepEqual(await violations(), [], 'drawing the PDF breaks none of the page\'s policy');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-signed-pdf.png') });
  });
});
