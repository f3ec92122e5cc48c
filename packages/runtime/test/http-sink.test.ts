/**
 * HttpSink against a real node:http server on a free loopback port, which records every
 * request and answers as each test tells it to.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SinkRefusal } from '../src/connectors/connector';
import { HttpSink, type HttpSinkOptions } from '../src/connectors/http.sink';
import { HEADER_ID, type OutRecord } from '../src/records';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

interface Answer {
  readonly status: number;
  readonly body?: string;
}

let server: http.Server;
let base: string;
let received: Received[] = [];
/** How the server answers a request; each test sets its own. */
let answer: (request: Received) => Answer = () => ({ status: 200 });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(request);
      const { status, body = '' } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
  answer = () => ({ status: 200 });
});

function sink(options: Partial<HttpSinkOptions> & { path: string }): HttpSink {
  const { path, ...rest } = options;
  return new HttpSink('plays', { url: `${base}${path}`, timeoutMs: 5000, ...rest });
}

function record(id: string, value: unknown): OutRecord {
  return { key: null, value, headers: { [HEADER_ID]: id }, timestamp: 0 };
}

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => record(`id-${i + 1}`, { n: i + 1 }));

describe('HttpSink, json format', () => {
  it('POSTs the values as a JSON array, batchSize records per request', async () => {
    const json = sink({ path: '/ingest', batchSize: 2 });

    expect(await json.write(records(5))).toEqual([]);

    expect(received.map((r) => [r.method, r.url, r.contentType])).toEqual([
      ['POST', '/ingest', 'application/json'],
      ['POST', '/ingest', 'application/json'],
      ['POST', '/ingest', 'application/json'],
    ]);
    expect(received.map((r) => JSON.parse(r.body))).toEqual([
      [{ n: 1 }, { n: 2 }],
      [{ n: 3 }, { n: 4 }],
      [{ n: 5 }],
    ]);
  });

  it('refuses the batch of a 400, with the status and the body as the reason', async () => {
    answer = () => ({ status: 400, body: '{"error":"field n is not allowed"}' });
    const batch = records(2);

    const refused = await sink({ path: '/ingest' }).write(batch);

    const reason = 'HTTP 400: {"error":"field n is not allowed"}';
    expect(refused).toEqual(batch.map((r) => ({ record: r, reason })));
  });

  it.each([503, 408, 429])('rejects the write on a %i, so that it is retried', async (status) => {
    answer = () => ({ status, body: 'try later' });

    await expect(sink({ path: '/ingest' }).write(records(1))).rejects.toThrow(
      `HTTP ${status} from ${base}/ingest: try later`,
    );
  });

  it('rejects the write when nothing listens at the address', async () => {
    // a port just given up by a listener: connections to it are refused at once
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const away = new HttpSink('plays', { url: `http://127.0.0.1:${port}/ingest`, timeoutMs: 5000 });

    await expect(away.write(records(1))).rejects.toThrow('fetch failed');
  });
});

describe('HttpSink, elasticsearch-bulk format', () => {
  /** A `_bulk` answer: one `index` item per action, of these statuses. */
  const bulkAnswer = (statuses: number[]): Answer => ({
    status: 200,
    body: JSON.stringify({
      took: 1,
      errors: statuses.some((s) => s >= 300),
      items: statuses.map((status, i) => ({
        index: {
          _index: 'plays',
          _id: `id-${i + 1}`,
          status,
          ...(status >= 300 && { error: { type: 'document_parsing_exception', status } }),
        },
      })),
    }),
  });

  it('POSTs NDJSON, an index action with the stream-gen-id as _id before each record', async () => {
    answer = () => bulkAnswer([201, 201]);
    const bulk = sink({ path: '/_bulk', format: 'elasticsearch-bulk', index: 'plays' });

    expect(await bulk.write(records(2))).toEqual([]);

    expect(received).toEqual([
      {
        method: 'POST',
        url: '/_bulk',
        contentType: 'application/x-ndjson',
        body:
          '{"index":{"_index":"plays","_id":"id-1"}}\n{"n":1}\n' +
          '{"index":{"_index":"plays","_id":"id-2"}}\n{"n":2}\n',
      },
    ]);
  });

  it('leaves _index out of the actions when the index is in the URL', async () => {
    answer = () => bulkAnswer([201]);

    await sink({ path: '/plays/_bulk', format: 'elasticsearch-bulk' }).write(records(1));

    expect(received.map((r) => [r.url, r.body])).toEqual([
      ['/plays/_bulk', '{"index":{"_id":"id-1"}}\n{"n":1}\n'],
    ]);
  });

  it('refuses exactly the record whose item failed with a 400, the others written', async () => {
    answer = () => bulkAnswer([201, 400, 200]);
    const batch = records(3);

    const refused: readonly SinkRefusal[] = await sink({
      path: '/_bulk',
      format: 'elasticsearch-bulk',
      index: 'plays',
    }).write(batch);

    expect(refused).toEqual([
      {
        record: batch[1],
        reason: '_bulk 400: {"type":"document_parsing_exception","status":400}',
      },
    ]);
  });

  it('rejects the write when an item failed with a 429, so that the batch is retried', async () => {
    answer = () => bulkAnswer([201, 429]);

    await expect(
      sink({ path: '/_bulk', format: 'elasticsearch-bulk', index: 'plays' }).write(records(2)),
    ).rejects.toThrow(/_bulk item 1 failed with 429/);
  });
});
