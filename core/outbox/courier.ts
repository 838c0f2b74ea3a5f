// Delivery in the app, without anyone asking: while the workstation runs, the outbox is delivered
// every so often (AMUR_DELIVERY_INTERVAL, cli/host/services.ts) and at once after a report is
// signed in the app (nudge), each failed item waiting out its
// backoff (outbox.ts). It is the same deliver() that `amur deliver` runs, with the same claims, so
// the app and a CLI delivery running at the same time never send one item twice. Offline, each
// round fails quietly into the items' state (failed, with the reason, shown on the Outbox screen)
// and the next round tries again.
import type { StudyStore } from '../store/store.js';
import { deliver, type DeliveryResult, type OutboxTarget } from './outbox.js';

export interface Courier {
  /** Delivers soon (a report was just queued, the link came back). */
  nudge(): void;
  /** Resolves after the round under way, if any; no round starts after it. */
  stop(): Promise<void>;
}

export function startCourier(
  store: StudyStore,
  targetFor: (agreementId: string) => OutboxTarget,
  options: { intervalMs?: number; onRound?: (r: DeliveryResult) => void; tsaFor?: (agreementId: string) => string | undefined } = {},
): Courier {
  const interval = options.intervalMs ?? 30_000;
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** A nudge came while a round was under way: that round may have missed the new item. */
  let again = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(round, ms);
    // A pending round never keeps the process alive.
    timer.unref();
  };
  function round(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = deliver(store, targetFor, { tsaFor: options.tsaFor })
      .then((r) => options.onRound?.(r))
      .catch(() => {
        // The store itself failed (closing, disk): the items keep their state; try again later.
      })
      .finally(() => {
        running = undefined;
        schedule(again ? 0 : interval);
        again = false;
      });
  }
  schedule(0);
  return {
    nudge: () => schedule(0),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
