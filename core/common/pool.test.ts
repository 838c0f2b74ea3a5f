// The worker pool with real worker threads: results go to their own task, a task that throws or
// a worker that dies fails that task only (and a fresh worker takes over), no more tasks run at
// once than the pool allows, the queue keeps priority and submission order, close fails what is
// pending, transferables move both ways, and a worker that cannot start never leaves a task waiting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAmurError } from './errors.js';
import { WorkerPool, type PoolOptions } from './pool.js';
import { LOG, LOG_LENGTH, MAX_RUNNING, RELEASE, STARTED, waitChange, type Reply, type Task } from './fixtures/tasks.js';

function pool(size: number, extra: Partial<PoolOptions<Task>> = {}) {
  const shared = new Int32Array(new SharedArrayBuffer(4 * 128));
  const p = new WorkerPool<Task, Reply>({
    module: new URL('./fixtures/tasks.worker.ts', import.meta.url),
    size,
    workerData: { shared: shared.buffer },
    workerDied: (task, why) => new Error(`died on ${task.op}: ${why}`),
    closedError: () => new Error('pool closed'),
    ...extra,
  });
  return { p, shared };
}

/** Resolves once `count` tasks have started in the workers (no sleeping: the workers notify). */
async function started(shared: Int32Array, count: number): Promise<void> {
  for (let s = Atomics.load(shared, STARTED); s < count; s = Atomics.load(shared, STARTED)) {
    await waitChange(shared, STARTED, s);
  }
}

function release(shared: Int32Array): void {
  Atomics.store(shared, RELEASE, 1);
  Atomics.notify(shared, RELEASE);
}

test('every task gets its own result, spread over the workers', async () => {
  const { p } = pool(2, { perWorker: 2 });
  try {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => p.run({ op: 'echo', n })));
    assert.deepEqual(replies.map((r) => r.n), Array.from({ length: 20 }, (_, n) => n));
    assert.equal(new Set(replies.map((r) => r.threadId)).size, 2);
  } finally {
    await p.close();
  }
});

test('no more tasks run at once than size x perWorker; the rest wait in the pool', async () => {
  const { p, shared } = pool(2, { perWorker: 2 });
  try {
    const all = Array.from({ length: 10 }, (_, n) => p.run({ op: 'hold', n }));
    await started(shared, 4);
    assert.equal(p.running, 4);
    assert.equal(p.pending, 6);
    release(shared);
    assert.equal((await Promise.all(all)).length, 10);
    assert.equal(Atomics.load(shared, MAX_RUNNING), 4);
  } finally {
    await p.close();
  }
});

test('tasks start in submission order within a priority, higher priorities first, and a raised task moves up', async () => {
  const { p, shared } = pool(1);
  try {
    const first = p.run({ op: 'hold', n: 0 });
    await started(shared, 1);
    const rest = [1, 2, 3].map((n) => p.run({ op: 'hold', n }));
    const urgent = p.run({ op: 'hold', n: 4 }, { priority: 1 });
    const late = p.submit({ op: 'hold', n: 5 });
    late.raise(2);
    release(shared);
    await Promise.all([first, ...rest, urgent, late.promise]);
    const order = Array.from(shared.subarray(LOG, LOG + Atomics.load(shared, LOG_LENGTH)));
    assert.deepEqual(order, [0, 5, 4, 1, 2, 3]);
  } finally {
    await p.close();
  }
});

test('a task that throws fails alone, as an AmurError where it was one; the worker goes on', async () => {
  const { p } = pool(1);
  try {
    await assert.rejects(p.run({ op: 'throw', message: 'bad input' }), (e: Error) => !isAmurError(e) && e.message === 'bad input');
    await assert.rejects(p.run({ op: 'amur' }), (e) => isAmurError(e) && e.code === 'dicom.notDicom' && e.params.path === 'a.txt');
    const { threadId } = await p.run({ op: 'echo', n: 1 });
    assert.equal((await p.run({ op: 'echo', n: 2 })).threadId, threadId, 'the same worker, not a replaced one');
  } finally {
    await p.close();
  }
});

test('a worker that dies fails only its own tasks with the pool\'s error, and a fresh worker runs the rest', async () => {
  const { p } = pool(1, { perWorker: 1 });
  try {
    const before = await p.run({ op: 'echo', n: 0 });
    const dying = p.run({ op: 'exit', code: 70 });
    const queued = p.run({ op: 'echo', n: 1 });
    await assert.rejects(dying, /died on exit: worker exited with code 70/);
    const after = await queued;
    assert.equal(after.n, 1);
    assert.notEqual(after.threadId, before.threadId);
    assert.equal(p.usesWorkers, true);
  } finally {
    await p.close();
  }
});

test('after maxRespawns deaths the pool runs tasks through its fallback', async () => {
  const { p } = pool(1, { maxRespawns: 2, fallback: async (t) => ({ n: 'n' in t ? -t.n : -1, threadId: -1 }) });
  try {
    for (let i = 0; i < 2; i++) await assert.rejects(p.run({ op: 'exit', code: 1 }));
    assert.equal(p.usesWorkers, true);
    // The third death gives up on workers: the task that worker held is run by the fallback.
    assert.deepEqual(await p.run({ op: 'exit', code: 1 }), { n: -1, threadId: -1 });
    assert.equal(p.usesWorkers, false);
    assert.deepEqual(await p.run({ op: 'echo', n: 3 }), { n: -3, threadId: -1 });
  } finally {
    await p.close();
  }
});

test('a worker that cannot start: the fallback runs the tasks, or without one they fail; none waits for ever', async () => {
  const missing = new URL('./fixtures/no-such.worker.ts', import.meta.url);
  const withFallback = new WorkerPool<Task, Reply>({ module: missing, size: 2, workerDied: () => new Error('died'), fallback: async () => ({ n: 42, threadId: -1 }) });
  try {
    assert.equal((await withFallback.run({ op: 'echo', n: 1 })).n, 42);
    assert.equal(withFallback.usesWorkers, false);
  } finally {
    await withFallback.close();
  }
  const without = new WorkerPool<Task, Reply>({ module: missing, size: 1, workerDied: (_t, why) => new Error(`died: ${why}`) });
  try {
    await assert.rejects(without.run({ op: 'echo', n: 1 }), /died/);
  } finally {
    await without.close();
  }
});

test('close fails every task still queued or running, and later tasks too', async () => {
  const { p, shared } = pool(1);
  const running = p.run({ op: 'hold', n: 0 });
  const queued = p.run({ op: 'hold', n: 1 });
  await started(shared, 1);
  const failed = Promise.all([assert.rejects(running, /pool closed/), assert.rejects(queued, /pool closed/)]);
  await p.close();
  await failed;
  await assert.rejects(p.run({ op: 'echo', n: 2 }), /pool closed/);
});

test('transferables move to the worker and back without a copy', async () => {
  const { p } = pool(1);
  try {
    const buffer = new Uint8Array(1000).fill(2).buffer;
    const r = await p.run({ op: 'sum', buffer }, { transfer: [buffer] });
    assert.equal(r.n, 2000);
    assert.equal(buffer.byteLength, 0, 'moved, not copied');
    const b = await p.run({ op: 'bytes', length: 4096 });
    assert.equal(b.bytes?.length, 4096);
    assert.equal(b.bytes?.[4095], 7);
  } finally {
    await p.close();
  }
});
