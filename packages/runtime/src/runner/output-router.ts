import { fusedStagesOf } from '../job/chain-plan';
import type { SinkConnector, SinkRefusal } from '../connectors/connector';
import type { JobSpec } from '../job/job-spec';
import { HEADER_ID, HEADER_REASON, HEADER_SOURCE, type OutRecord } from '../records';
import {
  describeStream,
  type DeadLetter,
  type Emission,
  type OutputStream,
} from '../task/output-stream';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';
import { retrying, type RetriesExhausted } from '../util/retry';
import type { Logger } from '../util/logger';
import { InFlightWrites } from './in-flight-writes';

const MAX_LOGGED_DEAD_LETTERS = 20;
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 10_000;
/** How long closing waits for the writes still on their way. */
const CLOSE_WAIT_MS = 30_000;

/** How long a failing sink write is retried before the job fails (0: not retried). */
export interface SinkRetry {
  readonly budgetMs: number;
  /** True once retrying is pointless (the job failed): the write fails now. */
  readonly givenUp?: () => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Records a sink may hold not yet written before a flush waits for it (see
   * {@link InFlightWrites}); default 0: every flush waits for its writes.
   */
  readonly bufferRecords?: number;
}

/**
 * Buffers each task's outputs and writes them to the sinks they are routed to.
 * An output with no sink is never dropped silently: it is counted and logged
 * (every dead letter up to a limit, with its reason; other streams once, then in
 * the final summary).
 */
export class OutputRouter {
  private readonly buffers = new Map<string, Emission[]>();
  private readonly unrouted = new Map<string, number>();
  private loggedDeadLetters = 0;
  private readonly inFlight: InFlightWrites;
  /** Per keyed stage fused after the operator: its routes (the operator's merged in by the planner). */
  private readonly fusedSideOutputs: ReadonlyMap<string, Readonly<Record<string, string>>>;

  constructor(
    private readonly job: JobSpec,
    private readonly sinks: Readonly<Record<string, SinkConnector>>,
    private readonly logger: Logger,
    private readonly retry: SinkRetry = { budgetMs: 0 },
  ) {
    this.inFlight = new InFlightWrites(retry.bufferRecords ?? 0);
    const { main, deadLetters, sideOutputs, streams } = job.outputs;
    const routed = [
      main,
      deadLetters,
      ...Object.values(sideOutputs ?? {}),
      ...fusedStagesOf(job).flatMap((s) => Object.values(s.sideOutputs ?? {})),
    ];
    const missing = [...routed, ...Object.values(streams ?? {})].filter(
      (name): name is string => name !== undefined && !sinks[name],
    );
    this.fusedSideOutputs = new Map(
      fusedStagesOf(job).map((s) => [s.id, { ...sideOutputs, ...s.sideOutputs }]),
    );
    if (missing.length > 0) {
      throw new ConfigurationError(
        `job "${job.name}" routes output to ${missing.map((m) => `"${m}"`).join(', ')}, which no sink connector is bound to (sinks: ${Object.keys(sinks).join(', ') || 'none'})`,
      );
    }
  }

  async open(): Promise<void> {
    for (const sink of Object.values(this.sinks)) await sink.open();
  }

  /**
   * Closes the sinks once the writes still on their way are done (at a stop, retries
   * give up, so a write that failed ends within one backoff wait), or after 30 s.
   */
  async close(): Promise<void> {
    await this.inFlight.idle(CLOSE_WAIT_MS);
    for (const sink of Object.values(this.sinks)) await sink.close();
  }

  route(taskId: string, emission: Emission): void {
    let buffer = this.buffers.get(taskId);
    if (!buffer) this.buffers.set(taskId, (buffer = []));
    buffer.push(emission);
  }

  /**
   * Writes the task's buffered outputs: resolves when every sink has them, or, with a
   * buffer, when every sink has room for more (the task's checkpoint waits for
   * {@link written}).
   */
  async flush(taskId: string): Promise<void> {
    const buffer = this.buffers.get(taskId);
    if (!buffer || buffer.length === 0) return this.inFlight.throwFailure();
    this.buffers.set(taskId, []);
    const bySink = new Map<string, OutRecord[]>();
    for (const { stream, record } of buffer) {
      const sink = this.sinkOf(stream);
      if (sink === undefined) {
        this.noSink(stream, record);
        continue;
      }
      let records = bySink.get(sink);
      if (!records) bySink.set(sink, (records = []));
      records.push(record);
    }
    const writes = [...bySink].map(([sink, records]) =>
      this.inFlight.queue(taskId, sink, records.length, () => this.write(sink, records)),
    );
    if (this.inFlight.limit === 0) await Promise.all(writes);
    else await this.inFlight.room(bySink.keys());
  }

  /** Settles when every output the task flushed so far is in its sink. */
  written(taskId: string): Promise<void> {
    return this.inFlight.written(taskId);
  }

  /** Records of `sink` flushed but not yet written. */
  pendingOf(sink: string): number {
    return this.inFlight.pendingOf(sink);
  }

  /**
   * Writes to one sink; while the broker is away the write is retried with backoff
   * (the task, and so its source, waits) until the retry budget is spent. Records a
   * failed attempt did write are written again: sinks are at-least-once, and the
   * records keep their ids.
   */
  private async write(sink: string, records: readonly OutRecord[]): Promise<void> {
    let refused: void | readonly SinkRefusal[];
    try {
      refused = await retrying(
        async (attempt) => {
          const result = await this.sinks[sink].write(records);
          if (attempt > 1) this.logger.info(`sink "${sink}" is writing again`);
          return result;
        },
        {
          firstWaitMs: FIRST_RETRY_MS,
          maxWaitMs: LONGEST_RETRY_MS,
          budgetMs: this.retry.budgetMs,
          sleep: this.retry.sleep,
          // kafkajs marks errors that cannot go away (a record over the size limit)
          final: (error) =>
            (error as { retriable?: unknown } | null)?.retriable === false ||
            this.retry.givenUp?.() === true,
          onRetry: (error, attempt, waitMs) =>
            this.logger.warn(
              `writing ${records.length} record(s) to sink "${sink}" failed (attempt ${attempt}): ` +
                `${errorMessage(error)}; retrying in ${waitMs} ms`,
            ),
        },
      );
    } catch (error) {
      const { lastError, attempts, triedMs } = error as RetriesExhausted;
      throw new SinkWriteError(sink, records.length, attempts, triedMs, lastError);
    }
    if (refused && refused.length > 0) await this.deadLetterRefused(sink, refused);
  }

  /**
   * Records a sink refused for good go to the dead letters, each named after the
   * record (`<its id>/refused`), with the sink's reason; the sink's other records were
   * written. They are written within the refused write (so the checkpoint waiting for
   * it waits for them), not queued after the task's other dead letters.
   */
  private async deadLetterRefused(sink: string, refused: readonly SinkRefusal[]): Promise<void> {
    this.logger.warn(
      `sink "${sink}" refused ${refused.length} record(s) for good, e.g. ${refused[0].reason}; they go to the dead letters`,
    );
    const letters = refused.map(({ record, reason }): OutRecord => {
      const letter: DeadLetter = {
        reason: `sink "${sink}" refused it: ${reason}`,
        source: `sink:${sink}`,
        partition: -1,
        offset: -1,
        value: record.value,
      };
      return {
        key: record.key,
        value: letter,
        timestamp: record.timestamp,
        headers: {
          [HEADER_ID]: `${record.headers[HEADER_ID]}/refused`,
          [HEADER_REASON]: letter.reason,
          [HEADER_SOURCE]: letter.source,
        },
      };
    });
    const deadLetters = this.job.outputs.deadLetters;
    if (deadLetters === undefined || deadLetters === sink) {
      for (const letter of letters) this.noSink({ kind: 'dead-letter' }, letter);
      return;
    }
    await this.write(deadLetters, letters);
  }

  /** Logs what had no sink, once at the end of a run. */
  reportUnrouted(): void {
    for (const [stream, count] of this.unrouted) {
      this.logger.warn(`${count} record(s) of the ${stream} had no sink and were not written`);
    }
  }

  private sinkOf(stream: OutputStream): string | undefined {
    const outputs = this.job.outputs;
    if (stream.kind === 'main') return outputs.main;
    if (stream.kind === 'dead-letter') return outputs.deadLetters;
    if (stream.kind === 'stream') return outputs.streams?.[stream.name];
    if (stream.stage !== undefined) {
      return this.fusedSideOutputs.get(stream.stage)?.[stream.tag];
    }
    return outputs.sideOutputs?.[stream.tag];
  }

  private noSink(stream: OutputStream, record: OutRecord): void {
    const name = describeStream(stream);
    const count = (this.unrouted.get(name) ?? 0) + 1;
    this.unrouted.set(name, count);
    if (stream.kind === 'dead-letter') {
      if (this.loggedDeadLetters++ < MAX_LOGGED_DEAD_LETTERS) {
        const letter = record.value as DeadLetter;
        this.logger.warn(
          `dead letter (no dead-letter sink): ${letter.source} offset ${letter.offset}: ${letter.reason}`,
        );
      }
    } else if (count === 1) {
      this.logger.warn(
        `the ${name} has no sink: its records are counted, not written (route it to a sink)`,
      );
    }
  }
}

/** A sink write that still failed when its retry budget ran out. */
export class SinkWriteError extends Error {
  constructor(sink: string, records: number, attempts: number, triedMs: number, cause: unknown) {
    super(
      `writing ${records} record(s) to sink "${sink}" failed` +
        (attempts > 1 ? ` ${attempts} times in ${Math.round(triedMs / 1000)} s` : '') +
        `: ${errorMessage(cause)}`,
    );
    this.name = 'SinkWriteError';
  }
}
