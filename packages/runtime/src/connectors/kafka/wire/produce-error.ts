/**
 * A send that failed: the topic, partitions and reason. `retriable` false when
 * trying again cannot help (a record the broker refuses, a partition the topic does
 * not have, a broker too old), so the runner fails at once instead of retrying.
 */
export class ProduceError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'ProduceError';
  }
}
