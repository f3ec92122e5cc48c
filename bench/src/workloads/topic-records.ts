import type { ConsumerConfig, Kafka } from 'kafkajs';

export interface TopicRecord {
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Records a topic holds now (high minus low offsets, over its partitions). */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every record a topic holds now, read from the beginning by a consumer of its own group
 * until it got as many as the offsets say (the sinks write no transaction markers).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  consumer: ConsumerConfig,
  timeoutMs = 60_000,
): Promise<TopicRecord[]> {
  const size = await topicSize(kafka, topic);
  const records: TopicRecord[] = [];
  if (size === 0) return records;
  const reader = kafka.consumer(consumer);
  await reader.connect();
  try {
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    await reader.subscribe({ topics: [topic], fromBeginning: true });
    await reader.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(m.headers ?? {})) {
            const first = Array.isArray(value) ? value[0] : value;
            if (first !== undefined) headers[name] = first.toString();
          }
          records.push({ value: m.value?.toString('utf8') ?? '', headers });
        }
        if (records.length >= size) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`read ${records.length} of ${size} records of ${topic}`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([all, late]);
    } finally {
      clearTimeout(timer);
    }
    return records;
  } finally {
    await reader.disconnect();
  }
}
