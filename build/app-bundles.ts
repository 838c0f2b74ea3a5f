// The two bundles the desktop app needs besides out/js, for `npm run dist`: the renderer
// (renderer/dist, vite) and the sandboxed preload (out/electron/preload.cjs). Both are rebuilt only
// when older than their sources, as `amur serve` and `amur start` do.
import { ensureRendererBuilt } from '../cli/host/build-renderer.js';
import { ensurePreloadBuilt } from '../electron/build-preload.js';

await ensureRendererBuilt();
await ensurePreloadBuilt();
