/// <reference lib="dom" />
// Priors and earlier reports are readable in the viewer, in Chromium through the browser shell:
// - a Structured Report (dcmjs's Enhanced SR) opens as a document: its title, headings, texts,
//   codes and numbers with their units;
// - an Encapsulated PDF in the head CT's study (made here by dcmtk's pdf2dcm from a PDF Debian
//   ships, its study taken from the CT) is listed after the CT and drawn inline by pdf.js: every
//   page poppler counts, each with ink on white, with no policy violation;
// - a segmentation (QIICR) is listed by its segments and never drawn as a grey image.
// In Chinese, so the document chrome is seen translated while the documents' own text is as stored.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { shared } from '../shared-data.js';
import { openStudyRow, readingRoomForTests, screenshotDir } from './harness.js';
import { drawnPdf, sha256, watchCspViolations } from './pdf-drawn.js';

const HEAD_CT = shared('dicom', 'dcm_qa_ct', 'In', 'GE');
const SR = shared('dicom', 'dcmjs', 'test', 'sample-sr.dcm');
const SEG = shared('dicom', 'dcmjs', 'examples', 'data', 'QIICR_Test3', 'tumor_User1_Manual_Trial1.dcm');
const PDF = '/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf';

const dir = mkdtempSync(join(tmpdir(), 'amur-documents-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ct = readdirSync(HEAD_CT).sort().map((f) => join(HEAD_CT, f));
const pdfDicom = join(dir, 'prior-report.dcm');

const refused: string[] = [];
const room = readingRoomForTests(() => {
  execFileSync('pdf2dcm', ['+t', 'Prior report', '+st', ct[0], PDF, pdfDicom]);
  return {
    locale: 'zh-CN',
    files: [...ct, pdfDicom, SR, SEG],
    onPage: (page: Page) => page.on('console', (m) => /Content.Security.Policy/i.test(m.text()) && refused.push(m.text())),
  };
});

const openStudy = openStudyRow;

describe('documents in the viewer (zh-CN)', () => {
  test('an SR opens as a document showing its content tree', async () => {
    const { page } = room();
    await openStudy(page, 'SR');
    const doc = page.locator('[data-testid="document-view"][data-kind="sr"][data-state="ready"]');
    await doc.waitFor();
    const text = await doc.innerText();
    assert.match(text, /结构化报告: Imaging Measurement Report/, 'the kind translated, the title as stored');
    for (const s of ['Image Library', 'Measurement Group', 'Tracking Identifier', 'Long Axis', '64.4505437946691', 'Person Observer Name', 'English']) {
      assert.ok(text.includes(s), `the document shows ${s}`);
    }
    // The number carries its unit (UCUM "1" with meaning px is written by its meaning).
    const longAxis = doc.locator('li[data-value-type="NUM"]', { hasText: 'Long Axis' }).first();
    assert.match(await longAxis.innerText(), /64\.4505437946691\s*px/);
    assert.match(await page.locator('[data-testid="sr-completion"]').innerText(), /已完成/);
    assert.equal(await page.locator('[data-testid="viewport"] canvas').count(), 0, 'no image viewport for a report');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-sr-document.png') });
  });

  test("a PDF in the CT's study is listed after the images and shown inline with its page count", async () => {
    const { page } = room();
    await openStudy(page, 'HEAD');
    await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
    const thumbs = page.locator('[data-testid="series-thumbnail"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="series-thumbnail"]').length === 2);
    assert.equal(await thumbs.nth(0).getAttribute('data-kind'), 'image', 'the CT first');
    assert.equal(await thumbs.nth(1).getAttribute('data-kind'), 'document');
    assert.match(await thumbs.nth(1).innerText(), /PDF 文档/);
    const violations = await watchCspViolations(page);
    await thumbs.nth(1).click();
    const doc = page.locator('[data-testid="document-view"][data-kind="pdf"][data-state="ready"]');
    await doc.waitFor();
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [PDF], { encoding: 'utf8' }))?.[1]);
    assert.equal(Number(await doc.getAttribute('data-pdf-pages')), pages);
    assert.match(await page.locator('[data-testid="pdf-page-count"]').innerText(), new RegExp(`页数：${pages}`));
    assert.match(await doc.innerText(), /Prior report/);
    // Drawn in the page: every page, each showing text on paper, from the very bytes of the PDF.
    const drawn = await drawnPdf(doc);
    assert.equal(drawn.pages, pages);
    assert.equal(drawn.canvases, pages);
    for (const [i, p] of drawn.ink.entries()) {
      assert.ok(p.dark > 0.001 && p.white > 0.5, `page ${i + 1} shows dark text on white: ${JSON.stringify(p)}`);
    }
    // The whole PDF the DICOM object encapsulates, without its padding byte.
    assert.equal(drawn.sha256, sha256(readFileSync(PDF)));
    assert.equal(Number(await doc.getAttribute('data-pdf-bytes')), statSync(PDF).size);
    const open = await page.getAttribute('[data-testid="pdf-open"]', 'href');
    assert.match(open!, /^blob:/, 'the PDF opens from the page itself, never a URL naming the study');
    assert.deepEqual(refused, [], 'drawing the PDF breaks none of the page\'s policy (console)');
    assert.deepEqual(await violations(), [], 'no securitypolicyviolation event');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-pdf-document.png') });
    // Back to the images: the CT's thumbnail dragged onto the drawn PDF itself.
    await page.dragAndDrop('[data-testid="series-thumbnail"][data-kind="image"]', '[data-testid="document-view"] [data-testid="pdf-pages"]');
    await page.waitForSelector('[data-testid="viewport"][data-image-index="0"]');
  });

  test('a segmentation is listed by its segments, never drawn as an image', async () => {
    const { page } = room();
    await openStudy(page, 'SEG');
    const doc = page.locator('[data-testid="document-view"][data-kind="seg"][data-state="ready"]');
    await doc.waitFor();
    const n = Number(await doc.getAttribute('data-segments'));
    assert.ok(n >= 1);
    assert.equal(await page.locator('[data-testid="segment"]').count(), n);
    assert.match(await page.locator('[data-testid="segmentation-summary"]').innerText(), new RegExp(`分割：${n} 个分段`));
    assert.equal(await page.locator('.viewport-element').count(), 0, 'no cornerstone viewport for the segmentation');
    await page.screenshot({ path: join(screenshotDir(), 'viewer-seg-document.png') });
  });
});
