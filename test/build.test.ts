// The compiled application (issue 13): `npm run build` (bin/compile.mjs) turns every module of
// core/, cli/ and electron/ into out/js with source maps pointing at the .ts sources, and the
// `amur` command and its worker threads then run without the TypeScript loader at all. The proof
// of the last part is a module hook that refuses to resolve tsx or any .ts file, given to the main
// thread and, through execArgv, to every worker: a real triage (its onnxruntime worker thread) and
// the import of a shared CT series must succeed under it, and the same command run from the
// sources must fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT, shared } from './shared-data.js';
import { makeDicoms, uid, type DicomSpec } from './triage-fixtures.js';

const OUT = join(REPO_ROOT, 'out', 'js');
const AMUR = join(REPO_ROOT, 'bin', 'amur.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, AMUR_LANG: 'en', AMUR_FROM_SOURCE: '', ...env },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
}

/** dcmdump's value of a tag, the reference for what the catalogue must hold. */
function dcmdumpValue(file: string, tag: string): string {
  const r = spawnSync('dcmdump', ['+P', tag, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /\[([^\]]*)\]/.exec(r.stdout);
  assert.ok(m, `dcmdump found no ${tag} in ${file}`);
  return m[1];
}

describe('the compiled application', () => {
  let work: string;
  let noTsx: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'amur-build-'));
    writeFileSync(
      join(work, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(r.url) || /\\.ts$/.test(r.url)) throw new Error('refused: ' + r.url);
  return r;
}\n`,
    );
    noTsx = join(work, 'no-tsx.mjs');
    writeFileSync(noTsx, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(work, 'hooks.mjs')).href)});\n`);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('npm run build compiles every module, each with a source map that points at its .ts source', () => {
    const r = run(['bin/compile.mjs']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /amur build: \d+ modules compiled into out\/js\//);
    const manifest = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    const modules = Object.keys(manifest.files);
    for (const entry of ['cli/main.ts', 'electron/main.ts', 'core/importer/header.worker.ts', 'core/triage/triage.worker.ts', 'core/imaging/decoder.worker.ts']) {
      assert.ok(modules.includes(entry), `${entry} is compiled`);
    }
    assert.ok(!modules.some((m) => m.endsWith('.test.ts')), 'tests are not part of the application');
    for (const rel of modules) {
      const js = join(OUT, rel.replace(/\.ts$/, '.js'));
      assert.ok(existsSync(js), `${js} exists`);
      const code = readFileSync(js, 'utf8');
      const ref = /\/\/# sourceMappingURL=(.+)\n$/.exec(code);
      assert.ok(ref, `${rel}: the compiled file names its source map`);
      const map = JSON.parse(readFileSync(resolve(dirname(js), ref[1]), 'utf8')) as { sources: string[] };
      // A module of types only compiles to nothing but the first line, and its map to no source.
      if (code.split('\n').length <= 3 && map.sources.length === 0) continue;
      assert.deepEqual(map.sources.map((s) => resolve(dirname(js), s)), [join(REPO_ROOT, rel)], `${rel}: the map's source is the .ts file`);
    }
  });

  test("a source map leads from a compiled line back to the same line of TypeScript", () => {
    const js = join(OUT, 'cli', 'main.js');
    const code = readFileSync(js, 'utf8').split('\n');
    const map = new SourceMap(JSON.parse(readFileSync(`${js}.map`, 'utf8')));
    const source = readFileSync(join(REPO_ROOT, 'cli', 'main.ts'), 'utf8').split('\n');
    for (const needle of ['async function main(', 'process.exitCode = await main(']) {
      const line = code.findIndex((l) => l.includes(needle));
      assert.ok(line >= 0, `compiled cli/main.js has ${needle}`);
      const entry = map.findEntry(line, code[line].indexOf(needle)) as { originalLine?: number };
      assert.ok(entry.originalLine !== undefined, `a mapping for ${needle}`);
      assert.ok(source[entry.originalLine].includes(needle), `line ${entry.originalLine + 1} of cli/main.ts is ${JSON.stringify(source[entry.originalLine])}, not the ${needle} line`);
    }
  });

  test('worker modules are started as their compiled .js, every other module URL keeps pointing at the sources', () => {
    const pool = readFileSync(join(OUT, 'core', 'importer', 'header-pool.js'), 'utf8');
    assert.match(pool, /new URL\("\.\/header\.worker\.js", import\.meta\.url\)/);
    assert.doesNotMatch(pool, /header\.worker\.ts/);
    // The preload's source is given to vite: it stays the .ts beside electron/build-preload.ts.
    const preload = readFileSync(join(OUT, 'electron', 'build-preload.js'), 'utf8');
    assert.match(preload, /new URL\("\.\/preload\.ts", __amurModuleUrl\)/);
  });

  test('amur --help and --version run compiled, with no TypeScript loader, and print what the sources print', () => {
    const help = run(['--import', noTsx, AMUR, '--help'], { AMUR_DEBUG_BUILD: '1' });
    assert.equal(help.status, 0, help.stderr);
    assert.equal(help.stderr, '');
    assert.match(help.stdout, /^Usage: amur <command>/);
    for (const c of ['import', 'studies', 'serve', 'start', 'triage', 'models', 'report', 'verify', 'vault']) assert.match(help.stdout, new RegExp(`\\n  amur ${c} `));
    const fromSource = run([AMUR, '--help'], { AMUR_FROM_SOURCE: '1' });
    assert.equal(fromSource.status, 0, fromSource.stderr);
    assert.equal(fromSource.stdout, help.stdout);

    const version = run(['--import', noTsx, AMUR, '--version']);
    assert.equal(version.status, 0, version.stderr);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout, `amur ${pkg.version}\n`);
  });

  test('the hook does refuse the sources: the same command through tsx fails under it', () => {
    const r = run(['--import', noTsx, AMUR, '--help'], { AMUR_FROM_SOURCE: '1' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refused: .*tsx/);
  });

  test('amur triage runs its worker thread compiled: a recorded validation radiograph gets its recorded score', () => {
    // The adult network's first accepted validation image (models/cxr-pneumonia/train/val_scores.json),
    // written as DICOM by pydicom at test time (test/triage-fixtures.ts).
    const modelDir = join(REPO_ROOT, 'models', 'cxr-pneumonia');
    const recorded = (JSON.parse(readFileSync(join(modelDir, 'train', 'val_scores.json'), 'utf8')) as { population: string; filename: string; patient_id: string; view: string; age: number | null; in_age_band: boolean; accepted: boolean; score: number }[])
      .find((r) => r.population === 'adult' && r.in_age_band && r.accepted && r.age !== null)!;
    const home = join(work, 'triage-home');
    const dir = join(work, 'cxr');
    mkdirSync(dir);
    const spec: DicomSpec = {
      png: recorded.filename, out: join(dir, 'cxr.dcm'), StudyInstanceUID: uid(), SeriesInstanceUID: uid(), SOPInstanceUID: uid(),
      PatientID: recorded.patient_id, Modality: 'CR', BodyPartExamined: 'CHEST', ViewPosition: recorded.view,
      PatientAge: `${String(recorded.age).padStart(3, '0')}Y`, variant: 'MONOCHROME2-8',
    };
    makeDicoms([spec], work);
    const imp = run(['--import', noTsx, AMUR, 'import', dir, '--json'], { AMUR_HOME: home });
    assert.equal(imp.status, 0, imp.stderr);
    const tri = run(['--import', noTsx, AMUR, 'triage', '--json'], { AMUR_HOME: home });
    assert.equal(tri.status, 0, tri.stderr);
    const [result] = JSON.parse(tri.stdout) as { StudyInstanceUID: string; status: string; findings: { score: number }[] }[];
    assert.equal(result.StudyInstanceUID, spec.StudyInstanceUID);
    assert.equal(result.status, 'done');
    assert.ok(Math.abs(result.findings[0].score - recorded.score) < 1e-4, `${result.findings[0].score} vs ${recorded.score}`);
  });

  test('amur import runs compiled: a shared CT series is catalogued as dcmdump reads it', () => {
    const home = join(work, 'home');
    const series = shared('dicom', 'dcm_qa_ct', 'In', 'Philips', 'S21570', 'S2010');
    const r = run(['--import', noTsx, AMUR, 'import', series, '--json'], { AMUR_HOME: home });
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { imported: number; rejected: unknown[]; studies: string[] };
    const first = join(series, 'I110');
    assert.ok(result.imported >= 2, `imported ${result.imported}`);
    assert.deepEqual(result.rejected, []);
    assert.deepEqual(result.studies, [dcmdumpValue(first, 'StudyInstanceUID')]);
    const studies = run(['--import', noTsx, AMUR, 'studies', '--json'], { AMUR_HOME: home });
    assert.equal(studies.status, 0, studies.stderr);
    const [study] = JSON.parse(studies.stdout) as { StudyInstanceUID: string; PatientID: string; NumberOfStudyRelatedInstances: number }[];
    assert.equal(study.StudyInstanceUID, dcmdumpValue(first, 'StudyInstanceUID'));
    assert.equal(study.PatientID, dcmdumpValue(first, 'PatientID'));
    assert.equal(study.NumberOfStudyRelatedInstances, result.imported);
  });

  test('a source newer than its compiled module is recompiled by the next command, which still runs compiled', () => {
    // Only the file's time is changed (its text is left alone), as an editor's save would.
    const rel = 'cli/table.ts';
    const before = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    const later = new Date(Date.now() + 2000);
    utimesSync(join(REPO_ROOT, rel), later, later);
    const r = run(['--import', noTsx, AMUR, '--version'], { AMUR_DEBUG_BUILD: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'compiled, not run from the sources');
    const afterwards = JSON.parse(readFileSync(join(OUT, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
    assert.notEqual(afterwards.files[rel], before.files[rel], 'the touched source is recorded anew');
    assert.ok(statSync(join(OUT, 'cli', 'table.js')).mtimeMs >= statSync(join(REPO_ROOT, rel)).mtimeMs - 2000, 'and compiled anew');
  });
});
