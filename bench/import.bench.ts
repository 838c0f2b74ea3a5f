// Import throughput (issue 2): how long Amur takes to import a real corpus, against `cp -r` of the
// same files (the floor: import copies the files into the store) and against Orthanc's ingest of the
// same files (POST /instances to the Debian package on 127.0.0.1), all measured in the same run.
// Targets: import within 1.5x of the copy; Orthanc many times slower than import.
//
// Method: every tool runs once unmeasured to warm the page cache and tsx's compile cache (dropping
// caches needs root and would be unrepresentative anyway: a hospital's CD has just been read), then
// the methods run interleaved, rep after rep, so that a slow moment of the shared machine does not
// land on one method only. Every rep writes to a fresh folder (fresh AMUR_HOME, fresh Orthanc
// storage); cleaning up and flushing dirty pages (`sync`) happen between reps and are not timed.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { shared } from '../test/shared-data.js';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { describeCorpus, listFiles, makeCopiedStudyCorpus, makeMixedCorpus, type CorpusInfo } from './lib/corpus.js';
import { processCpuMs, selfCpuMs } from './lib/cpu.js';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpuprofile.js';
import { machineInfo, toolVersion } from './lib/machine.js';
import { getJson, postInstances, startOrthanc } from './lib/orthanc.js';
import { runChecked, runTimed } from './lib/process.js';
import { writeResults } from './lib/results.js';
import { fmtMs, mbPerS, ratio, summarize, type Summary } from './lib/stats.js';

/** One way of getting the corpus onto disk; returns elapsed ms and what it reports doing. */
interface Method {
  key: string;
  label: string;
  /** Where the time is spent, for the results table. */
  what: string;
  /** cpu_ms: user+system CPU the method used (its process, all threads), null where unknown. */
  once: (rep: string) => Promise<{ elapsed_ms: number; cpu_ms: number | null; outcome: Record<string, unknown> }>;
}

interface MethodResult {
  key: string;
  label: string;
  what: string;
  summary: Summary;
  /** CPU time per rep (user+system), when it could be measured. */
  cpu: Summary | null;
  mb_per_s_median: number;
  /** What the method reported in its last rep (counts of stored / rejected files). */
  outcome: Record<string, unknown>;
}

const bench: Bench = {
  name: 'import',
  description: 'Amur import vs cp -r vs Orthanc POST /instances on real DICOM (writes bench/results/import.json)',
  run,
};
export default bench;

async function run(ctx: BenchContext): Promise<void> {
  const quick = ctx.options.quick === true;
  const reps = numberOption(ctx, 'reps', quick ? 2 : 5);
  const copies = numberOption(ctx, 'copies', quick ? 4 : 36);
  const concurrency = numberOption(ctx, 'orthanc-concurrency', 4);
  const which = String(ctx.options.corpus ?? 'all');
  const work = freshWorkDir(ctx, 'import');

  const corpora: CorpusInfo[] = [];
  if (which === 'all' || which === 'shared') {
    corpora.push(describeCorpus('shared', shared('dicom'),
      'every file of the shared test data (../shared/dicom): CT, MR, US, SR, multi-frame, every transfer syntax, a DICOMDIR and a few non-DICOM files (licences, manifests)'));
  }
  if (which === 'all' || which === 'headct') {
    const dir = join(ctx.tmpRoot, `corpus-headct-x${copies}`);
    ctx.log(`making corpus: GE head CT (28 slices) x ${copies} with new UIDs (dcmodify) in ${dir}`);
    await makeCopiedStudyCorpus(shared('dicom', 'dcm_qa_ct', 'In', 'GE'), copies, dir);
    corpora.push(describeCorpus(`headct-x${copies}`, dir,
      `the 28-slice GE head CT from dcm_qa_ct copied ${copies} times, each copy a new study (new Study/Series/SOP Instance UIDs and PatientID by dcmodify)`));
  }
  if (which === 'all' || which === 'mixed') {
    const studies = numberOption(ctx, 'mixed-studies', 50);
    const dir = join(ctx.tmpRoot, `corpus-mixed-${studies}`);
    ctx.log(`making corpus: ${studies} case folders of 10 small DICOM files and 20 other files each, in ${dir}`);
    await makeMixedCorpus(shared('dicom'), studies, 10, 20, dir);
    corpora.push(describeCorpus(`mixed-${studies}`, dir,
      `a download as users bring it: ${studies} case folders, each with 10 small DICOM files (SR, SEG, CT, MR, JPEG-LS multi-frame of the shared data, 4 to 76 KB, new SOP Instance and Series UIDs by dcmodify, one new study per folder) and 20 non-DICOM files (text, JSON, PNG, CSV, HTML, 0.3 to 40 KB) in nested folders`));
  }
  if (corpora.length === 0) throw new Error(`--corpus must be shared, headct, mixed or all (got ${which})`);

  const amurCli = await amurCliAvailable(ctx);
  if (!amurCli) ctx.log('Amur not measured (--baselines-only, or no `amur import` command): baselines only');

  const results = [];
  for (const corpus of corpora) {
    ctx.log(`corpus ${corpus.name}: ${corpus.files} files, ${(corpus.bytes / 1e6).toFixed(1)} MB`);
    results.push(await benchCorpus(ctx, corpus, { reps, concurrency, amurCli, work, profile: ctx.options.profile === true, orthanc: ctx.options['no-orthanc'] !== true }));
  }
  await cleanup(work);
  rmSync(work, { recursive: true, force: true });

  const json = {
    benchmark: 'import',
    machine: machineInfo(ctx.repoRoot),
    filesystem: (await runTimed('df', ['--output=fstype', ctx.tmpRoot])).stdout.trim().split('\n').pop() ?? 'unknown',
    tools: {
      cp: toolVersion('cp'),
      orthanc: toolVersion('Orthanc'),
      dcmodify: toolVersion('dcmodify', ['--version']),
    },
    method: {
      reps,
      warm_cache: 'each method ran once unmeasured first; page cache warm (dropping caches is not possible here)',
      order: 'methods interleaved within each rep; cleanup and sync between runs are not timed',
      orthanc: `Debian Orthanc, no plugins, no compression, fresh storage and index per rep; POST /instances over keep-alive HTTP, sequentially and with ${concurrency} requests in flight, with its default SyncStorageArea true (fsync per file) and, like Amur's store, false; start-up and shutdown not timed`,
      amur_api: 'importPaths() from core/importer in the benchmark process with a fresh store per rep (StudyStore.open, import, close timed; the vault unlocked before, as a session does once)',
      amur_cli: '`node bin/amur.js import DIR --json` with a fresh AMUR_HOME per rep: the whole process, Node and tsx start-up included',
    },
    corpora: results,
  };
  const md = markdown(json, results);
  // A smoke run (--quick, --baselines-only) must not replace the committed figures.
  const smoke = quick || ctx.options['baselines-only'] === true;
  const written = writeResults(smoke ? join(ctx.tmpRoot, 'results-smoke') : ctx.resultsDir, 'import', json, md);
  ctx.log(`wrote ${written.json} and ${written.md}`);
  process.stdout.write(`\n${md}\n`);
}

interface CorpusOptions {
  profile: boolean;
  /** Measure Orthanc's ingest too (--no-orthanc leaves it out, for a quicker run about Amur alone). */
  orthanc: boolean;
  reps: number;
  concurrency: number;
  amurCli: boolean;
  work: string;
}

async function benchCorpus(ctx: BenchContext, corpus: CorpusInfo, o: CorpusOptions) {
  const files = listFiles(corpus.dir);
  const loadAtStart = os.loadavg()[0];
  const dest = (key: string, rep: string): string => join(o.work, `${corpus.name}-${key}-${rep}`);
  const amurBin = join(ctx.repoRoot, 'bin', 'amur.js');
  const methods: Method[] = [
    {
      key: 'cp',
      label: 'cp -r',
      what: 'coreutils copy of the folder to a new folder on the same filesystem',
      once: async (rep) => {
        const r = await runChecked('cp', ['-r', corpus.dir, dest('cp', rep)]);
        return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, outcome: { files: corpus.files } };
      },
    },
  ];
  if (o.amurCli) {
    methods.push({
      key: 'amur_startup',
      label: 'amur import, no paths (start-up only)',
      what: 'the import command started with nothing to import: Node, tsx and the import command\'s modules load, the home is unlocked (scrypt, as every command that needs the store does), it prints its usage and exits (status 2)',
      once: async () => {
        const r = await runTimed(process.execPath, [amurBin, 'import', '--json'], { cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: dest('startup', 'x') } });
        if (r.code !== 2) throw new Error(`amur import with no paths: expected exit status 2, got ${r.signal ?? r.code}: ${r.stderr.slice(-500)}`);
        return { elapsed_ms: r.elapsed_ms, cpu_ms: r.cpu_ms, outcome: {} };
      },
    });
    methods.push({
      key: 'amur_cli',
      label: 'amur import --json',
      what: 'the real CLI in a new process with a fresh AMUR_HOME: parse headers, copy into the store, write the SQLite catalogue',
      once: async (rep) => {
        const home = dest('amur', rep);
        const r = await runChecked(process.execPath, [amurBin, 'import', corpus.dir, '--json'], {
          cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: home }, timeoutMs: 600_000,
        });
        const report = JSON.parse(r.stdout);
        return {
          elapsed_ms: r.elapsed_ms,
          cpu_ms: r.cpu_ms,
          outcome: {
            imported: report.imported,
            duplicates: report.duplicates,
            rejected: report.rejected?.length,
            studies: report.studies?.length,
          },
        };
      },
    });
  }
  if (o.amurCli) {
    // The same importer in this process: no Node/tsx start-up, store opening and worker start included.
    const { StudyStore } = await import('../core/store/store.js');
    const { importPaths } = await import('../core/importer/importer.js');
    const { unlockFromEnvironment } = await import('../core/vault/session.js');
    methods.push({
      key: 'amur_api',
      label: 'Amur importPaths() in-process',
      what: 'the importer the CLI and the UI call, in the benchmark process, default options (headers read on the calling thread, as the CLI does): open a fresh store, import, close',
      once: async (rep) => {
        // The home is unlocked once per session (the CLI figure includes it): not part of an import.
        await unlockFromEnvironment(dest('amurapi', rep), process.env);
        const t0 = performance.now();
        const c0 = selfCpuMs();
        const store = StudyStore.open(dest('amurapi', rep));
        try {
          const s = await importPaths(store, [corpus.dir]);
          store.close();
          return {
            elapsed_ms: performance.now() - t0,
            cpu_ms: selfCpuMs() - c0,
            outcome: { imported: s.imported, duplicates: s.duplicates, rejected: s.rejected.length, studies: s.studies.length },
          };
        } finally {
          store.close();
        }
      },
    });
  }
  // Orthanc fsyncs every stored file by default (SyncStorageArea) and Amur does not (see
  // core/store/store.ts), so the like-for-like comparison is the run with SyncStorageArea false.
  const orthancRuns: { conc: number; sync: boolean }[] = o.orthanc ? [
    { conc: 1, sync: true },
    { conc: o.concurrency, sync: true },
    { conc: o.concurrency, sync: false },
  ] : [];
  for (const { conc, sync } of orthancRuns) {
    const inFlight = conc === 1 ? 'sequential' : `${conc} in flight`;
    methods.push({
      key: `orthanc_c${conc}${sync ? '' : '_nosync'}`,
      label: `Orthanc POST /instances, ${inFlight}${sync ? '' : ', SyncStorageArea false'}`,
      what: `every file POSTed to a fresh Orthanc on 127.0.0.1 (${inFlight}; ${sync ? 'default settings: fsync of every stored file' : 'no fsync, like Amur'})`,
      once: async (rep) => {
        const dir = dest(`orthanc${conc}${sync}`, rep);
        mkdirSync(dir, { recursive: true });
        const server = await startOrthanc({ dir, syncStorageArea: sync });
        try {
          // Orthanc's own CPU over the POSTs; the client's (this process) is not counted.
          const c0 = processCpuMs(server.pid);
          const r = await postInstances(server.port, files, conc);
          const c1 = processCpuMs(server.pid);
          const stats = await getJson(server.port, '/statistics');
          return {
            elapsed_ms: r.elapsed_ms,
            cpu_ms: c0 === null || c1 === null ? null : c1 - c0,
            outcome: { stored: r.stored, already_stored: r.already_stored, rejected: r.rejected, instances_in_orthanc: stats.CountInstances, studies_in_orthanc: stats.CountStudies },
          };
        } finally {
          await server.stop();
        }
      },
    });
  }

  // Warm-up: every method runs once (reading every file into the page cache); its time is discarded.
  const warm = performance.now();
  const outcomes: Record<string, Record<string, unknown>> = {};
  for (const m of methods) {
    const r = await m.once('warm');
    outcomes[m.key] = r.outcome;
    await cleanup(o.work);
  }
  ctx.log(`warm-up done in ${fmtMs(performance.now() - warm)}: ${JSON.stringify(outcomes)}`);

  const samples: Record<string, number[]> = Object.fromEntries(methods.map((m) => [m.key, []]));
  const cpuSamples: Record<string, (number | null)[]> = Object.fromEntries(methods.map((m) => [m.key, []]));
  for (let i = 1; i <= o.reps; i++) {
    for (const m of methods) {
      const r = await m.once(String(i));
      samples[m.key].push(r.elapsed_ms);
      cpuSamples[m.key].push(r.cpu_ms);
      outcomes[m.key] = r.outcome;
      await cleanup(o.work);
    }
    ctx.log(`rep ${i}/${o.reps}: ${methods.map((m) => `${m.key} ${fmtMs(samples[m.key][i - 1])}`).join(', ')}`);
  }

  const profile = o.profile && o.amurCli ? await profileCliImport(ctx, corpus, join(o.work, `${corpus.name}-profile`)) : undefined;

  const methodResults: MethodResult[] = methods.map((m) => {
    const summary = summarize(samples[m.key]);
    const cpu = cpuSamples[m.key].every((x) => x !== null) ? summarize(cpuSamples[m.key] as number[]) : null;
    return { key: m.key, label: m.label, what: m.what, summary, cpu, mb_per_s_median: mbPerS(corpus.bytes, summary.median_ms), outcome: outcomes[m.key] };
  });
  const med = (k: string): number | undefined => methodResults.find((r) => r.key === k)?.summary.median_ms;
  const min = (k: string): number | undefined => methodResults.find((r) => r.key === k)?.summary.min_ms;
  const cpu = (k: string): number | undefined => methodResults.find((r) => r.key === k)?.cpu?.median_ms;
  const cliCpuImportOnly = cpu('amur_cli') !== undefined && cpu('amur_startup') !== undefined ? cpu('amur_cli')! - cpu('amur_startup')! : undefined;
  const orthancBest = Math.min(...methodResults.filter((r) => r.key.startsWith('orthanc')).map((r) => r.summary.median_ms));
  const amurImportOnly = med('amur_cli') !== undefined && med('amur_startup') !== undefined ? med('amur_cli')! - med('amur_startup')! : undefined;
  return {
    name: corpus.name,
    description: corpus.description,
    files: corpus.files,
    bytes: corpus.bytes,
    // A 1-minute load average above the CPU count means other work competed with every method.
    load_average_1m: { start: round2(loadAtStart), end: round2(os.loadavg()[0]) },
    methods: methodResults,
    ...(profile ? { cli_profile: profile } : {}),
    ratios: {
      amur_cli_over_cp_median: ratio(med('amur_cli'), med('cp')),
      amur_cli_over_cp_min: ratio(min('amur_cli'), min('cp')),
      amur_cli_minus_startup_over_cp_median: ratio(amurImportOnly, med('cp')),
      amur_cli_over_cp_cpu_median: ratio(cpu('amur_cli'), cpu('cp')),
      amur_cli_minus_startup_over_cp_cpu_median: ratio(cliCpuImportOnly, cpu('cp')),
      amur_api_over_cp_median: ratio(med('amur_api'), med('cp')),
      amur_api_over_cp_cpu_median: ratio(cpu('amur_api'), cpu('cp')),
      amur_api_over_cp_min: ratio(min('amur_api'), min('cp')),
      orthanc_sequential_over_amur_cli_median: ratio(med('orthanc_c1'), med('amur_cli')),
      orthanc_fastest_over_amur_cli_median: ratio(Number.isFinite(orthancBest) ? orthancBest : undefined, med('amur_cli')),
      orthanc_fastest_over_amur_api_median: ratio(Number.isFinite(orthancBest) ? orthancBest : undefined, med('amur_api')),
      orthanc_sequential_cpu_over_amur_cli_cpu_median: ratio(cpu('orthanc_c1'), cpu('amur_cli')),
    },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Removes every run's output and flushes dirty pages, so the next timed run starts from the same state. */
async function cleanup(work: string): Promise<void> {
  // cp -r keeps the shared data's read-only folder modes; without write permission rm fails (non-root).
  await runChecked('chmod', ['-R', 'u+w', work]);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  await runChecked('sync', []);
}

/**
 * One more CLI import under `node --cpu-prof` (not timed: profiling slows it down). The main thread's
 * profile is summarized into the results and kept in bench/tmp/profiles/ for Chrome DevTools.
 */
async function profileCliImport(ctx: BenchContext, corpus: CorpusInfo, dir: string): Promise<ProfileSummary> {
  const profDir = join(dir, 'prof');
  mkdirSync(profDir, { recursive: true });
  await runChecked(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, join(ctx.repoRoot, 'bin', 'amur.js'), 'import', corpus.dir, '--json'], {
    cwd: ctx.repoRoot, env: { ...process.env, AMUR_HOME: join(dir, 'home') }, timeoutMs: 600_000,
  });
  // Names end in .<pid>.<threadId>.<seq>.cpuprofile; thread 0 is the main thread.
  const main = readdirSync(profDir).find((f) => /\.0\.\d+\.cpuprofile$/.test(f));
  if (!main) throw new Error(`no main-thread profile in ${profDir}`);
  const keep = join(ctx.tmpRoot, 'profiles');
  mkdirSync(keep, { recursive: true });
  const kept = join(keep, `import-${corpus.name}.cpuprofile`);
  copyFileSync(join(profDir, main), kept);
  const summary = summarizeCpuProfile(kept, ctx.repoRoot, 15);
  ctx.log(`profile of one CLI import (main thread, ${summary.total_ms} ms sampled, ${summary.idle_ms} ms idle) kept in ${kept}; most self time:`);
  for (const f of summary.self.slice(0, 15)) ctx.log(`  ${String(f.ms).padStart(8)} ms  ${f.frame}`);
  rmSync(dir, { recursive: true, force: true });
  return summary;
}

/** The import command exists once the store and importer are in (issue 2 is built in parallel). */
async function amurCliAvailable(ctx: BenchContext): Promise<boolean> {
  if (ctx.options['baselines-only'] === true) return false;
  const { commands } = await import('../cli/commands/index.js');
  return Object.hasOwn(commands, 'import') && existsSync(join(ctx.repoRoot, 'bin', 'amur.js'));
}

type CorpusResult = Awaited<ReturnType<typeof benchCorpus>>;

function markdown(json: { machine: ReturnType<typeof machineInfo>; filesystem: string; tools: Record<string, string | null>; method: { reps: number; orthanc: string } }, results: CorpusResult[]): string {
  const m = json.machine;
  const lines: string[] = [];
  lines.push('## import: Amur import vs `cp -r` vs Orthanc ingest');
  lines.push('');
  lines.push(`Measured ${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu_count} × ${m.cpu_model}, ${m.total_memory_gib} GiB, ${m.platform} ${m.release}, ${json.filesystem}; Node ${m.node_version}; ${json.tools.orthanc ?? 'Orthanc ?'}; commit ${m.git_commit?.slice(0, 10) ?? '?'}${m.git_dirty ? ' (with uncommitted changes)' : ''}; load average ${m.load_average_1m_at_start} at start.`);
  lines.push(`${json.method.reps} measured reps per method after one unmeasured warm-up run each (page cache warm), methods interleaved; median and min shown. Targets: import ≤ 1.5 × cp; Orthanc many times slower than import.`);
  for (const c of results) {
    lines.push('');
    lines.push(`### ${c.name}: ${c.files} files, ${(c.bytes / 1e6).toFixed(1)} MB`);
    lines.push('');
    lines.push(`${c.description}. Load average (1 min) ${c.load_average_1m.start} at the start, ${c.load_average_1m.end} at the end, on ${json.machine.cpu_count} CPUs.`);
    lines.push('');
    lines.push('| method | median | min | MB/s (median) | × cp (median) | CPU (median) | CPU × cp | outcome (last rep) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
    const cp = c.methods.find((x) => x.key === 'cp')?.summary.median_ms;
    const cpCpu = c.methods.find((x) => x.key === 'cp')?.cpu?.median_ms;
    for (const r of c.methods) {
      const outcome = Object.entries(r.outcome).map(([k, v]) => `${k} ${v}`).join(', ');
      lines.push(`| ${r.label} | ${fmtMs(r.summary.median_ms)} | ${fmtMs(r.summary.min_ms)} | ${r.key === 'amur_startup' ? '–' : r.mb_per_s_median} | ${ratio(r.summary.median_ms, cp) ?? '–'} | ${r.cpu ? fmtMs(r.cpu.median_ms) : '–'} | ${ratio(r.cpu?.median_ms, cpCpu) ?? '–'} | ${outcome} |`);
    }
    lines.push('');
    const q = c.ratios;
    if (q.amur_cli_over_cp_median !== null) {
      lines.push(`- **import / cp = ${q.amur_cli_over_cp_median}×** (median; min/min ${q.amur_cli_over_cp_min}×) — target ≤ 1.5×: ${q.amur_cli_over_cp_median <= 1.5 ? 'met' : 'NOT met'}.`);
      lines.push(`- in-process import / cp = ${q.amur_api_over_cp_median}× (median; min/min ${q.amur_api_over_cp_min}×).`);
      lines.push(`- CPU time (user+system, all threads; insensitive to the machine's load): CLI import / cp = ${q.amur_cli_over_cp_cpu_median}× (${q.amur_cli_minus_startup_over_cp_cpu_median}× without the CLI's start-up), in-process import / cp = ${q.amur_api_over_cp_cpu_median}×, Orthanc sequential / CLI import = ${q.orthanc_sequential_cpu_over_amur_cli_cpu_median}× (Orthanc's own CPU only, not the client's).`);
      lines.push(`- **Orthanc / import = ${q.orthanc_sequential_over_amur_cli_median}×** (Orthanc sequential with its default fsync, against the CLI); ${q.orthanc_fastest_over_amur_cli_median}× for Orthanc's fastest mode here against the CLI, ${q.orthanc_fastest_over_amur_api_median}× against the in-process import (medians).`);
    } else {
      lines.push('- Amur import not measured (the `amur import` command was not available in this run).');
    }
    const prof = (c as { cli_profile?: ProfileSummary }).cli_profile;
    if (prof) {
      lines.push(`- Profile of one more CLI import (main thread, ${prof.total_ms} ms sampled, ${prof.idle_ms} ms idle), most self time: ${prof.self.filter((f) => f.frame !== '(idle)').slice(0, 8).map((f) => `${f.frame} ${f.ms} ms`).join('; ')}.`);
    }
  }
  lines.push('');
  lines.push(`Orthanc: ${json.method.orthanc}. Raw samples: bench/results/import.json.`);
  return lines.join('\n');
}
