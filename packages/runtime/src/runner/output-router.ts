import type { SinkConnector } from '../connectors/connector';
import type { JobSpec } from '../job/job-spec';
import type { OutRecord } from '../records';
import {
  describeStream,
  type DeadLetter,
  type Emission,
  type OutputStream,
} from '../task/output-stream';
import type { Logger } from '../util/logger';

const MAX_LOGGED_DEAD_LETTERS = 20;

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

  constructor(
    private readonly job: JobSpec,
    private readonly sinks: Readonly<Record<string, SinkConnector>>,
    private readonly logger: Logger,
  ) {}

  async open(): Promise<void> {
    for (const sink of Object.values(this.sinks)) await sink.open();
  }

  async close(): Promise<void> {
    for (const sink of Object.values(this.sinks)) await sink.close();
  }

  route(taskId: string, emission: Emission): void {
    let buffer = this.buffers.get(taskId);
    if (!buffer) this.buffers.set(taskId, (buffer = []));
    buffer.push(emission);
  }

  /** Writes the task's buffered outputs; resolves when every sink has them. */
  async flush(taskId: string): Promise<void> {
    const buffer = this.buffers.get(taskId);
    if (!buffer || buffer.length === 0) return;
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
    await Promise.all([...bySink].map(([sink, records]) => this.sinks[sink].write(records)));
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
