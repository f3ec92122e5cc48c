import type { InstanceView } from '@stream-gen/runtime';
import { table, time } from './checkpoint-format';
import type { Command } from './command';
import { instanceCount, instanceHeader, instanceRow } from './instance-format';

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'list the jobs running on Kafka with Redis state, and their instances (REDIS_URL)',
  usage: `stream-gen jobs [--json]

Lists the jobs registered in the Redis of REDIS_URL (key sg:jobs, sg:<ns>:jobs with
STREAM_GEN_NAMESPACE) and, per job, every instance (one start of a process): its id,
host, pid, the version of the job it runs (a hash of the generated spec), whether it
is running, stopped (it said so as it stopped) or gone (no heartbeat for 3 intervals:
killed, or cut off from Redis), the age of its last heartbeat, when it started, and
the tasks it owns. Every process of a job on Kafka with Redis state heartbeats each
second; instances gone for an hour are dropped.

  --json  print it as JSON (ages in ms: heartbeatAgeMs)
Example:
  REDIS_URL=redis://localhost:6379 npx stream-gen jobs`,
  args: { booleans: ['json'] },
  async run(args, io) {
    // loaded only when a registry command runs, as the checkpoint commands do (job-admin.ts)
    const { withJobRegistry, instanceView } = await import('@stream-gen/runtime');
    return withJobRegistry(process.env, async (registry) => {
      const at = Date.now();
      const jobs = (await registry.jobs()).map((j) => ({
        job: j.job,
        instances: j.instances.map((r) => instanceView(r, at)),
      }));
      if (args.flags.has('json')) {
        io.out(JSON.stringify({ keyPrefix: registry.keyPrefix, at, jobs }, null, 2));
      } else if (jobs.length === 0) {
        io.out(
          `no job registered (key ${registry.jobsKey}): jobs register while they run on Kafka with Redis state`,
        );
      } else {
        io.out(jobs.map(render).join('\n\n'));
      }
      return 0;
    });
  },
};

interface ListedJob {
  readonly job: string;
  readonly instances: readonly InstanceView[];
}

function render(job: ListedJob): string {
  return [
    `${job.job}: ${instanceCount(job.instances)}`,
    ...table([
      instanceHeader('started', 'tasks'),
      ...job.instances.map((i) =>
        instanceRow(i, time(i.startedAt), i.tasks.map((t) => t.task).join(',') || '-'),
      ),
    ]),
  ].join('\n');
}
