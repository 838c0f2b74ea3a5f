// The renderer's modules depend one way: no import circle (a module that, through its imports,
// imports itself). A circle makes the order in which modules initialise depend on which one is
// loaded first, and hides which layer owns a type (issue 13 found renderer/shell's index and its
// upload importing each other). Imports are read with TypeScript's own pre-processor; type-only
// imports count too, since they say the same thing about who depends on whom.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { REPO_ROOT } from '../shared-data.js';

const RENDERER = join(REPO_ROOT, 'renderer');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'dist' || name === 'node_modules') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names, as Vite and tsc resolve it (`./x.js` may mean x.ts). */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec.replace(/\.js$/, ''));
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    if (/\.tsx?$/.test(c) && existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
}

export function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    const deps = info.importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveSpecifier(f, s))
      .filter((p): p is string => !!p && p.startsWith(RENDERER));
    graph.set(f, [...new Set(deps)]);
  }
  return graph;
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return found;
}

test('the circle finder sees a circle through a type-only import and none in a one-way chain', () => {
  const a = join(RENDERER, 'a.ts');
  const b = join(RENDERER, 'b.ts');
  const c = join(RENDERER, 'c.ts');
  assert.deepEqual(circles(new Map([[a, [b]], [b, [a]], [c, [a]]])), [[a, b]]);
  assert.deepEqual(circles(new Map([[a, [b]], [b, [c]], [c, []]])), []);
});

test('no module of the renderer imports itself through others', () => {
  const graph = importGraph(sources(RENDERER));
  assert.ok(graph.size > 20, `read ${graph.size} renderer modules`);
  // The shell's index must reach its upload (it is how the browser shell imports files).
  const shell = graph.get(join(RENDERER, 'shell', 'index.ts'));
  assert.ok(shell?.includes(join(RENDERER, 'shell', 'upload.ts')), 'renderer/shell/index.ts imports upload.ts');
  const found = circles(graph).map((scc) => scc.map((f) => relative(REPO_ROOT, f)).join(' ↔ '));
  assert.deepEqual(found, [], `import circles:\n${found.join('\n')}`);
});
