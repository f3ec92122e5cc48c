import { decodeJson } from '../connectors/json-codec';
import type { JobSpec } from '../job/job-spec';
import { checkJob } from '../job/check-job';
import type { TaskCheckpoint } from '../state/checkpoint';
import { MemoryStateBackend } from '../state/memory-state.backend';
import type { StateBackend } from '../state/state-backend';
import { ManualClock } from '../time/clock';
import type { Timer } from '../time/timer-service';
import { JobMetrics } from '../task/metrics';
import type { Emission } from '../task/output-stream';
import { StreamTask } from '../task/stream-task';
import { HarnessOutputs } from './harness-outputs';
import { silentLogger, type Logger } from '../util/logger';

export interface JobHarnessOptions {
  readonly job: JobSpec;
  /**
   * Processing time at start (epoch ms). Given, event times more than a source's
   * `maxFutureMs` (default one day) ahead of processing time go to the dead letters, as
   * in a running job. Not given, the clock starts at 0 and event times are not checked
   * against it (test data is rarely from 1970).
   */
  readonly processingTime?: number;
  /** Share a backend between harnesses to simulate a restart. */
  readonly backend?: StateBackend;
  /** The task's id: the number of the partition it stands for, as a string (default '0'). */
  readonly taskId?: string;
  readonly logger?: Logger;
}

/**
 * Drives one task of a job without any broker or Redis: push elements to named
 * inputs, move watermarks and processing time, read outputs, side outputs, dead
 * letters, state and pending timers. It runs the same task code as the runner.
 * Framework-neutral: use it from jest, node:test or a script.
 */
export class JobHarness extends HarnessOutputs {
  private constructor(
    private readonly options: JobHarnessOptions,
    readonly clock: ManualClock,
    readonly backend: StateBackend,
    private readonly task: StreamTask,
    readonly metrics: JobMetrics,
    emissions: Emission[],
    private readonly checkFutureEventTimes: boolean,
  ) {
    super(emissions);
  }

  static create(options: JobHarnessOptions): Promise<JobHarness> {
    return JobHarness.open(options, options.processingTime !== undefined);
  }

  private static async open(
    options: JobHarnessOptions,
    checkFutureEventTimes: boolean,
  ): Promise<JobHarness> {
    checkJob(options.job);
    const clock = new ManualClock(options.processingTime ?? 0);
    const backend = options.backend ?? new MemoryStateBackend();
    const metrics = new JobMetrics();
    const emissions: Emission[] = [];
    const task = await StreamTask.open({
      job: options.job,
      taskId: options.taskId ?? '0',
      backend,
      clock,
      logger: options.logger ?? silentLogger,
      metrics,
      emit: (e) => emissions.push(e),
      checkFutureEventTimes,
    });
    return new JobHarness(options, clock, backend, task, metrics, emissions, checkFutureEventTimes);
  }

  /** Pushes the values to `source` as one input batch. */
  async push(source: string, ...values: unknown[]): Promise<void> {
    let offset = this.task.positions[source] ?? 0;
    await this.task.processBatch(
      source,
      values.map((value) => ({ value, offset: offset++ })),
    );
  }

  /**
   * Pushes records as a connector reads them (text, bytes, or null for a tombstone),
   * decoded as JSON the way connectors do: bad JSON, oversize and null records become
   * dead letters.
   */
  async pushRaw(source: string, ...records: Array<string | Buffer | null>): Promise<void> {
    let offset = this.task.positions[source] ?? 0;
    await this.task.processBatch(
      source,
      records.map((value) => decodeJson({ offset: offset++, value })),
    );
  }

  /** Sets the watermark of one input, or of every event-time input when none is named. */
  async advanceWatermark(watermark: number, source?: string): Promise<void> {
    const names = source
      ? [source]
      : this.options.job.sources.filter((s) => s.eventTime).map((s) => s.name);
    for (const name of names) await this.task.advanceInputWatermark(name, watermark);
  }

  /** Moves processing time forward: idle inputs are released and processing-time timers fire. */
  async advanceProcessingTime(ms: number): Promise<void> {
    this.clock.advanceBy(ms);
    await this.task.tick();
  }

  /** Ends one input, or all of them: their watermark becomes the end of time. */
  async endOfInput(source?: string): Promise<void> {
    const names = source ? [source] : this.options.job.sources.map((s) => s.name);
    for (const name of names) await this.task.endInput(name);
  }

  get watermark(): number {
    return this.task.watermark;
  }

  /** The current value of a keyed state entry (undefined when empty or expired). */
  state<T = unknown>(name: string, key: string): Promise<T | undefined> {
    return this.task.readState(name, key) as Promise<T | undefined>;
  }

  pendingTimers(): { event: readonly Timer[]; processing: readonly Timer[] } {
    return this.task.pendingTimers();
  }

  /** Stops lookup refreshes and other timers of the task. */
  close(): void {
    this.task.close();
  }

  checkpoint(): Promise<TaskCheckpoint> {
    return this.task.checkpoint();
  }

  /**
   * Simulates a crash and restart: a new task on the same backend and clock, restored
   * from the newest checkpoint. Work after that checkpoint is lost, as in a real crash.
   */
  async restart(): Promise<JobHarness> {
    return JobHarness.open(
      { ...this.options, backend: this.backend, processingTime: this.clock.now() },
      this.checkFutureEventTimes,
    );
  }
}
