import { createServer, type Server, type ServerResponse } from 'node:http';
import { errorMessage } from '../util/error-message';
import {
  answerStateRequest,
  parseStatePath,
  type StateEndpointTarget,
} from '../query/state-endpoint';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { JobMetrics, StageMetrics } from '../task/metrics';
import type { TaskStatus } from '../task/stream-task';
import type { Logger } from '../util/logger';
import { jobMetricsRegistry } from './prometheus-metrics';
import type { Snapshots } from './snapshot-loader';

export interface Observable {
  readonly metrics: JobMetrics;
  status(): TaskStatus[];
  /** Makes a checkpoint of every task due now (`POST /flush`: views publish after it). */
  requestCheckpoint?(): void;
  /** The snapshots of its sources, loaded again on `POST /snapshot/<source>`. */
  readonly snapshots?: Snapshots;
  /** A job of several stages: each stage's counters, written with a `stage` label. */
  stageMetrics?(): readonly StageMetrics[];
  /** A router: each route's counts, written with `route` and `outcome` labels. */
  routeMetrics?(): Readonly<
    Record<string, Readonly<Record<'in' | 'filtered' | 'out' | 'failed', number>>>
  >;
}

export interface StatusServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `GET /health` (JSON: the tasks this process runs, their watermarks and positions),
 * `GET /metrics` (Prometheus text, see `prometheus-metrics.ts`: the job's counters, its
 * checkpoints, each task's watermark and the process's metrics) and
 * `POST /flush` (a checkpoint of every task now, after which its views publish) and
 * `GET /state/<stage>/<state>/<key>` (a key of keyed state, see `query/state-endpoint.ts`).
 */
export async function startStatusServer(
  port: number,
  job: string,
  target: Observable,
  logger: Logger,
  /** `GET /state/<stage>/<state>/<key>` (queryable state), when the job answers queries. */
  state?: StateEndpointTarget,
): Promise<StatusServer> {
  const metrics = jobMetricsRegistry(job, target);
  const server: Server = createServer((req, res) => {
    const query = req.method === 'GET' ? parseStatePath(req.url ?? '') : undefined;
    if (query && state) {
      void answerStateRequest(req, res, query, state);
    } else if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', job, tasks: target.status() }));
    } else if (req.url === '/flush' && req.method === 'POST' && target.requestCheckpoint) {
      // the checkpoint is taken after each task's current call; its views publish after it
      target.requestCheckpoint();
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'checkpoint requested', tasks: target.status().length }));
    } else if (req.method === 'POST' && req.url?.startsWith('/snapshot/')) {
      snapshotRequest(decodeURIComponent(req.url.slice('/snapshot/'.length)), res, target, logger);
    } else if (req.url === '/metrics') {
      void writeMetrics(res, metrics);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('try /health, /metrics, POST /flush or /state/<stage>/<state>/<key>\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info(`status on http://localhost:${bound}/health and /metrics`);
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Starts loading a source's snapshot again: 202 at once (the load logs when done), 404 for a source without one. */
function snapshotRequest(
  source: string,
  res: ServerResponse,
  target: Observable,
  logger: Logger,
): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const { snapshots } = target;
  if (!snapshots?.sources.includes(source)) {
    return json(404, {
      error: `source "${source}" has no snapshot (STREAM_GEN_SNAPSHOTS names ${snapshots?.sources.join(', ') || 'none'})`,
    });
  }
  snapshots.load(source).catch((error: unknown) => {
    logger.warn(`snapshot of ${source}: ${errorMessage(error)}`);
  });
  json(202, { status: 'loading', source });
}

/** The registry's text exposition, or a 500 saying why (a metric's read that threw). */
async function writeMetrics(res: ServerResponse, registry: Registry): Promise<void> {
  try {
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(text);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`metrics: ${errorMessage(error)}\n`);
  }
}
