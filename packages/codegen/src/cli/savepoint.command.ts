import { single, UsageFailure } from './args';
import { checkpointHeader, checkpointRow, table } from './checkpoint-format';
import type { Command } from './command';
import { usageChecked, withJobAdmin } from './job-admin';

export const savepointCommand: Command = {
  name: 'savepoint',
  summary: 'record a named savepoint of every task of a job, or drop one (REDIS_URL)',
  usage: `stream-gen savepoint <Job> [--name <name>] [--project <dir>]
stream-gen savepoint <Job> --drop <name> [--project <dir>]

Copies, for every task of the job in the Redis of REDIS_URL (with the key prefix of
STREAM_GEN_NAMESPACE), its latest checkpoint (timers, watermarks, source positions)
and all its state into savepoint keys that checkpoint retention never removes, so
'stream-gen rewind <Job> --to <name>' reaches it however many checkpoints come after.
Each task's copy is one atomic step, and keyed stages behind a repartition are copied
before the tasks that feed them, so a savepoint taken while the job runs can be
rewound to; stop the job first to have every task at the point where it stopped. A
savepoint stays until dropped with --drop.

  --name <name>    savepoint name: a letter, then letters, digits, ".", "_", "-"
                   (default sp-<yyyymmdd>-<hhmmss>, UTC)
  --drop <name>    drop that savepoint of every task instead
  --project <dir>  check first that <Job> is a job of this project
Example:
  REDIS_URL=redis://localhost:6379 npx stream-gen savepoint ImpressionJoin --name before-fix`,
  args: { valued: ['name', 'drop', 'project'], positionals: 1 },
  async run(args, io) {
    const name = single(args, 'name');
    const drop = single(args, 'drop');
    if (name !== undefined && drop !== undefined) {
      throw new UsageFailure(
        'give --name (to record a savepoint) or --drop (to drop one), not both',
      );
    }
    const { checkSavepointName } = await import('@stream-gen/runtime');
    const checked = name ?? drop;
    if (checked !== undefined) usageChecked(() => checkSavepointName(checked));
    return withJobAdmin('savepoint', args, io, async (admin, job) => {
      if (drop !== undefined) {
        const tasks = await admin.dropSavepoint(job, drop);
        io.out(`dropped savepoint "${drop}" of job ${job} (tasks ${tasks.join(', ')})`);
        return 0;
      }
      const saved = await admin.savepoint(job, name);
      io.out(
        [
          `recorded savepoint "${saved.name}" of job ${job} for ${saved.tasks.length} task(s):`,
          ...table([
            ['task', ...checkpointHeader('keys')],
            ...saved.tasks.map((t) => [t.task, ...checkpointRow(t.checkpoint, String(t.keys))]),
          ]),
          `rewind to it with: stream-gen rewind ${job} --to ${saved.name}`,
        ].join('\n'),
      );
      return 0;
    });
  },
};
