/**
 * The responses the test proxy rewrites on their way from the mock broker to the
 * client: Metadata and FindCoordinator, whose broker addresses must name the
 * proxy's ports (or the client would connect to the mock directly, past TLS and
 * SASL), and ApiVersions, which must advertise SASL (the mock has none) and no
 * version of those two the rewrite cannot read.
 *
 * Only the front of a response is decoded, up to the last address; the rest is
 * copied byte for byte. Versions supported: Metadata 0-8 and FindCoordinator 0-2
 * (the classic encodings: the mock, librdkafka 2.0.2, offers Metadata 0-2 and
 * FindCoordinator 0-2; kafkajs 2.2.4 asks for up to 6 and 2; the runtime's producer
 * for 1-4). ApiVersions 0-2 (the mock's range; an error answer of any version goes
 * through unchanged). Anything else throws, rather than let an address through.
 */
import { Cursor, frame as sized, int16, int32, string } from './kafka-frames';

export const API = {
  metadata: 3,
  findCoordinator: 10,
  saslHandshake: 17,
  apiVersions: 18,
  saslAuthenticate: 36,
} as const;

/** The highest version of each rewritten response the proxy can read. */
export const MAX_REWRITTEN_VERSION: ReadonlyMap<number, number> = new Map([
  [API.metadata, 8],
  [API.findCoordinator, 2],
  [API.apiVersions, 2],
]);

/** SASL versions the proxy answers itself (SaslAuthenticate v2 is the flexible one). */
export const SASL_VERSIONS = new Map([
  [API.saslHandshake, { min: 0, max: 1 }],
  [API.saslAuthenticate, { min: 0, max: 2 }],
]);

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** The proxy's address for a mock broker's (undefined: not one of ours). */
export type AddressMap = (mock: Address) => Address | undefined;

export interface RewriteOptions {
  readonly addresses: AddressMap;
  /** Add SaslHandshake and SaslAuthenticate to ApiVersions. */
  readonly advertiseSasl: boolean;
}

/** Throws when a request asks for a version whose response the proxy could not rewrite. */
export function checkRewritable(apiKey: number, apiVersion: number): void {
  const max = MAX_REWRITTEN_VERSION.get(apiKey);
  if (max !== undefined && apiVersion > max) {
    throw new Error(
      `the Kafka test proxy cannot rewrite api key ${apiKey} version ${apiVersion} (supports 0-${max})`,
    );
  }
}

/** Whether responses to `apiKey` are rewritten (the proxy keeps their versions by correlation id). */
export function isRewritten(apiKey: number): boolean {
  return MAX_REWRITTEN_VERSION.has(apiKey);
}

/** The `response` frame (size prefix included) to `apiKey`/`apiVersion`, rewritten. */
export function rewriteResponse(
  response: Buffer,
  apiKey: number,
  apiVersion: number,
  opts: RewriteOptions,
): Buffer {
  checkRewritable(apiKey, apiVersion);
  const c = new Cursor(response, 8); // size, correlation id (response header v0 for all of these)
  const head = response.subarray(4, 8);
  switch (apiKey) {
    case API.metadata:
      return sized(head, rewriteMetadata(c, apiVersion, opts.addresses));
    case API.findCoordinator:
      return sized(head, rewriteFindCoordinator(c, apiVersion, opts.addresses));
    case API.apiVersions:
      return sized(head, rewriteApiVersions(c, apiVersion, opts.advertiseSasl));
    default:
      throw new Error(`api key ${apiKey} is not rewritten`);
  }
}

function mapped(map: AddressMap, host: string | null, port: number): Address {
  const to = map({ host: host ?? '', port });
  if (!to) throw new Error(`the mock advertised ${host}:${port}, which is not behind the proxy`);
  return to;
}

/** [throttle v3+] brokers[node id, host, port, rack v1+], then the rest as is. */
function rewriteMetadata(c: Cursor, version: number, map: AddressMap): Buffer {
  const parts: Buffer[] = [];
  const start = c.offset;
  if (version >= 3) c.skip(4);
  const n = c.int32();
  parts.push(c.buffer.subarray(start, c.offset));
  for (let i = 0; i < n; i++) {
    const nodeId = c.int32();
    const to = mapped(map, c.string(), c.int32());
    parts.push(int32(nodeId), string(to.host), int32(to.port));
    if (version >= 1) {
      const rackStart = c.offset;
      c.string();
      parts.push(c.buffer.subarray(rackStart, c.offset));
    }
  }
  parts.push(c.rest());
  return Buffer.concat(parts);
}

/** [throttle v1+] error, [message v1+], node id, host, port. */
function rewriteFindCoordinator(c: Cursor, version: number, map: AddressMap): Buffer {
  const start = c.offset;
  if (version >= 1) c.skip(4);
  const errorCode = c.int16();
  if (version >= 1) c.string();
  if (errorCode !== 0) return c.buffer.subarray(start); // no coordinator: host "" and port -1
  const front = c.buffer.subarray(start, c.offset);
  const nodeId = c.int32();
  const to = mapped(map, c.string(), c.int32());
  return Buffer.concat([front, int32(nodeId), string(to.host), int32(to.port), c.rest()]);
}

/** error, apis[key, min, max], [throttle v1+]. */
function rewriteApiVersions(c: Cursor, version: number, advertiseSasl: boolean): Buffer {
  const start = c.offset;
  const errorCode = c.int16();
  if (errorCode !== 0) return c.buffer.subarray(start);
  const apis = new Map<number, { min: number; max: number }>();
  for (let n = c.int32(); n > 0; n--) apis.set(c.int16(), { min: c.int16(), max: c.int16() });
  for (const [key, max] of MAX_REWRITTEN_VERSION) {
    const v = apis.get(key);
    if (v && v.max > max) apis.set(key, { min: v.min, max });
  }
  if (advertiseSasl) for (const [key, v] of SASL_VERSIONS) apis.set(key, v);
  const parts = [int16(0), int32(apis.size)];
  for (const [key, v] of [...apis].sort((a, b) => a[0] - b[0])) {
    parts.push(int16(key), int16(v.min), int16(v.max));
  }
  if (version >= 1) parts.push(c.rest()); // throttle time
  return Buffer.concat(parts);
}
