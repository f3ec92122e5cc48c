import type { JournaledStateCache } from './journaled-state-cache';
import type { Emission } from './output-stream';

/** A failed call: the last error, and how many attempts were made. */
export interface FailedCall {
  readonly error: unknown;
  readonly attempts: number;
}

/**
 * Makes each call of a keyed user function all or nothing: while it runs, its outputs
 * are held back, its state changes recorded and its timer changes logged. A call that
 * returns releases its outputs; a call that throws is undone (state entries restored,
 * timer changes reversed, outputs dropped), so a retry starts from where the first
 * attempt did, and a record sent to the dead letters left no trace.
 */
export class CallJournal {
  private open = false;
  private readonly held: Emission[] = [];
  private readonly timerUndos: Array<() => void> = [];

  constructor(
    private readonly cache: JournaledStateCache,
    /** Where released outputs go. */
    private readonly release: (emission: Emission) => void,
  ) {}

  /** Holds an output of the running call; false when no call runs (emit it now). */
  hold(emission: Emission): boolean {
    if (this.open) this.held.push(emission);
    return this.open;
  }

  /** Logs how to reverse a timer change of the running call. */
  onTimerChange(undo: () => void): void {
    if (this.open) this.timerUndos.push(undo);
  }

  /**
   * Calls `call` until it returns, at most `attempts` times; `beforeAttempt` runs
   * before each (to reset output ids, so a retry's outputs get the same ids). Gives
   * the failure when every attempt threw. Synchronous while `call` is: a promise only
   * when `call` returned one, so plain functions cost no microtask per element.
   */
  run(
    attempts: number,
    beforeAttempt: () => void,
    call: () => void | Promise<void>,
  ): FailedCall | undefined | Promise<FailedCall | undefined> {
    return this.attempt(1, attempts, beforeAttempt, call, undefined);
  }

  private attempt(
    first: number,
    attempts: number,
    beforeAttempt: () => void,
    call: () => void | Promise<void>,
    lastError: unknown,
  ): FailedCall | undefined | Promise<FailedCall | undefined> {
    let error = lastError;
    for (let attempt = first; attempt <= attempts; attempt++) {
      beforeAttempt();
      this.begin();
      let done: void | Promise<void>;
      try {
        done = call();
      } catch (thrown) {
        error = thrown;
        this.undo();
        continue;
      }
      if (isPromise(done)) {
        return done.then(
          () => {
            this.commit();
            return undefined;
          },
          (thrown: unknown) => {
            this.undo();
            return this.attempt(attempt + 1, attempts, beforeAttempt, call, thrown);
          },
        );
      }
      this.commit();
      return undefined;
    }
    return { error, attempts };
  }

  private begin(): void {
    this.open = true;
    this.cache.startRecording();
  }

  private commit(): void {
    this.open = false;
    this.cache.stopRecording();
    this.timerUndos.length = 0;
    const held = this.held.splice(0);
    for (const emission of held) this.release(emission);
  }

  private undo(): void {
    this.open = false;
    this.cache.undoRecorded();
    for (let i = this.timerUndos.length - 1; i >= 0; i--) this.timerUndos[i]();
    this.timerUndos.length = 0;
    this.held.length = 0;
  }
}

export function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}
