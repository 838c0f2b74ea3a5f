// What the numbers were measured on. A benchmark figure without the machine, the runtime, the tool
// versions and the exact commit is not reproducible, so every results file carries this block.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  date: string;
  platform: string;
  release: string;
  arch: string;
  cpu_count: number;
  cpu_model: string;
  total_memory_gib: number;
  load_average_1m_at_start: number;
  node_version: string;
  git_commit: string | null;
  git_dirty: boolean | null;
}

export function machineInfo(repoRoot: string): MachineInfo {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    platform: os.platform(),
    release: os.release(),
    arch: os.arch(),
    cpu_count: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    total_memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    load_average_1m_at_start: Math.round(os.loadavg()[0] * 100) / 100,
    node_version: process.version,
    git_commit: tryRun('git', ['rev-parse', 'HEAD'], repoRoot),
    git_dirty: (() => {
      const s = tryRun('git', ['status', '--porcelain', '--untracked-files=no'], repoRoot);
      return s === null ? null : s.length > 0;
    })(),
  };
}

/** First line of a tool's version output, or null when the tool is missing. */
export function toolVersion(cmd: string, args: string[] = ['--version']): string | null {
  const out = tryRun(cmd, args);
  return out === null ? null : out.split('\n').find((l) => l.trim().length > 0)?.trim() ?? null;
}

function tryRun(cmd: string, args: string[], cwd?: string): string | null {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

