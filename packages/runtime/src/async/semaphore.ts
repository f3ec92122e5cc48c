/** At most `permits` holders at once; others wait in order. */
export class Semaphore {
  private waiting: Array<() => void> = [];

  constructor(private permits: number) {
    if (!(Number.isInteger(permits) && permits >= 1))
      throw new RangeError(`concurrency must be a whole number >= 1, got ${permits}`);
  }

  async acquire(): Promise<void> {
    if (this.permits > 0) {
      this.permits--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.permits++;
  }
}
