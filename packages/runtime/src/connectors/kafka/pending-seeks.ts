import type { Assignment } from './broker-client';

/** What a consumer does with a fetched batch of a partition (see {@link PendingSeeks.admit}). */
export type Admission =
  | { readonly action: 'deliver'; readonly warning?: string }
  | { readonly action: 'drop' }
  | { readonly action: 'seek'; readonly offset: number };

/** Seeks asked for again, for one seek, before the consumer's own position is taken. */
export const MAX_SEEKS_AGAIN = 3;

interface Pending {
  readonly offset: number;
  /** Times the seek was asked for again. */
  again: number;
}

/**
 * The seeks of a consumer that no batch met yet. A consumer hands out batches it
 * fetched from a partition's position before a seek took: right after a join, from the
 * group's committed offset, while the runner seeks to the position its task restored.
 * Such a batch must not reach the task: from ahead of the restored position it would
 * move the task past the input in between, which would be lost; from behind it, it is
 * input the task applied. So while a seek is pending, every batch of that partition not
 * fetched from the sought offset is dropped, until one fetched from there arrives.
 */
export class PendingSeeks {
  private readonly pending = new Map<string, Pending>();

  /** A seek to `offset`: from now on, batches fetched from elsewhere are dropped. */
  sought(topic: string, partition: number, offset: number): void {
    this.pending.set(keyOf(topic, partition), { offset, again: 0 });
  }

  /** Forgets the seeks of the partitions a new assignment does not hold. */
  keepOnly(assignment: Assignment): void {
    const kept = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((p) => keyOf(topic, p)),
      ),
    );
    for (const key of this.pending.keys()) if (!kept.has(key)) this.pending.delete(key);
  }

  /**
   * What to do with a batch of `topic`/`partition` fetched from `fetchedOffset`, where
   * `stale` says the consumer still holds a seek it did not take. Delivered when no seek
   * is pending or the batch is from the sought offset (which ends the seek); dropped
   * when it is stale (the consumer takes the seek at the partition's next fetch).
   * Otherwise the consumer fetched it after the seek took, yet from elsewhere (the seek
   * was refused before the consumer ran, or lost with a rejoin): dropped, and the seek
   * asked for again. After {@link MAX_SEEKS_AGAIN} of those the consumer keeps resetting
   * the position (the offset is out of the topic's range), so the batch is delivered,
   * with a warning.
   */
  admit(topic: string, partition: number, fetchedOffset: number, stale: boolean): Admission {
    const key = keyOf(topic, partition);
    const seek = this.pending.get(key);
    if (!seek) return { action: 'deliver' };
    if (fetchedOffset === seek.offset) {
      this.pending.delete(key);
      return { action: 'deliver' };
    }
    if (stale) return { action: 'drop' };
    if (seek.again < MAX_SEEKS_AGAIN) {
      seek.again++;
      return { action: 'seek', offset: seek.offset };
    }
    this.pending.delete(key);
    return { action: 'deliver', warning: outOfRange(topic, partition, seek.offset, fetchedOffset) };
  }
}

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function outOfRange(topic: string, partition: number, sought: number, fetched: number): string {
  const why =
    fetched > sought
      ? `offsets ${sought} to ${fetched - 1} are no longer in the topic (deleted by retention?) and are not applied`
      : `the topic ends before ${sought} (was it recreated?); records below ${sought} are skipped`;
  return (
    `${topic}/${partition}: the consumer reads from offset ${fetched}, not from ${sought} where the ` +
    `task resumes, although it was asked ${MAX_SEEKS_AGAIN + 1} times; reading on from ${fetched}: ${why}`
  );
}
