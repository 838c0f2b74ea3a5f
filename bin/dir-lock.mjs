// One process at a time across processes, for the builds that run on demand (bin/compile.mjs's
// out/js, cli/host/build-renderer.ts's renderer/dist): parallel tests and two `amur` commands
// started at once must not write the same output together. The lock is a folder (mkdir is atomic
// on every platform) holding the holder's pid. Plain JavaScript, because the compiler that
// turns the TypeScript into JavaScript needs it first.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Unreadable pid this long after the lock was taken: the holder died before writing it. */
const NO_PID_GRACE_MS = 10_000;

/**
 * Whether a lock folder was left by a holder that cannot release it: its process is gone (killed
 * mid-build), it never wrote its pid, or it has held the lock longer than `staleMs` (hung).
 */
export function lockAbandoned(lock, staleMs) {
  const st = statSync(lock, { throwIfNoEntry: false });
  if (!st) return false;
  const age = Date.now() - st.mtimeMs;
  if (age > staleMs) return true;
  let pid;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return age > NO_PID_GRACE_MS;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return e.code === 'ESRCH';
  }
}

/** Runs `fn` holding the lock folder `lock`, waiting `pollMs` between tries while another process holds it. */
export async function withDirLock(lock, fn, { staleMs, pollMs }) {
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      if (lockAbandoned(lock, staleMs)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
