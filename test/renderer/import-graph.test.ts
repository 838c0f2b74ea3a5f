// The renderer's modules depend one way: no import circle (a module that, through its imports,
// imports itself). A circle makes the order in which modules initialise depend on which one is
// loaded first, and hides which layer owns a type (issue 13 found renderer/shell's index and its
// upload importing each other). The graph and its circles: test/import-graph.ts.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { circles, importGraph, sources } from '../import-graph.js';
import { REPO_ROOT } from '../shared-data.js';

const RENDERER = join(REPO_ROOT, 'renderer');

test('the circle finder sees a circle through a type-only import and none in a one-way chain', () => {
  const a = join(RENDERER, 'a.ts');
  const b = join(RENDERER, 'b.ts');
  const c = join(RENDERER, 'c.ts');
  assert.deepEqual(circles(new Map([[a, [b]], [b, [a]], [c, [a]]])), [[a, b]]);
  assert.deepEqual(circles(new Map([[a, [b]], [b, [c]], [c, []]])), []);
});

test('no module of the renderer imports itself through others', () => {
  const graph = importGraph(sources(RENDERER), [RENDERER]);
  assert.ok(graph.size > 20, `read ${graph.size} renderer modules`);
  // The shell's index must reach its upload (it is how the browser shell imports files).
  const shell = graph.get(join(RENDERER, 'shell', 'index.ts'));
  assert.ok(shell?.includes(join(RENDERER, 'shell', 'upload.ts')), 'renderer/shell/index.ts imports upload.ts');
  const found = circles(graph).map((scc) => scc.map((f) => relative(REPO_ROOT, f)).join(' ↔ '));
  assert.deepEqual(found, [], `import circles:\n${found.join('\n')}`);
});
