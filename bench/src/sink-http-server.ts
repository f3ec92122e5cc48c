import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one path of the server received. */
export interface PathCounts {
  readonly bodies: number;
  readonly records: number;
  readonly bytes: number;
}

export interface SinkHttpServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The receiving end of the sink-http workload, run in the bench process: it parses every
 * body it is POSTed and counts its records per path. A path ending in `/_bulk` takes
 * Elasticsearch `_bulk` NDJSON (an `index` action with an `_id`, then the document) and
 * answers as Elasticsearch does, an item per action; any other path a JSON array.
 * `GET /counts<path>` answers the counts of `<path>`, so the job can check that every
 * record arrived.
 */
export async function startSinkHttpServer(): Promise<SinkHttpServer> {
  const counts = new Map<string, PathCounts>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url.startsWith('/counts/')) {
      const counted = counts.get(url.slice('/counts'.length));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(counted ?? { bodies: 0, records: 0, bytes: 0 }));
      return;
    }
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8');
      let records: number;
      let answer: string;
      try {
        if (url.endsWith('/_bulk')) {
          const lines = body.split('\n').filter((line) => line.length > 0);
          const items: unknown[] = [];
          for (let i = 0; i < lines.length; i += 2) {
            const action = JSON.parse(lines[i]) as { index?: { _id?: string } };
            JSON.parse(lines[i + 1] ?? '');
            items.push({ index: { _id: action.index?._id, status: 201 } });
          }
          records = items.length;
          answer = JSON.stringify({ took: 1, errors: false, items });
        } else {
          records = (JSON.parse(body) as unknown[]).length;
          answer = JSON.stringify({ accepted: records });
        }
      } catch (error) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(error));
        return;
      }
      const before = counts.get(url) ?? { bodies: 0, records: 0, bytes: 0 };
      counts.set(url, {
        bodies: before.bodies + 1,
        records: before.records + records,
        bytes: before.bytes + Buffer.byteLength(body),
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
