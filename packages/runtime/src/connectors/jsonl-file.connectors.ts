import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import type { OutRecord, RawRecord } from '../records';
import { ConfigurationError } from '../util/errors';
import type { PartitionReader, ReadResult, SinkConnector, SourceConnector } from './connector';
import { encodeJson } from './json-codec';

/**
 * A JSON-lines file as a bounded source with one partition. The offset of a record
 * is its line number minus one; blank lines are skipped but keep their numbers, so
 * a dead letter's offset points at the right line.
 */
export class JsonlFileSource implements SourceConnector {
  readonly bounded = true;

  constructor(
    readonly name: string,
    private readonly path: string,
  ) {}

  describe(): string {
    return `file ${this.path}`;
  }

  async partitions(): Promise<number> {
    try {
      const stat = await fs.stat(this.path);
      if (!stat.isFile()) throw new Error('not a regular file');
    } catch (error) {
      throw new ConfigurationError(
        `source "${this.name}": cannot read ${this.path} (${(error as Error).message}); pass an existing JSON-lines file`,
      );
    }
    return 1;
  }

  async open(partition: number, fromOffset: number): Promise<PartitionReader> {
    if (partition !== 0)
      throw new RangeError(`file source "${this.name}" has one partition, not ${partition}`);
    const stream = createReadStream(this.path, { encoding: 'utf8' });
    const lines = createInterface({ input: stream, crlfDelay: Infinity })[Symbol.asyncIterator]();
    let lineNo = 0;
    let done = false;
    return {
      async read(maxRecords: number): Promise<ReadResult> {
        const records: RawRecord[] = [];
        while (!done && records.length < maxRecords) {
          const next = await lines.next();
          if (next.done) {
            done = true;
            break;
          }
          const offset = lineNo++;
          if (offset < fromOffset || next.value.trim() === '') continue;
          records.push({ offset, value: next.value });
        }
        return { records, end: done };
      },
      async close() {
        await lines.return?.();
        stream.destroy();
      },
    };
  }
}

/**
 * Writes each record's value as one JSON line. The file is truncated when the sink
 * opens, or, with `append`, written after what it holds.
 */
export class JsonlFileSink implements SinkConnector {
  private handle: fs.FileHandle | undefined;

  constructor(
    readonly name: string,
    private readonly path: string,
    private readonly options: { readonly append?: boolean } = {},
  ) {}

  describe(): string {
    return `file ${this.path}`;
  }

  async open(): Promise<void> {
    try {
      this.handle = await fs.open(this.path, this.options.append ? 'a' : 'w');
    } catch (error) {
      throw new ConfigurationError(
        `sink "${this.name}": cannot write ${this.path} (${(error as Error).message})`,
      );
    }
  }

  async write(records: readonly OutRecord[]): Promise<void> {
    if (!this.handle) throw new Error(`sink "${this.name}" is not open`);
    if (records.length === 0) return;
    await this.handle.write(records.map((r) => (r.encoded ?? encodeJson(r.value)) + '\n').join(''));
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
