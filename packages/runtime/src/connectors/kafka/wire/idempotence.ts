import type { Logger } from '../../../util/logger';
import { ConfigurationError } from '../../../util/errors';
import { decodeApiVersionsResponse, encodeApiVersionsRequest } from './api-versions-request';
import { BrokerConnectionError, type BrokerConnection } from './broker-connection';
import { errorName, isRetriable } from './error-codes';
import {
  API_INIT_PRODUCER_ID,
  INIT_PRODUCER_ID_VERSIONS,
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
} from './init-producer-id-request';
import type { PartitionBatch } from './produce-request';
import { ProduceError } from './produce-error';
import { ProducerSequences } from './producer-sequences';

export const IDEMPOTENCE_SETTING = 'STREAM_GEN_KAFKA_IDEMPOTENCE';

/** STREAM_GEN_KAFKA_IDEMPOTENCE: `false` turns the idempotent producer off (default on). */
export function idempotenceFrom(env: NodeJS.ProcessEnv): boolean {
  const raw = env[IDEMPOTENCE_SETTING]?.trim().toLowerCase();
  if (!raw || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigurationError(
    `${IDEMPOTENCE_SETTING} must be true or false, got "${env[IDEMPOTENCE_SETTING]}"`,
  );
}

const DUPLICATE_SEQUENCE_NUMBER = 46;

/** Produce errors after which the producer cannot tell what was written: a new id. */
const RESETS: Readonly<Record<number, string>> = {
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER (a batch before this one is missing)',
  47: 'INVALID_PRODUCER_EPOCH (a newer producer with this id exists)',
  59: 'UNKNOWN_PRODUCER_ID (the broker no longer knows this producer)',
  90: 'PRODUCER_FENCED (another producer took this id over)',
};

/** InitProducerId errors that pass once a coordinator is ready (load, election). */
const COORDINATOR_WAITS: Readonly<Record<number, string>> = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
};

export interface IdempotenceOptions {
  readonly enabled: boolean;
  readonly clientId: string;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  readonly connection: (nodeId: number) => Promise<BrokerConnection>;
}

/**
 * The idempotent producer's id: asked for before the first batch (where the broker
 * speaks InitProducerId, else off with a log line) and again after a reset. The
 * protocol is written down in producer-sequences.ts.
 */
export class Idempotence {
  readonly sequences = new ProducerSequences();
  /** The InitProducerId version, once the broker said it has one; null: off. */
  private version: number | null | undefined;
  private starting: Promise<string | undefined> | undefined;

  constructor(private readonly options: IdempotenceOptions) {
    if (!options.enabled) {
      this.version = null;
      options.logger.info(
        `Kafka producer: not idempotent (${IDEMPOTENCE_SETTING}=false); a retry may write records twice`,
      );
    }
  }

  /** Whether batches carry an id and sequences (known after the first `ready`). */
  get on(): boolean {
    return typeof this.version === 'number';
  }

  /**
   * An id in use before a send, asked of the brokers `nodeIds` in turn when there is
   * none (any broker answers InitProducerId without a transactional id). Resolves with
   * why not yet (retry after a wait), or undefined when ready (or off).
   */
  ready(nodeIds: readonly number[]): Promise<string | undefined> {
    if (this.version === null || this.sequences.current) return Promise.resolve(undefined);
    this.starting ??= this.startOnAny(nodeIds).finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startOnAny(nodeIds: readonly number[]): Promise<string | undefined> {
    let why: string | undefined = 'InitProducerId: no broker known';
    for (const nodeId of nodeIds) {
      why = await this.start(nodeId);
      if (why === undefined) return undefined;
    }
    return why;
  }

  /** A batch the broker answered for: true when it is written (a duplicate of one written). */
  written(code: number, batch: PartitionBatch): boolean {
    return code === DUPLICATE_SEQUENCE_NUMBER && batch.sequence !== undefined;
  }

  /**
   * Whether `code` calls for a reset; if so, and the batch's id is still the one in use,
   * the id is dropped (the next attempt asks for a new one) and the reset logged.
   */
  resets(code: number, topic: string, batch: PartitionBatch): boolean {
    const why = RESETS[code];
    if (!why || !batch.sequence) return false;
    if (this.sequences.isCurrent(batch.sequence)) {
      this.sequences.expire();
      this.options.logger.warn(
        `Kafka producer: ${why} on topic "${topic}" partition ${batch.partition}; ` +
          `resetting: a new producer id, sequences from 0, and the unacknowledged batches ` +
          `sent again (records may repeat; each keeps its stream-gen-id header)`,
      );
    }
    return true;
  }

  /** A send given up on: what its batches left behind is unknown, so the next send resets. */
  abandon(): void {
    if (this.on && this.sequences.current) {
      this.sequences.expire();
      this.options.logger.warn(
        'Kafka producer: a send failed for good; the next one starts under a new producer id',
      );
    }
  }

  private async start(nodeId: number): Promise<string | undefined> {
    const { clientId, requestTimeoutMs, logger } = this.options;
    try {
      const connection = await this.options.connection(nodeId);
      if (this.version === undefined) {
        const versions = await connection.request(
          (id) => encodeApiVersionsRequest(id, clientId),
          decodeApiVersionsResponse,
          requestTimeoutMs,
        );
        const range = versions.get(API_INIT_PRODUCER_ID);
        if (!range || range.min > INIT_PRODUCER_ID_VERSIONS.max) {
          this.version = null;
          logger.info(
            `Kafka producer: not idempotent: broker ${connection.address} has no InitProducerId ` +
              `v${INIT_PRODUCER_ID_VERSIONS.min}–v${INIT_PRODUCER_ID_VERSIONS.max}; a retry may write records twice`,
          );
          return undefined;
        }
        this.version = Math.min(range.max, INIT_PRODUCER_ID_VERSIONS.max);
      }
      const version = this.version as number;
      const answer = await connection.request(
        (id) => encodeInitProducerIdRequest(id, clientId, version),
        decodeInitProducerIdResponse,
        requestTimeoutMs,
      );
      if (answer.errorCode !== 0) {
        const name = COORDINATOR_WAITS[answer.errorCode] ?? errorName(answer.errorCode);
        if (COORDINATOR_WAITS[answer.errorCode] || isRetriable(answer.errorCode)) {
          return `InitProducerId: ${name}`;
        }
        throw new ProduceError(`InitProducerId refused: ${name}`, false);
      }
      this.sequences.start(answer);
      logger.info(
        `Kafka producer: idempotent, producer id ${answer.producerId} epoch ${answer.producerEpoch}`,
      );
      return undefined;
    } catch (error) {
      if (error instanceof BrokerConnectionError) return `InitProducerId: ${error.message}`;
      throw error;
    }
  }
}
