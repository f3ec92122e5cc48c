/**
 * A flatMap before re-keying on Kafka and Redis: lines of words, not partitioned by
 * word, split into words by the source's flatMap and counted per word behind the
 * repartition topic. Each word of a line goes to the task of that word, so each word is
 * counted by one task, once, across a crash that replays everything, with output ids
 * that stay the same.
 */
import {
  HEADER_ID,
  launchJob,
  silentLogger,
  type ElementContext,
  type ErrorPolicy,
  type JobSpec,
  type RuntimeContext,
  type ValueState,
} from '../src';
import type { Kafka } from 'kafkajs';
import { stableHash } from '../src/util/stable-hash';
import { kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader, type ConsumedRecord } from './kafka-io';
import { testServices } from './services';

jest.setTimeout(150_000);
const services = testServices();
const PARTITIONS = 3;
// the words' keys hash to each of the partitions (checked below)
const WORDS = ['apple', 'pear', 'kiwi', 'sloe', 'cherry', 'quince', 'melon', 'lemon', 'the'];

interface Line {
  text: string;
  ts: number;
}
interface Word {
  word: string;
  ts: number;
}
interface WordCount {
  word: string;
  count: number;
}

class CountWords {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(w: Word, ctx: ElementContext<WordCount>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ word: w.word, count });
  }
}

function wordJob(onError?: ErrorPolicy): JobSpec {
  return {
    name: 'WordCounts',
    sources: [
      {
        name: 'lines',
        key: (w: Word) => w.word,
        eventTime: { timestamp: (w: Word) => w.ts, maxOutOfOrdernessMs: 1e12 },
        steps: [
          {
            kind: 'flatMap',
            name: 'split',
            fn: (l: Line) => {
              if (l.text.startsWith('boom')) throw new Error(`cannot split "${l.text}"`);
              return l.text.split(' ').map((word) => ({ word, ts: l.ts }));
            },
          },
          { kind: 'filter', name: 'no-the', fn: (w: Word) => w.word !== 'the' },
        ],
      },
    ],
    operator: { kind: 'process', name: 'count', input: 'lines', create: () => new CountWords() },
    outputs: { main: 'counts', deadLetters: 'dead-letters' },
    onError,
  };
}

/** Lines of 2 to 6 words (a deterministic sequence), `the` among them. */
function lines(from: number, to: number): Line[] {
  return Array.from({ length: to - from }, (_, n) => {
    const i = from + n;
    const length = 2 + (i % 5);
    const words = Array.from({ length }, (_, w) => WORDS[(i * 7 + w * 3 + (i >> 2)) % 9]);
    return { text: words.join(' '), ts: 1_000 + i };
  });
}

function expectedCounts(all: readonly Line[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { text } of all) {
    if (text.startsWith('boom')) continue;
    for (const word of text.split(' '))
      if (word !== 'the') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** The records of a topic by output id; fails when one id came with two contents. */
function byId(records: readonly ConsumedRecord[]): Map<string, unknown> {
  const out = new Map<string, string>();
  for (const r of records) {
    const text = JSON.stringify(r.value);
    expect([r.headers[HEADER_ID], out.get(r.headers[HEADER_ID]) ?? text]).toEqual([
      r.headers[HEADER_ID],
      text,
    ]);
    out.set(r.headers[HEADER_ID], text);
  }
  return new Map([...out].map(([id, text]) => [id, JSON.parse(text) as unknown]));
}

/** How many records a topic holds: the sum of its partitions' end offsets. */
async function endOffsetSum(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

it('counts each word of a flatMap once, by one task, across a crash that replays it all', async () => {
  const ns = `rekey-flatmap-${Date.now()}`;
  const topic = (name: string) => `${ns}.${name}`;
  for (const name of ['lines', 'counts', 'dead-letters', 'WordCounts.count.repartition'])
    await services.kafka.createTopic(topic(name), PARTITIONS);
  const kafka = kafkaClient(services.kafkaBrokers);
  const env = {
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    ...kafkaSecurityEnv(services.kafkaSecurity),
    REDIS_URL: services.redisUrl,
    STREAM_GEN_NAMESPACE: ns,
    STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '6000',
  };
  const first = lines(0, 240);
  const bad = [
    { text: 'boom apple pear', ts: 2_000 },
    { text: 'boom kiwi', ts: 2_001 },
  ];
  // the lines' words go to every task: a line's words are split over several of them
  expect(new Set(WORDS.map((w) => stableHash(w) % PARTITIONS)).size).toBe(PARTITIONS);
  const rest = lines(240, 400);
  const all = [...first, ...bad, ...rest];
  // round robin over the partitions, whatever the words
  const records = (list: readonly Line[], start: number) =>
    list.map((value, i) => ({ value, partition: (start + i) % PARTITIONS }));
  const reader = await TopicReader.start(kafka, [topic('counts'), topic('dead-letters')]);
  try {
    // First run: no checkpoint (the interval is long), and a failing step fails the
    // job: everything it emitted is emitted again by the second run.
    await produce(kafka, topic('lines'), records(first, 0));
    const crashing = launchJob({
      job: wordJob({ then: 'fail' }),
      sinks: ['counts', 'dead-letters'],
      env,
      logger: silentLogger,
      checkpointIntervalMs: 600_000,
    });
    const crashed = crashing.run().then(
      () => undefined,
      (error: unknown) => error,
    );
    await reader.waitFor(
      (r) => r.length >= 100,
      60_000,
      () => `${reader.records.length} counts`,
    );
    await produce(kafka, topic('lines'), records([...bad, ...rest], first.length));
    expect(String(await crashed)).toMatch(/flatMap step "split" threw: cannot split "boom/);
    const countsOf = (records: readonly ConsumedRecord[]) =>
      records.filter((r) => r.topic === topic('counts'));
    // every count the first run wrote has reached the reader
    const written = await endOffsetSum(kafka, topic('counts'));
    await reader.waitFor((r) => countsOf(r).length >= written, 30_000);
    const firstRun = countsOf(reader.records);
    expect(firstRun).toHaveLength(written);
    const fromFirstRun = byId(firstRun);
    expect(fromFirstRun.size).toBeGreaterThanOrEqual(100);
    expect(fromFirstRun.size).toBe(firstRun.length);

    const expected = expectedCounts(all);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    const running = launchJob({
      job: wordJob(),
      sinks: ['counts', 'dead-letters'],
      env,
      logger: silentLogger,
      checkpointIntervalMs: 200,
    });
    const run = running.run();
    try {
      // the second run emits every count once, those of the first run again
      await reader.waitFor(
        (r) => countsOf(r).length >= firstRun.length + total,
        90_000,
        () => `${countsOf(reader.records).length - firstRun.length} of ${total} counts`,
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // for any extra output to show
    } finally {
      await running.stop();
      await run;
    }
    expect(countsOf(reader.records)).toHaveLength(firstRun.length + total);
    const counts = byId(countsOf(reader.records));
    // the crash replayed the first run's outputs, under the same ids and with the same contents
    const replayed = countsOf(reader.records).filter((r) => fromFirstRun.has(r.headers[HEADER_ID]));
    expect(replayed).toHaveLength(2 * fromFirstRun.size);
    const perWord = new Map<string, number[]>();
    for (const value of counts.values()) {
      const { word, count } = value as WordCount;
      perWord.set(word, [...(perWord.get(word) ?? []), count]);
    }
    expect(new Map([...perWord].map(([w, c]) => [w, c.sort((a, b) => a - b)]))).toEqual(
      new Map([...expected].map(([w, n]) => [w, Array.from({ length: n }, (_, i) => i + 1)])),
    );
    expect(counts.size).toBe(total);
    // each failing line is one dead letter, with the reason
    const letters = byId(reader.records.filter((r) => r.topic === topic('dead-letters')));
    expect(
      [...letters.values()]
        .map((l) => l as { reason: string; offset: number; value: Line })
        .map((l) => [l.value.text, l.reason])
        .sort(),
    ).toEqual(
      bad.map((l) => [l.text, `flatMap step "split" threw: cannot split "${l.text}"`]).sort(),
    );
  } finally {
    await reader.close();
  }
});
