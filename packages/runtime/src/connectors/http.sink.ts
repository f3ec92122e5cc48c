import { HEADER_ID, type OutRecord } from '../records';
import type { SinkConnector, SinkRefusal } from './connector';
import { encodeJson } from './json-codec';

export interface HttpSinkOptions {
  readonly url: string;
  /**
   * `json` (default): a POST of a JSON array of the records' values.
   * `elasticsearch-bulk`: a POST of `_bulk` NDJSON, an `index` action per record with
   * its `stream-gen-id` as `_id` (so a record written again replaces its document).
   */
  readonly format?: 'json' | 'elasticsearch-bulk';
  /** The `_index` of bulk actions (else the one in the URL, `/<index>/_bulk`). */
  readonly index?: string;
  /** Records per request (default 500). */
  readonly batchSize?: number;
  readonly timeoutMs?: number;
}

/**
 * A response that says the records are wrong: sending them again gives the same. Not
 * 408 or 429 (try later), 401 or 403 (credentials, mended by someone), or 413 (the
 * batch is too large: sent again in halves, down to one record).
 */
const isRefusal = (status: number) =>
  status >= 400 && status < 500 && ![401, 403, 408, 413, 429].includes(status);

/**
 * POSTs records in batches. A network error, a timeout, 401, 403, 408, 429 or 5xx fails
 * the write (the runner retries it with backoff); another 4xx refuses the batch's records for good
 * (dead letters, with the status and body). With the bulk format, the items a 200
 * response reports as failed with such a status are refused, one by one.
 */
export class HttpSink implements SinkConnector {
  constructor(
    readonly name: string,
    private readonly options: HttpSinkOptions,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  describe(): string {
    return `HTTP POST ${this.options.url}${this.options.format === 'elasticsearch-bulk' ? ' (Elasticsearch _bulk)' : ''}`;
  }

  async open(): Promise<void> {}

  async write(records: readonly OutRecord[]): Promise<readonly SinkRefusal[]> {
    const refused: SinkRefusal[] = [];
    const size = Math.max(1, this.options.batchSize ?? 500);
    for (let i = 0; i < records.length; i += size) {
      refused.push(...(await this.post(records.slice(i, i + size))));
    }
    return refused;
  }

  async close(): Promise<void> {}

  private async post(batch: readonly OutRecord[]): Promise<SinkRefusal[]> {
    const bulk = this.options.format === 'elasticsearch-bulk';
    const response = await this.fetchFn(this.options.url, {
      method: 'POST',
      headers: { 'content-type': bulk ? 'application/x-ndjson' : 'application/json' },
      body: bulk ? this.bulkBody(batch) : `[${batch.map(encoded).join(',')}]`,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    if (response.status === 413) {
      if (batch.length === 1)
        return [{ record: batch[0], reason: `HTTP 413: ${text.slice(0, 300)}` }];
      const half = Math.ceil(batch.length / 2);
      return [...(await this.post(batch.slice(0, half))), ...(await this.post(batch.slice(half)))];
    }
    if (isRefusal(response.status)) {
      const reason = `HTTP ${response.status}: ${text.slice(0, 300)}`;
      return batch.map((record) => ({ record, reason }));
    }
    if (!response.ok)
      throw new Error(`HTTP ${response.status} from ${this.options.url}: ${text.slice(0, 300)}`);
    return bulk ? bulkRefusals(batch, text) : [];
  }

  private bulkBody(batch: readonly OutRecord[]): string {
    const index = this.options.index;
    return batch
      .map((record) => {
        const action = {
          index: { ...(index ? { _index: index } : {}), _id: record.headers[HEADER_ID] },
        };
        return `${JSON.stringify(action)}\n${encoded(record)}\n`;
      })
      .join('');
  }
}

const encoded = (record: OutRecord) => record.encoded ?? encodeJson(record.value);

interface BulkItem {
  readonly status?: number;
  readonly error?: unknown;
}

/** The items of a `_bulk` response that failed for good; one that may pass later fails the write. */
function bulkRefusals(batch: readonly OutRecord[], text: string): SinkRefusal[] {
  let body: { errors?: boolean; items?: Array<Record<string, BulkItem>> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`the _bulk response is not JSON: ${text.slice(0, 200)}`);
  }
  if (!body.errors) return [];
  const refused: SinkRefusal[] = [];
  (body.items ?? []).forEach((item, i) => {
    const result = Object.values(item)[0] ?? {};
    const status = result.status ?? 200;
    if (status < 300) return;
    if (!isRefusal(status))
      throw new Error(`_bulk item ${i} failed with ${status}: ${JSON.stringify(result.error)}`);
    refused.push({ record: batch[i], reason: `_bulk ${status}: ${JSON.stringify(result.error)}` });
  });
  return refused;
}
