/**
 * A router's routes share a task: while one route's sink refuses writes (an HTTP
 * server answering 503), the sink is retried with backoff, the task waits (the other
 * routes with it: back-pressure, no buffer beyond the batch being written), and once
 * the server answers again every record of every route is written, none lost or twice.
 */
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchRouter, type Logger, type RouterSpec } from '../src';

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

  it('is retried until it takes the records; the routes beside it lose nothing', async () => {
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
      env: { STREAM_GEN_FILE_BATCH_SIZE: '100' },
      logger,
    });
    fastOut = () => running.routeMetrics().fast?.out ?? 0;
    await running.runAll();
    // the fault happened: four writes failed and were retried with backoff
    expect(refusing).toBe(0);
    expect(warnings.filter((w) => /to sink "slow" failed \(attempt \d\)/.test(w))).toHaveLength(4);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250 + 500 + 1000 + 2000);
    expect(received).toEqual(plays);
    // back-pressure: while the sink was away the other route got no further than the
    // batch being written (its 50 even ids of the first 100 records)
    expect(fastAtRefusals).toEqual([50, 50, 50, 50]);
    expect(running.routeMetrics()).toEqual({
      slow: { in: 300, filtered: 0, out: 300, extra: 0, failed: 0 },
      fast: { in: 300, filtered: 150, out: 150, extra: 0, failed: 0 },
    });
  });
});
