// The host side depends one way: no import circle in core/, cli/ or electron/, type-only imports
// included (issue 13 found core/contract/services.ts importing the measurements, reports and
// triage contracts, which imported it back for its Event type). The graph: test/import-graph.ts.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { circles, importGraph, sources } from './import-graph.js';
import { REPO_ROOT } from './shared-data.js';

const ROOTS = ['core', 'cli', 'electron'].map((d) => join(REPO_ROOT, d));

test('no module of core, cli or electron imports itself through others', () => {
  const graph = importGraph(ROOTS.flatMap((r) => sources(r)), ROOTS);
  assert.ok(graph.size > 150, `read ${graph.size} modules`);
  // The graph sees type-only imports and crosses the three folders: the CLI's host reaches core's contract.
  const services = join(REPO_ROOT, 'core', 'contract', 'services.ts');
  assert.ok(graph.get(services)?.includes(join(REPO_ROOT, 'core', 'contract', 'reports.ts')), 'services.ts imports reports.ts (import type)');
  assert.ok([...graph.values()].some((deps) => deps.includes(services)), 'some module imports services.ts');
  const found = circles(graph).map((scc) => scc.map((f) => relative(REPO_ROOT, f)).join(' ↔ '));
  assert.deepEqual(found, [], `import circles:\n${found.join('\n')}`);
});
