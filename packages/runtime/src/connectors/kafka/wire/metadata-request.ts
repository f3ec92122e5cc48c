import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { API_METADATA, requestHeaderSize, writeRequestHeader } from './request-header';

/**
 * Metadata v1 to v4 (the broker's highest). v4 asks the broker to create missing
 * topics; before it, brokers create them when their configuration says so.
 */
export const METADATA_VERSIONS = { min: 1, max: 4 };

export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface TopicMetadata {
  readonly errorCode: number;
  readonly name: string;
  /** Partition -> leader node (-1: none); partition errors kept beside. */
  readonly partitions: ReadonlyArray<{ partition: number; leader: number; errorCode: number }>;
}

export interface ClusterMetadata {
  readonly brokers: readonly BrokerAddress[];
  readonly topics: readonly TopicMetadata[];
}

export function encodeMetadataRequest(
  correlationId: number,
  clientId: string,
  version: number,
  topics: readonly string[],
): Buffer {
  let size = 4 + requestHeaderSize(clientId) + 4 + (version >= 4 ? 1 : 0);
  for (const t of topics) size += 2 + Buffer.byteLength(t);
  const w = new ByteWriter(size);
  w.int32(size - 4);
  writeRequestHeader(w, API_METADATA, version, correlationId, clientId);
  w.int32(topics.length);
  for (const t of topics) w.string(t);
  if (version >= 4) w.int8(1); // allow auto topic creation, as Kafka's own producer does
  return w.buffer;
}

export function decodeMetadataResponse(body: ByteReader, version: number): ClusterMetadata {
  if (version >= 3) body.int32(); // throttle time
  const brokers = body.array((b) => {
    const nodeId = b.int32();
    const host = b.string() ?? '';
    const port = b.int32();
    b.string(); // rack
    return { nodeId, host, port };
  });
  if (version >= 2) body.string(); // cluster id
  body.int32(); // controller id
  const topics = body.array((t) => {
    const errorCode = t.int16();
    const name = t.string() ?? '';
    t.boolean(); // internal
    const partitions = t.array((p) => {
      const partitionError = p.int16();
      const partition = p.int32();
      const leader = p.int32();
      p.array((r) => r.int32()); // replicas
      p.array((r) => r.int32()); // in-sync replicas
      return { partition, leader, errorCode: partitionError };
    });
    return { errorCode, name, partitions };
  });
  return { brokers, topics };
}
