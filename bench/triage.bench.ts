// AI triage speed (issue 4): the per-image pipeline (read, header and scope, decode, preprocess,
// run, postprocess) against a bare onnxruntime-node session.run on the very tensor the pipeline
// prepared, in the same run and interleaved image by image; throughput of the worker pool the
// product uses; model load time (SHA-256 check + session creation) and the memory a loaded model
// takes. Target from the issue: pipeline overhead under 15% of the bare run.
//
// Images: the val-split chest radiographs of the shared NIH set (adults in the model's age band) made
// into DICOM by pydicom as the tests do: (a) as they are, 256x256 8-bit MONOCHROME2; (p) the first 77
// paediatric validation images (Kermany, 224x224, enlarged to the model's 256 by the runtime); (b) enlarged 8x to 2048x2048, 12-bit in 16
// MONOCHROME1 with a rescale, the size and depth of a real detector image (the shared set holds only
// 256x256 PNGs, so this enlargement stands in for detector resolution; its decode and resize cost
// is what matters, not its content); (c) the same detector-sized files compressed losslessly to
// JPEG-LS by GDCM (gdcmconv --jpegls), decoded by core/imaging's CharLS build like every other
// compressed file the application reads.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { readDicomHeaderFromBytes } from '../core/dicom/header.js';
import { selectModel } from '../core/triage/models.js';
import { decodeGreyImage } from '../core/triage/pixels.js';
import { TriagePool } from '../core/triage/pool.js';
import { heatmapFromCam, heatmapScale, ModelRunner } from '../core/triage/runner.js';
import { judgeScope } from '../core/triage/scope.js';
import { cxrRows, makeDicoms, nihPatientAge, populationImage, uid, type DicomSpec } from '../test/triage-fixtures.js';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { summarize, type Summary } from './lib/stats.js';

const bench: Bench = {
  name: 'triage',
  description: 'AI triage: per-image pipeline vs bare session.run, images/s through the worker pool, model load time and memory (writes bench/results/triage.json)',
  run,
};
export default bench;

const STAGES = ['read', 'header', 'decode', 'preprocess', 'run', 'postprocess'] as const;
type Stage = (typeof STAGES)[number];

interface CorpusResult {
  name: string;
  what: string;
  images: number;
  reps: number;
  stages_ms: Record<Stage, Summary>;
  pipeline_ms: Summary;
  bare_run_ms: Summary;
  /** (pipeline - bare run) / bare run, from the medians of per-image totals. */
  overhead_vs_bare_run_pct: number;
  /** The same, counting only what the runtime adds around inference (preprocess + postprocess + its run wrapper). */
  overhead_excluding_read_and_decode_pct: number;
  /** The runtime's own session.run call (feeds, output unpacking) against the bare call. */
  run_wrapper_overhead_pct: number;
  pool: { workers: number; images_per_s: number; wall_ms: number }[];
}

async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.options.quick === true;
  const reps = numberOption(ctx, 'reps', quick ? 2 : 5);
  const largeCount = numberOption(ctx, 'large', quick ? 4 : 12);
  const work = freshWorkDir(ctx, 'triage');

  const model = selectModel();
  const adult = model.manifest.populations.find((p) => p.id === 'adult')!;
  const val = cxrRows().filter((r) => r.chexnet_split === 'val' && Number(r.age) >= adult.age_years[0] && Number(r.age) <= adult.age_years[1]);
  const spec = (r: (typeof val)[number], i: number, large: boolean): DicomSpec => ({
    png: r.filename, out: join(work, `${large ? 'large' : 'small'}-${i}.dcm`), StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(),
    PatientID: r.patient_id, Modality: large ? 'DX' : 'CR', BodyPartExamined: 'CHEST', ViewPosition: r.view, PatientAge: nihPatientAge(r),
    variant: large ? 'MONOCHROME1-12' : 'MONOCHROME2-8', scale: large ? 8 : 1,
  });
  const childVal = (JSON.parse(readFileSync(join(model.dir, 'train', 'val_scores.json'), 'utf8')) as { population: string; filename: string; patient_id: string }[])
    .filter((r) => r.population === 'paediatric').slice(0, 77);
  const children: DicomSpec[] = childVal.map((r, i) => ({
    png: '', image: populationImage('paediatric', r.filename), out: join(work, `child-${i}.dcm`), StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(),
    PatientID: r.patient_id, Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: 'AP', PatientAge: '003Y', variant: 'MONOCHROME2-8',
  }));
  ctx.log(`making DICOM: ${val.length} 256x256, ${children.length} 224x224 and ${largeCount} 2048x2048 radiographs (pydicom)`);
  const small = val.map((r, i) => spec(r, i, false));
  const large = val.slice(0, largeCount).map((r, i) => spec(r, i, true));
  makeDicoms([...small, ...children, ...large], work);
  const largeJls = large.map((s) => {
    const out = s.out.replace(/\.dcm$/, '-jls.dcm');
    const conv = spawnSync('gdcmconv', ['--jpegls', s.out, out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    if (conv.status !== 0) throw new Error(`gdcmconv --jpegls ${s.out}: ${conv.stderr}`);
    return { ...s, out };
  });

  // Model load: SHA-256 of the file + session creation, and the memory one loaded model holds.
  const loads: number[] = [];
  const rssBefore = process.memoryUsage().rss;
  const runners: ModelRunner[] = [];
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const t0 = performance.now();
    runners.push(await ModelRunner.load(model, 1));
    loads.push(performance.now() - t0);
  }
  const rssPerModel = (process.memoryUsage().rss - rssBefore) / runners.length;
  for (const r of runners.slice(1)) await r.release();
  const runner = runners[0];
  const bare = await ort.InferenceSession.create(readFileSync(model.modelPath), { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const size = model.manifest.input.shape[2];

  const corpora: CorpusResult[] = [];
  for (const [name, specs, what] of [
    ['256x256 8-bit MONOCHROME2', small, 'the shared adult PNGs as they are'],
    ['224x224 8-bit MONOCHROME2, paediatric', children, 'the shared paediatric JPEGs as Pillow reads them, enlarged to 256x256 by the runtime'],
    ['2048x2048 12-bit MONOCHROME1', large, 'enlarged 8x to detector size, with rescale and LINEAR_EXACT window'],
    ['2048x2048 12-bit MONOCHROME1, JPEG-LS', largeJls, 'the same detector-sized files, JPEG-LS lossless (gdcmconv --jpegls)'],
  ] as const) {
    // Per image, the best of the reps for every stage and for the bare run: on a shared machine a
    // rep that another process preempted is noise, not the pipeline's cost. Then medians over images.
    const best = specs.map(() => ({ stages: { read: Infinity, header: Infinity, decode: Infinity, preprocess: Infinity, run: Infinity, postprocess: Infinity } as Record<Stage, number>, bare: Infinity }));
    // One unmeasured pass warms the caches (page cache, JIT, onnxruntime's arenas).
    for (let rep = -1; rep < reps; rep++) {
      for (const [i, s] of specs.entries()) {
        const t: Partial<Record<Stage, number>> = {};
        let t0 = performance.now();
        const bytes = readFileSync(s.out);
        t.read = performance.now() - t0;
        t0 = performance.now();
        const header = await readDicomHeaderFromBytes(bytes, { path: s.out });
        const scope = judgeScope(header.attributes, model.manifest.scope, model.manifest.populations);
        if (!scope.inScope) throw new Error(`${s.out} out of scope`);
        t.header = performance.now() - t0;
        t0 = performance.now();
        const img = await decodeGreyImage(bytes, s.out);
        t.decode = performance.now() - t0;
        t0 = performance.now();
        const tensor = runner.preprocess(img);
        t.preprocess = performance.now() - t0;
        t0 = performance.now();
        const out = await runner.run(tensor, scope.population.index);
        t.run = performance.now() - t0;
        t0 = performance.now();
        heatmapFromCam(out.cam, heatmapScale(model.manifest, scope.population.index));
        t.postprocess = performance.now() - t0;
        // The bare call on the same prepared tensor, right after, so both see the same machine state.
        const feeds = { image: new ort.Tensor('float32', tensor, [1, 1, size, size]) };
        t0 = performance.now();
        await bare.run(feeds);
        const bareMs = performance.now() - t0;
        if (rep < 0) continue;
        for (const k of STAGES) best[i].stages[k] = Math.min(best[i].stages[k], t[k]!);
        best[i].bare = Math.min(best[i].bare, bareMs);
      }
    }
    const stageSamples = Object.fromEntries(STAGES.map((k) => [k, best.map((b) => b.stages[k])])) as Record<Stage, number[]>;
    const totals = best.map((b) => STAGES.reduce((a, k) => a + b.stages[k], 0));
    const bareRuns = best.map((b) => b.bare);
    const med = (k: Stage) => summarize(stageSamples[k]).median_ms;
    const pipeline = summarize(totals);
    const bareSummary = summarize(bareRuns);
    const aroundInference = med('preprocess') + med('run') + med('postprocess');

    // Throughput as the product runs it: whole files through the worker pool.
    const pool: CorpusResult['pool'] = [];
    for (const workers of [1, 2]) {
      const p = new TriagePool(workers);
      await Promise.all(specs.slice(0, workers).map((s) => p.triage(model, s.out))); // load sessions
      const t0 = performance.now();
      const outcomes = await Promise.all(specs.map((s) => p.triage(model, s.out)));
      const wall = performance.now() - t0;
      await p.close();
      if (outcomes.some((o) => o.status !== 'done')) throw new Error(`pool: ${JSON.stringify(outcomes.find((o) => o.status !== 'done'))}`);
      pool.push({ workers, images_per_s: Math.round((specs.length / (wall / 1000)) * 10) / 10, wall_ms: Math.round(wall) });
    }
    const r: CorpusResult = {
      name, what, images: specs.length, reps,
      stages_ms: Object.fromEntries(STAGES.map((k) => [k, summarize(stageSamples[k])])) as Record<Stage, Summary>,
      pipeline_ms: pipeline,
      bare_run_ms: bareSummary,
      overhead_vs_bare_run_pct: pct(pipeline.median_ms, bareSummary.median_ms),
      overhead_excluding_read_and_decode_pct: pct(aroundInference, bareSummary.median_ms),
      run_wrapper_overhead_pct: pct(med('run'), bareSummary.median_ms),
      pool,
    };
    ctx.log(`${name}: pipeline ${pipeline.median_ms} ms vs bare run ${bareSummary.median_ms} ms (+${r.overhead_vs_bare_run_pct}%); around inference +${r.overhead_excluding_read_and_decode_pct}%; pool ${pool.map((x) => `${x.workers}w ${x.images_per_s}/s`).join(', ')}`);
    corpora.push(r);
  }
  await runner.release();
  await bare.release();

  const load = summarize(loads);
  const json = {
    machine: machineInfo(ctx.repoRoot),
    model: { id: model.manifest.id, version: model.manifest.version, sha256: model.manifest.sha256, bytes: readFileSync(model.modelPath).length },
    onnxruntime: { version: ort.env.versions?.common ?? 'unknown', execution_provider: 'cpu', intra_op_threads: 1 },
    model_load_ms: load,
    model_rss_mib: Math.round((rssPerModel / 2 ** 20) * 10) / 10,
    corpora,
    target: 'pipeline overhead under 15% of the bare session.run',
  };
  const rows = corpora.map((c) => `| ${c.name} | ${c.images} | ${STAGES.map((k) => c.stages_ms[k].median_ms).join(' | ')} | ${c.pipeline_ms.median_ms} | ${c.bare_run_ms.median_ms} | ${c.overhead_vs_bare_run_pct}% | ${c.overhead_excluding_read_and_decode_pct}% | ${c.run_wrapper_overhead_pct}% | ${c.pool.map((p) => `${p.images_per_s} (${p.workers}w)`).join(', ')} |`);
  const md = `## triage: AI triage pipeline (bench/triage.bench.ts)

Machine: ${json.machine.cpu_count} × ${json.machine.cpu_model}, Node ${json.machine.node_version}, load ${json.machine.load_average_1m_at_start} at start, commit ${json.machine.git_commit?.slice(0, 10)}${json.machine.git_dirty ? ' (dirty)' : ''}, ${json.machine.date}.
Model ${json.model.id} ${json.model.version} (${(json.model.bytes / 1024).toFixed(0)} KiB), onnxruntime-node ${json.onnxruntime.version}, CPU, 1 intra-op thread per session.

Per image the best of ${reps} rep(s) after a warm-up pass (a preempted rep on this shared machine is noise), then the median over images, in ms. The bare run is session.run on the same prepared tensor, right after the pipeline's own run.

| images | n | read | header+scope | decode | preprocess | run | postprocess | pipeline | bare run | overhead | around inference | run wrapper | images/s (pool) |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

- Model load (SHA-256 check + session creation): median ${load.median_ms} ms (min ${load.min_ms}, max ${load.max_ms}); one loaded model adds about ${json.model_rss_mib} MiB RSS.
- "overhead" = (whole pipeline − bare run) / bare run, target < 15%. "around inference" counts only preprocess + the runtime's run + postprocess; "run wrapper" only the runtime's session.run call against the bare one.
- The model is tiny (about 2 ms per image), so getting the pixels out of the file dominates: for 256×256 files reading, decoding and preprocessing add well under a millisecond; for detector-sized 2048×2048 16-bit files decoding (core/imaging's decodeImageFrame — the application's one decoder, which copies, masks and ranges the frame — then 4 M pixels through one look-up table; JPEG-LS adds CharLS's own decompression) and the block-average plus antialiased resize to 256×256 cost tens of milliseconds each, far above the 15% target, which only the runtime's own work around the model meets. Triage runs in the background after import, so this is time per image of a worker thread, not time a radiologist waits.
- images/s: whole files through the TriagePool (worker threads) with 1 and 2 workers; the product's default on this machine is ${Math.max(1, Math.min(4, json.machine.cpu_count - 1))} worker(s).
`;
  const paths = writeResults(ctx.resultsDir, 'triage', json, md);
  ctx.log(`wrote ${paths.json} and ${paths.md}`);
  rmSync(work, { recursive: true, force: true });
}

function pct(a: number, b: number): number {
  return Math.round(((a - b) / b) * 1000) / 10;
}
