import type { JobStatus, TaskView } from '@stream-gen/runtime';
import { positions, table, watermark } from './checkpoint-format';
import { UsageFailure } from './args';
import type { Command } from './command';
import { age, instanceCount, instanceHeader, instanceRow } from './instance-format';

export const statusCommand: Command = {
  name: 'status',
  summary:
    "show a job's instances, counters, and per task its watermark and checkpoint (REDIS_URL)",
  usage: `stream-gen status <Job> [--json]

Shows, from the Redis of REDIS_URL (with the key prefix of STREAM_GEN_NAMESPACE), the
instances of the job as their heartbeats last reported them (see stream-gen jobs),
each with its counters since it started (records in, records out to the main output,
late elements, dead letters, checkpoints), and per task: the running instance that
owns it, its watermark and next offset per source as that instance reported them a
second ago at most, and its latest checkpoint in Redis with how long ago it was taken.
A task no running instance owns shows '-' there: the job is stopped, or the task is
moving. Lag (the latest offset of each partition against the task's position) is not
shown: the instances do not record their partitions' latest offsets.

  --json  print it as JSON (ages in ms)
Example:
  REDIS_URL=redis://localhost:6379 npx stream-gen status ImpressionJoin`,
  args: { booleans: ['json'], positionals: 1 },
  async run(args, io) {
    const [job] = args.positionals;
    if (!job) throw new UsageFailure('name the job, e.g. stream-gen status ImpressionJoin');
    const { withJobRegistry, jobStatus } = await import('@stream-gen/runtime');
    return withJobRegistry(process.env, async (registry, checkpoints) => {
      const status = await jobStatus(registry, checkpoints, job, Date.now());
      io.out(args.flags.has('json') ? JSON.stringify(status, null, 2) : render(status));
      return 0;
    });
  },
};

function render(status: JobStatus): string {
  const lines = [`job ${status.job}: ${instanceCount(status.instances)}`];
  if (status.instances.length > 0) {
    lines.push(
      ...table([
        instanceHeader('records in', 'records out', 'late', 'dead letters', 'checkpoints'),
        ...status.instances.map((i) => {
          const c = i.counters;
          return instanceRow(
            i,
            ...[c.recordsIn, c.recordsOut, c.late, c.deadLetters, c.checkpoints].map(String),
          );
        }),
      ]),
    );
  }
  lines.push('', `${status.tasks.length} task(s):`);
  if (status.tasks.length > 0) {
    lines.push(
      ...table([
        ['task', 'instance', 'watermark', 'checkpoint', 'taken', 'positions'],
        ...status.tasks.map(taskRow),
      ]),
    );
  }
  return lines.join('\n');
}

function taskRow(t: TaskView): string[] {
  return [
    t.task,
    t.instance ?? '-',
    t.watermark === undefined ? '-' : watermark(t.watermark),
    t.checkpoint ? String(t.checkpoint.id) : '-',
    t.checkpoint ? `${age(t.checkpoint.ageMs)} ago` : '-',
    t.positions ? positions(t.positions) : '-',
  ];
}
