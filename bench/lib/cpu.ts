// CPU time, as a second measure beside wall time. On a shared machine (CI, or this project's 2-core
// box with other jobs running) wall time swings with the load; the CPU seconds a method spends do
// not, so a ratio of CPU times says what each method costs whatever else the machine is doing.
// Linux only (/proc); elsewhere these return null and the results show only wall time.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | null | undefined;

function clockTicks(): number | null {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || null;
    } catch {
      ticksPerSecond = null;
    }
  }
  return ticksPerSecond;
}

/** Fields of /proc/PID/stat after the command name (which may itself hold spaces and parentheses). */
function statFields(pid: number | 'self'): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function ticksToMs(ticks: number): number | null {
  const hz = clockTicks();
  return hz ? (ticks * 1000) / hz : null;
}

/**
 * User+system CPU of this process's children that have been waited for (cutime+cstime): the
 * difference across one child's run is that child's CPU, all its threads included.
 */
export function childrenCpuMs(): number | null {
  const f = statFields('self');
  // After the name: state is field 3 of stat(5); cutime and cstime are 16 and 17, i.e. index 13, 14 here.
  return f ? ticksToMs(Number(f[13]) + Number(f[14])) : null;
}

/** User+system CPU a running process has used so far (utime+stime), all its threads included. */
export function processCpuMs(pid: number): number | null {
  const f = statFields(pid);
  return f ? ticksToMs(Number(f[11]) + Number(f[12])) : null;
}

/** User+system CPU of this process so far (every thread: workers and libuv's pool included), ms. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
