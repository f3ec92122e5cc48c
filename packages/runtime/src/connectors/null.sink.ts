import type { OutRecord } from '../records';
import type { SinkConnector } from './connector';

/** Drops what it is given, and counts it (a route kept for its metrics, or switched off). */
export class NullSink implements SinkConnector {
  /** Records dropped since the sink was made. */
  dropped = 0;

  constructor(readonly name: string) {}

  describe(): string {
    return 'null (drops and counts)';
  }

  async open(): Promise<void> {}

  async write(records: readonly OutRecord[]): Promise<void> {
    this.dropped += records.length;
  }

  async close(): Promise<void> {}
}
