// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: the functions with the
// most self time, and the most inclusive time, each named as "function file:line". Used by
// `npm run bench -- import --profile`, so that a slow import comes with its explanation.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  total_ms: number;
  /** Sampled time with nothing running on the thread (waiting for I/O or other threads). */
  idle_ms: number;
  self: { frame: string; ms: number }[];
  inclusive: { frame: string; ms: number }[];
}

export function summarizeCpuProfile(path: string, repoRoot: string, top = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const timeOf = new Map<number, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    timeOf.set(id, (timeOf.get(id) ?? 0) + dt);
    total += dt;
  });
  const root = `file://${repoRoot.endsWith('/') ? repoRoot : `${repoRoot}/`}`;
  const name = (n: ProfileNode): string => {
    const f = n.callFrame;
    const url = f.url.startsWith(root) ? f.url.slice(root.length) : f.url;
    return url ? `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}` : f.functionName || '(native)';
  };
  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of timeOf) {
    const leaf = byId.get(id)!;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + us);
    // Each frame once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = name(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  const ranked = (m: Map<string, number>) =>
    [...m].filter(([k]) => k !== '(root)').sort((a, b) => b[1] - a[1]).slice(0, top).map(([frame, us]) => ({ frame, ms: Math.round(us / 100) / 10 }));
  return { total_ms: Math.round(total / 1000), idle_ms: Math.round((self.get('(idle)') ?? 0) / 1000), self: ranked(self), inclusive: ranked(incl) };
}
