import { single, UsageFailure } from './args';
import { checkpointHeader, checkpointRow, table } from './checkpoint-format';
import type { RewindResult } from '@stream-gen/runtime';
import type { Command } from './command';
import { usageChecked, withJobAdmin } from './job-admin';

export const rewindCommand: Command = {
  name: 'rewind',
  summary: 'restore every task of a stopped job to a checkpoint or savepoint (REDIS_URL)',
  usage: `stream-gen rewind <Job> --to <checkpoint-id|savepoint|time> [--project <dir>]

Restores state, timers, watermarks and source positions of every task of the job in
the Redis of REDIS_URL (with the key prefix of STREAM_GEN_NAMESPACE) to:
  <checkpoint-id>  that checkpoint of every task (see stream-gen checkpoints <Job>)
  <savepoint>      that savepoint of every task (see stream-gen savepoint)
  <time>           per task, its newest checkpoint taken at or before that ISO time
Every task is checked first: when one cannot reach the target (a checkpoint it no
longer retains, a savepoint it lacks) the command names it and changes nothing.
Stop the job first; started again, each task reads its inputs from the restored
positions (restatement). An instance still running is fenced: its next checkpoint
fails and it restarts the task from the rewound state.
With keyed stages behind a repartition, a stage's target must not have applied more
of the tasks feeding it than their targets hold (a time or a savepoint pairs them;
checkpoint ids differ between stages), and a task that checkpointed since the check
means the job still runs: both are refused. Tasks feeding a stage get their target
under a new checkpoint id, after every epoch the rewind discarded, and the stage
drops what its repartition topic still holds of those epochs.

  --to <target>    where to rewind to (required)
  --project <dir>  check first that <Job> is a job of this project
Example:
  REDIS_URL=redis://localhost:6379 npx stream-gen rewind ImpressionJoin --to before-fix`,
  args: { valued: ['to', 'project'], positionals: 1 },
  async run(args, io) {
    const to = single(args, 'to');
    if (to === undefined) {
      throw new UsageFailure('say where to rewind to: --to <checkpoint-id|savepoint|time>');
    }
    const { describeTarget, parseRewindTarget } = await import('@stream-gen/runtime');
    const target = usageChecked(() => parseRewindTarget(to));
    return withJobAdmin('rewind', args, io, async (admin, job) => {
      const rewound = await admin.rewind(job, target);
      io.out(
        [
          `rewound job ${job} to ${describeTarget(target)} (${rewound.tasks.length} task(s)):`,
          ...table([
            ['task', 'before', ...checkpointHeader()],
            ...rewound.tasks.map((t) => [t.task, String(t.from ?? '-'), ...checkpointRow(t.to)]),
          ]),
          ...renumbered(rewound.tasks),
          'start the job again: each task resumes from these positions with the restored state',
        ].join('\n'),
      );
      return 0;
    });
  },
};

/** The tasks that feed a keyed stage and got their target under a new id, if any. */
function renumbered(tasks: RewindResult['tasks']): string[] {
  const moved = tasks.filter((t) => t.restored !== undefined);
  if (moved.length === 0) return [];
  return [
    `tasks feeding a keyed stage continue after the epochs the rewind discarded: ${moved
      .map((t) => `${t.task} has checkpoint ${t.restored} as ${t.to.id}`)
      .join(', ')}; the stage drops what its repartition topic still holds of those epochs`,
  ];
}
