import type { JobCheckpoints, TaskCheckpoints } from '@stream-gen/runtime';
import { bytes, checkpointHeader, checkpointRow, table, time } from './checkpoint-format';
import type { Command } from './command';
import { withJobAdmin } from './job-admin';

export const checkpointsCommand: Command = {
  name: 'checkpoints',
  summary: "list a job's retained checkpoints and savepoints per task (REDIS_URL)",
  usage: `stream-gen checkpoints <Job> [--project <dir>] [--json]

Lists, for every task of the job found in the Redis of REDIS_URL (keys
sg:{<Job>:<task>}:*, sg:<ns>:... with STREAM_GEN_NAMESPACE), the retained checkpoints
(newest first: id, time taken, watermark, pending timers, next offset per source),
the size of each state as of the latest checkpoint (entries, bytes as Redis counts
them), and the named savepoints. The job name is looked up in Redis as given.

  --project <dir>  check first that <Job> is a job of this project
  --json           print it as JSON
Example:
  REDIS_URL=redis://localhost:6379 npx stream-gen checkpoints ImpressionJoin`,
  args: { valued: ['project'], booleans: ['json'], positionals: 1 },
  run: (args, io) =>
    withJobAdmin('checkpoints', args, io, async (admin, job) => {
      const found = await admin.inspect(job);
      io.out(args.flags.has('json') ? JSON.stringify(found, null, 2) : render(found));
      return 0;
    }),
};

function render(job: JobCheckpoints): string {
  const keys = `${job.keyPrefix}:{${job.job}:<task>}:*`;
  const lines = [`job ${job.job}: ${job.tasks.length} task(s), keys ${keys}`];
  for (const task of job.tasks) lines.push('', ...renderTask(task));
  return lines.join('\n');
}

function renderTask(task: TaskCheckpoints): string[] {
  const rewound = task.rewinds > 0 ? `, rewound ${task.rewinds} time(s)` : '';
  const states = task.states.map((s) => `${s.state} ${s.keys} keys (${bytes(s.bytes)})`);
  const lines = [
    `task ${task.task}: latest checkpoint ${task.latest ?? 'none'}${rewound}`,
    `  state: ${states.length > 0 ? states.join(', ') : 'none'}`,
    ...table([
      checkpointHeader('timers'),
      ...task.checkpoints.map((c) =>
        checkpointRow(c, String(c.timers.event + c.timers.processing)),
      ),
    ]),
  ];
  if (task.savepoints.length === 0) return [...lines, '  savepoints: none'];
  return [
    ...lines,
    ...table([
      ['savepoint', 'saved at', ...checkpointHeader('keys')],
      ...task.savepoints.map((s) => [
        s.name,
        time(s.savedAt),
        ...checkpointRow(s.checkpoint, String(s.keys)),
      ]),
    ]),
  ];
}
