// The one event emitter behind every service's `onDid…` events: its `event` has the contract's
// Event<T> shape, so a service exposes `emitter.event` directly.
import type { Event, Unsubscribe } from '../contract/event.js';

export class Emitter<T> {
  private readonly listeners = new Set<(v: T) => void>();
  readonly event: Event<T> = (listener): Unsubscribe => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
}
