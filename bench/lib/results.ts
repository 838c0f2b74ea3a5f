// Where benchmark figures go: bench/results/<name>.json for machines, and one section per benchmark
// in bench/results/RESULTS.md for people. Each benchmark rewrites only its own section (between
// marker comments), so benchmarks owned by different people share the file without clobbering.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HEADER = '# Amur benchmark results\n\nWritten by `npm run bench`; each section by its own benchmark (bench/<name>.bench.ts).\nFigures are from the machine named in each section; compare ratios, not absolute times, across machines.\n';

export function writeResults(resultsDir: string, name: string, json: unknown, markdown: string): { json: string; md: string } {
  mkdirSync(resultsDir, { recursive: true });
  const jsonPath = join(resultsDir, `${name}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  const mdPath = join(resultsDir, 'RESULTS.md');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${markdown.trim()}\n${end}`;
  let doc = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : HEADER;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + section + doc.slice(b + end.length);
  else doc = `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(mdPath, doc.endsWith('\n') ? doc : `${doc}\n`);
  return { json: jsonPath, md: mdPath };
}
