/** One record of an input batch: already decoded, or as read (the task decodes it). */
export type InputElement = DecodedElement | EncodedElement;

export interface DecodedElement {
  readonly value: unknown;
  readonly offset: number;
  /** Set when the record could not be decoded: it goes to the dead letters with this reason. */
  readonly error?: string;
  /** Elements of an exchange: where their output ids start (their upstream output id). */
  readonly origin?: string;
  /** Elements of an exchange: the event time their upstream emitted them at. */
  readonly timestamp?: number;
}

/**
 * A record as a connector read it. The task decodes it only once its size is known to
 * be within the source's `maxRecordBytes`, so an oversize record is never parsed.
 */
export interface EncodedElement {
  readonly offset: number;
  readonly encoded: string | Buffer | null;
  /**
   * A record the re-keying stage split over several tasks (its steps gave values of
   * keys owned by different tasks): the indexes of the values this task takes. All of
   * them when absent.
   */
  readonly valueIndexes?: readonly number[];
}
