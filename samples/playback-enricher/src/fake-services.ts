import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PlaybackHistory, TitleMetadata } from './model';

export interface FakeServiceOptions {
  /** Delay of every answer, ms. */
  readonly latencyMs?: number;
  /** Share of history calls answered 503 (deterministic: every n-th call). */
  readonly errorRate?: number;
  /** Profiles whose history always fails (to reach the dead letters). */
  readonly brokenProfiles?: readonly string[];
  readonly titles?: readonly TitleMetadata[];
}

/**
 * The playback-history and video-metadata services in one local HTTP server, with
 * configurable latency and error rate. It measures what the enricher must respect:
 * calls in flight at once, and calls started in any one-second window.
 */
export class FakeServices {
  private server: Server | undefined;
  private inFlight = 0;
  maxInFlight = 0;
  readonly callTimes: number[] = [];
  historyCalls = 0;
  /** Loads of the title table (`GET /titles`). */
  titleLoads = 0;

  constructor(private readonly options: FakeServiceOptions = {}) {}

  /** Listens on 127.0.0.1:`port` (0: a free port) and resolves to the base URL. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/titles') {
        this.titleLoads++;
        return this.answer(res, 200, this.options.titles ?? defaultTitles());
      }
      const match = /^\/history\/([^/?]+)$/.exec(url);
      if (!match) return this.answer(res, 404, { error: 'not found' });
      const profileId = decodeURIComponent(match[1]);
      this.historyCalls++;
      this.callTimes.push(Date.now());
      this.inFlight++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const every = this.options.errorRate ? Math.round(1 / this.options.errorRate) : 0;
      const failing =
        this.options.brokenProfiles?.includes(profileId) ||
        (every > 0 && this.historyCalls % every === 0);
      setTimeout(() => {
        this.inFlight--;
        if (failing) return this.answer(res, 503, { error: 'unavailable' });
        const history: PlaybackHistory = {
          profileId,
          recentTitleIds: ['t1', 't3'],
          totalPlays: profileId.length * 7,
        };
        this.answer(res, 200, history);
      }, this.options.latencyMs ?? 5);
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '127.0.0.1', resolve);
    });
    const bound = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${bound}`;
  }

  /** Most history calls started within any 1000 ms window. */
  maxCallsPerSecond(): number {
    let most = 0;
    let start = 0;
    const times = [...this.callTimes].sort((a, b) => a - b);
    for (let end = 0; end < times.length; end++) {
      while (times[end] - times[start] >= 1000) start++;
      most = Math.max(most, end - start + 1);
    }
    return most;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private answer(res: import('node:http').ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

export function defaultTitles(): TitleMetadata[] {
  return Array.from({ length: 10 }, (_, i) => ({
    titleId: `t${i}`,
    name: `Title ${i}`,
    genre: ['drama', 'comedy', 'documentary'][i % 3],
    runtimeMs: (40 + i * 10) * 60_000,
  }));
}
