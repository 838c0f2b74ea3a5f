// The installers' configuration (build/electron-builder.yml), validated as far as this machine
// allows: Electron's runtime cannot be downloaded here, so no installer is built (build/README.md).
// electron-builder's own loader and schema check the configuration; the targets and file
// associations are the ones build/README.md documents; every `files` pattern, matched the way
// electron-builder matches them (its own minimatch), finds files once the app is built; and the
// matched files alone, copied into a folder as the packager would lay them out, make an app whose
// entry runs its compiled main process and whose modules find their models, translations and
// worker threads without the sources.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './shared-data.js';

const CONFIG = 'build/electron-builder.yml';
const builderRequire = createRequire(join(REPO_ROOT, 'node_modules', 'app-builder-lib', 'package.json'));
const { getConfig, validateConfiguration } = builderRequire('./out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<Record<string, any>>;
  validateConfiguration(config: Record<string, any>, logger: unknown): Promise<void>;
};
const { DebugLogger } = builderRequire('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const { minimatch } = builderRequire('minimatch') as { minimatch: (path: string, pattern: string, options?: object) => boolean };

/** Every file of the repository except node_modules and .git, as POSIX relative paths. */
function repoFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else found.push(relative(REPO_ROOT, p).split(sep).join('/'));
    }
  };
  walk(REPO_ROOT);
  return found;
}

describe('the electron-builder configuration', () => {
  let config: Record<string, any>;
  let stage: string;
  let app: string[];
  before(async () => {
    // What `npm run dist` builds before packaging: out/js, the renderer bundle and the preload.
    const compile = spawnSync(process.execPath, ['bin/compile.mjs'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(compile.status, 0, compile.stderr);
    const bundles = spawnSync(process.execPath, ['--import', 'tsx', 'build/app-bundles.ts'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 540_000 });
    assert.equal(bundles.status, 0, bundles.stderr);
    config = await getConfig(REPO_ROOT, CONFIG, null);
    stage = mkdtempSync(join(tmpdir(), 'amur-app-'));
  });
  after(() => rmSync(stage, { recursive: true, force: true }));

  test("loads and passes electron-builder's own schema, which does reject a misspelt key", async () => {
    await validateConfiguration(config, new DebugLogger(false));
    await assert.rejects(validateConfiguration({ ...config, fileAssociation: config.fileAssociations }, new DebugLogger(false)), /fileAssociation/);
  });

  test('builds the installers build/README.md names, with the DICOM associations it names', () => {
    assert.deepEqual(config.win.target, [{ target: 'nsis', arch: ['x64'] }]);
    assert.deepEqual(config.mac.target, [{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
    assert.deepEqual(config.fileAssociations.map((a: { ext: string[] }) => a.ext), [['dcm', 'dicom']]);
    assert.equal(config.fileAssociations[0].mimeType, 'application/dicom');
    assert.ok(config.linux.mimeTypes.includes('application/dicom'), 'Linux opens DICOMDIR by content');
    const readme = readFileSync(join(REPO_ROOT, 'build', 'README.md'), 'utf8');
    for (const named of ['NSIS', 'dmg', 'AppImage', 'deb', '.dcm', '.dicom', 'DICOMDIR', 'application/dicom']) assert.ok(readme.includes(named), `build/README.md names ${named}`);
  });

  test('rebuilds the native modules for Electron and keeps them, the models and the font outside the archive', () => {
    assert.equal(config.asar, true);
    assert.equal(config.npmRebuild, true);
    assert.equal(config.buildDependenciesFromSource, true);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const native of ['better-sqlite3-multiple-ciphers', 'onnxruntime-node']) {
      assert.ok(native in pkg.dependencies, `${native} is a production dependency, so it is packaged`);
      assert.ok(config.asarUnpack.includes(`node_modules/${native}/**/*`), `${native} is unpacked`);
      assert.ok(existsSync(join(REPO_ROOT, 'node_modules', native)), native);
    }
    for (const p of ['models/**/*', 'assets/fonts/**/*']) assert.ok(config.asarUnpack.includes(p), p);
  });

  test('every file pattern finds files, and the entry points are among them', () => {
    const all = repoFiles();
    // The loader merges the list into one file set ({ filter: [...] }).
    const patterns = (config.files as (string | { filter: string[] })[]).flatMap((f) => (typeof f === 'string' ? [f] : f.filter));
    const include = patterns.filter((p) => !p.startsWith('!'));
    const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    for (const pattern of include) assert.ok(all.some((f) => minimatch(f, pattern, { dot: true })), `${pattern} matches no file`);
    app = all.filter((f) => include.some((p) => minimatch(f, p, { dot: true })) && !exclude.some((p) => minimatch(f, p, { dot: true })));
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { main: string };
    for (const entry of [pkg.main, 'bin/compile.mjs', 'out/js/electron/main.js', 'out/js/cli/host/services.js', 'out/electron/preload.cjs', 'renderer/dist/index.html', 'core/common/worker-bootstrap.mjs', 'out/js/core/imaging/decoder.worker.js', 'out/js/core/importer/header.worker.js', 'out/js/core/triage/triage.worker.js', 'models/cxr-pneumonia/model.onnx', 'assets/fonts/NotoSansSC-Regular-GB2312.ttf']) {
      assert.ok(app.includes(entry), `${entry} is in the app`);
    }
    assert.ok(!app.some((f) => f.endsWith('.ts') || f.startsWith('test/')), 'no source or test is shipped');
    // Every module the compiled application imports, statically or lazily, is shipped with it.
    const shipped = new Set(app);
    for (const f of app.filter((x) => x.startsWith('out/js/') && x.endsWith('.js'))) {
      for (const m of readFileSync(join(REPO_ROOT, f), 'utf8').matchAll(/(?:from|import\()\s*"(\.{1,2}\/[^"]+)"/g)) {
        const target = join(dirname(f), m[1]).split(sep).join('/');
        assert.ok(shipped.has(target), `${f} imports ${m[1]}, which is not in the app`);
      }
    }
  });

  test('the packaged files alone make an app that runs compiled and finds its models, translations and workers', () => {
    assert.ok(app, 'the file list was resolved');
    for (const f of app) {
      mkdirSync(join(stage, dirname(f)), { recursive: true });
      cpSync(join(REPO_ROOT, f), join(stage, f));
    }
    // The packager adds the production dependencies; here the repository's stand in for them.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const home = join(stage, 'home');
    const url = (rel: string) => JSON.stringify(pathToFileURL(join(stage, rel)).href);
    const script = `
      const { ensureCompiled } = await import(${url('bin/compile.mjs')});
      const main = await ensureCompiled('electron/main.ts', {});
      const { listInstalledModels, hashStatus } = await import(${url('out/js/core/triage/models.js')});
      const { models } = listInstalledModels({ AMUR_HOME: ${JSON.stringify(home)} });
      const { t } = await import(${url('out/js/core/i18n/index.js')});
      const { startWorker } = await import(${url('out/js/core/common/worker.js')});
      const worker = startWorker(new URL(${url('out/js/core/imaging/decoder.worker.js')}));
      const first = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); worker.once('exit', (c) => reject(new Error('worker exited ' + c))); });
      await worker.terminate();
      console.log(JSON.stringify({ main, models: models.map((m) => [m.manifest.id, m.dir, hashStatus(m).status]), usage: t('cli.usage', {}, 'ru'), first }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: stage, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { main: string; models: [string, string, string][]; usage: string; first: unknown };
    assert.equal(out.main, pathToFileURL(join(stage, 'out', 'js', 'electron', 'main.js')).href, 'the app runs its compiled main process, with no sources to compile');
    const [id, dir, status] = out.models.find(([m]) => m === 'cxr-pneumonia') ?? [];
    assert.equal(id, 'cxr-pneumonia');
    assert.ok(dir?.startsWith(stage), `the bundled model is the app's own (${dir})`);
    assert.equal(status, 'ok', 'the model file matches its manifest');
    assert.notEqual(out.usage, 'cli.usage', 'the Russian translation is found');
    assert.match(out.usage, /[а-я]/);
    assert.ok(out.first, 'the decoder worker started from the app and answered');
  });
});
