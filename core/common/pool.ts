// One pool of worker threads for every kind of heavy work a host hands off (header reading, frame
// decoding, triage): a fixed number of workers started through startWorker (so TypeScript and
// compiled builds start the same way), a queue of tasks in priority order, at most `perWorker`
// tasks on a worker at once, each given to the least busy worker; transferables both ways. A
// worker that dies fails only the tasks it held, with the user's own error, and a fresh one takes
// its place; workers that cannot run here at all (one dies before it is ready, or too many die)
// make the pool run every task through its fallback, where it has one, so that nothing waits for
// ever on a pool that keeps respawning. The worker side is serveTasks() in pool-worker.ts.
import type { Transferable, Worker, WorkerOptions } from 'node:worker_threads';
import { AmurError, type ErrorParams } from './errors.js';
import { startWorker } from './worker.js';

/** What a worker sends: its readiness once, then one reply per task. */
export type PoolMessage<R> =
  | { ready: true }
  | { id: number; result: R; error?: undefined }
  | { id: number; result?: undefined; error: { code: string; params: ErrorParams } };

/** What the pool sends a worker. */
export interface PoolRequest<T> {
  id: number;
  task: T;
}

export interface PoolOptions<T> {
  /** The worker's module (one that calls serveTasks). */
  module: URL;
  size: number;
  /** Tasks one worker holds at once (default 1); more let a worker overlap I/O with work. */
  perWorker?: number;
  workerData?: WorkerOptions['workerData'];
  /** Let the process exit while the pool idles (a long-lived pool in a host process). */
  unrefWhenIdle?: boolean;
  /** Workers that may die after starting before the pool stops respawning (default unlimited). */
  maxRespawns?: number;
  /** The error a task gets when the worker running it dies. */
  workerDied: (task: T, why: string) => Error;
  /** The error for a reply that was not an AmurError (default: a plain Error with its text). */
  internalError?: (task: T, detail: string) => Error;
  /** The error for a task the pool is closed under (default: a plain Error). */
  closedError?: () => Error;
  /** Runs a task on the calling thread once workers cannot be used here; without one, tasks fail with workerDied. */
  fallback?: (task: T) => Promise<unknown>;
}

export interface RunOptions {
  /** Objects moved to the worker rather than copied. */
  transfer?: readonly Transferable[];
  /** Higher runs first; equal priorities in the order submitted (default 0). */
  priority?: number;
}

/** A submitted task: its result, and a way to move it up the queue while it waits. */
export interface PoolJob<R> {
  readonly promise: Promise<R>;
  /** Raises the task's priority (a no-op when it is already running or higher). */
  raise(priority: number): void;
}

interface Job<T, R> {
  task: T;
  priority: number;
  transfer?: readonly Transferable[];
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

interface Slot<T, R> {
  worker: Worker;
  running: Map<number, Job<T, R>>;
  ready: boolean;
  readyPromise: Promise<void>;
  markReady: () => void;
  dead: boolean;
}

/** Workers in a row that may die before they are ready before a pool without a fallback gives up. */
const MAX_START_FAILURES = 3;

export class WorkerPool<T, R> {
  readonly size: number;
  private readonly perWorker: number;
  private readonly slots: Slot<T, R>[] = [];
  private readonly queue: Job<T, R>[] = [];
  private nextId = 0;
  private respawns = 0;
  /** Workers in a row that died before they were ready. */
  private startFailures = 0;
  private closed = false;
  private inline = false;

  constructor(private readonly o: PoolOptions<T>) {
    this.size = o.size;
    this.perWorker = Math.max(1, o.perWorker ?? 1);
    for (let i = 0; i < o.size; i++) this.slots.push(this.spawn());
  }

  /** False once the pool has given up on workers (it then runs tasks through its fallback). */
  get usesWorkers(): boolean {
    return !this.inline;
  }

  /** Tasks waiting for a worker (not counting those running). */
  get pending(): number {
    return this.queue.length;
  }

  /** Tasks on workers now. */
  get running(): number {
    return this.slots.reduce((n, s) => n + s.running.size, 0);
  }

  /** Resolves once every worker has started (or died trying). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.readyPromise));
  }

  run(task: T, options: RunOptions = {}): Promise<R> {
    return this.submit(task, options).promise;
  }

  submit(task: T, options: RunOptions = {}): PoolJob<R> {
    let resolve!: (r: R) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<R>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job<T, R> = { task, priority: options.priority ?? 0, transfer: options.transfer, resolve, reject };
    const handle: PoolJob<R> = {
      promise,
      raise: (priority) => {
        const i = this.queue.indexOf(job);
        if (i < 0 || priority <= job.priority) return;
        this.queue.splice(i, 1);
        job.priority = priority;
        this.enqueue(job);
        this.pump();
      },
    };
    if (this.closed) {
      reject(this.closedError());
      return handle;
    }
    if (this.inline && this.o.fallback) {
      this.runInline(job);
      return handle;
    }
    this.enqueue(job);
    this.pump();
    return handle;
  }

  /** Stops the workers; tasks still queued or running are failed with the closed error. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = this.closedError();
    for (const job of this.queue.splice(0)) job.reject(err);
    const running = this.slots.flatMap((s) => [...s.running.values()]);
    for (const s of this.slots) s.running.clear();
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const job of running) job.reject(err);
  }

  private closedError(): Error {
    return this.o.closedError?.() ?? new Error('worker pool closed');
  }

  private enqueue(job: Job<T, R>): void {
    // After every task of the same or higher priority: FIFO within a priority.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].priority < job.priority) i--;
    this.queue.splice(i, 0, job);
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      let slot: Slot<T, R> | undefined;
      for (const s of this.slots) {
        if (!s.dead && s.running.size < this.perWorker && (!slot || s.running.size < slot.running.size)) slot = s;
      }
      if (!slot) return;
      const job = this.queue.shift()!;
      const id = ++this.nextId;
      // An idle pool must not keep its process alive, but one with work must, or a process whose
      // only pending work is in the pool would exit mid-task.
      if (this.o.unrefWhenIdle && slot.running.size === 0) slot.worker.ref();
      slot.running.set(id, job);
      try {
        slot.worker.postMessage({ id, task: job.task } satisfies PoolRequest<T>, job.transfer);
      } catch (e) {
        // A task that cannot be cloned fails by itself; the worker goes on.
        slot.running.delete(id);
        job.reject(e);
      }
    }
  }

  private runInline(job: Job<T, R>): void {
    this.o.fallback!(job.task).then((r) => job.resolve(r as R), job.reject);
  }

  private spawn(): Slot<T, R> {
    let markReady!: () => void;
    const readyPromise = new Promise<void>((r) => (markReady = r));
    const worker = startWorker(this.o.module, this.o.workerData === undefined ? {} : { workerData: this.o.workerData });
    const slot: Slot<T, R> = { worker, running: new Map(), ready: false, readyPromise, markReady, dead: false };
    if (this.o.unrefWhenIdle) worker.unref();
    worker.on('message', (m: PoolMessage<R>) => {
      if (!('id' in m)) {
        slot.ready = true;
        this.startFailures = 0;
        markReady();
        return;
      }
      const job = slot.running.get(m.id);
      if (!job) return;
      slot.running.delete(m.id);
      if (this.o.unrefWhenIdle && slot.running.size === 0) worker.unref();
      if (m.error) {
        const detail = String(m.error.params.detail ?? m.error.code);
        job.reject(m.error.code === 'internal' ? (this.o.internalError?.(job.task, detail) ?? new Error(detail)) : new AmurError(m.error.code, m.error.params));
      } else {
        job.resolve(m.result as R);
      }
      this.pump();
    });
    // 'error' is followed by 'exit': the slot is replaced once.
    worker.on('error', (e) => this.died(slot, e.message));
    worker.on('exit', (code) => this.died(slot, `worker exited with code ${code}`));
    return slot;
  }

  private died(slot: Slot<T, R>, why: string): void {
    if (slot.dead || this.closed) return;
    slot.dead = true;
    slot.markReady();
    const held = [...slot.running.values()];
    slot.running.clear();
    const i = this.slots.indexOf(slot);
    // A worker that dies before it is ready says the module cannot run here: with a fallback the
    // pool switches at once; without one it tries a few fresh workers (a start can fail for a
    // passing reason) before failing what waits. One that dies at work counts to maxRespawns.
    const giveUp = slot.ready
      ? ++this.respawns > (this.o.maxRespawns ?? Infinity)
      : this.o.fallback !== undefined || ++this.startFailures >= MAX_START_FAILURES;
    if (giveUp && this.o.fallback) {
      // Workers cannot run here: everything runs on this thread from now on, the held tasks too.
      this.inline = true;
      if (i >= 0) this.slots.splice(i, 1);
      for (const job of [...held, ...this.queue.splice(0)]) this.runInline(job);
      return;
    }
    for (const job of held) job.reject(this.o.workerDied(job.task, why));
    if (i >= 0) {
      if (giveUp) this.slots.splice(i, 1);
      else this.slots[i] = this.spawn();
    }
    if (this.slots.length === 0) {
      // No worker left and no fallback: what waits would wait for ever.
      for (const job of this.queue.splice(0)) job.reject(this.o.workerDied(job.task, why));
      return;
    }
    this.pump();
  }
}
