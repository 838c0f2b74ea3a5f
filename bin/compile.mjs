// The compiled application: every TypeScript module of core/, cli/ and electron/ (tests excluded)
// transpiled one file at a time by esbuild into out/js/ with the same layout, each with its source
// map pointing at its .ts source. `npm run build` (also run by `npm install`/`npm ci` as `prepare`)
// compiles everything; bin/amur.js and electron/entry.mjs call ensureCompiled(), which in a source
// checkout recompiles only the files that changed since (a few milliseconds) and in an installed
// app (no sources) uses the build as it is. Plain JavaScript, because it runs before any TypeScript
// loader exists.
//
// Two rewrites keep the modules' file-relative paths true from out/js/:
// - `import.meta.url` means the URL of the .ts source, so `new URL('../../assets/…', import.meta.url)`,
//   createRequire(import.meta.url) and fileURLToPath(...) find the assets, models, schemas,
//   migrations and packages where they lie in the repository (and in the packaged app, which keeps
//   that layout);
// - except for a worker: `new URL('./x.worker.ts', import.meta.url)` becomes the compiled
//   `./x.worker.js` beside the compiled module, so a worker thread runs compiled code too. Worker
//   modules are named *.worker.ts for this; any other `.ts` URL (e.g. a source given to vite) keeps
//   pointing at the source.
// Per-file transpiling, not bundling: every module keeps its own file, its own import.meta.url and
// its lazy imports, and native packages (better-sqlite3, onnxruntime-node) are loaded from
// node_modules as before.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withDirLock } from './dir-lock.mjs';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
export const OUT_DIR = join(REPO, 'out', 'js');
/** Folders whose modules make up the application (the renderer is vite's, see cli/host/build-renderer.ts). */
export const SOURCE_DIRS = ['core', 'cli', 'electron'];
const MANIFEST = join(OUT_DIR, 'manifest.json');
const LOCK = join(REPO, 'out', '.js.lock');
const SELF = fileURLToPath(import.meta.url);
/** Bump when the output of the same sources changes (a new rewrite, other esbuild options). */
const FORMAT = 1;
const MODULE_URL = '__amurModuleUrl';

const posix = (p) => p.split(sep).join('/');

/** Application modules, as repository-relative POSIX paths: *.ts except tests and declarations. */
export function listSources() {
  const found = [];
  // A walk by hand: readdirSync's `recursive` option costs several times as much, at every start.
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(join(REPO, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(rel);
      } else if (rel.endsWith('.ts') && !rel.endsWith('.test.ts') && !rel.endsWith('.d.ts')) {
        found.push(rel);
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return found.sort();
}

function stamp(path) {
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return undefined;
  }
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(MANIFEST, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether this is a source checkout (development, CI) rather than an installed app that ships only out/js. */
export function hasSources() {
  return existsSync(join(REPO, 'cli', 'main.ts'));
}

/** What must be compiled for out/js to match the sources: changed or new files, and outputs of removed ones. */
export function plan() {
  const manifest = readManifest();
  const compiler = `${FORMAT}:${stamp(SELF)}`;
  const whole = !manifest || manifest.compiler !== compiler;
  const previous = whole ? {} : manifest.files;
  const files = {};
  const changed = [];
  for (const rel of listSources()) {
    const s = stamp(join(REPO, rel));
    files[rel] = s;
    if (previous[rel] !== s) changed.push(rel);
  }
  // Modules outside SOURCE_DIRS that the application imports (renderer/csp.ts), found when compiling.
  for (const rel of whole ? [] : manifest.imported ?? []) {
    const s = stamp(join(REPO, rel));
    if (s === undefined) continue;
    files[rel] = s;
    if (previous[rel] !== s) changed.push(rel);
  }
  const removed = Object.keys(previous).filter((rel) => !(rel in files));
  return { compiler, files, changed, removed, whole, fresh: changed.length === 0 && removed.length === 0 };
}

function outName(rel) {
  return rel.replace(/\.ts$/, '.js');
}

/** Transpiles one module; returns its code (with the source map comment) and the map. */
async function transpile(esbuild, rel, sources) {
  const source = join(REPO, rel);
  const out = join(OUT_DIR, outName(rel));
  const toSource = posix(relative(dirname(out), source));
  const result = await esbuild.transform(readFileSync(source, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: 'external',
    sourcefile: toSource,
    sourcesContent: false,
    // The same TypeScript semantics as tsconfig.json (and tsx, which reads it).
    tsconfigRaw: { compilerOptions: { target: 'ES2022', useDefineForClassFields: true, verbatimModuleSyntax: false } },
    define: { 'import.meta.url': MODULE_URL },
    // Not rewritten by `define` (a banner is added after the transform), and on the first line so
    // that the source map's lines are unchanged but for the one added line esbuild accounts for.
    banner: `const ${MODULE_URL} = new URL(${JSON.stringify(toSource)}, import.meta.url).href;`,
  });
  let code = result.code.replace(
    new RegExp(`new URL\\((["'\`])(\\.{1,2}/[^"'\`]+)\\.worker\\.ts\\1, ${MODULE_URL}\\)`, 'g'),
    (_, q, path) => {
      const target = posix(join(dirname(rel), `${path}.worker.ts`));
      if (!sources.has(target)) throw new Error(`${rel}: worker module ${target} is not among the compiled sources`);
      return `new URL(${q}${path}.worker.js${q}, import.meta.url)`;
    },
  );
  // A plain JavaScript module (.mjs, such as bin/dir-lock.mjs) is not compiled: its import points at the source.
  code = code.replace(/(\bfrom\s*|\bimport\(\s*)(["'])(\.{1,2}\/[^"']+\.mjs)\2/g, (_, pre, q, spec) => {
    const target = posix(relative(dirname(out), join(REPO, dirname(rel), spec)));
    return `${pre}${q}${target.startsWith('.') ? target : `./${target}`}${q}`;
  });
  // Relative imports of a TypeScript module that is not one of the sources: compiled too.
  const imports = [];
  for (const m of code.matchAll(/(?:from|import\()\s*["'](\.{1,2}\/[^"']+)\.js["']/g)) {
    const target = posix(join(dirname(rel), `${m[1]}.ts`));
    if (!sources.has(target) && existsSync(join(REPO, target))) imports.push(target);
  }
  code += `//# sourceMappingURL=${posix(relative(dirname(out), out))}.map\n`;
  return { out, code, map: result.map, imports };
}

function writeAtomically(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Compiles what plan() found; all of it when `all`. Throws on the first module that does not compile, writing nothing of it. */
export async function compile({ all = false } = {}) {
  const p = plan();
  const todo = all || p.whole ? Object.keys(p.files) : p.changed;
  const esbuild = await import('esbuild');
  const sources = new Set(Object.keys(p.files));
  const imported = new Set(Object.keys(p.files).filter((rel) => !SOURCE_DIRS.includes(rel.split('/')[0])));
  // Every module first, then the writes: a syntax error in one leaves the build as it was.
  const results = [];
  for (let batch = todo; batch.length; ) {
    const done = await Promise.all(batch.map((rel) => transpile(esbuild, rel, sources)));
    results.push(...done);
    batch = [...new Set(done.flatMap((d) => d.imports))].filter((rel) => !sources.has(rel));
    for (const rel of batch) {
      sources.add(rel);
      imported.add(rel);
      p.files[rel] = stamp(join(REPO, rel));
    }
  }
  for (const { out, code, map } of results) {
    mkdirSync(dirname(out), { recursive: true });
    writeAtomically(`${out}.map`, map);
    writeAtomically(out, code);
  }
  for (const rel of p.removed) {
    rmSync(join(OUT_DIR, outName(rel)), { force: true });
    rmSync(join(OUT_DIR, `${outName(rel)}.map`), { force: true });
  }
  mkdirSync(OUT_DIR, { recursive: true });
  // package.json beside the output says these are ES modules whatever folder out/ is copied to.
  if (!existsSync(join(OUT_DIR, 'package.json'))) writeAtomically(join(OUT_DIR, 'package.json'), '{ "type": "module" }\n');
  writeAtomically(MANIFEST, `${JSON.stringify({ compiler: p.compiler, esbuild: esbuild.version, imported: [...imported].sort(), files: p.files }, null, 1)}\n`);
  return { compiled: todo.length, removed: p.removed.length };
}

/** One compiler at a time across processes (parallel tests start many `amur` commands at once). */
function withLock(fn) {
  // A compile takes seconds; one that holds the lock for minutes has hung.
  return withDirLock(LOCK, fn, { staleMs: 120_000, pollMs: 50 });
}

/**
 * The URL of the compiled module `rel` (e.g. 'cli/main.ts') once out/js is up to date, or undefined
 * when the sources must be run instead: AMUR_FROM_SOURCE=1 asks for that (development, the
 * benchmark's comparison), and so does a build that cannot be made (esbuild absent, a module that
 * does not compile: tsx then reports the error where it is).
 */
export async function ensureCompiled(rel, env = process.env) {
  if (env.AMUR_FROM_SOURCE === '1') return undefined;
  const target = join(OUT_DIR, outName(rel));
  if (!hasSources()) return existsSync(target) ? pathToFileURL(target).href : undefined;
  try {
    if (!plan().fresh) {
      await withLock(async () => {
        if (!plan().fresh) await compile();
      });
    }
  } catch (e) {
    if (env.AMUR_DEBUG_BUILD === '1') process.stderr.write(`amur: running the sources: ${e.message}\n`);
    return undefined;
  }
  return existsSync(target) ? pathToFileURL(target).href : undefined;
}

/**
 * Runs the application module `rel` (e.g. 'cli/main.ts'): compiled when ensureCompiled() gives it,
 * else its TypeScript source through tsx. The one start of bin/amur.js and electron/entry.mjs.
 */
export async function runEntry(rel) {
  const compiled = await ensureCompiled(rel);
  if (compiled) return import(compiled);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(join(REPO, rel)).href);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const t0 = performance.now();
  const { compiled, removed } = await withLock(() => compile({ all: true }));
  process.stdout.write(
    `amur build: ${compiled} modules compiled into ${posix(relative(REPO, OUT_DIR))}/${removed ? `, ${removed} removed` : ''} in ${Math.round(performance.now() - t0)} ms\n`,
  );
}
