import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { generateActivity } from './activity-generator';

const USAGE = `node samples/user-sessions/dist/generate-data.js [--out <file>] [--events <n>] [--users <n>] [--seed <n>]

Writes seeded user activity in arrival order, one JSON object a line (default
data/activity.jsonl). Then run the job over it:

  npx stream-gen run UserSessions --project samples/user-sessions \\
    --source activity=data/activity.jsonl \\
    --sink sessions=data/sessions.jsonl --sink late=data/late.jsonl`;

try {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'data/activity.jsonl' },
      events: { type: 'string', default: '3000' },
      users: { type: 'string', default: '40' },
      seed: { type: 'string', default: '42' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
  } else {
    const [events, users, seed] = [values.events, values.users, values.seed].map(Number);
    if (!Number.isInteger(events) || events < 0 || !Number.isInteger(users) || users < 1) {
      throw new Error('--events must be a whole number, --users a positive one');
    }
    if (!Number.isFinite(seed)) throw new Error('--seed must be a number');
    const generated = generateActivity({ users, events, seed });
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, generated.map((a) => `${JSON.stringify(a)}\n`).join(''));
    console.log(`wrote ${generated.length} events of ${users} users to ${values.out}`);
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}
