import { HEADER_ID } from '@stream-gen/runtime';
import {
  generateBids,
  inOrder,
  referenceHotItems,
  WINDOW_SIZE_MS,
  type Bid,
  type HotItem,
} from '@stream-gen/sample-hot-items';
import { hotItemsSinks } from '@stream-gen/sample-hot-items/dist/generated/hot-items.runner.generated';
import { HOT_ITEMS_EXCHANGE, type HotItemsJobParams } from '../jobs/hot-items-kafka-redis.job';
import { checkRetained } from '../input-data';
import { fromReport } from '../results';
import type { SuiteContext } from '../suite-context';
import { readTopic, topicSize } from './topic-records';
import { kafkaJobParams, type Workload } from './workload';

const NAME = 'hot-items-kafka-redis';

/**
 * One bid per partition 30 s of event time after the others, each on an auction of its
 * own and sent to that partition: every task's watermark (10 s behind its newest bid)
 * passes the end of the last window, so every window closes; the closing bids' own
 * windows never do.
 */
function closingBids(bids: readonly Bid[], partitions: number) {
  const after = bids.reduce((max, b) => Math.max(max, b.dateTime), 0) + 3 * WINDOW_SIZE_MS;
  return Array.from({ length: partitions }, (_, partition) => {
    const bid: Bid = { auction: 900 + partition, bidder: 0, price: 0, dateTime: after };
    return { key: String(bid.auction), value: JSON.stringify(bid), partition };
  });
}

/** Seeded bids keyed by auction (the source is partitioned by key), then the closing bids. */
async function produceBids(ctx: SuiteContext, topic: string, bids: readonly Bid[]): Promise<void> {
  const { partitions } = ctx.options;
  const messages = bids.map((b) => ({ key: String(b.auction), value: JSON.stringify(b) }));
  // about 1 000 records per partition per request, as the join's input is sent
  await ctx.produce(topic, messages, 1000 * partitions);
  await ctx.producer.send({ topic, acks: -1, messages: closingBids(bids, partitions) });
}

const line = (h: HotItem) => `[${h.windowStart}, ${h.windowEnd}) auction ${h.auction}: ${h.count}`;

/** The hot items read back, one per output id, against the reference (at most 10 differences). */
function compare(
  expected: readonly HotItem[],
  records: ReadonlyArray<{ value: string; headers: Readonly<Record<string, string>> }>,
): { problems: string[]; duplicates: number } {
  const problems: string[] = [];
  const byId = new Map<string, string>();
  let duplicates = 0;
  for (const r of records) {
    const id = r.headers[HEADER_ID] ?? `no id ${byId.size}`;
    const seen = byId.get(id);
    if (seen !== undefined) {
      duplicates++;
      if (seen !== r.value)
        problems.push(`${id} written twice, differently: ${seen} and ${r.value}`);
    }
    byId.set(id, r.value);
  }
  const actual = inOrder([...byId.values()].map((v) => JSON.parse(v) as HotItem)).map(line);
  const wanted = expected.map(line);
  if (actual.length !== wanted.length) {
    problems.push(`${actual.length} hot items, expected ${wanted.length}`);
  }
  for (let i = 0; i < Math.max(actual.length, wanted.length) && problems.length < 10; i++) {
    if (actual[i] !== wanted[i]) {
      problems.push(`hot item ${i}: expected ${wanted[i] ?? 'none'}, got ${actual[i] ?? 'none'}`);
    }
  }
  return { problems, duplicates };
}

/** HotItems (Nexmark q5) on Kafka + Redis over seeded bids; fails when its output is not the reference. */
export const hotItemsKafkaRedis: Workload = {
  name: NAME,
  title:
    'HotItems (sample, Nexmark q5: sliding windows of 10 s every 2 s per auction, then the top auctions per window across a repartition), Kafka + Redis, checkpoints every 2 s',
  async run(ctx) {
    const { hotItemsBids, seed, partitions } = ctx.options;
    const bids = generateBids({ bids: hotItemsBids, seed });
    const expected = referenceHotItems(bids);
    const sources = await ctx.createTopics(NAME, ['bids']);
    await produceBids(ctx, sources.bids, bids);
    await checkRetained(ctx.kafka, [sources.bids]);
    await ctx.services.kafka.createTopic(HOT_ITEMS_EXCHANGE, partitions);
    const params: HotItemsJobParams = {
      ...(await kafkaJobParams(ctx, NAME, sources, hotItemsSinks)),
      bids: bids.length + partitions,
      hotItems: expected.length,
    };
    const report = await ctx.runJob(NAME, { workload: NAME, params });
    // a count dropped by the mock before stage two read it would have stalled the run
    await checkRetained(ctx.kafka, [HOT_ITEMS_EXCHANGE]);
    const sinks = params.topics.sinks;
    const records = await readTopic(ctx.kafka, sinks['hot-items'], {
      groupId: ctx.groupId(`${NAME}-reader`),
      ...ctx.services.consumerConfig,
    });
    const late = await topicSize(ctx.kafka, sinks.late);
    const deadLetters = await topicSize(ctx.kafka, sinks['dead-letters']);
    const { problems, duplicates } = compare(expected, records);
    if (problems.length > 0 || late > 0 || deadLetters > 0) {
      throw new Error(
        `${NAME}: the hot items differ from the reference (${late} late, ${deadLetters} dead letters): ` +
          problems.join('; '),
      );
    }
    const windows = new Set(expected.map((h) => h.windowStart)).size;
    return [
      fromReport(NAME, report, {
        details: {
          bids: bids.length,
          windows,
          hotItems: expected.length,
          duplicates,
          matchesReference: true,
        },
      }),
    ];
  },
};
