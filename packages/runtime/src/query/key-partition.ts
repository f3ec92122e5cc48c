import { partitionForKey } from '../connectors/kafka/wire/murmur2';
import { stableHash } from '../util/stable-hash';

/**
 * The partition (task) a state key belongs to, found the way its records were
 * partitioned: by Kafka's default partitioner (murmur2 of the key) when the task reads
 * topics that are partitioned by key, so that the producers' key is the state key; by
 * the runtime's own hash otherwise (repartition topics, exchanges and the embedded log).
 */
export function keyPartition(key: string, partitions: number, byKafkaKey: boolean): number {
  if (partitions <= 0) return 0;
  return byKafkaKey ? partitionForKey(key, partitions) : stableHash(key) % partitions;
}
