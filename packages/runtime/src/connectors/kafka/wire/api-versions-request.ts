import type { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { API_VERSIONS, requestHeaderSize, writeRequestHeader } from './request-header';

/** Api key -> the versions the broker supports. */
export type ApiVersions = ReadonlyMap<number, { min: number; max: number }>;

export function encodeApiVersionsRequest(correlationId: number, clientId: string): Buffer {
  const size = 4 + requestHeaderSize(clientId);
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_VERSIONS, 0, correlationId, clientId);
  return w.buffer;
}

export function decodeApiVersionsResponse(body: ByteReader): ApiVersions {
  const errorCode = body.int16();
  if (errorCode !== 0) throw new Error(`ApiVersions failed with error code ${errorCode}`);
  const versions = new Map<number, { min: number; max: number }>();
  body.array((api) => {
    const key = api.int16();
    const min = api.int16();
    versions.set(key, { min, max: api.int16() });
  });
  return versions;
}
