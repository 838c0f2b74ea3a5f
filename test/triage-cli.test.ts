// AI triage end to end through the real `amur` command: the untouched validation splits of both
// model populations (the adult NIH PNGs and the paediatric Kermany JPEGs, as listed by the training
// recipe in train/val_scores.json) become DICOM, `amur import` stores them, `amur triage --json`
// runs the shipped model in worker threads. Every image must get the score the exported model gave
// it in training, and the per-population AUROC, sensitivity and specificity must be the manifest's
// (and so the model card's). Images outside the scope (view, age, modality, colour, a head CT
// labelled as a chest film) must be refused with the reason, never scored.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, shared } from './shared-data.js';
import { makeDicoms, populationImage, uid, type DicomSpec } from './triage-fixtures.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'cxr-pneumonia');
const manifest = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8'));
interface Recorded {
  population: string; filename: string; patient_id: string; label: 'pneumonia' | 'normal'; view: string; age: number | null;
  in_age_band: boolean; score: number; ood: number; accepted: boolean;
}
const recorded: Recorded[] = JSON.parse(readFileSync(join(MODEL_DIR, 'train', 'val_scores.json'), 'utf8'));
const population = (id: string) => manifest.populations.find((p: { id: string }) => p.id === id);

function amur(home: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' }, maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface CliResult {
  StudyInstanceUID: string;
  status: 'done' | 'not-applicable' | 'error';
  reason?: string;
  model: { id: string; version: string; sha256: string };
  population?: string;
  findings: { label: string; score: number; positive: boolean }[];
}

describe('amur triage on the untouched validation splits of both populations', () => {
  let work: string;
  let home: string;
  const byStudy = new Map<string, { spec: DicomSpec; rec?: Recorded; copy?: boolean }>();
  let results: CliResult[];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    home = join(work, 'home');
    const dicomDir = join(work, 'in');
    mkdirSync(dicomDir);
    const specs: DicomSpec[] = [];
    const add = (spec: Omit<DicomSpec, 'out' | 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPInstanceUID'>, extra: { rec?: Recorded; copy?: boolean } = {}) => {
      const s: DicomSpec = { ...spec, out: join(dicomDir, `${specs.length}.dcm`), StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid() };
      specs.push(s);
      byStudy.set(s.StudyInstanceUID, { spec: s, ...extra });
      return s;
    };
    // The image and age of a recorded validation image. The paediatric source gives no per-image age
    // (children aged 1 to 5): ages spread over the band, every seventh child by birth date instead.
    const source = (r: Recorded, i: number) => {
      const image = r.population === 'adult' ? { png: r.filename } : { png: '', image: populationImage(r.population, r.filename) };
      if (r.age !== null) return { ...image, PatientAge: `${String(r.age).padStart(3, '0')}Y` };
      const years = 1 + (i % 5);
      return i % 7 === 0 ? { ...image, PatientBirthDate: `${2026 - years}0601` } : { ...image, PatientAge: `00${years}Y` };
    };
    const seen = new Map<string, number>();
    for (const [i, r] of recorded.entries()) {
      const src = source(r, i);
      add({ ...src, PatientID: r.patient_id, Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: r.view, variant: 'MONOCHROME2-8' }, { rec: r });
      // The first eight in-band images of each population again as 12-bit MONOCHROME1 DX.
      const k = seen.get(r.population) ?? 0;
      if (r.in_age_band && k < 8) {
        seen.set(r.population, k + 1);
        add({ ...src, PatientID: r.patient_id, Modality: 'DX', BodyPartExamined: 'CHEST', ViewPosition: r.view, variant: 'MONOCHROME1-12' }, { rec: r, copy: true });
      }
    }
    const child = recorded.find((r) => r.population === 'paediatric' && r.in_age_band && r.accepted)!;
    const adult = recorded.find((r) => r.population === 'adult' && r.in_age_band && r.accepted)!;
    const childImage = { png: '', image: populationImage('paediatric', child.filename) };
    const chest = { Modality: 'CR', BodyPartExamined: 'CHEST', variant: 'MONOCHROME2-8' as const };
    // Out of scope, each for one reason.
    add({ png: adult.filename, PatientID: 'ct', ...chest, Modality: 'CT', PatientAge: '045Y' });
    add({ png: adult.filename, PatientID: 'lat', ...chest, ViewPosition: 'LL', PatientAge: '045Y' });
    add({ png: adult.filename, PatientID: 'nobody', ...chest, Modality: 'DX', BodyPartExamined: undefined, ViewPosition: 'PA', PatientAge: '045Y' });
    add({ png: adult.filename, PatientID: 'ageless', ...chest, ViewPosition: 'PA' });
    add({ ...childImage, PatientID: 'eight', ...chest, ViewPosition: 'AP', PatientAge: '008Y' });
    add({ ...childImage, PatientID: 'infant', ...chest, ViewPosition: 'AP', PatientAge: '006M' });
    add({ ...childImage, PatientID: 'child-pa', ...chest, ViewPosition: 'PA', PatientAge: '003Y' });
    add({ ...childImage, PatientID: 'colour', ...chest, ViewPosition: 'AP', PatientAge: '003Y', variant: 'RGB-8' });
    // A head CT slice whose header says it is a chest radiograph: only the image says otherwise.
    const headCt = shared('dicom', 'dcm_qa_ct', 'In', 'GE', '14.dcm');
    add({ png: '', image: headCt, PatientID: 'head-adult', ...chest, ViewPosition: 'PA', PatientAge: '045Y' });
    add({ png: '', image: headCt, PatientID: 'head-child', ...chest, ViewPosition: 'AP', PatientAge: '003Y' });
    makeDicoms(specs, work);
    // Compressed copies (JPEG-LS, lossless, by GDCM): triaged like their uncompressed originals.
    for (const r of [adult, child]) {
      const jls = add({ ...source(r, 1), PatientID: `jls-${r.population}`, ...chest, ViewPosition: r.view }, { rec: r, copy: true });
      makeDicoms([jls], work);
      const conv = spawnSync('gdcmconv', ['--jpegls', jls.out, `${jls.out}.jls`], { encoding: 'utf8' });
      assert.equal(conv.status, 0, conv.stderr);
      rmSync(jls.out);
    }

    const imp = amur(home, 'import', dicomDir, '--json');
    assert.equal(imp.status, 0, imp.stderr);
    assert.equal(JSON.parse(imp.stdout).imported, byStudy.size);
    const tri = amur(home, 'triage', '--json');
    assert.equal(tri.status, 0, tri.stderr);
    results = JSON.parse(tri.stdout);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const of = (r: CliResult) => byStudy.get(r.StudyInstanceUID)!;

  it('answers one object per study in the documented shape', () => {
    assert.equal(results.length, byStudy.size);
    assert.deepEqual(new Set(results.map((r) => r.StudyInstanceUID)), new Set(byStudy.keys()));
    for (const r of results) {
      assert.deepEqual(r.model, { id: manifest.id, version: manifest.version, sha256: manifest.sha256 });
      assert.ok(['done', 'not-applicable', 'error'].includes(r.status));
      const keys = Object.keys(r);
      assert.deepEqual(keys, r.status === 'done' ? ['StudyInstanceUID', 'status', 'model', 'population', 'findings'] : ['StudyInstanceUID', 'status', 'reason', 'model', 'findings']);
      for (const f of r.findings) {
        assert.deepEqual(Object.keys(f), ['label', 'score', 'positive']);
        assert.ok(f.score >= 0 && f.score <= 1);
        assert.equal(f.positive, f.score >= population(r.population!).operating_points.balanced);
      }
    }
  });

  it('gives every in-scope validation image the score the exported model gave it in training, in its population', () => {
    const compared = new Map<string, number>();
    for (const r of results) {
      const { spec, rec } = of(r);
      if (!rec || !rec.in_age_band || !rec.accepted) continue;
      assert.equal(r.status, 'done', `${rec.filename} ${spec.variant}: ${r.reason}`);
      assert.equal(r.population, rec.population);
      assert.equal(r.findings[0].label, 'pneumonia');
      assert.ok(Math.abs(r.findings[0].score - rec.score) < 1e-4, `${rec.filename} ${spec.variant}: ${r.findings[0].score} vs ${rec.score}`);
      const key = `${rec.population} ${spec.variant}`;
      compared.set(key, (compared.get(key) ?? 0) + 1);
    }
    for (const p of manifest.populations) {
      const n = recorded.filter((x) => x.population === p.id && x.in_age_band && x.accepted).length;
      assert.equal(compared.get(`${p.id} MONOCHROME2-8`), n + 1, p.id); // + the JPEG-LS copy
      assert.equal(compared.get(`${p.id} MONOCHROME1-12`), 8, p.id);
    }
  });

  it("reproduces each population's AUROC, sensitivity and specificity in the manifest (the model card's figures)", () => {
    for (const p of manifest.populations) {
      const scored = results.filter((r) => of(r).rec?.population === p.id && !of(r).copy && r.status === 'done');
      const pos = scored.filter((r) => of(r).rec!.label === 'pneumonia').map((r) => r.findings[0].score);
      const neg = scored.filter((r) => of(r).rec!.label === 'normal').map((r) => r.findings[0].score);
      let wins = 0;
      for (const a of pos) for (const b of neg) wins += a > b ? 1 : a === b ? 0.5 : 0;
      const auroc = wins / (pos.length * neg.length);
      const m = p.metrics;
      assert.equal(scored.length, m.n, p.id);
      assert.equal(pos.length, m.n_positive, p.id);
      assert.ok(Math.abs(auroc - m.auroc) < 0.001, `${p.id}: AUROC ${auroc} vs manifest ${m.auroc}`);
      const sens = pos.filter((s) => s >= p.operating_points.balanced).length / pos.length;
      const spec = neg.filter((s) => s < p.operating_points.balanced).length / neg.length;
      assert.ok(Math.abs(sens - m.sensitivity) < 0.01, `${p.id}: sensitivity ${sens} vs ${m.sensitivity}`);
      assert.ok(Math.abs(spec - m.specificity) < 0.01, `${p.id}: specificity ${spec} vs ${m.specificity}`);
    }
    // The headline figure names the population it is for, and is that population's own.
    assert.deepEqual(manifest.metrics, population(manifest.metrics.population).metrics);
  });

  it('marks images outside the scope not applicable, saying why, and never scores them', () => {
    const reasonOf = (patient: string) => {
      const r = results.find((x) => of(x).spec.PatientID === patient)!;
      assert.equal(r.status, 'not-applicable', `${patient}: ${r.status}`);
      assert.deepEqual(r.findings, []);
      return r.reason!;
    };
    assert.match(reasonOf('ct'), /Modality is CT/);
    assert.match(reasonOf('lat'), /ViewPosition is LL/);
    assert.match(reasonOf('nobody'), /the image has no BodyPartExamined, and the model applies only to CHEST, THORAX/);
    assert.match(reasonOf('ageless'), /age/i);
    assert.match(reasonOf('eight'), /aged 8 \(PatientAge 008Y\).*1–5, 18–85/);
    assert.match(reasonOf('infant'), /PatientAge 006M/);
    assert.match(reasonOf('child-pa'), /ViewPosition is PA.*AP/);
    assert.match(reasonOf('colour'), /PhotometricInterpretation is RGB/);
    assert.match(reasonOf('head-adult'), /does not look like/);
    assert.match(reasonOf('head-child'), /does not look like/);
    // Validation images of patients outside every band (NIH children of 10-17), and any the OOD
    // check refused in training, are refused here too.
    for (const r of results) {
      const rec = of(r).rec;
      if (!rec || (rec.in_age_band && rec.accepted)) continue;
      assert.equal(r.status, 'not-applicable', rec.filename);
      assert.match(r.reason!, rec.in_age_band ? /does not look like/ : /validated only for ages/);
    }
    assert.equal(results.filter((r) => of(r).rec && !of(r).rec!.in_age_band).length, recorded.filter((x) => !x.in_age_band).length);
  });

  it('triages a JPEG-LS compressed radiograph with the score of its uncompressed original', () => {
    for (const p of manifest.populations) {
      const jls = results.find((r) => of(r).spec.PatientID === `jls-${p.id}`)!;
      assert.equal(jls.status, 'done', jls.reason);
      assert.ok(Math.abs(jls.findings[0].score - of(jls).rec!.score) < 1e-4, `${jls.findings[0].score} vs ${of(jls).rec!.score}`);
    }
  });

  it('triages only new studies by default, and again on request', () => {
    const again = amur(home, 'triage', '--json');
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), []);
    const one = results.find((r) => r.status === 'done')!;
    const single = amur(home, 'triage', '--study', one.StudyInstanceUID, '--json');
    assert.equal(single.status, 0, single.stderr);
    assert.deepEqual(JSON.parse(single.stdout), [one]);
  });
});

describe('amur models and a tampered model', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'amur-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('lists the shipped model as verified', () => {
    const r = amur(home, 'models', 'list', '--json');
    assert.equal(r.status, 0, r.stderr);
    const { models } = JSON.parse(r.stdout);
    const m = models.find((x: { id: string }) => x.id === manifest.id);
    assert.equal(m.hashStatus, 'ok');
    assert.equal(m.sha256, manifest.sha256);
    assert.match(amur(home, 'models', 'list').stdout, new RegExp(`cxr-pneumonia\\s+${manifest.version.replace(/\./g, '\\.')}\\s+bundled\\s+verified`));
  });

  it('refuses a model whose file no longer matches its manifest', () => {
    const dir = join(home, 'models', manifest.id);
    cpSync(MODEL_DIR, dir, { recursive: true, filter: (src) => !src.includes(`${join(MODEL_DIR, 'train')}`) });
    const file = join(dir, 'model.onnx');
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(file, bytes);

    const list = amur(home, 'models', 'list', '--json');
    const added = JSON.parse(list.stdout).models.find((x: { origin: string }) => x.origin === 'home');
    assert.equal(added.hashStatus, 'mismatch');
    assert.match(amur(home, 'models', 'list').stdout, /MISMATCH \(refused\)/);

    const tri = amur(home, 'triage', '--all', '--json');
    assert.equal(tri.status, 1);
    assert.equal(tri.stdout, '');
    assert.match(tri.stderr, /Model cxr-pneumonia refused: the SHA-256 of .*model\.onnx is [0-9a-f]{64}, but its manifest says [0-9a-f]{64}/);
    const ru = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'amur.js'), 'triage', '--all'], { encoding: 'utf8', env: { ...process.env, AMUR_HOME: home, AMUR_LANG: 'ru' } });
    assert.match(ru.stderr, /Модель cxr-pneumonia отклонена/);
  });
});
