import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePlayLog } from './data-generator';

const USAGE = `node samples/playback-enricher/dist/generate-data.js [--out <file>] [--lines <n>] [--seed <n>] [--invalid-rate <0..1>]

Writes seeded play-log lines, each a JSON string on a line of its own (default
data/plays.jsonl), with the given share of lines the parser refuses. Then, with the
fake services running (node samples/playback-enricher/dist/fake-services.main.js),
run the job over them:

  PLAYBACK_HISTORY_URL=http://127.0.0.1:7070 VIDEO_METADATA_URL=http://127.0.0.1:7070 \\
    npx stream-gen run PlaybackEnricher --project samples/playback-enricher \\
    --source plays=data/plays.jsonl --sink enriched=data/enriched.jsonl \\
    --sink dead-letters=data/dead-letters.jsonl`;

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/plays.jsonl' },
      lines: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '42' },
      'invalid-rate': { type: 'string', default: '0.01' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    const [lines, seed, invalidRate] = [values.lines, values.seed, values['invalid-rate']].map(
      Number,
    );
    if (![lines, seed, invalidRate].every(Number.isFinite) || invalidRate < 0 || invalidRate > 1) {
      throw new Error('--lines and --seed must be numbers, --invalid-rate a number in 0..1');
    }
    const generated = generatePlayLog({ lines, seed, invalidRate });
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, generated.map((g) => `${JSON.stringify(g.line)}\n`).join(''));
    const plays = generated.reduce((sum, g) => sum + g.playIds.length, 0);
    console.log(`wrote ${generated.length} lines (${plays} plays to enrich) to ${values.out}`);
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
