import { defaultLogger } from '@stream-gen/runtime';
import { runEmbeddedDemo } from './embedded-demo';

/** `npm start`: ImpressionJoin on the embedded backends over generated data. */
async function main(): Promise<void> {
  const impressions = Number(process.env.DEMO_IMPRESSIONS ?? 50_000);
  const result = await runEmbeddedDemo({
    impressions,
    lateRate: 0.002,
    seed: Number(process.env.DEMO_SEED ?? 42),
    logger: defaultLogger('ImpressionJoin'),
  });
  const perSec = Math.round(result.eventsIn / (result.elapsedMs / 1000));
  console.log(
    [
      'ImpressionJoin on embedded backends',
      `  events in:    ${result.eventsIn}`,
      `  conversions:  ${result.conversions}`,
      `  late:         ${result.late} (routed to the "late" sink)`,
      `  elapsed:      ${result.elapsedMs} ms (${perSec} events/s)`,
      `  reference:    ${result.matchesReference ? 'conversions equal the batch reference join' : 'MISMATCH'}`,
      ...result.mismatches.map((m) => `    ${m}`),
    ].join('\n'),
  );
  if (!result.matchesReference) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
