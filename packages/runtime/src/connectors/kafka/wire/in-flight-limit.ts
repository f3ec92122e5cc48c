/** At most `limit` holders at once per key (requests in flight per broker); the others queue. */
export class InFlightLimit<K> {
  private readonly held = new Map<K, number>();
  private readonly waiting = new Map<K, Array<() => void>>();

  constructor(private readonly limit: number) {}

  /** Resolves with the release function once the key has room. */
  async acquire(key: K): Promise<() => void> {
    if ((this.held.get(key) ?? 0) >= this.limit) {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key);
        if (queue) queue.push(resolve);
        else this.waiting.set(key, [resolve]);
      });
    } else {
      this.held.set(key, (this.held.get(key) ?? 0) + 1);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(key)?.shift();
      // the place passes straight to the next in line
      if (next) next();
      else this.held.set(key, (this.held.get(key) ?? 1) - 1);
    };
  }
}
