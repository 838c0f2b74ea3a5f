import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST_DIR, ensureRendererBuilt, rendererIsStale } from './build-renderer.js';

test('once built, the bundle counts as fresh (no rebuild on every start)', async () => {
  await ensureRendererBuilt();
  assert.equal(rendererIsStale(), false);
  assert.equal(await ensureRendererBuilt(), false, 'a second call builds nothing');
  const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
  // Relative asset URLs: the same bundle is served from amur://app/ and from http://127.0.0.1:PORT/.
  const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0 && scripts.every((s) => s.startsWith('./')), scripts.join(' '));
  for (const s of scripts) assert.ok(existsSync(join(DIST_DIR, s)), s);
  assert.doesNotMatch(html, /<script>(?!\s*<\/script>)/, 'no inline script (the CSP would block it)');
});
