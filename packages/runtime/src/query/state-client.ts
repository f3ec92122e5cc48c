import { StreamGenError } from '../util/errors';
import { SERVED_BY_HEADER } from './state-endpoint';

/** One answer of a job to a state query. */
export interface StateReading<T> {
  /** The key's value, undefined when it has none. */
  readonly value: T | undefined;
  /** The task that holds the key. */
  readonly task: string;
  /** That task's latest checkpoint: the value is the live state, maybe with changes after it. */
  readonly checkpoint: number;
  /** The process that answered (the owner, when the one asked forwarded the query). */
  readonly servedBy: string;
}

export interface StateClientOptions {
  /** How many times a 503 (the key's task is moving) is asked again, after its `Retry-After` (default 10). */
  readonly retries?: number;
  /** Time limit of each request, ms (default 5000). */
  readonly timeoutMs?: number;
}

/** A query the job refused: no such stage or state (404), or the key still moving after the retries (503). */
export class StateQueryError extends StreamGenError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'StateQueryError';
  }
}

/**
 * Reads keyed state from a running job over its HTTP port (`STREAM_GEN_HTTP_PORT`), any
 * instance of it: a key another instance owns is forwarded there. Typed by the caller:
 * `await new StateClient(url).get<CachedAssets>('AssetView', 'assets', 'cdn-1:m-007')`.
 */
export class StateClient {
  constructor(
    private readonly baseUrl: string,
    private readonly options: StateClientOptions = {},
  ) {}

  /** The key's value, undefined when it has none. */
  async get<T>(stage: string, state: string, key: string): Promise<T | undefined> {
    return (await this.read<T>(stage, state, key)).value;
  }

  /** The key's value with where it came from. */
  async read<T>(stage: string, state: string, key: string): Promise<StateReading<T>> {
    const path = [stage, state, key].map(encodeURIComponent).join('/');
    const url = `${this.baseUrl.replace(/\/+$/, '')}/state/${path}`;
    const retries = this.options.retries ?? 10;
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
      });
      const body = (await response.json().catch(() => ({}))) as {
        value?: T | null;
        task?: string;
        checkpoint?: number;
        error?: string;
      };
      if (response.ok) {
        return {
          value: body.value ?? undefined,
          task: body.task ?? '',
          checkpoint: body.checkpoint ?? 0,
          servedBy: response.headers.get(SERVED_BY_HEADER) ?? '',
        };
      }
      if (response.status !== 503 || attempt >= retries) {
        throw new StateQueryError(
          `state ${stage}.${state}[${key}] at ${this.baseUrl}: ${response.status} ${body.error ?? response.statusText}`,
          response.status,
        );
      }
      const waitS = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((r) => setTimeout(r, (Number.isFinite(waitS) ? waitS : 1) * 1000));
    }
  }
}
