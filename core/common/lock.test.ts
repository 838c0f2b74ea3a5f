import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AmurError } from './errors.js';
import { isProcessAlive, onceAlone, withFileLock } from './lock.js';

const dir = mkdtempSync(join(tmpdir(), 'amur-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

test('the lock is held while the step runs and released after it, also when it throws', () => {
  const lock = join(dir, 'a.lock');
  assert.equal(withFileLock(lock, () => {
    assert.ok(existsSync(lock));
    return 7;
  }), 7);
  assert.equal(existsSync(lock), false);
  assert.throws(() => withFileLock(lock, () => {
    throw new Error('boom');
  }), /boom/);
  assert.equal(existsSync(lock), false);
});

test('a dead holder\'s lock is taken over; a live holder is waited for, then refused with a reason', () => {
  const lock = join(dir, 'b.lock');
  const dead = deadPid();
  assert.equal(isProcessAlive(dead), false);
  writeFileSync(lock, String(dead));
  assert.equal(withFileLock(lock, () => 'taken over'), 'taken over');
  writeFileSync(lock, String(process.pid));
  const t = Date.now();
  assert.throws(() => withFileLock(lock, () => 'never', 300), (e) => e instanceof AmurError && e.code === 'common.lockTimeout' && e.params.pid === process.pid);
  assert.ok(Date.now() - t >= 300);
  rmSync(lock);
});

test('onceAlone runs the step only when still needed once the lock is held', () => {
  let needed = true;
  let runs = 0;
  const lock = join(dir, 'c.lock');
  assert.equal(onceAlone(lock, () => needed, () => {
    runs++;
    needed = false;
  }), true);
  assert.equal(onceAlone(lock, () => needed, () => runs++), false);
  assert.equal(runs, 1);
});

test('the refusal is translated in every language', async () => {
  const { errorMessage, LANGUAGES } = await import('../i18n/index.js');
  for (const lang of LANGUAGES) {
    const m = errorMessage(new AmurError('common.lockTimeout', { path: '/x/state.sqlite.lock', pid: 42 }), lang);
    assert.ok(m.includes('/x/state.sqlite.lock') && m.includes('42') && !m.includes('common.lockTimeout'), `${lang}: ${m}`);
  }
});

test('a killed holder that its parent has not reaped yet (a zombie) holds nothing: its lock is taken over', { skip: process.platform !== 'linux' }, async () => {
  // `sleep 0` ends at once, and the shell that made it becomes `sleep 5`, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(String(d).trim()))));
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const stat = readFileSync(`/proc/${zombie}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    }
    assert.equal(state, 'Z', 'the child is a zombie');
    assert.equal(isProcessAlive(zombie), false);
    const lock = join(dir, 'zombie.lock');
    writeFileSync(lock, String(zombie));
    assert.equal(withFileLock(lock, () => 'taken', 1_000), 'taken');
    assert.equal(isProcessAlive(parent.pid!), true, 'its live parent still counts as alive');
  } finally {
    parent.kill('SIGKILL');
  }
});
