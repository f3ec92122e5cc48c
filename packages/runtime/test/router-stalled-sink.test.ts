/**
 * A router's routes share a task: while one route's sink refuses writes (an HTTP
 * server answering 503), the sink is retried with backoff; the other routes go on
 * while the stalled sink holds at most its buffer of records not yet written, then
 * the task waits (back-pressure); once the server answers again every record of every
 * route is written, none lost or twice.
 */
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchRouter, type Logger, type RouterSpec } from '../src';
import { ROUTE_SINK_BUFFER_RECORDS } from '../src/router/launch-router';

describe('a stalled route sink', () => {
  let dir: string;
  let server: Server;
  let url: string;
  const received: unknown[] = [];
  let refusing = 0;
  /** The fast route's outputs so far, at each refused POST. */
  const fastAtRefusals: number[] = [];
  let fastOut = () => -1;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-stall-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        if (refusing > 0) {
          refusing--;
          fastAtRefusals.push(fastOut());
          res.writeHead(503).end('busy');
          return;
        }
        received.push(...(JSON.parse(body) as unknown[]));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** 300 plays in batches of 100 through a `slow` route (the HTTP sink) and a `fast` one (null). */
  async function runStalled(env: Record<string, string>) {
    received.length = 0;
    fastAtRefusals.length = 0;
    const plays = Array.from({ length: 300 }, (_, id) => ({ id }));
    fs.writeFileSync(path.join(dir, 'plays.jsonl'), plays.map((p) => JSON.stringify(p)).join('\n'));
    const router: RouterSpec = {
      name: 'Stall',
      source: { topic: 'plays' },
      routes: [
        { name: 'slow', sink: { kind: 'http', url } },
        { name: 'fast', filter: (p: { id: number }) => p.id % 2 === 0, sink: { kind: 'null' } },
      ],
    };
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => warnings.push(m),
      error: (m) => warnings.push(m),
    };
    // the first four POSTs are refused: the sink is away for four retries (250+500+1000+2000 ms)
    refusing = 4;
    const started = Date.now();
    const running = launchRouter(router, {
      bindings: { sourceFiles: { plays: path.join(dir, 'plays.jsonl') }, sinkFiles: {} },
      env: { STREAM_GEN_FILE_BATCH_SIZE: '100', ...env },
      logger,
    });
    fastOut = () => running.routeMetrics().fast?.out ?? 0;
    await running.runAll();
    // the fault happened: four writes failed and were retried with backoff
    expect(refusing).toBe(0);
    expect(warnings.filter((w) => /to sink "slow" failed \(attempt \d\)/.test(w))).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250 + 500 + 1000 + 2000);
    expect(received).toEqual(plays);
    expect(running.routeMetrics()).toEqual({
      slow: { in: 300, filtered: 0, out: 300, extra: 0, failed: 0 },
      fast: { in: 300, filtered: 150, out: 150, extra: 0, failed: 0 },
    });
  }

  it('without a buffer, holds the routes beside it at the batch being written', async () => {
    await runStalled({ STREAM_GEN_SINK_BUFFER_RECORDS: '0' });
    // the other route got no further than the first batch (its 50 even ids of 100 records)
    expect(fastAtRefusals).toEqual([50, 50, 50, 50]);
  });

  it('with a buffer of 150, lets the routes beside it go on until 150 records wait', async () => {
    await runStalled({ STREAM_GEN_SINK_BUFFER_RECORDS: '150' });
    // two batches wait for the slow sink (200 > 150): the fast route has their 100, no more
    expect(fastAtRefusals.at(-1)).toBe(100);
  });

  it(`with the router's default buffer (${ROUTE_SINK_BUFFER_RECORDS}), lets the other routes finish`, async () => {
    await runStalled({});
    expect(fastAtRefusals.at(-1)).toBe(150);
  });
});
