import type { OutRecord } from '../records';
import type { DeadLetter } from '../task/output-stream';
import type { Logger } from '../util/logger';
import type { SinkConnector } from './connector';

/**
 * A sink that is not bound to anything in a file run: its records are logged (dead
 * letters with their reason) and counted, so none disappears without a trace.
 */
export class LoggingSink implements SinkConnector {
  private written = 0;

  constructor(
    readonly name: string,
    private readonly logger: Logger,
    private readonly maxLogged = 20,
  ) {}

  describe(): string {
    return 'not bound: records are logged';
  }

  async open(): Promise<void> {}

  async write(records: readonly OutRecord[]): Promise<void> {
    for (const record of records) {
      if (this.written++ >= this.maxLogged) continue;
      const letter = record.value as Partial<DeadLetter>;
      this.logger.warn(
        typeof letter?.reason === 'string'
          ? `sink "${this.name}": ${letter.source} offset ${letter.offset}: ${letter.reason}`
          : `sink "${this.name}": ${JSON.stringify(record.value)}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.written > this.maxLogged) {
      this.logger.warn(
        `sink "${this.name}": ${this.written} records in all, ${this.maxLogged} logged`,
      );
    }
  }
}
