import {
  OUTPUT_HEADERS,
  HEADER_ID,
  HEADER_OFFSET,
  HEADER_PARTITION,
  HEADER_REASON,
  HEADER_SOURCE,
} from '../records';
import type { Clock } from '../time/clock';
import { errorMessage } from '../util/error-message';
import { UsageError } from '../util/errors';
import type { JobMetrics } from './metrics';
import {
  DEAD_LETTER_STREAM,
  type DeadLetter,
  type Emission,
  type OutputStream,
} from './output-stream';
import type { SourcePlan } from './source-plan';

export interface TaskOutputOptions {
  readonly jobName: string;
  readonly taskId: string;
  readonly clock: Clock;
  readonly metrics: JobMetrics;
  /** Receives every output record, in order. */
  readonly emit: (emission: Emission) => void;
  /** Holds an emission of a user call until it returns (true), or lets it through now. */
  readonly hold: (emission: Emission) => boolean;
}

/**
 * What a task emits, and the stable id of each output: `<job>/<task>/<origin>#<seq>`,
 * where the origin names the input (or timer) the output comes from and the sequence
 * counts the outputs of that origin. The same input gives the same ids after a restart,
 * whatever the batching.
 */
export class TaskOutput {
  /**
   * The stages after the operator (after its fused keyed stages): its main output goes
   * through them to the main sink and to the sinks of the streams they copy.
   */
  outputPlan: SourcePlan | undefined;
  private seq = 0;
  /** What outputs are named after now; the id prefix is built at the first output. */
  private origin: string | (() => string) = '';
  private prefix: string | undefined;

  constructor(private readonly options: TaskOutputOptions) {}

  /** Outputs from now on are named after `origin` (a string, or a function to build it lazily). */
  setOrigin(origin: string | (() => string)): void {
    this.origin = origin;
    this.prefix = undefined;
    this.seq = 0;
  }

  /**
   * Emits a value to `stream`; on the main output, through the stages after the
   * operator first. A step that throws fails the call that emitted (retried per the
   * error policy, then its input dead-lettered), like a throw in the call itself.
   */
  emit(
    stream: OutputStream,
    key: string | null,
    timestamp: number,
    value: unknown,
    extraHeaders?: Record<string, string>,
  ): void {
    const plan = this.outputPlan;
    if (stream.kind !== 'main' || plan === undefined) {
      return this.emitOne(stream, key, timestamp, value, extraHeaders);
    }
    const { main, copies } = plan.run(value);
    for (const out of main) this.emitOne(stream, key, timestamp, out, extraHeaders);
    for (const copy of copies) {
      this.emitOne({ kind: 'stream', name: copy.stream }, key, timestamp, copy.value, extraHeaders);
    }
  }

  /**
   * Sends a record to the dead letters with the reason and where it came from, named
   * `<origin>/dead-letter` without disturbing the ids of the outputs around it.
   */
  deadLetter(origin: string, letter: DeadLetter): void {
    this.options.metrics.deadLetters++;
    this.named(`${origin}/dead-letter`, () =>
      this.emit(DEAD_LETTER_STREAM, null, this.options.clock.now(), letter, {
        [HEADER_REASON]: letter.reason,
        [HEADER_SOURCE]: letter.source,
        [HEADER_PARTITION]: String(letter.partition),
        [HEADER_OFFSET]: String(letter.offset),
      }),
    );
  }

  /**
   * Runs `emit` with the outputs it makes named after `origin` (`<origin>#0`, ...),
   * leaving the ids of the outputs around it as they were: a window's outputs are named
   * after the window, whatever input or timer made it fire.
   */
  named(origin: string, emit: () => void): void {
    const saved = [this.origin, this.prefix, this.seq] as const;
    this.setOrigin(origin);
    try {
      emit();
    } finally {
      [this.origin, this.prefix, this.seq] = saved;
    }
  }

  /** Counts an output and hands it to the runner. */
  deliver(emission: Emission): void {
    const { stream } = emission;
    const metrics = this.options.metrics;
    if (stream.kind === 'main') metrics.mainOut++;
    else if (stream.kind === 'side') metrics.countSide(stream.tag);
    this.options.emit(emission);
  }

  private emitOne(
    stream: OutputStream,
    key: string | null,
    timestamp: number,
    value: unknown,
    extraHeaders?: Record<string, string>,
  ): void {
    // Encoded here, not in the sink: a value JSON cannot hold fails the call that
    // emitted it (and becomes a dead letter) instead of failing the job at every replay.
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value);
    } catch (error) {
      throw new UsageError(`output is not JSON: ${errorMessage(error)}`);
    }
    if (encoded === undefined) throw new UsageError(`output ${String(value)} is not JSON`);
    const origin = typeof this.origin === 'string' ? this.origin : this.origin();
    this.prefix ??= `${this.options.jobName}/${this.options.taskId}/${origin}`;
    const id = `${this.prefix}#${this.seq++}`;
    const carried = carriedHeaders(value);
    const emission: Emission = {
      stream,
      record: {
        key,
        value,
        encoded,
        timestamp,
        headers:
          extraHeaders || carried
            ? { [HEADER_ID]: id, ...carried, ...extraHeaders }
            : { [HEADER_ID]: id },
      },
    };
    if (!this.options.hold(emission)) this.deliver(emission);
  }
}

/** The headers a value carries ({@link OUTPUT_HEADERS}), if any. */
function carriedHeaders(value: unknown): Record<string, string> | undefined {
  return typeof value === 'object' && value !== null
    ? (value as { [OUTPUT_HEADERS]?: Record<string, string> })[OUTPUT_HEADERS]
    : undefined;
}
