import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateBids } from './bid-generator';

const USAGE = `node samples/hot-items/dist/generate-data.js [--out <file>] [--bids <n>] [--auctions <n>] [--seed <n>]

Writes seeded bids in arrival order (out of order by less than 10 s), one JSON object a
line (default data/bids.jsonl). Then run the job over them:

  npx stream-gen run HotItems --project samples/hot-items \\
    --source bids=data/bids.jsonl --sink hot-items=data/hot-items.jsonl --sink late=data/late.jsonl`;

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/bids.jsonl' },
      bids: { type: 'string', default: '3000' },
      auctions: { type: 'string', default: '100' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    const [bids, auctions, seed] = [values.bids, values.auctions, values.seed].map(Number);
    if (!Number.isInteger(bids) || bids < 0 || !Number.isInteger(auctions) || auctions < 1) {
      throw new Error('--bids must be a whole number, --auctions a positive one');
    }
    if (!Number.isFinite(seed)) throw new Error('--seed must be a number');
    const generated = generateBids({ bids, auctions, seed });
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, generated.map((b) => `${JSON.stringify(b)}\n`).join(''));
    console.log(`wrote ${generated.length} bids on ${auctions} auctions to ${values.out}`);
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
