// Running an external command and timing it. Every child gets a hard time limit and is killed when
// it passes it, so a benchmark never hangs a CI job or leaves processes behind.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { childrenCpuMs } from './cpu.js';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  elapsed_ms: number;
  /** User+system CPU of the child and its threads, ms (null where /proc is missing). */
  cpu_ms: number | null;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export function runTimed(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const cpu0 = childrenCpuMs();
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      const elapsed = performance.now() - t0;
      const cpu1 = childrenCpuMs();
      clearTimeout(timer);
      resolve({
        code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'),
        elapsed_ms: elapsed, cpu_ms: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
      });
    });
  });
}

/** Runs a command that must succeed; throws with its stderr otherwise. */
export async function runChecked(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await runTimed(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? `exit ${r.code}`}): ${r.stderr.slice(-2000)}`);
  }
  return r;
}
