import { HEADER_ID, HttpSink, type OutRecord } from '@stream-gen/runtime';
import type { PathCounts } from '../sink-http-server';
import type { Measured } from '../protocol';
import { chunks, measureSinkWrites, type SinkJobParams, type SinkTarget } from './sink-writes';

export interface SinkHttpParams extends SinkJobParams {
  /** The bench's counting server. */
  readonly serverUrl: string;
  readonly format: 'json' | 'elasticsearch-bulk';
  /** `sink`: HttpSink; `raw`: fetch POSTs of the same bodies, built in the window. */
  readonly client: 'sink' | 'raw';
  /** Records per request. */
  readonly batchSize: number;
}

const body = (format: SinkHttpParams['format'], batch: readonly OutRecord[]) =>
  format === 'json'
    ? `[${batch.map((r) => r.encoded).join(',')}]`
    : batch
        .map((r) => `{"index":{"_id":${JSON.stringify(r.headers[HEADER_ID])}}}\n${r.encoded}\n`)
        .join('');

/** What a minimal client does per request: POST, read the answer, check it. */
function rawPost(url: string, format: SinkHttpParams['format']) {
  const contentType = format === 'json' ? 'application/json' : 'application/x-ndjson';
  return async (batch: readonly OutRecord[]) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: body(format, batch),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
    if (format !== 'json' && (JSON.parse(text) as { errors?: boolean }).errors) {
      throw new Error(`_bulk reported errors: ${text.slice(0, 300)}`);
    }
  };
}

/**
 * HttpSink, or fetch POSTing the same bodies, sending the tv-plays records to the
 * bench's server; then the server must have parsed every record, in the number of
 * requests the batch size gives.
 */
export async function sinkHttp(params: SinkHttpParams): Promise<Measured> {
  const pathOf = (name: string) =>
    `/${params.client}-${params.format}-${name}${params.format === 'json' ? '' : '/_bulk'}`;
  const target: SinkTarget = {
    async open(name) {
      const url = `${params.serverUrl}${pathOf(name)}`;
      if (params.client === 'raw') {
        const post = rawPost(url, params.format);
        return async (records) => {
          for (const batch of chunks(records, params.batchSize)) await post(batch);
        };
      }
      const sink = new HttpSink('plays', {
        url,
        format: params.format,
        batchSize: params.batchSize,
      });
      await sink.open();
      return async (records) => {
        const refused = await sink.write(records);
        if (refused.length > 0) throw new Error(`the sink refused ${refused.length} records`);
      };
    },
    async verify(name, records) {
      const response = await fetch(`${params.serverUrl}/counts${pathOf(name)}`);
      const counts = (await response.json()) as PathCounts;
      const requests = chunks(records, params.writeSize).reduce(
        (n, call) => n + Math.ceil(call.length / params.batchSize),
        0,
      );
      if (counts.records !== records.length || counts.bodies !== requests) {
        throw new Error(
          `the server got ${counts.records} records in ${counts.bodies} bodies at ${pathOf(name)}, ` +
            `expected ${records.length} in ${requests}`,
        );
      }
      return { ...counts };
    },
    async close() {},
  };
  const measured = await measureSinkWrites(params, target);
  return {
    ...measured,
    details: {
      ...measured.details,
      format: params.format,
      client: params.client,
      batchSize: params.batchSize,
    },
  };
}
