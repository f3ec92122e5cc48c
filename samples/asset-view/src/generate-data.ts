import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateAssets } from './asset-generator';
import type { AssetEvent } from './model';

const USAGE = `node samples/asset-view/dist/generate-data.js [--out <dir>] [--events <n>] [--seed <n>]

Writes seeded asset events in arrival order (out of order by less than 2 s) to
<dir>/asset-events.jsonl and the full publishes, one after the other, to
<dir>/full-publish.jsonl, one JSON object a line (default dir data/asset-view): the
job's two sources.`;

const jsonLines = (records: readonly AssetEvent[]) =>
  records.map((r) => `${JSON.stringify(r)}\n`).join('');

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/asset-view' },
      events: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    const [events, seed] = [values.events, values.seed].map(Number);
    if (!Number.isInteger(events) || events < 0) throw new Error('--events must be a whole number');
    if (!Number.isFinite(seed)) throw new Error('--seed must be a number');
    const generated = generateAssets({ events, seed });
    const published = generated.fullPublishes.flat();
    const deletes = generated.events.filter((e) => e.op === 'deleted').length;
    mkdirSync(values.out, { recursive: true });
    writeFileSync(join(values.out, 'asset-events.jsonl'), jsonLines(generated.events));
    writeFileSync(join(values.out, 'full-publish.jsonl'), jsonLines(published));
    console.log(
      `wrote ${generated.events.length} events (${deletes} deletes) and ` +
        `${generated.fullPublishes.length} full publishes (${published.length} records) to ${values.out}`,
    );
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
