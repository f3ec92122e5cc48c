import type { OutgoingRecord } from '../connectors/kafka/broker-client';
import { checkJob } from '../job/check-job';
import type { JobSpec } from '../job/job-spec';
import { planSegments, segmentTaskId } from '../job/segments';
import type { RawRecord } from '../records';
import { ExchangeWriter } from '../runner/exchange-writer';
import { MemoryStateBackend } from '../state/memory-state.backend';
import { parseEnvelope } from '../task/exchange-envelope';
import { JobMetrics } from '../task/metrics';
import type { Emission } from '../task/output-stream';
import { StreamTask } from '../task/stream-task';
import { ManualClock } from '../time/clock';
import { HarnessOutputs } from './harness-outputs';
import { silentLogger } from '../util/logger';

interface Stage {
  readonly id: string;
  readonly task: StreamTask;
  /** The stream its main output writes, when a keyed stage reads it. */
  readonly writes?: string;
  readonly writer?: ExchangeWriter;
  /** What the exchange into the next stage holds, in order (one partition). */
  readonly exchange: RawRecord[];
  /** How much of the previous stage's exchange this stage has read. */
  read: number;
  /** The ids of the keyed stages fused into its task (same key). */
  readonly fused: readonly string[];
}

/**
 * Drives a job with keyed stages behind repartitions without any broker: one task per
 * stage, the stages connected by an exchange of one partition through the same writer,
 * markers and gate as a running job. Every call settles the whole job: each stage
 * checkpoints (so what it emitted is committed) and the next applies it. Push to the
 * job's sources, move time, read the main output, every internal stream, each stage's
 * state.
 */
export class PipelineHarness extends HarnessOutputs {
  /** {@link endOfInput} was called: the first stage's markers say its inputs ended. */
  private inputEnded = false;

  private constructor(
    readonly clock: ManualClock,
    private readonly stages: Stage[],
    emissions: Emission[],
    readonly metrics: JobMetrics,
    /** The job's sources with event time. */
    private readonly timed: readonly string[],
    /** The stage (the operator's name for the first) each emission came from. */
    private readonly emittedBy: WeakMap<Emission, string>,
  ) {
    super(emissions);
  }

  static async create(options: {
    readonly job: JobSpec;
    readonly processingTime?: number;
  }): Promise<PipelineHarness> {
    checkJob(options.job);
    const clock = new ManualClock(options.processingTime ?? 0);
    const backend = new MemoryStateBackend();
    const metrics = new JobMetrics();
    const emissions: Emission[] = [];
    const emittedBy = new WeakMap<Emission, string>();
    const stages: Stage[] = [];
    for (const [i, segment] of planSegments(options.job).entries()) {
      const id = segment.stage?.id ?? segment.job.operator?.name ?? '';
      const exchange: RawRecord[] = [];
      const writer = segment.feeds ? new ExchangeWriter(segment.feeds, silentLogger) : undefined;
      writer?.attach({
        partitions: 1,
        describe: () => `exchange to "${segment.feeds?.id}"`,
        async send(records: readonly OutgoingRecord[]) {
          for (const r of records) exchange.push({ offset: exchange.length, value: r.value });
        },
        async close() {},
      });
      const task = await StreamTask.open({
        job: segment.job,
        taskId: segmentTaskId(segment, 0),
        partition: 0,
        backend,
        clock,
        logger: silentLogger,
        metrics,
        exchange: i === 0 ? undefined : { source: segment.job.sources[0].name, upstreamTasks: 1 },
        emit: (e, epoch, attempt) => {
          if (writer && e.stream.kind === 'main') writer.route(0, epoch, attempt, e.record);
          else {
            emissions.push(e);
            emittedBy.set(e, id);
          }
        },
        checkFutureEventTimes: options.processingTime !== undefined,
      });
      const fused = (segment.job.keyedStages ?? []).map((s) => s.id);
      stages.push({ id, task, writes: segment.feeds?.input, writer, exchange, read: 0, fused });
    }
    const timed = options.job.sources.filter((s) => s.eventTime).map((s) => s.name);
    return new PipelineHarness(clock, stages, emissions, metrics, timed, emittedBy);
  }

  /** Values of a side output, of every stage or of one (the operator's name for the first). */
  override sideOutput<T = unknown>(tag: string, stage?: string): T[] {
    if (stage !== undefined) this.stageNamed(stage);
    const by = (e: Emission) =>
      e.stream.kind === 'side' && e.stream.stage !== undefined
        ? e.stream.stage
        : this.emittedBy.get(e);
    return this.emissions
      .filter((e) => e.stream.kind === 'side' && e.stream.tag === tag)
      .filter((e) => stage === undefined || by(e) === stage)
      .map((e) => e.record.value as T);
  }

  /** Pushes values to a source of the job as one batch, and lets every stage apply what follows. */
  async push(source: string, ...values: unknown[]): Promise<void> {
    const first = this.stages[0].task;
    let offset = first.positions[source] ?? 0;
    await first.processBatch(
      source,
      values.map((value) => ({ value, offset: offset++ })),
    );
    await this.settle();
  }

  /** Sets the watermark of every event-time source of the job. */
  async advanceWatermark(watermark: number, source?: string): Promise<void> {
    const first = this.stages[0].task;
    for (const name of source ? [source] : this.timed) {
      await first.advanceInputWatermark(name, watermark);
    }
    await this.settle();
  }

  async advanceProcessingTime(ms: number): Promise<void> {
    this.clock.advanceBy(ms);
    for (const stage of this.stages) await stage.task.tick();
    await this.settle();
  }

  /** Ends the job's sources: every event-time timer of every stage fires. */
  async endOfInput(): Promise<void> {
    const first = this.stages[0].task;
    for (const name of first.sourceNames) await first.endInput(name);
    this.inputEnded = true;
    await this.settle();
  }

  /**
   * Values written to an internal stream read by a keyed stage behind a repartition, as
   * that stage got them. (What a fused stage reads never leaves its task: copy it to a
   * sink, `outputs.streams`, to read it.)
   */
  stream<T = unknown>(name: string): T[] {
    const stage = this.stages.find((s) => s.writes === name);
    if (!stage) {
      const names = this.stages.flatMap((s) => (s.writes ? [s.writes] : []));
      throw new RangeError(
        `no keyed stage reads a stream "${name}" (internal streams: ${names.join(', ')})`,
      );
    }
    return stage.exchange.flatMap((r) => {
      const envelope = parseEnvelope(String(r.value));
      return envelope?.x === 'e' ? [JSON.parse(envelope.v) as T] : [];
    });
  }

  /** A state entry of one stage (the operator's name for the first, a fused stage's id too), by key. */
  state<T = unknown>(stage: string, name: string, key: string): Promise<T | undefined> {
    const found = this.stageNamed(stage);
    // a fused stage's state is in the task it is fused into, named after the stage
    const state = found.id === stage ? name : `${stage}.${name}`;
    return found.task.readState(state, key) as Promise<T | undefined>;
  }

  private stageNamed(id: string): Stage {
    const found = this.stages.find((s) => s.id === id || s.fused.includes(id));
    if (!found) {
      const ids = this.stages.flatMap((s) => [s.id, ...s.fused]);
      throw new RangeError(`no stage "${id}" (stages: ${ids.join(', ')})`);
    }
    return found;
  }

  close(): void {
    for (const stage of this.stages) stage.task.close();
  }

  /** Each stage commits what it did and the next one applies it, down to the last. */
  private async settle(): Promise<void> {
    for (const [i, stage] of this.stages.entries()) {
      const upstream = this.stages[i - 1];
      if (upstream) {
        const fresh = upstream.exchange.slice(stage.read);
        stage.read = upstream.exchange.length;
        if (fresh.length > 0) await stage.task.processExchange(fresh);
        if (stage.task.exchangeEnded) await stage.task.endInput(stage.task.sourceNames[0]);
      }
      if (stage.writer) {
        await stage.writer.flush(0);
        const checkpoint = await stage.task.checkpoint();
        // not the task's watermarks: a source without event time keeps none
        const ended = i === 0 ? this.inputEnded : stage.task.exchangeEnded;
        await stage.writer.mark(
          0,
          checkpoint.id,
          stage.task.attempt,
          checkpoint.watermarks.current,
          ended,
        );
      }
    }
  }
}
