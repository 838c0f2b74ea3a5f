// Prefetches the images around the one on screen, nearest first, a few at a time, so the host's
// decoders always have the displayed image's request at the front of their queue. The radius is
// bounded by what the image cache can hold, so prefetching never evicts what it just fetched.
import cornerstone from 'cornerstone-core';

const IN_FLIGHT = 3;

export class Prefetcher {
  private center = 0;
  private inFlight = new Set<string>();
  private done = new Set<string>();
  private stopped = false;

  constructor(
    private readonly imageIds: string[],
    private readonly radius: () => number,
  ) {}

  setCenter(index: number): void {
    this.center = index;
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  private next(): string | undefined {
    const r = Math.min(this.radius(), this.imageIds.length);
    for (let d = 1; d <= r; d++) {
      for (const i of [this.center + d, this.center - d]) {
        const id = this.imageIds[i];
        if (id === undefined || this.done.has(id) || this.inFlight.has(id)) continue;
        if (cornerstone.imageCache.getImageLoadObject(id)) {
          this.done.add(id);
          continue;
        }
        return id;
      }
    }
    return undefined;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight.size < IN_FLIGHT) {
      const id = this.next();
      if (!id) return;
      this.inFlight.add(id);
      cornerstone
        .loadAndCacheImage(id, { prefetch: true })
        .catch(() => undefined) // the image's own display reports its error
        .finally(() => {
          this.inFlight.delete(id);
          this.done.add(id);
          this.pump();
        });
    }
  }
}
