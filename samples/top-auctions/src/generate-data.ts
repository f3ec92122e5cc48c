import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateBids } from './bid-generator';

const USAGE = `node samples/top-auctions/dist/generate-data.js [--out <file>] [--bids <n>] [--seed <n>]

Writes seeded bids, one JSON object a line (default data/bids.jsonl). Then run the job
over them:

  npx stream-gen run TopAuctions --project samples/top-auctions \\
    --source bids=data/bids.jsonl --sink top=data/top.jsonl --sink late=data/late.jsonl`;

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/bids.jsonl' },
      bids: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    const [bids, seed] = [values.bids, values.seed].map(Number);
    if (!Number.isInteger(bids) || bids < 0 || !Number.isFinite(seed)) {
      throw new Error('--bids must be a whole number, --seed a number');
    }
    const generated = generateBids({ bids, seed });
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, generated.map((b) => `${JSON.stringify(b)}\n`).join(''));
    console.log(`wrote ${generated.length} bids to ${values.out}`);
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
