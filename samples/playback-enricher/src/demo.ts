import { defaultLogger } from '@stream-gen/runtime';
import { runEmbeddedDemo } from './embedded-demo';

/** `npm run demo`: PlaybackEnricher on the embedded backends against the fake services. */
async function main(): Promise<void> {
  const result = await runEmbeddedDemo({
    lines: Number(process.env.DEMO_LINES ?? 1000),
    seed: Number(process.env.DEMO_SEED ?? 42),
    invalidRate: 0.01,
    latencyMs: Number(process.env.DEMO_LATENCY_MS ?? 5),
    errorRate: 0.02,
    brokenProfiles: ['p13'],
    logger: defaultLogger('PlaybackEnricher'),
  });
  const perSec = Math.round(result.playsToEnrich / (result.elapsedMs / 1000));
  const ok = result.lost.length + result.duplicated.length + result.unexpected.length === 0;
  const accounted = ok
    ? 'every line and play exactly once'
    : `LOST ${result.lost.length}, TWICE ${result.duplicated.length}, UNEXPECTED ${result.unexpected.length}`;
  console.log(
    [
      'PlaybackEnricher on embedded backends, against the fake services',
      `  lines in:       ${result.linesIn}`,
      `  to enrich:      ${result.playsToEnrich} plays (the filter dropped ${result.dropped} of zero duration)`,
      `  enriched:       ${result.enriched}`,
      `  dead letters:   ${result.deadLetters}`,
      ...Object.entries(result.reasons).map(([reason, n]) => `    ${n} x ${reason}`),
      `  at the service: at most ${result.maxInFlight} calls in flight (cap 8), ${result.maxCallsPerSecond} calls in a second (limit 500, burst 20)`,
      `  elapsed:        ${result.elapsedMs} ms (${perSec} plays/s)`,
      `  accounted for:  ${accounted}`,
    ].join('\n'),
  );
  if (!ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
