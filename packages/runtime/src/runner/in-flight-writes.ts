/**
 * The writes on their way to the sinks, and the bound on them.
 *
 * A task's flush queues its records for each sink and returns once that sink holds at
 * most `limit` records not yet written (across the job's tasks); until then it waits
 * for the sink (back-pressure). The check comes after the task queued its own, so a
 * sink holds at most `limit` plus one flush of each other task. A stalled sink holds
 * the routes beside it back only once it has that many records waiting, and a limit of
 * 0 makes every flush wait for its writes.
 *
 * Nothing is lost by returning early: a task's writes to one sink go in order, and
 * {@link written} gives the promise its checkpoint waits for before it commits, so a
 * committed position never passes a record that is not yet in its sink. A write that
 * fails for good fails every later flush and checkpoint of the job.
 */
export class InFlightWrites {
  /** Records queued or being written, per sink. */
  private readonly pending = new Map<string, number>();
  /** Flushes waiting for room, per sink. */
  private readonly waiting = new Map<string, Array<() => void>>();
  /** The last write of each task to each sink: the ones before it are done when it is. */
  private readonly lastWrites = new Map<string, Map<string, Promise<void>>>();
  private failure: unknown;

  constructor(readonly limit: number) {}

  /** Records of `sink` queued or being written. */
  pendingOf(sink: string): number {
    return this.pending.get(sink) ?? 0;
  }

  /**
   * Queues `write` of `count` records of `task` to `sink`, after the task's write to
   * that sink before it; resolves when it is done.
   */
  queue(task: string, sink: string, count: number, write: () => Promise<void>): Promise<void> {
    this.throwFailure();
    let lasts = this.lastWrites.get(task);
    if (!lasts) this.lastWrites.set(task, (lasts = new Map()));
    const previous = lasts.get(sink);
    const done = previous ? previous.then(write) : write();
    lasts.set(sink, done);
    this.pending.set(sink, this.pendingOf(sink) + count);
    const settle = () => {
      this.pending.set(sink, this.pendingOf(sink) - count);
      if (lasts.get(sink) === done) lasts.delete(sink);
      const waiters = this.waiting.get(sink) ?? [];
      this.waiting.delete(sink);
      for (const wake of waiters) wake();
    };
    done.then(settle, (error: unknown) => {
      this.failure ??= error;
      settle();
    });
    return done;
  }

  /** Resolves once each of `sinks` holds at most the limit; throws a failed write. */
  async room(sinks: Iterable<string>): Promise<void> {
    for (const sink of sinks) {
      while (this.pendingOf(sink) > this.limit) {
        this.throwFailure();
        await new Promise<void>((wake) => {
          let waiters = this.waiting.get(sink);
          if (!waiters) this.waiting.set(sink, (waiters = []));
          waiters.push(wake);
        });
      }
    }
    this.throwFailure();
  }

  /** Settles when every write `task` queued so far is done; rejects if one failed. */
  written(task: string): Promise<void> {
    const lasts = [...(this.lastWrites.get(task)?.values() ?? [])];
    const all =
      this.failure !== undefined
        ? Promise.reject(this.failure)
        : Promise.all(lasts).then(() => undefined);
    // awaited by the checkpoint, which may fail before it awaits it: not an unhandled rejection
    all.catch(() => undefined);
    return all;
  }

  /** Settles when no write is queued or running (failed ones included), or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const busy = [...this.pending].filter(([, n]) => n > 0).map(([sink]) => sink);
      if (busy.length === 0 || Date.now() >= deadline) return;
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, deadline - Date.now());
        let waiters = this.waiting.get(busy[0]);
        if (!waiters) this.waiting.set(busy[0], (waiters = []));
        waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** Throws the write that failed for good, if one did. */
  throwFailure(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
