import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateEvents } from './data-generator';

const USAGE = `node samples/impression-join/dist/generate-data.js [--out <dir>] [--impressions <n>] [--seed <n>] [--late-rate <0..1>]

Writes <dir>/impressions.jsonl and <dir>/plays.jsonl (default dir: data), one JSON
object per line in arrival order: shuffled within the 10 s bound, and the given share
delayed far beyond it (late). Then run the job over them:

  npx stream-gen run ImpressionJoin --project samples/impression-join \\
    --source impressions=data/impressions.jsonl --source plays=data/plays.jsonl \\
    --sink conversions=data/conversions.jsonl --sink late=data/late.jsonl`;

function main(): void {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data' },
      impressions: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '42' },
      'late-rate': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const number = (name: string, raw: string, max = Infinity) => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || n > max)
      throw new Error(`--${name} must be a number in 0..${max}, got "${raw}"`);
    return n;
  };
  const events = generateEvents({
    impressions: number('impressions', values.impressions),
    seed: number('seed', values.seed),
    lateRate: number('late-rate', values['late-rate'], 1),
  });
  mkdirSync(values.out, { recursive: true });
  for (const topic of ['impressions', 'plays'] as const) {
    const lines = events
      .filter((e) => e.topic === topic)
      .map((e) => `${JSON.stringify(e.value)}\n`);
    writeFileSync(join(values.out, `${topic}.jsonl`), lines.join(''));
    console.log(`wrote ${lines.length} ${topic} to ${join(values.out, `${topic}.jsonl`)}`);
  }
}

try {
  main();
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
