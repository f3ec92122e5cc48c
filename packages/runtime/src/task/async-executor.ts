import { errorMessage } from '../util/error-message';
import type { AsyncOperator } from './async-operator';
import type { ReadyElement } from './element-ingest';
import { MAIN_STREAM } from './output-stream';
import type { StageExecutor } from './stage-executor';
import { StepError } from './steps';
import type { TaskFailures } from './task-failures';
import type { TaskOutput } from './task-output';

/**
 * The async enrichment: enriches a batch as a whole and emits each result to the main
 * output; a failed call, or a result that cannot be emitted, fails its element.
 */
export class AsyncExecutor implements StageExecutor {
  constructor(
    private readonly operator: AsyncOperator,
    private readonly output: TaskOutput,
    private readonly failures: TaskFailures,
  ) {}

  async run(source: string, ready: readonly ReadyElement[]): Promise<void> {
    const operator = this.operator;
    await operator.enrichBatch(
      ready.map((r) => r.value),
      (i, result) => {
        const r = ready[i];
        if (result.ok) {
          this.output.setOrigin(r.origin);
          try {
            this.output.emit(MAIN_STREAM, r.key || null, r.timestamp, result.value);
            return;
          } catch (error) {
            const reason =
              error instanceof StepError
                ? error.message
                : `enrichment "${operator.name}" returned ${errorMessage(error)}`;
            this.failures.deadLetter(r.origin, source, r.offset, reason, r.value);
            return;
          }
        }
        const reason = `enrichment "${operator.name}" ${result.reason}`;
        this.failures.reject(reason, new Error(result.reason), r.origin, {
          source,
          offset: r.offset,
          value: r.value,
        });
      },
    );
  }

  close(): void {
    this.operator.close();
  }
}
