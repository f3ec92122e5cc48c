import * as path from 'node:path';
import { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import type { BenchOptions } from './options';
import type { JobReport, JobRequest } from './protocol';
import { waitForQuiet } from './machine-load';
import { redisServerDelta, redisServerStats } from './redis-server-stats';
import { round, type WorkloadResult } from './results';
import { runJob, type RunJobOptions } from './run-job';
import type { BenchServices } from './services';

/** The join's input, pre-produced once and read by every Kafka workload. */
export interface JoinInput {
  readonly topics: { readonly impressions: string; readonly plays: string };
  readonly events: number;
  /** Of which on the impressions topic. */
  readonly impressions: number;
}

/** What every workload gets: the options, the services, the input, earlier results. */
export class SuiteContext {
  readonly results: WorkloadResult[] = [];
  private readonly redis: Redis;
  private readonly runId = Date.now().toString(36);

  constructor(
    readonly options: BenchOptions,
    readonly services: BenchServices,
    readonly input: JoinInput,
    readonly kafka: Kafka,
    readonly producer: Producer,
    private readonly profileDir: string,
  ) {
    this.redis = new Redis(services.redis.url);
  }

  /** A consumer group name no earlier run used. */
  groupId(workload: string): string {
    return `bench.${workload}.${this.runId}`;
  }

  /** Creates `bench.<workload>.<name>` for each name with the bench's partition count. */
  async createTopics<N extends string>(
    workload: string,
    names: readonly N[],
  ): Promise<Record<N, string>> {
    const topics = {} as Record<N, string>;
    for (const name of names) {
      topics[name] = `bench.${workload}.${name}.${this.runId}`;
      await this.services.kafka.createTopic(topics[name], this.options.partitions);
    }
    return topics;
  }

  /** Sends the messages to `topic`, a chunk at a time. */
  async produce(
    topic: string,
    messages: ReadonlyArray<{ key: string; value: string }>,
    chunk = 5000,
  ): Promise<void> {
    for (let i = 0; i < messages.length; i += chunk) {
      await this.producer.send({ topic, acks: -1, messages: messages.slice(i, i + chunk) });
    }
  }

  /**
   * Runs a job process (named `label` in logs and profiles) on a Redis emptied first, so
   * no checkpoint of an earlier workload is restored. Samples the load other processes
   * put on the machine just before (waiting for it to drop with --wait-quiet), and adds
   * what redis-server did meanwhile (its CPU, time per command) to the details.
   */
  async runJob(
    label: string,
    request: JobRequest,
    options: Omit<RunJobOptions, 'profile'> = {},
  ): Promise<JobReport> {
    await this.redis.flushall();
    const foreignCores = await waitForQuiet(this.options.waitQuietMs);
    if (foreignCores >= 0.25) {
      process.stderr.write(
        `[bench] warning: other processes keep ${foreignCores.toFixed(2)} cores busy before ${label}\n`,
      );
    }
    const profile = this.options.profile ? { dir: this.profileDir, name: label } : undefined;
    const before = await redisServerStats(this.redis);
    const report = await runJob(request, { ...options, profile });
    const server = redisServerDelta(before, await redisServerStats(this.redis));
    return {
      ...report,
      details: { ...report.details, foreignCores: round(foreignCores, 2), ...server },
    };
  }

  result(workload: string): WorkloadResult | undefined {
    return this.results.find((r) => r.entry.workload === workload);
  }

  async redisVersion(): Promise<string> {
    const info = await this.redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

export const PROFILE_DIR = path.resolve(__dirname, '..', 'profiles');
