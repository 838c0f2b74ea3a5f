// Triage in the product: studies brought in by the StudyService's import are triaged in the
// background by the TriageService attached to it (worker threads), and the results live with the
// study in the store: the study's score is its best in-scope image, the other images are counted as
// not applicable, the heatmap is there for the viewer, and the result goes when the study goes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServices } from '../cli/host/services.js';
import type { StudyTriageResult } from '../core/contract/triage.js';
import { StudyStore } from '../core/store/store.js';
import { LocalStudyService } from '../core/studies/service.js';
import { orderWorklist } from '../core/triage/priority.js';
import { LocalTriageService } from '../core/triage/service.js';
import { REPO_ROOT } from './shared-data.js';
import { cxrRows, makeDicoms, nihPatientAge, uid, type DicomSpec } from './triage-fixtures.js';
import { unlockTestHome } from './vault.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'cxr-pneumonia');
const recorded: { filename: string; score: number }[] = JSON.parse(readFileSync(join(MODEL_DIR, 'train', 'val_scores.json'), 'utf8'));

describe('background triage after import', () => {
  let work: string;
  let home: string;
  let store: StudyStore;
  let triage: LocalTriageService;
  const chest = { StudyInstanceUID: uid(), frontal: uid(), lateral: uid() };
  const ct = uid();
  const val = cxrRows().filter((r) => r.chexnet_split === 'val');
  const events: StudyTriageResult[] = [];

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    home = join(work, 'home');
    const input = join(work, 'in');
    mkdirSync(input);
    const base = { PatientID: 'P1', BodyPartExamined: 'CHEST', variant: 'MONOCHROME2-8' as const };
    const specs: DicomSpec[] = [
      { ...base, png: val[0].filename, out: join(input, 'pa.dcm'), StudyInstanceUID: chest.StudyInstanceUID, SeriesInstanceUID: uid(), SOPInstanceUID: chest.frontal, Modality: 'CR', ViewPosition: val[0].view, PatientAge: nihPatientAge(val[0]) },
      { ...base, png: val[1].filename, out: join(input, 'lat.dcm'), StudyInstanceUID: chest.StudyInstanceUID, SeriesInstanceUID: uid(), SOPInstanceUID: chest.lateral, Modality: 'CR', ViewPosition: 'LL', PatientAge: nihPatientAge(val[1]) },
      { ...base, png: val[2].filename, out: join(input, 'ct.dcm'), StudyInstanceUID: ct, SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'P2', Modality: 'CT', PatientAge: nihPatientAge(val[2]) },
    ];
    makeDicoms(specs, work);

    await unlockTestHome(home);
    store = StudyStore.open(home);
    const studies = new LocalStudyService(store);
    triage = new LocalTriageService(store, { env: { ...process.env, AMUR_HOME: home }, lang: 'en', poolSize: 1 });
    triage.attach(studies);
    const bothDone = new Promise<void>((resolve) => {
      triage.onDidTriageStudy((r) => {
        events.push(r);
        if (events.length === 2) resolve();
      });
    });
    const summary = await studies.importPaths([input]);
    assert.equal(summary.imported, 3);
    await bothDone;
  });
  after(async () => {
    await triage.close();
    store.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('triages every imported study once, in the background, and announces each', () => {
    assert.deepEqual(new Set(events.map((e) => e.StudyInstanceUID)), new Set([chest.StudyInstanceUID, ct]));
  });

  it('scores a study by its in-scope image, with the heatmap of that image', async () => {
    const r = (await triage.getStudyTriage(chest.StudyInstanceUID))!;
    assert.equal(r.status, 'done');
    assert.deepEqual(r.instances, { done: 1, notApplicable: 1, error: 0 });
    assert.equal(r.SOPInstanceUID, chest.frontal);
    assert.equal(r.population, 'adult');
    const expected = recorded.find((x) => x.filename === val[0].filename)!.score;
    assert.ok(Math.abs(r.findings[0].score - expected) < 1e-4);
    assert.equal(r.findings[0].positive, r.findings[0].score >= r.operatingPoints.balanced);
    assert.equal(r.findings[0].positiveAtHighSensitivity, r.findings[0].score >= r.operatingPoints.high_sensitivity);
    assert.equal(r.heatmap!.SOPInstanceUID, chest.frontal);
    assert.equal(r.heatmap!.rows * r.heatmap!.columns, r.heatmap!.values.length);
    assert.ok(r.heatmap!.values.every((v) => v >= 0 && v <= 1));
    // A confidently flagged image (PyTorch score above 0.9) has a region at or near full heat.
    assert.ok(expected > 0.9 && Math.max(...r.heatmap!.values) > 0.5);
    assert.ok(!Number.isNaN(Date.parse(r.triagedAt)) && r.triagedAt.endsWith('Z'));
  });

  it('keeps the results with the study: they survive reopening and feed the worklist order', async () => {
    const reopened = StudyStore.open(home);
    const again = new LocalTriageService(reopened, { env: { ...process.env, AMUR_HOME: home }, lang: 'ru' });
    try {
      const list = await again.listStudyTriage();
      assert.equal(list.length, 2);
      const notApplicable = list.find((r) => r.StudyInstanceUID === ct)!;
      assert.equal(notApplicable.status, 'not-applicable');
      assert.match(notApplicable.reason!, /Вне области применения модели: Modality = CT/);
      const order = orderWorklist(reopened.listStudies().map((s) => ({
        StudyInstanceUID: s.StudyInstanceUID, clinicalPriority: 0, importedAt: s.importedAt,
        triage: list.find((r) => r.StudyInstanceUID === s.StudyInstanceUID),
      })));
      assert.deepEqual(order.map((o) => o.StudyInstanceUID), [chest.StudyInstanceUID, ct]);
    } finally {
      await again.close();
      reopened.close();
    }
  });

  it('drops the result when the study leaves the store', async () => {
    store.removeInstances([chest.frontal, chest.lateral]);
    assert.equal(await triage.getStudyTriage(chest.StudyInstanceUID), null);
    assert.ok(await triage.getStudyTriage(ct));
  });
});

describe('triage as the hosts serve it', () => {
  it('is wired to the StudyService of both shells: an import through the contract is triaged and readable through it', async () => {
    const work = mkdtempSync(join(tmpdir(), 'amur-'));
    await unlockTestHome(join(work, 'home'));
    const hosted = createServices({ home: join(work, 'home'), lang: 'en' });
    try {
      const input = join(work, 'in');
      mkdirSync(input);
      const row = cxrRows().find((r) => r.chexnet_split === 'val')!;
      const StudyInstanceUID = uid();
      makeDicoms([{ png: row.filename, out: join(input, 'a.dcm'), StudyInstanceUID, SeriesInstanceUID: uid(), SOPInstanceUID: uid(), PatientID: 'H1', Modality: 'DX', BodyPartExamined: 'CHEST', ViewPosition: row.view, PatientAge: nihPatientAge(row), variant: 'MONOCHROME1-12' }], work);
      const { services } = hosted;
      const triaged = new Promise<StudyTriageResult>((resolve) => services.triage.onDidTriageStudy(resolve));
      await services.studies.importPaths([input]);
      const event = await triaged;
      assert.equal(event.StudyInstanceUID, StudyInstanceUID);
      assert.equal(event.status, 'done');
      assert.deepEqual(await services.triage.getStudyTriage(StudyInstanceUID), event);
      const models = await services.triage.listModels();
      assert.ok(models.some((m) => m.id === 'cxr-pneumonia' && m.hashStatus === 'ok' && /assistive/i.test(m.intendedUse)));
    } finally {
      hosted.close();
      rmSync(work, { recursive: true, force: true });
    }
  });
});
