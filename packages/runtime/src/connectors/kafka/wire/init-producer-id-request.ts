import type { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { requestHeaderSize, writeRequestHeader } from './request-header';

export const API_INIT_PRODUCER_ID = 22;

/** v0 and v1 share one layout (v1 only changed throttling); v2 on is flexible. */
export const INIT_PRODUCER_ID_VERSIONS = { min: 0, max: 1 } as const;

/** A non-transactional producer's timeout field: the broker ignores it. */
const TRANSACTION_TIMEOUT_MS = 60_000;

export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** InitProducerId without a transactional id: a new producer id and epoch from any broker. */
export function encodeInitProducerIdRequest(
  correlationId: number,
  clientId: string,
  version: number,
): Buffer {
  const size = 4 + requestHeaderSize(clientId) + 2 + 4;
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_INIT_PRODUCER_ID, version, correlationId, clientId);
  w.string(null);
  w.int32(TRANSACTION_TIMEOUT_MS);
  return w.buffer;
}

export function decodeInitProducerIdResponse(
  body: ByteReader,
): ProducerIdentity & { readonly errorCode: number } {
  body.int32(); // throttle time
  const errorCode = body.int16();
  const producerId = body.int64();
  return { errorCode, producerId, producerEpoch: body.int16() };
}
