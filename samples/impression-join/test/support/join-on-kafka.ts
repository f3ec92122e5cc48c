/**
 * ImpressionJoin on Kafka and Redis as a process, for the fault tests: its own
 * namespace (topics, group, Redis keys), input fed in chunks while the job runs,
 * outputs read back, and the job's keyed state read from Redis.
 */
import * as path from 'node:path';
import { Redis, type Cluster } from 'ioredis';
import {
  startJobProcess,
  type JobProcess,
} from '../../../../packages/runtime/test-services/job-process';
import {
  kafkaClient,
  produce,
  TopicReader,
  type ProducedRecord,
} from '../../../../packages/runtime/test-services/kafka-io';
import { keysPerMaster } from '../../../../packages/runtime/test-services/redis-cluster';
import { testServices } from '../../../../packages/runtime/test-services/services';
import {
  compare,
  generateEvents,
  joinKey,
  referenceJoin,
  type Conversion,
  type GeneratedEvent,
  type Impression,
  type Play,
} from '../../src';

const MAIN = path.join(
  __dirname,
  '..',
  '..',
  'dist',
  'generated',
  'impression-join.main.generated.js',
);
const PARTITIONS = 4;
const MIN = 60_000;

export class JoinOnKafka {
  readonly services = testServices();
  readonly kafka = kafkaClient(this.services.kafkaBrokers);
  readonly jobs: JobProcess[] = [];
  readonly events: readonly GeneratedEvent[];
  /** The conversions every run must produce: those of the plays the flush's watermark passes. */
  readonly expected: readonly Conversion[];
  private reader: TopicReader | undefined;
  private readonly flushTs: number;

  private constructor(
    readonly ns: string,
    options: { impressions: number; seed: number },
  ) {
    this.events = generateEvents({ impressions: options.impressions, seed: options.seed });
    const of = <T>(topic: string) =>
      this.events.filter((e) => e.topic === topic).map((e) => e.value as T);
    // Past the last impression, so that the last 40 minutes of impressions and the
    // plays after the flush's watermark are still in state at the end.
    this.flushTs = Math.max(...of<Impression>('impressions').map((i) => i.ts)) + 20 * MIN;
    const watermark = this.flushTs - 10_000;
    this.expected = referenceJoin(of<Impression>('impressions'), of<Play>('plays')).filter(
      (c) => c.playTs <= watermark,
    );
  }

  static async create(
    tag: string,
    options: { impressions: number; seed: number },
  ): Promise<JoinOnKafka> {
    const run = new JoinOnKafka(
      `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`,
      options,
    );
    for (const name of ['impressions', 'plays', 'conversions', 'late', 'dead-letters']) {
      await run.services.kafka.createTopic(run.topic(name), PARTITIONS);
    }
    return run;
  }

  topic(name: string): string {
    return `${this.ns}.${name}`;
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      KAFKA_BROKERS: this.services.kafkaBrokers.join(','),
      REDIS_URL: this.services.redisUrl,
      STREAM_GEN_NAMESPACE: this.ns,
      STREAM_GEN_CHECKPOINT_INTERVAL_MS: '250',
      STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...extra,
    };
  }

  start(extra: NodeJS.ProcessEnv = {}): JobProcess {
    const job = startJobProcess(MAIN, {
      env: this.env(extra),
      echo: process.env.DEBUG_JOB === '1',
    });
    this.jobs.push(job);
    return job;
  }

  /** Sends the events in `chunks` parts, `pauseMs` apart, then the flush on every partition. */
  async feed(chunks: number, pauseMs: number): Promise<void> {
    const size = Math.ceil(this.events.length / chunks);
    for (let i = 0; i < this.events.length; i += size) {
      await this.send(this.events.slice(i, i + size));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    await this.send([], this.flush());
  }

  /**
   * Resolves once every expected play has a conversion. The outputs are read from
   * here on (from the beginning of the topics): a reader started before a broker
   * outage could outlive the test, as kafkajs restarts a crashed consumer on a timer.
   */
  async outputsComplete(timeoutMs: number, describe: () => string = () => ''): Promise<void> {
    this.reader ??= await TopicReader.start(this.kafka, [
      this.topic('conversions'),
      this.topic('late'),
    ]);
    const want = new Set(this.expected.map((c) => c.playId));
    await this.reader!.waitFor(
      () =>
        new Set(
          this.conversions()
            .map((c) => c.playId)
            .filter((id) => want.has(id)),
        ).size === want.size,
      timeoutMs,
      () =>
        `${new Set(this.conversions().map((c) => c.playId)).size}/${want.size} plays converted\n${describe()}`,
    );
  }

  conversions(): Conversion[] {
    return this.reader!.values<Conversion>(this.topic('conversions')).filter(
      (c) => !c.profileId.startsWith('flush'),
    );
  }

  /** Conversions written more than once, with differing content or ids. */
  inconsistentDuplicates(): string[] {
    const first = new Map<string, string>();
    const problems: string[] = [];
    for (const r of this.reader!.records) {
      if (r.topic !== this.topic('conversions')) continue;
      const id = r.headers['stream-gen-id'];
      const seen = first.get((r.value as Conversion).playId);
      const now = `${id} ${JSON.stringify(r.value)}`;
      if (seen !== undefined && seen !== now) problems.push(`${seen} <> ${now}`);
      first.set((r.value as Conversion).playId, now);
    }
    return problems;
  }

  /** Distinct conversions against the reference join (an empty list when equal). */
  mismatches(): string[] {
    const distinct = new Map(this.conversions().map((c) => [c.playId, c]));
    return compare(this.expected, [...distinct.values()]);
  }

  /** Every state entry of the job in Redis: `<task>/<state>/<key>` -> stored JSON. */
  async keyedState(redisUrl = this.services.redisUrl): Promise<Record<string, string>> {
    const redis = new Redis(redisUrl);
    try {
      const prefix = `sg:${this.ns}:`;
      const keys = (await redis.keys(`${prefix}{ImpressionJoin:*}:state:*`)).sort();
      const out: Record<string, string> = {};
      for (const key of keys) {
        const [, task, state] = /\{ImpressionJoin:(\d+)\}:state:(.+)$/.exec(key)!;
        for (const [field, value] of Object.entries(await redis.hgetall(key))) {
          out[`${task}/${state}/${field}`] = value;
        }
      }
      return out;
    } finally {
      redis.disconnect();
    }
  }

  /** {@link keyedState} of a job run on a Redis Cluster, its keys looked up on every master. */
  async keyedStateInCluster(cluster: Cluster): Promise<Record<string, string>> {
    const perMaster = await keysPerMaster(cluster, `sg:${this.ns}:{ImpressionJoin:*}:state:*`);
    const out: Record<string, string> = {};
    for (const key of Object.values(perMaster).flat().sort()) {
      const [, task, state] = /\{ImpressionJoin:(\d+)\}:state:(.+)$/.exec(key)!;
      for (const [field, value] of Object.entries(await cluster.hgetall(key))) {
        out[`${task}/${state}/${field}`] = value;
      }
    }
    return out;
  }

  /** Per task, the positions and timers of its newest checkpoint (what a restart restores). */
  async checkpointedProgress(redisUrl = this.services.redisUrl): Promise<Record<string, unknown>> {
    const redis = new Redis(redisUrl);
    try {
      const out: Record<string, unknown> = {};
      for (let task = 0; task < PARTITIONS; task++) {
        const base = `sg:${this.ns}:{ImpressionJoin:${task}}`;
        const id = await redis.hget(`${base}:head`, 'id');
        const json = id === null ? null : await redis.hget(`${base}:checkpoints`, id);
        const checkpoint =
          json === null ? undefined : (JSON.parse(json) as { positions: unknown; timers: unknown });
        out[task] = checkpoint && { positions: checkpoint.positions, timers: checkpoint.timers };
      }
      return out;
    } finally {
      redis.disconnect();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.jobs.splice(0).map((j) => j.kill()));
    await this.reader?.close();
  }

  private async send(
    events: readonly GeneratedEvent[],
    extra: ReadonlyArray<{ topic: string; record: ProducedRecord }> = [],
  ): Promise<void> {
    for (const name of ['impressions', 'plays'] as const) {
      const records: ProducedRecord[] = events
        .filter((e) => e.topic === name)
        .map((e) => ({ key: joinKey(e.value), value: e.value }));
      const more = extra.filter((x) => x.topic === name).map((x) => x.record);
      await produce(this.kafka, this.topic(name), [...records, ...more]);
    }
  }

  /** One impression and one play at the flush time on every partition of both topics. */
  private flush(): Array<{ topic: string; record: ProducedRecord }> {
    const ts = this.flushTs;
    return Array.from({ length: PARTITIONS }, (_, p) => {
      const profileId = `flush${p}`;
      const impression: Impression = {
        impressionId: `flush-i${p}`,
        profileId,
        titleId: 't',
        ts,
        row: 0,
        rank: 0,
      };
      const play: Play = { playId: `flush-v${p}`, profileId, titleId: 't', ts };
      return [
        { topic: 'impressions', record: { key: joinKey(play), partition: p, value: impression } },
        { topic: 'plays', record: { key: joinKey(play), partition: p, value: play } },
      ];
    }).flat();
  }
}
