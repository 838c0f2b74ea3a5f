// Benchmark runner. `npm run bench` runs every bench/*.bench.ts; `npm run bench -- import triage`
// runs the named ones; options after the names (`--reps=3`, `--quick`) are passed to each of them.
// `npm run bench -- --list` lists what exists. Exit status 1 when any benchmark failed.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchContext } from './lib/bench.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(benchDir, '..');

function discover(): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of readdirSync(benchDir).sort()) {
    const m = /^(.+)\.bench\.ts$/.exec(f);
    if (m) found.set(m[1], join(benchDir, f));
  }
  return found;
}

function parseArgs(argv: string[], known: Set<string>): { names: string[]; options: Record<string, string | boolean> } {
  const names: string[] = [];
  const options: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options[a.slice(2, eq)] = a.slice(eq + 1);
      else if (i + 1 < argv.length && !argv[i + 1].startsWith('--') && !known.has(argv[i + 1])) options[a.slice(2)] = argv[++i];
      else options[a.slice(2)] = true;
    } else {
      names.push(a);
    }
  }
  return { names, options };
}

async function main(): Promise<number> {
  const available = discover();
  const { names, options } = parseArgs(process.argv.slice(2), new Set(available.keys()));
  if (options.list || options.help) {
    process.stdout.write('usage: npm run bench [-- NAME... [--option=value...]]\n\n');
    for (const [name, file] of available) {
      const bench = (await import(pathToFileURL(file).href)).default as Bench;
      process.stdout.write(`  ${name.padEnd(12)} ${bench.description}\n`);
    }
    return 0;
  }
  const unknown = names.filter((n) => !available.has(n));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark: ${unknown.join(', ')} (available: ${[...available.keys()].join(', ') || 'none'})\n`);
    return 2;
  }
  const selected = names.length ? names : [...available.keys()];
  if (selected.length === 0) {
    process.stderr.write('no bench/*.bench.ts found\n');
    return 2;
  }
  const tmpRoot = join(benchDir, 'tmp');
  mkdirSync(tmpRoot, { recursive: true });
  // Every store a benchmark makes is encrypted, as every store is: the `amur` processes it runs
  // and the stores it opens in this process (bench/lib/vault.ts) read this passphrase file.
  if (!process.env.AMUR_PASSPHRASE_FILE) {
    const file = join(tmpRoot, 'bench-passphrase');
    writeFileSync(file, `bench vault ${process.pid}\n`, { mode: 0o600 });
    process.env.AMUR_PASSPHRASE_FILE = file;
  }
  let failed = 0;
  for (const name of selected) {
    const bench = (await import(pathToFileURL(available.get(name)!).href)).default as Bench;
    if (!bench || typeof bench.run !== 'function' || bench.name !== name) {
      process.stderr.write(`bench/${name}.bench.ts must default-export a Bench named "${name}"\n`);
      failed++;
      continue;
    }
    const ctx: BenchContext = {
      repoRoot,
      tmpRoot,
      resultsDir: join(benchDir, 'results'),
      options,
      log: (m) => process.stdout.write(`[${name}] ${m}\n`),
    };
    process.stdout.write(`== ${name}: ${bench.description}\n`);
    const t0 = performance.now();
    try {
      await bench.run(ctx);
      process.stdout.write(`== ${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (e) {
      failed++;
      process.stderr.write(`== ${name}: FAILED: ${(e as Error).stack ?? e}\n`);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
