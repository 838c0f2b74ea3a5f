// A lock between the processes of one machine around a short step that must run alone: a file
// created exclusively, holding the holder's pid. A holder that died leaves its file behind; the
// next one sees the pid is gone and takes the lock over. Used where no lock of a store exists,
// e.g. the hospital side encrypting in place the clear databases an earlier version left, which
// two commands started together (a scheduler's send and receive) would otherwise both try.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { AmurError } from './errors.js';

/**
 * Whether a process of this pid runs (EPERM: it does, under another user). A zombie (killed, not
 * yet reaped by its parent) answers signal 0 but holds nothing any more: on Linux it counts as dead.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) state …"; comm may hold spaces and parentheses, the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): signal 0 is the answer
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** A lock file just being created holds no pid yet; one that stays empty this long was left by a crash. */
const EMPTY_GRACE_MS = 5_000;

/** Runs `fn` holding the lock file `lockPath`; waits for a live holder up to `timeoutMs`, then 'common.lockTimeout'. */
export function withFileLock<T>(lockPath: string, fn: () => T, timeoutMs = 120_000): T {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let fd: number | undefined;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    }
    let holder: number;
    let age: number;
    try {
      holder = Number.parseInt(readFileSync(lockPath, 'utf8'), 10);
      age = Date.now() - statSync(lockPath).mtimeMs;
    } catch {
      continue; // released meanwhile: try again at once
    }
    if (Number.isNaN(holder) ? age > EMPTY_GRACE_MS : !isProcessAlive(holder)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new AmurError('common.lockTimeout', { path: lockPath, pid: Number.isNaN(holder) ? '?' : holder });
    Atomics.wait(pause, 0, 0, 50);
  }
  try {
    return fn();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

/**
 * A one-time step that must run alone: when `needed()` says so, runs `step` under the lock file
 * `lockPath`, asking `needed()` again once the lock is held (another process may have done it
 * meanwhile). True when this process ran it.
 */
export function onceAlone(lockPath: string, needed: () => boolean, step: () => void): boolean {
  if (!needed()) return false;
  return withFileLock(lockPath, () => {
    if (!needed()) return false;
    step();
    return true;
  });
}
