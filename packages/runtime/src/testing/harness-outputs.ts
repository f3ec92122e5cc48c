import type { OutRecord } from '../records';
import type { DeadLetter, Emission } from '../task/output-stream';

/** What a harness read of a job's outputs: the main output, side outputs, dead letters. */
export class HarnessOutputs {
  protected constructor(protected readonly emissions: Emission[]) {}

  /** Values emitted to the main output, in order. */
  output<T = unknown>(): T[] {
    return this.records('main').map((r) => r.value as T);
  }

  /** Values of a side output (for example `late`). */
  sideOutput<T = unknown>(tag: string): T[] {
    return this.emissions
      .filter((e) => e.stream.kind === 'side' && e.stream.tag === tag)
      .map((e) => e.record.value as T);
  }

  /** Values copied from a stream of the job to its sink (`outputs.streams`), in order. */
  copied<T = unknown>(stream: string): T[] {
    return this.emissions
      .filter((e) => e.stream.kind === 'stream' && e.stream.name === stream)
      .map((e) => e.record.value as T);
  }

  deadLetters(): DeadLetter[] {
    return this.records('dead-letter').map((r) => r.value as DeadLetter);
  }

  /** Every output record with its headers (ids), in emission order. */
  records(kind?: Emission['stream']['kind']): OutRecord[] {
    return this.emissions.filter((e) => !kind || e.stream.kind === kind).map((e) => e.record);
  }

  clearOutputs(): void {
    this.emissions.length = 0;
  }
}
