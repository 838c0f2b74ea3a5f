// Bundles the preload into one CommonJS file (out/electron/preload.cjs): a sandboxed preload can
// require only 'electron' and a few built-ins, so the contract it imports must be inlined.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PRELOAD_SOURCE = fileURLToPath(new URL('./preload.ts', import.meta.url));
export const PRELOAD_BUNDLE = fileURLToPath(new URL('../out/electron/preload.cjs', import.meta.url));
const CONTRACT_DIR = fileURLToPath(new URL('../core/contract/', import.meta.url));

function mtime(p: string): number {
  return statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0;
}

export async function buildPreload(): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: fileURLToPath(new URL('../out/electron/', import.meta.url)),
      emptyOutDir: false,
      minify: false,
      lib: { entry: PRELOAD_SOURCE, formats: ['cjs'], fileName: () => 'preload.cjs' },
      rollupOptions: { external: ['electron'] },
    },
  });
}

/** Rebuilds the preload when it is missing or older than its sources. */
export async function ensurePreloadBuilt(): Promise<void> {
  const built = mtime(PRELOAD_BUNDLE);
  const newest = Math.max(mtime(PRELOAD_SOURCE), ...readdirSync(CONTRACT_DIR).map((f) => mtime(CONTRACT_DIR + f)));
  if (!built || newest > built) await buildPreload();
}
