// AI triage end to end through the real `amur` command: real chest radiographs (the shared NIH
// PNGs of the patient-disjoint val split) become DICOM, `amur import` stores them, `amur triage
// --json` runs the shipped model in worker threads, and the scores must equal those the trained
// PyTorch model gave the same images (recorded by the training recipe) and rank pneumonia higher.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from './shared-data.js';
import { cxrRows, makeDicoms, nihPatientAge, uid, type DicomSpec } from './triage-fixtures.js';

const MODEL_DIR = join(REPO_ROOT, 'models', 'cxr-pneumonia');
const manifest = JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8'));
const recorded: { filename: string; label: string; view: string; score: number }[] =
  JSON.parse(readFileSync(join(MODEL_DIR, 'train', 'val_scores.json'), 'utf8'));

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

describe('amur triage on real chest radiographs', () => {
  let work: string;
  let home: string;
  const byStudy = new Map<string, { spec: DicomSpec; label?: string; expected?: number; outsideBands?: boolean }>();
  // The shipped model's one population is adults 18-85: the val split's six patients aged 10-17 are
  // not scored.
  const [minAge, maxAge] = manifest.populations[0].age_years;
  const inBand = (r: { age: string }) => Number(r.age) >= minAge && Number(r.age) <= maxAge;
  let scoredVal = 0;
  let results: CliResult[];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'amur-'));
    home = join(work, 'home');
    const dicomDir = join(work, 'in');
    mkdirSync(dicomDir);
    const val = cxrRows().filter((r) => r.chexnet_split === 'val');
    const specs: DicomSpec[] = [];
    const add = (spec: Omit<DicomSpec, 'out' | 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPInstanceUID'>, extra: { label?: string; expected?: number; outsideBands?: boolean } = {}) => {
      const s: DicomSpec = { ...spec, out: join(dicomDir, `${specs.length}.dcm`), StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid() };
      specs.push(s);
      byStudy.set(s.StudyInstanceUID, { spec: s, ...extra });
      return s;
    };
    // Every val image as an 8-bit MONOCHROME2 CR, and the first eight again as 12-bit MONOCHROME1 DX.
    val.forEach((r, i) => {
      const expected = recorded.find((x) => x.filename === r.filename)!.score;
      const extra = inBand(r) ? { label: r.label, expected } : { outsideBands: true };
      if (inBand(r)) scoredVal++;
      add({ png: r.filename, PatientID: r.patient_id, Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: r.view, PatientAge: nihPatientAge(r), variant: 'MONOCHROME2-8' }, extra);
      if (i < 8) add({ png: r.filename, PatientID: r.patient_id, Modality: 'DX', BodyPartExamined: 'CHEST', ViewPosition: r.view, PatientAge: nihPatientAge(r), variant: 'MONOCHROME1-12' }, extra);
    });
    // Out of scope: a CT, a lateral view, a radiograph that does not say it is of the chest.
    add({ png: val[0].filename, PatientID: 'ct', Modality: 'CT', BodyPartExamined: 'CHEST', variant: 'MONOCHROME2-8' });
    add({ png: val[1].filename, PatientID: 'lat', Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: 'LL', variant: 'MONOCHROME2-8' });
    add({ png: val[2].filename, PatientID: 'nobody', Modality: 'DX', ViewPosition: 'PA', variant: 'MONOCHROME2-8' });
    makeDicoms(specs, work);
    // A compressed copy (JPEG-LS, lossless, by GDCM): triaged like the uncompressed original.
    const jls = add({ png: val[3].filename, PatientID: 'jls', Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: 'PA', PatientAge: nihPatientAge(val[3]), variant: 'MONOCHROME2-8' },
      { expected: recorded.find((x) => x.filename === val[3].filename)!.score });
    makeDicoms([jls], work);
    const conv = spawnSync('gdcmconv', ['--jpegls', jls.out, `${jls.out}.jls`], { encoding: 'utf8' });
    assert.equal(conv.status, 0, conv.stderr);
    rmSync(jls.out);

    const imp = amur(home, 'import', dicomDir, '--json');
    assert.equal(imp.status, 0, imp.stderr);
    assert.equal(JSON.parse(imp.stdout).imported, specs.length);
    const tri = amur(home, 'triage', '--json');
    assert.equal(tri.status, 0, tri.stderr);
    results = JSON.parse(tri.stdout);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('answers one object per study in the documented shape', () => {
    assert.equal(results.length, byStudy.size);
    assert.deepEqual(new Set(results.map((r) => r.StudyInstanceUID)), new Set(byStudy.keys()));
    for (const r of results) {
      assert.deepEqual(r.model, { id: manifest.id, version: manifest.version, sha256: manifest.sha256 });
      assert.ok(['done', 'not-applicable', 'error'].includes(r.status));
      const keys = Object.keys(r);
      assert.deepEqual(keys, r.status === 'done' ? ['StudyInstanceUID', 'status', 'model', 'population', 'findings'] : ['StudyInstanceUID', 'status', 'reason', 'model', 'findings']);
      if (r.status === 'done') assert.equal(r.population, manifest.populations[0].id);
      for (const f of r.findings) {
        assert.deepEqual(Object.keys(f), ['label', 'score', 'positive']);
        assert.ok(f.score >= 0 && f.score <= 1);
        assert.equal(f.positive, f.score >= manifest.populations[0].operating_points.balanced);
      }
    }
  });

  it('gives every radiograph the score the trained PyTorch model gave it (MONOCHROME2 and MONOCHROME1 alike)', () => {
    let compared = 0;
    let mono1 = 0;
    for (const r of results) {
      const s = byStudy.get(r.StudyInstanceUID)!;
      if (s.expected === undefined) continue;
      assert.equal(r.status, 'done', `${s.spec.png} ${s.spec.variant}: ${r.reason}`);
      assert.equal(r.findings[0].label, 'pneumonia');
      assert.ok(Math.abs(r.findings[0].score - s.expected) < 1e-4, `${s.spec.png} ${s.spec.variant}: ${r.findings[0].score} vs PyTorch ${s.expected}`);
      compared++;
      if (s.spec.variant === 'MONOCHROME1-12') mono1++;
    }
    // The val images of adults (71 of 77), 8 of them again as MONOCHROME1, and the JPEG-LS copy.
    assert.equal(compared, scoredVal + 8 + 1);
    assert.equal(mono1, 8);
  });

  it('scores pneumonia higher than normal on these held-out patients', () => {
    const scores = { pneumonia: [] as number[], normal: [] as number[] };
    for (const r of results) {
      const s = byStudy.get(r.StudyInstanceUID)!;
      if (s.label && s.spec.variant === 'MONOCHROME2-8') scores[s.label as 'pneumonia' | 'normal'].push(r.findings[0].score);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    assert.ok(mean(scores.pneumonia) > mean(scores.normal) + 0.1, `pneumonia ${mean(scores.pneumonia)} vs normal ${mean(scores.normal)}`);
    // AUROC over the same images, as the trained model's recorded scores give it (the manifest's
    // figure counts the six younger patients too).
    const aurocOf = (s: { pneumonia: number[]; normal: number[] }) => {
      let wins = 0;
      for (const p of s.pneumonia) for (const n of s.normal) wins += p > n ? 1 : p === n ? 0.5 : 0;
      return wins / (s.pneumonia.length * s.normal.length);
    };
    const adults = new Set(cxrRows().filter((r) => r.chexnet_split === 'val' && inBand(r)).map((r) => r.filename));
    const pytorch = { pneumonia: [] as number[], normal: [] as number[] };
    for (const x of recorded) if (adults.has(x.filename)) pytorch[x.label as 'pneumonia' | 'normal'].push(x.score);
    assert.ok(Math.abs(aurocOf(scores) - aurocOf(pytorch)) < 0.002, `AUROC ${aurocOf(scores)} vs PyTorch ${aurocOf(pytorch)}`);
  });

  it('marks studies outside the scope not applicable, saying why', () => {
    const reasonOf = (patient: string) => results.find((r) => byStudy.get(r.StudyInstanceUID)!.spec.PatientID === patient)!;
    const ct = reasonOf('ct');
    assert.equal(ct.status, 'not-applicable');
    assert.deepEqual(ct.findings, []);
    assert.match(ct.reason!, /Modality is CT/);
    assert.match(reasonOf('lat').reason!, /ViewPosition is LL/);
    assert.equal(reasonOf('nobody').status, 'not-applicable');
    assert.match(reasonOf('nobody').reason!, /the image has no BodyPartExamined, and the model applies only to CHEST, THORAX/);
    const young = results.filter((r) => byStudy.get(r.StudyInstanceUID)!.outsideBands);
    assert.equal(young.length, 6);
    for (const r of young) {
      assert.equal(r.status, 'not-applicable');
      assert.match(r.reason!, /the patient is aged 1\d \(PatientAge 01\dY\), and the model is validated only for ages 18–85/);
    }
  });

  it('triages a JPEG-LS compressed radiograph with the score of its uncompressed original', () => {
    const jls = results.find((r) => byStudy.get(r.StudyInstanceUID)!.spec.PatientID === 'jls')!;
    const png = byStudy.get(jls.StudyInstanceUID)!.spec.png;
    const original = results.find((r) => {
      const s = byStudy.get(r.StudyInstanceUID)!.spec;
      return s.png === png && s.variant === 'MONOCHROME2-8' && s.PatientID !== 'jls';
    })!;
    assert.equal(jls.status, 'done', jls.reason);
    assert.equal(jls.findings.length, 1);
    assert.ok(Math.abs(jls.findings[0].score - original.findings[0].score) < 1e-4, `${jls.findings[0].score} vs ${original.findings[0].score}`);
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
    assert.match(amur(home, 'models', 'list').stdout, /cxr-pneumonia\s+1\.0\.0\s+bundled\s+verified/);
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
