// The audit trail's cost (issue 10): how many events per second Amur records, each in its own
// transaction with its chain hash, its Ed25519-signed checkpoint and its head file, against the
// floor of the same SQLite settings inserting the same row alone (one transaction per event, no
// chain, no signature); and how fast `verify` checks a trail.
//
// Method: a fresh trail in bench/tmp/audit; --events (default 2000) events of the kind a reading
// writes (a study opened, one UID, a small detail); --reps runs (default 3), interleaved with the
// baseline; medians quoted. One event per transaction is what the application does: events come
// one at a time from different processes, and each must be durable before the action goes on.
import Database from 'better-sqlite3-multiple-ciphers';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditLog } from '../core/audit/log.js';
import { numberOption, type Bench, type BenchContext } from './lib/bench.js';
import { machineInfo } from './lib/machine.js';
import { writeResults } from './lib/results.js';
import { ratio, summarize } from './lib/stats.js';

function recordAmur(dir: string, n: number): number {
  rmSync(dir, { recursive: true, force: true });
  const log = AuditLog.open(dir);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    log.record({ action: 'study.open', outcome: 'success', role: 'reader', agreement: 'GZ-2026-01', studies: [`1.2.826.0.1.3680043.8.498.${i}`], detail: { n: i } });
  }
  const ms = performance.now() - t0;
  log.close();
  return ms;
}

function recordBare(dir: string, n: number): number {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'bare.sqlite'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, time TEXT, action TEXT, outcome TEXT, user TEXT, role TEXT, workstation TEXT, agreement TEXT, studies TEXT, detail TEXT)');
  const ins = db.prepare('INSERT INTO events (time, action, outcome, user, role, workstation, agreement, studies, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const one = db.transaction((i: number) => {
    ins.run(new Date().toISOString(), 'study.open', 'success', 'reader', 'reader', 'ws', 'GZ-2026-01', JSON.stringify([`1.2.826.0.1.3680043.8.498.${i}`]), JSON.stringify({ n: i }));
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) one.immediate(i);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

function verifyAmur(dir: string): { ms: number; events: number; valid: boolean } {
  const log = AuditLog.open(dir);
  const t0 = performance.now();
  const r = log.verify();
  const ms = performance.now() - t0;
  log.close();
  return { ms, events: r.events, valid: r.valid };
}

const bench: Bench = {
  name: 'audit',
  description: 'Audit trail: events recorded per second (chain, signed checkpoint, head file) vs a bare SQLite insert; verify speed',
  async run(ctx: BenchContext) {
    const n = numberOption(ctx, 'events', ctx.options.quick ? 300 : 2000);
    const reps = numberOption(ctx, 'reps', ctx.options.quick ? 1 : 3);
    const root = join(ctx.tmpRoot, 'audit');
    const amur: number[] = [];
    const bare: number[] = [];
    const verify: number[] = [];
    let verified = { events: 0, valid: false };
    for (let r = 0; r < reps; r++) {
      bare.push(recordBare(join(root, 'bare'), n));
      amur.push(recordAmur(join(root, 'amur'), n));
      const v = verifyAmur(join(root, 'amur'));
      verify.push(v.ms);
      verified = v;
      ctx.log(`rep ${r + 1}: amur ${amur.at(-1)!.toFixed(0)} ms, bare ${bare.at(-1)!.toFixed(0)} ms, verify ${v.ms.toFixed(0)} ms (${n} events)`);
    }
    rmSync(root, { recursive: true, force: true });
    if (!verified.valid || verified.events !== n) throw new Error(`the benchmark's own trail did not verify (${verified.events} events)`);
    const a = summarize(amur);
    const b = summarize(bare);
    const v = summarize(verify);
    const perS = (ms: number) => Math.round(n / (ms / 1000));
    const results = {
      machine: machineInfo(ctx.repoRoot),
      events: n,
      reps,
      amur_record: a,
      bare_insert: b,
      verify: v,
      amur_events_per_s: perS(a.median_ms),
      bare_events_per_s: perS(b.median_ms),
      verify_events_per_s: perS(v.median_ms),
      ratio_amur_vs_bare: ratio(a.median_ms, b.median_ms),
    };
    const m = results.machine;
    const md = `## audit: the audit trail's cost

${m.cpu_count} CPUs (${m.cpu_model}), Node ${m.node_version}, ${m.date}. ${n} events, each in its own transaction; median of ${reps} runs.

| Measure | Amur | Bare SQLite insert | Ratio |
| --- | --- | --- | --- |
| Record one event (chain hash, Ed25519 checkpoint, head file) | ${(a.median_ms / n).toFixed(3)} ms (${results.amur_events_per_s} events/s) | ${(b.median_ms / n).toFixed(3)} ms (${results.bare_events_per_s} events/s) | ${results.ratio_amur_vs_bare}× |
| Verify the whole trail (hashes, links, every checkpoint's signature) | ${results.verify_events_per_s} events/s (${v.median_ms.toFixed(0)} ms for ${n}) | | |

A reading writes a handful of events (import, open, view, draft, sign, deliver), so even the slowest
figure here is far below anything a user would notice; the ratio says what the tamper evidence costs
over storing the same row with no protection.`;
    const w = writeResults(ctx.resultsDir, 'audit', results, md);
    ctx.log(`amur ${results.amur_events_per_s} events/s, bare ${results.bare_events_per_s} events/s (${results.ratio_amur_vs_bare}×), verify ${results.verify_events_per_s} events/s -> ${w.md}`);
  },
};

export default bench;
