// Builds the renderer when its bundle is missing or older than its sources, for `amur serve`,
// `npm start` and the end-to-end tests. The bundle is built in a temporary folder and renamed
// into place, so a reader never sees half a bundle and two builders do not mix their files.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withDirLock } from '../../bin/dir-lock.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = join(REPO, 'renderer');
export const DIST_DIR = join(RENDERER_DIR, 'dist');

/** What the bundle is made of: the renderer, the translations, the contract, the decoder-free core it imports. */
const SOURCES = [RENDERER_DIR, join(REPO, 'assets', 'i18n'), join(REPO, 'core', 'contract'), join(REPO, 'package.json')];

function newestMtime(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  // Files only: a folder's own time changes whenever dist is swapped or the lock is taken.
  let newest = 0;
  for (const name of readdirSync(path)) {
    if (name === 'dist' || name === 'node_modules' || name.startsWith('dist.') || name === '.dist.lock') continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

/** True when renderer/dist must be (re)built; false when there are no sources (an installed app). */
export function rendererIsStale(): boolean {
  const index = join(DIST_DIR, 'index.html');
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) return false;
  const built = statSync(index, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return true;
  return SOURCES.some((s) => newestMtime(s) > built);
}

export async function buildRenderer(): Promise<void> {
  const { build } = await import('vite');
  const tmp = `${DIST_DIR}.${process.pid}-${Date.now()}`;
  try {
    await build({
      configFile: join(RENDERER_DIR, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir: tmp, emptyOutDir: true },
    });
    rmSync(DIST_DIR, { recursive: true, force: true });
    try {
      renameSync(tmp, DIST_DIR);
    } catch (e) {
      // Another builder renamed its identical bundle first; theirs is as good as ours.
      if (!existsSync(join(DIST_DIR, 'index.html'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const LOCK = join(RENDERER_DIR, '.dist.lock');
/** A build that holds the lock longer than this has died; its lock is taken over. */
const STALE_LOCK_MS = 5 * 60_000;

/** One builder at a time across processes (parallel test files, `amur serve` started twice). */
function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  return withDirLock(LOCK, fn, { staleMs: STALE_LOCK_MS, pollMs: 250 });
}

/** Builds when needed; returns whether it built. */
export async function ensureRendererBuilt(): Promise<boolean> {
  if (!rendererIsStale()) return false;
  // Another process may have built it while this one waited for the lock.
  return withBuildLock(async () => {
    if (!rendererIsStale()) return false;
    await buildRenderer();
    return true;
  });
}
