// Issue 13's figure: how long an `amur` command takes to start, compiled (out/js, bin/compile.mjs)
// against the same command run from the TypeScript sources through tsx (AMUR_FROM_SOURCE=1), and
// against `node -e 0`, the floor no Node program can go below, all measured in the same run.
//
// Method: each command is a fresh process timed from spawn to exit (bench/lib/process.ts), with
// its CPU time (user+system). The build is brought up to date first and every method runs once
// unmeasured (page cache, tsx's compile cache); then --reps rounds (default 15), each running every
// method once in turn, so that a busy moment of a shared machine does not fall on one method.
// Medians are quoted. `amur --help` and `amur --version` load no command; `amur models list`
// loads one command and the triage model catalogue (no store, no passphrase). The compiled
// methods include bin/amur.js's check that out/js matches the sources (a stat per module);
// `node out/js/cli/main.js --help` shows the same command without that check.
import { rmSync } from 'node:fs';
import { type Bench, type BenchContext, freshWorkDir, numberOption } from './lib/bench.js';
import { machineInfo } from './lib/machine.js';
import { runChecked } from './lib/process.js';
import { writeResults } from './lib/results.js';
import { fmtMs, ratio, summarize, type Summary } from './lib/stats.js';

interface Method {
  id: string;
  label: string;
  args: string[];
  fromSource?: boolean;
}

const METHODS: Method[] = [
  { id: 'node', label: '`node -e 0` (baseline)', args: ['-e', '0'] },
  { id: 'help_compiled', label: '`amur --help`, compiled', args: ['bin/amur.js', '--help'] },
  { id: 'help_tsx', label: '`amur --help`, sources through tsx', args: ['bin/amur.js', '--help'], fromSource: true },
  { id: 'help_unchecked', label: '`node out/js/cli/main.js --help` (compiled, no source check)', args: ['out/js/cli/main.js', '--help'] },
  { id: 'version_compiled', label: '`amur --version`, compiled', args: ['bin/amur.js', '--version'] },
  { id: 'version_tsx', label: '`amur --version`, sources through tsx', args: ['bin/amur.js', '--version'], fromSource: true },
  { id: 'models_compiled', label: '`amur models list`, compiled', args: ['bin/amur.js', 'models', 'list'] },
  { id: 'models_tsx', label: '`amur models list`, sources through tsx', args: ['bin/amur.js', 'models', 'list'], fromSource: true },
];

const bench: Bench = {
  name: 'startup',
  description: "The CLI's start-up: amur --help / --version / models list compiled vs through tsx vs node -e 0",
  async run(ctx: BenchContext) {
    const reps = numberOption(ctx, 'reps', ctx.options.quick ? 3 : 15);
    const home = freshWorkDir(ctx, 'startup-home');
    const env: NodeJS.ProcessEnv = { ...process.env, AMUR_HOME: home, AMUR_LANG: 'en' };
    delete env.AMUR_FROM_SOURCE;
    const run = (m: Method) =>
      runChecked(process.execPath, m.args, { cwd: ctx.repoRoot, env: m.fromSource ? { ...env, AMUR_FROM_SOURCE: '1' } : env, timeoutMs: 60_000 });

    const build = await runChecked(process.execPath, ['bin/compile.mjs'], { cwd: ctx.repoRoot, timeoutMs: 300_000 });
    ctx.log(build.stdout.trim());
    // The same output both ways, or the comparison is of two different programs.
    for (const [a, b] of [['help_compiled', 'help_tsx'], ['version_compiled', 'version_tsx'], ['models_compiled', 'models_tsx']]) {
      const [ra, rb] = await Promise.all([run(METHODS.find((m) => m.id === a)!), run(METHODS.find((m) => m.id === b)!)]);
      if (ra.stdout !== rb.stdout || !ra.stdout.trim()) throw new Error(`${a} and ${b} printed different output:\n${ra.stdout}\n---\n${rb.stdout}`);
    }
    for (const m of METHODS) await run(m);

    const wall: Record<string, number[]> = Object.fromEntries(METHODS.map((m) => [m.id, []]));
    const cpu: Record<string, number[]> = Object.fromEntries(METHODS.map((m) => [m.id, []]));
    for (let r = 0; r < reps; r++) {
      for (const m of METHODS) {
        const res = await run(m);
        wall[m.id].push(res.elapsed_ms);
        if (res.cpu_ms !== null) cpu[m.id].push(res.cpu_ms);
      }
      ctx.log(`round ${r + 1}/${reps}: ${METHODS.map((m) => `${m.id} ${Math.round(wall[m.id].at(-1)!)}`).join(', ')} ms`);
    }
    rmSync(home, { recursive: true, force: true });

    const w: Record<string, Summary> = Object.fromEntries(METHODS.map((m) => [m.id, summarize(wall[m.id])]));
    const c: Record<string, Summary | null> = Object.fromEntries(METHODS.map((m) => [m.id, cpu[m.id].length ? summarize(cpu[m.id]) : null]));
    const base = w.node.median_ms;
    const results = {
      machine: machineInfo(ctx.repoRoot),
      reps,
      build: build.stdout.trim(),
      wall: w,
      cpu: c,
      ratio_to_node: Object.fromEntries(METHODS.map((m) => [m.id, ratio(w[m.id].median_ms, base)])),
      net_of_node_ms: Object.fromEntries(METHODS.map((m) => [m.id, Math.round((w[m.id].median_ms - base) * 10) / 10])),
      tsx_over_compiled: {
        help: ratio(w.help_tsx.median_ms, w.help_compiled.median_ms),
        version: ratio(w.version_tsx.median_ms, w.version_compiled.median_ms),
        models: ratio(w.models_tsx.median_ms, w.models_compiled.median_ms),
      },
    };
    const m = results.machine;
    const rows = METHODS.map((x) => {
      const cx = c[x.id];
      return `| ${x.label} | ${fmtMs(w[x.id].median_ms)} (min ${fmtMs(w[x.id].min_ms)}) | ${cx ? fmtMs(cx.median_ms) : 'n/a'} | ${results.ratio_to_node[x.id]}× | ${x.id === 'node' ? '' : fmtMs(results.net_of_node_ms[x.id])} |`;
    }).join('\n');
    const md = `## startup: the CLI's start-up, compiled vs tsx

${m.cpu_count} CPUs (${m.cpu_model}), Node ${m.node_version}, load average ${m.load_average_1m_at_start} at start, ${m.date}. Median of ${reps} rounds, methods interleaved; every process timed from spawn to exit.

| Command | Wall | CPU | × \`node -e 0\` | Net of \`node -e 0\` |
| --- | --- | --- | --- | --- |
${rows}

Through tsx the same commands take ${results.tsx_over_compiled.help}× (--help), ${results.tsx_over_compiled.version}× (--version) and ${results.tsx_over_compiled.models}× (models list) as long as compiled.
The compiled figures include bin/amur.js's check that out/js is as new as the sources; the unchecked row shows what that check costs.
Issue 13's target is \`amur --help\` ≤ 80 ms; on a loaded machine read the ratios and the net figures, since \`node -e 0\` slows with it.`;
    const out = writeResults(ctx.resultsDir, 'startup', results, md);
    ctx.log(`--help: compiled ${fmtMs(w.help_compiled.median_ms)}, tsx ${fmtMs(w.help_tsx.median_ms)}, node -e 0 ${fmtMs(base)} -> ${out.md}`);
  },
};

export default bench;
