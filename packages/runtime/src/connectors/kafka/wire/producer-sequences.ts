/**
 * The idempotent producer's bookkeeping: its producer id and epoch (from InitProducerId)
 * and the next sequence number of each partition it writes.
 *
 * The protocol, as the producer uses it:
 * - Every batch carries the producer id, the epoch and the sequence of its first record;
 *   the broker keeps the last batches of each producer and partition, and takes a batch
 *   only when its sequence follows the last one written.
 * - A batch gets its sequence when its request is written to the socket (requests to a
 *   broker leave in order on one connection, so sequences reach it in order), and the
 *   partition's next sequence moves past its records. A retried batch keeps its sequence:
 *   the broker writes it once, and answers a batch it already has with
 *   DUPLICATE_SEQUENCE_NUMBER, which the producer takes as written.
 * - At most 5 requests are in flight to a broker (Kafka's limit for idempotence: the
 *   broker remembers the last 5 batches of a partition).
 * - OUT_OF_ORDER_SEQUENCE_NUMBER (a batch before it is missing), UNKNOWN_PRODUCER_ID (the
 *   broker forgot the producer), INVALID_PRODUCER_EPOCH and PRODUCER_FENCED (another
 *   producer took the id over): the producer cannot know which of its batches were
 *   written. It resets: a new id and epoch from InitProducerId, every partition's
 *   sequence back to 0, and the batches not yet acknowledged sent again under the new id.
 *   Records may then be written twice; at-least-once holds, and every record keeps its
 *   `stream-gen-id` header for readers that drop repeats. Each reset is logged.
 * - A batch given up on after its retries leaves its partition's sequence unknown: the
 *   next send resets first.
 */
import type { ProducerIdentity } from './init-producer-id-request';
import type { BatchSequence, PartitionBatch } from './produce-request';

/** Kafka's sequences are int32 and wrap to 0 past its maximum. */
const SEQUENCE_LIMIT = 2 ** 31;

export class ProducerSequences {
  private identity: ProducerIdentity | undefined;
  private readonly next = new Map<string, number>();

  /** The id and epoch in use; undefined before the first InitProducerId and after `expire`. */
  get current(): ProducerIdentity | undefined {
    return this.identity;
  }

  /** Starts over under a new id and epoch: every partition from sequence 0. */
  start(identity: ProducerIdentity): void {
    this.identity = identity;
    this.next.clear();
  }

  /** The id in use is no good any more (a reset is due before the next batch). */
  expire(): void {
    this.identity = undefined;
  }

  /** Whether `sequence` was given under the id and epoch in use. */
  isCurrent(sequence: BatchSequence | undefined): boolean {
    const id = this.identity;
    return (
      sequence !== undefined &&
      id !== undefined &&
      sequence.producerId === id.producerId &&
      sequence.producerEpoch === id.producerEpoch
    );
  }

  /**
   * The batch with its sequence: the one it has when given under the id in use (a
   * retry), else the partition's next one, which then moves past its records.
   */
  sequenced(topic: string, batch: PartitionBatch): PartitionBatch {
    const id = this.identity;
    if (!id || this.isCurrent(batch.sequence)) return batch;
    const key = `${batch.partition}\u0000${topic}`;
    const baseSequence = this.next.get(key) ?? 0;
    this.next.set(key, (baseSequence + batch.records.length) % SEQUENCE_LIMIT);
    return { ...batch, sequence: { ...id, baseSequence } };
  }

  /** Test hook: moves a partition's next sequence on, as if a batch had gone missing. */
  skip(topic: string, partition: number, records: number): void {
    const key = `${partition}\u0000${topic}`;
    this.next.set(key, ((this.next.get(key) ?? 0) + records) % SEQUENCE_LIMIT);
  }
}
