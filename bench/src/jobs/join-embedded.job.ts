import { runEmbeddedDemo } from '@stream-gen/sample-impression-join';
import type { Logger } from '@stream-gen/runtime';
import { cpuSeconds } from '../measure-window';
import type { Measured } from '../protocol';

export interface EmbeddedJoinParams {
  readonly impressions: number;
  readonly seed: number;
}

interface Mark {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
}

/**
 * ImpressionJoin on the embedded backends (in-process log, in-memory state), through
 * the sample's runEmbeddedDemo. The window is the runner's run: from its "job ...
 * starting" log line to its "job ... finished" line, so generating the data before and
 * checking against the reference join after are not counted.
 */
export async function joinEmbedded(params: EmbeddedJoinParams): Promise<Measured> {
  const mark = (): Mark => ({ at: performance.now(), cpu: process.cpuUsage() });
  let start: Mark | undefined;
  let end: Mark | undefined;
  const watch = (message: string) => {
    if (/^job \S+ starting/.test(message)) start = mark();
    else if (/^job \S+ (finished|stopped)/.test(message)) end = mark();
  };
  const logger: Logger = {
    debug: () => undefined,
    info: watch,
    warn: (m) => process.stderr.write(`[bench join-embedded] ${m}\n`),
    error: (m) => process.stderr.write(`[bench join-embedded] ${m}\n`),
  };
  const whole = mark();
  const result = await runEmbeddedDemo({
    impressions: params.impressions,
    seed: params.seed,
    logger,
  });
  const marked = start !== undefined && end !== undefined;
  const from = start ?? whole;
  const to = end ?? mark();
  if (!result.matchesReference) {
    throw new Error(
      `join-embedded: conversions differ from the reference join: ${result.mismatches.join('; ')}`,
    );
  }
  return {
    events: result.eventsIn,
    windowMs: marked ? to.at - from.at : result.elapsedMs,
    cpuSeconds: cpuSeconds(from.cpu, to.cpu),
    redisRoundTrips: null,
    details: {
      conversions: result.conversions,
      late: result.late,
      matchesReference: result.matchesReference,
      window: marked ? 'runner run' : 'whole call (log lines not found)',
    },
  };
}
