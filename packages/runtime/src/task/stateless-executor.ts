import { errorMessage } from '../util/error-message';
import type { ReadyElement } from './element-ingest';
import { MAIN_STREAM } from './output-stream';
import type { StageExecutor } from './stage-executor';
import type { TaskFailures } from './task-failures';
import type { TaskOutput } from './task-output';

/**
 * No operator (or a source the operator does not read): each element goes to the main
 * output as it is; one that cannot be emitted goes to the dead letters.
 */
export class StatelessExecutor implements StageExecutor {
  constructor(
    private readonly output: TaskOutput,
    private readonly failures: TaskFailures,
  ) {}

  async run(source: string, ready: readonly ReadyElement[]): Promise<void> {
    for (const r of ready) {
      this.output.setOrigin(r.origin);
      try {
        this.output.emit(MAIN_STREAM, null, r.timestamp, r.value);
      } catch (error) {
        this.failures.deadLetter(r.origin, source, r.offset, errorMessage(error), String(r.value));
      }
    }
  }
}
