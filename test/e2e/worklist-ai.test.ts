// The worklist's AI column through the browser shell: real chest radiographs (the shared NIH set,
// written as DICOM by pydicom) are imported, the host's bundled model triages them in the
// background, and the worklist shows each result, labelled assistive, in the AI's reading order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared-data.js';
import { cxrRows, makeDicoms, nihPatientAge, uid, type DicomSpec } from '../triage-fixtures.js';
import { importThroughUi, openReadingRoom, type ReadingRoom, screenshotDir } from './harness.js';

// The model's own recorded validation scores pick a clearly flagged and a clearly clear radiograph.
// Adults only (NIH PNGs with their real age), in the model's age band and accepted by its OOD check.
const scores: { filename: string; score: number; view: string }[] = (JSON.parse(
  readFileSync(join(REPO_ROOT, 'models', 'cxr-pneumonia', 'train', 'val_scores.json'), 'utf8'),
) as { population: string; filename: string; score: number; view: string; in_age_band: boolean; accepted: boolean }[])
  .filter((r) => r.population === 'adult' && r.in_age_band && r.accepted).sort((a: { score: number }, b: { score: number }) => a.score - b.score);
const clear = scores[0];
const flagged = scores[scores.length - 1];
const ageOf = (filename: string) => nihPatientAge(cxrRows().find((r) => r.filename === filename)!);

describe('AI priority in the worklist', () => {
  let room: ReadingRoom;
  let work: string;
  const study = { flagged: uid(), clear: uid(), ct: uid() };
  const files: string[] = [];
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    const base = { BodyPartExamined: 'CHEST', variant: 'MONOCHROME2-8' as const, Modality: 'CR' };
    const specs: DicomSpec[] = [
      { ...base, png: clear.filename, out: join(work, 'clear.dcm'), StudyInstanceUID: study.clear, SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'AI-CLEAR', ViewPosition: clear.view, PatientAge: ageOf(clear.filename) },
      { ...base, png: flagged.filename, out: join(work, 'flagged.dcm'), StudyInstanceUID: study.flagged, SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'AI-FLAGGED', ViewPosition: flagged.view, PatientAge: ageOf(flagged.filename) },
      { ...base, png: clear.filename, out: join(work, 'ct.dcm'), StudyInstanceUID: study.ct, SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'AI-CT', Modality: 'CT' },
    ];
    makeDicoms(specs, work);
    files.push(...specs.map((s) => s.out));
    room = await openReadingRoom();
  });
  after(async () => {
    await room?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('each study shows its triage result as it arrives, and the AI order puts the flagged one first', async () => {
    const { page } = room;
    await importThroughUi(page, files);
    const cell = (u: string) => page.locator(`[data-testid="worklist-row"][data-study-uid="${u}"] [data-column="aiPriority"] .ai`);
    // Results come from the host's background triage over the contract's onDidTriageStudy event.
    await page.locator(`[data-study-uid="${study.flagged}"] [data-ai-priority="high"]`).waitFor();
    await page.locator(`[data-study-uid="${study.clear}"] [data-ai-priority="routine"]`).waitFor();
    await page.locator(`[data-study-uid="${study.ct}"] [data-ai-status="not-applicable"]`).waitFor();

    assert.match(await cell(study.flagged).innerText(), /^▲ pneumonia \d+%$/);
    assert.match(await cell(study.clear).innerText(), /^not flagged \(\d+%\)$/);
    assert.equal(await cell(study.ct).innerText(), 'not applicable');
    assert.match(String(await cell(study.ct).getAttribute('title')), /Modality is CT/);
    const title = String(await cell(study.flagged).getAttribute('title'));
    assert.match(title, /^Assistive AI \(cxr-pneumonia /);
    assert.match(title, /the radiologist reads every study and decides/);

    const order = await page.locator('[data-testid="worklist-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-study-uid')));
    assert.deepEqual(order, [study.flagged, study.clear, study.ct], 'flagged first, no result last');
    await page.screenshot({ path: join(screenshotDir(), 'worklist-ai.png') });

    await page.locator('[data-testid="language"]').selectOption('zh-CN');
    await page.locator('[data-testid="sort-aiPriority"]:text("AI 优先级")').waitFor();
    assert.match(await cell(study.flagged).innerText(), /^▲ 肺炎 \d+%$/);
    await page.screenshot({ path: join(screenshotDir(), 'worklist-ai-zh-CN.png') });
    await page.locator('[data-testid="language"]').selectOption('en');
  });
});
