import { Injectable } from '@nestjs/common';

type Env = Record<string, string | undefined>;

/** Settings of the join, from the environment, injected into the job by Nest. */
@Injectable()
export class JoinConfig {
  /** Impressions count for a play when at most this long before it (IMPRESSION_JOIN_WINDOW_MS, default 1 h). */
  readonly windowMs: number = windowFrom(process.env);

  /** A config read from `env` instead of the process environment (tests, demos). */
  static from(env: Env): JoinConfig {
    return Object.assign(new JoinConfig(), { windowMs: windowFrom(env) });
  }
}

function windowFrom(env: Env): number {
  const raw = env.IMPRESSION_JOIN_WINDOW_MS;
  const windowMs = raw === undefined ? 3_600_000 : Number(raw);
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`IMPRESSION_JOIN_WINDOW_MS must be a positive number of ms, got "${raw}"`);
  }
  return windowMs;
}
