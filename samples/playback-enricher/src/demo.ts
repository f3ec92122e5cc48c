import { defaultLogger } from '@stream-gen/runtime';
import { runEmbeddedDemo } from './embedded-demo';

/** `npm run demo`: PlaybackEnricher on the embedded backends against the fake services. */
async function main(): Promise<void> {
  const result = await runEmbeddedDemo({
    plays: Number(process.env.DEMO_PLAYS ?? 2000),
    seed: Number(process.env.DEMO_SEED ?? 42),
    invalidRate: 0.01,
    latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 5),
    errorRate: 0.02,
    brokenProfiles: ['p13'],
    logger: defaultLogger('PlaybackEnricher'),
  });
  const perSec = Math.round(result.eventsIn / (result.elapsedMs / 1000));
  console.log(
    [
      'PlaybackEnricher on embedded backends, against the fake services',
      `  plays in:       ${result.eventsIn}`,
      `  enriched:       ${result.enriched}`,
      `  dead letters:   ${result.deadLetters}`,
      ...Object.entries(result.reasons).map(([reason, n]) => `    ${n} x ${reason}`),
      `  at the service: at most ${result.maxInFlight} calls in flight (cap 8), ${result.maxCallsPerSecond} calls in a second (limit 500, burst 20)`,
      `  elapsed:        ${result.elapsedMs} ms (${perSec} plays/s)`,
      `  accounted for:  ${result.lost.length === 0 && result.duplicated.length === 0 ? 'every play exactly once' : `LOST ${result.lost.length}, TWICE ${result.duplicated.length}`}`,
    ].join('\n'),
  );
  if (result.lost.length > 0 || result.duplicated.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
