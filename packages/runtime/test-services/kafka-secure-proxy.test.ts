/**
 * The secure Kafka test proxy in front of a mock cluster of its own (2 brokers):
 * kafkajs produces and consumes (with a consumer group) through it in each of
 * PLAINTEXT, SSL, SASL_PLAINTEXT and SASL_SSL, seeing only the proxy's ports; a
 * wrong password, an untrusted CA and a client that skips SASL are refused, and the
 * proxy's counters show where. Raw requests cover what kafkajs never sends
 * (SaslHandshake v0 with bare tokens, SaslAuthenticate v2, versions refused), and
 * the SCRAM server is checked against RFC 7677's test vector.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import {
  bytes,
  compactBytes,
  Cursor,
  frame,
  FrameSplitter,
  int16,
  int32,
  NO_TAGGED_FIELDS,
  string,
} from './kafka-frames';
import { startSecureKafkaProxy, type SecureKafkaProxy } from './kafka-secure-proxy';
import { scramCredentials, ScramServerExchange } from './scram-server';
import type { SaslMechanism } from './sasl-server';
import { kafkaJobEnv, kafkaSecurityEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import { fastConsumerConfig, startKafkaMock, testServices, type KafkaService } from './services';
import { generateTestCertificates } from './test-certificates';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
const ALL_MECHANISMS: SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];

let kafka: KafkaService;
const cleanup: Array<() => unknown> = [];

beforeAll(async () => {
  kafka = await startKafkaMock({ brokers: 2, security: 'none' });
}, 30_000);

afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
  await kafka?.stop();
});

async function proxy(tls: boolean, mechanisms?: SaslMechanism[]): Promise<SecureKafkaProxy> {
  const p = await startSecureKafkaProxy({
    brokers: kafka.brokers,
    tls,
    sasl: mechanisms && { mechanisms, users: USERS },
  });
  cleanup.push(() => p.close());
  return p;
}

const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function client(p: SecureKafkaProxy, config: Partial<KafkaConfig>): Kafka {
  return new Kafka({
    brokers: p.brokers,
    clientId: 'proxy-test',
    logLevel: logLevel.NOTHING,
    ...config,
  });
}

const sasl = (mechanism: SaslMechanism, username: string, password: string): SASLOptions =>
  ({ mechanism: mechanism.toLowerCase(), username, password }) as SASLOptions;

/** Which brokers each kafkajs request went to, by api name. */
class RequestLog {
  readonly byApi = new Map<string, Set<string>>();

  watch(emitter: {
    on(event: string, cb: (e: { payload: { apiName: string; broker: string } }) => void): unknown;
    events: { REQUEST: string };
  }): void {
    emitter.on(emitter.events.REQUEST, ({ payload }) => {
      const set = this.byApi.get(payload.apiName) ?? new Set<string>();
      set.add(payload.broker);
      this.byApi.set(payload.apiName, set);
    });
  }

  brokers(): Set<string> {
    return new Set([...this.byApi.values()].flatMap((s) => [...s]));
  }
}

/** Creates a topic, produces 20 records, consumes them in a group, reads the group's offsets back. */
async function roundTrip(k: Kafka) {
  const topic = unique('secure');
  const groupId = `${topic}-group`;
  await kafka.createTopic(topic, 4);
  const log = new RequestLog();
  const admin = k.admin();
  log.watch(admin);
  const producer = k.producer();
  log.watch(producer);
  const consumer = k.consumer({ groupId, ...fastConsumerConfig });
  log.watch(consumer);
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => `record-${i}`);
    await producer.send({
      topic,
      acks: -1,
      messages: sent.map((value, i) => ({ key: `k${i}`, value })),
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const received: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${received.length} of 20`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value!.toString());
          if (received.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect(); // commits what it read
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return {
      sent,
      received,
      committed: offsets.partitions.reduce((sum, p) => sum + Number(p.offset), 0),
      advertised: cluster.brokers.map((b) => `${b.host}:${b.port}`),
      log,
    };
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

describe.each([
  { name: 'PLAINTEXT', tls: false, mechanism: undefined },
  { name: 'SSL', tls: true, mechanism: undefined },
  { name: 'SASL_PLAINTEXT', tls: false, mechanism: 'PLAIN' as const },
  { name: 'SASL_SSL', tls: true, mechanism: 'SCRAM-SHA-512' as const },
])('$name', ({ tls, mechanism }) => {
  test('kafkajs creates a topic, produces and consumes in a group, through the proxy only', async () => {
    const p = await proxy(tls, mechanism && ALL_MECHANISMS);
    expect(p.caFile !== undefined).toBe(tls);
    const k = client(p, {
      ...(tls && { ssl: { ca: [p.caPem!] } }),
      ...(mechanism && { sasl: sasl(mechanism, 'alice', USERS.alice) }),
    });
    const r = await roundTrip(k);

    expect([...r.received].sort()).toEqual([...r.sent].sort());
    expect(r.committed).toBe(20);
    // the Metadata the client saw named only the proxy's ports ...
    expect([...r.advertised].sort()).toEqual([...p.brokers].sort());
    // ... so every request went to a proxy port, both of them, the group's included
    expect([...r.log.brokers()].sort()).toEqual([...p.brokers].sort());
    for (const mock of kafka.brokers) expect(r.log.brokers()).not.toContain(mock);
    expect(r.log.byApi.get('GroupCoordinator')?.size).toBeGreaterThan(0);
    for (const api of ['JoinGroup', 'SyncGroup', 'OffsetCommit', 'Heartbeat', 'Fetch', 'Produce']) {
      const to = r.log.byApi.get(api);
      if (api !== 'Heartbeat') expect(to?.size).toBeGreaterThan(0);
      for (const b of to ?? []) expect(p.brokers).toContain(b);
    }
    expect(p.connectionsByBroker().every((n) => n > 0)).toBe(true);
    expect(p.authFailures()).toBe(0);
    expect(p.refusals()).toEqual([]);
  }, 60_000);
});

describe('refused clients (SASL_SSL)', () => {
  let p: SecureKafkaProxy;
  beforeAll(async () => {
    p = await proxy(true, ALL_MECHANISMS);
  });
  const connect = async (config: Partial<KafkaConfig>) => {
    const admin = client(p, { retry: { retries: 0 }, connectionTimeout: 3000, ...config }).admin();
    try {
      await admin.connect();
      return await admin.describeCluster();
    } finally {
      await admin.disconnect();
    }
  };

  test.each(ALL_MECHANISMS)(
    'a wrong password fails with an authentication error (%s)',
    async (mechanism) => {
      const failures = p.authFailures();
      await expect(
        connect({ ssl: { ca: [p.caPem!] }, sasl: sasl(mechanism, 'alice', 'not-her-password') }),
      ).rejects.toThrow(
        mechanism === 'PLAIN'
          ? /SASL PLAIN authentication failed: Authentication failed: Invalid username or password/
          : new RegExp(
              `SASL ${mechanism.replace('-SHA-', ' SHA')} authentication failed: Authentication failed: Invalid user credentials`,
            ),
      );
      expect(p.authFailures()).toBe(failures + 1);
      // the right one still works
      await expect(
        connect({ ssl: { ca: [p.caPem!] }, sasl: sasl(mechanism, 'bob', USERS.bob) }),
      ).resolves.toBeDefined();
      expect(p.authFailures()).toBe(failures + 1);
    },
  );

  test('an unknown user fails like a wrong password', async () => {
    const failures = p.authFailures();
    await expect(
      connect({ ssl: { ca: [p.caPem!] }, sasl: sasl('SCRAM-SHA-256', 'mallory', 'x') }),
    ).rejects.toThrow(/Invalid user credentials/);
    expect(p.authFailures()).toBe(failures + 1);
  });

  test('a CA the server certificate is not from fails the TLS handshake', async () => {
    const other = generateTestCertificates('another');
    cleanup.push(() => other.remove());
    const [connections, tlsFailures] = [p.connections(), p.tlsFailures()];
    await expect(
      connect({ ssl: { ca: [other.caPem] }, sasl: sasl('PLAIN', 'alice', USERS.alice) }),
    ).rejects.toThrow(/self[- ]signed certificate in certificate chain|unable to verify/);
    await until(() => p.tlsFailures() > tlsFailures); // the client's alert reaches the proxy after it gave up
    expect(p.connections()).toBe(connections); // none got past TLS
  });

  test('a client that skips SASL is refused at its first request past ApiVersions', async () => {
    const [failures, refusals] = [p.authFailures(), p.refusals().length];
    await expect(connect({ ssl: { ca: [p.caPem!] } })).rejects.toThrow(/Connection closed|closed/i);
    expect(p.refusals().slice(refusals).join('\n')).toMatch(
      /Unexpected Kafka request of api key 3 before SASL authentication/,
    );
    expect(p.authFailures()).toBe(failures);
  });

  test('a mechanism the proxy does not offer is refused', async () => {
    const only512 = await proxy(false, ['SCRAM-SHA-512']);
    const admin = client(only512, {
      retry: { retries: 0 },
      sasl: sasl('PLAIN', 'alice', USERS.alice),
    }).admin();
    await expect(admin.connect()).rejects.toThrow(
      /The broker does not support the requested SASL mechanism/,
    );
    await admin.disconnect();
    expect(only512.authFailures()).toBe(1);
  });
});

async function until(done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${done}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// ------------------------------------------------------------- raw requests

/** A bare Kafka connection: one request at a time, answers as whole frames. */
class RawConnection {
  private readonly frames: Buffer[] = [];
  private readonly waiting: Array<(f: Buffer | undefined) => void> = [];
  private ended = false;

  private constructor(private readonly socket: net.Socket) {
    const splitter = new FrameSplitter();
    socket.on('data', (d: Buffer) => {
      for (const f of splitter.push(d)) {
        const waiter = this.waiting.shift();
        if (waiter) waiter(f);
        else this.frames.push(f);
      }
    });
    socket.on('close', () => {
      this.ended = true;
      this.waiting.splice(0).forEach((w) => w(undefined));
    });
    socket.on('error', () => {});
  }

  static open(hostPort: string): Promise<RawConnection> {
    const [host, port] = hostPort.split(':');
    return new Promise((resolve, reject) => {
      const s = net.connect(Number(port), host, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  /** Sends `payload` as one frame; resolves to the next frame back, or undefined once closed. */
  send(payload: Buffer): Promise<Buffer | undefined> {
    this.socket.write(frame(payload));
    if (this.frames.length) return Promise.resolve(this.frames.shift());
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  closed(): Promise<boolean> {
    if (this.ended) return Promise.resolve(true);
    return new Promise((resolve) => this.socket.once('close', () => resolve(true)));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Request header v1 (+ empty tagged fields for header v2), then the body. */
const request = (
  apiKey: number,
  version: number,
  correlationId: number,
  flexible: boolean,
  ...body: Buffer[]
) =>
  Buffer.concat([
    int16(apiKey),
    int16(version),
    int32(correlationId),
    string('raw'),
    ...(flexible ? [NO_TAGGED_FIELDS] : []),
    ...body,
  ]);

const plainToken = (user: string, password: string) =>
  Buffer.from(`\u0000${user}\u0000${password}`);

/** Metadata (all topics) at `version`: the advertised brokers' host:port. */
async function metadataBrokers(c: RawConnection, version: number): Promise<string[]> {
  const all = version === 0 ? int32(0) : int32(-1); // v0: empty = all topics; v1+: null = all
  const res = await c.send(request(3, version, 100 + version, false, all));
  expect(res).toBeDefined();
  const r = new Cursor(res!, 8);
  const out: string[] = [];
  for (let n = r.int32(); n > 0; n--) {
    r.int32();
    out.push(`${r.string()}:${r.int32()}`);
    if (version >= 1) r.string();
  }
  return out.sort();
}

describe('raw requests', () => {
  test('ApiVersions advertises SaslHandshake 0-1 and SaslAuthenticate 0-2 before authentication', async () => {
    const p = await proxy(false, ['PLAIN']);
    const c = await RawConnection.open(p.brokers[0]);
    const res = (await c.send(request(18, 0, 1, false)))!;
    const r = new Cursor(res, 8);
    expect(r.int16()).toBe(0);
    const apis = new Map<number, string>();
    for (let n = r.int32(); n > 0; n--) apis.set(r.int16(), `${r.int16()}-${r.int16()}`);
    expect(apis.get(17)).toBe('0-1');
    expect(apis.get(36)).toBe('0-2');
    expect(apis.get(3)).toMatch(/^0-[0-8]$/);
    c.destroy();
  });

  test('SaslHandshake v0 then a bare PLAIN token; then Metadata v0-v2 and FindCoordinator v0-v2 name proxy ports', async () => {
    const p = await proxy(false, ['PLAIN']);
    const c = await RawConnection.open(p.brokers[1]);
    const hs = new Cursor((await c.send(request(17, 0, 1, false, string('PLAIN'))))!, 8);
    expect(hs.int16()).toBe(0);
    const ok = await c.send(plainToken('alice', USERS.alice)); // no Kafka header after a v0 handshake
    expect(ok).toEqual(int32(0)); // an empty token back
    for (const v of [0, 1, 2]) expect(await metadataBrokers(c, v)).toEqual([...p.brokers].sort());
    const group = unique('raw-group');
    for (const v of [0, 1, 2]) {
      const body = v === 0 ? [string(group)] : [string(group), Buffer.from([0])]; // key type 0: group
      const r = new Cursor((await c.send(request(10, v, 200 + v, false, ...body)))!, 8);
      if (v >= 1) r.int32(); // throttle
      expect(r.int16()).toBe(0);
      if (v >= 1) r.string();
      r.int32();
      expect(p.brokers).toContain(`${r.string()}:${r.int32()}`);
    }
    c.destroy();
  });

  test('a wrong password after SaslHandshake v0 closes the connection without an answer', async () => {
    const p = await proxy(false, ['PLAIN']);
    const c = await RawConnection.open(p.brokers[0]);
    await c.send(request(17, 0, 1, false, string('PLAIN')));
    expect(await c.send(plainToken('alice', 'wrong'))).toBeUndefined();
    expect(p.authFailures()).toBe(1);
  });

  test('SaslAuthenticate v2 (flexible): a wrong password gets error 58 with a message, then the connection closes', async () => {
    const p = await proxy(false, ['PLAIN', 'SCRAM-SHA-256']);
    const c = await RawConnection.open(p.brokers[0]);
    const hs = new Cursor((await c.send(request(17, 1, 1, false, string('GSSAPI'))))!, 8);
    expect(hs.int16()).toBe(33); // UNSUPPORTED_SASL_MECHANISM, with the enabled ones
    const listed: string[] = [];
    for (let n = hs.int32(); n > 0; n--) listed.push(hs.string()!);
    expect(listed).toEqual(['PLAIN', 'SCRAM-SHA-256']);
    expect(await c.closed()).toBe(true);

    const d = await RawConnection.open(p.brokers[0]);
    expect(new Cursor((await d.send(request(17, 1, 1, false, string('PLAIN'))))!, 8).int16()).toBe(
      0,
    );
    const res = (await d.send(
      request(36, 2, 2, true, compactBytes(plainToken('alice', 'wrong')), NO_TAGGED_FIELDS),
    ))!;
    const r = new Cursor(res, 4);
    expect(r.int32()).toBe(2);
    r.taggedFields(); // response header v1
    expect(r.int16()).toBe(58);
    expect(r.compactString()).toBe('Authentication failed: Invalid username or password');
    expect(await d.closed()).toBe(true);
    expect(p.authFailures()).toBe(2); // the mechanism, then the password

    const e = await RawConnection.open(p.brokers[0]);
    await e.send(request(17, 1, 1, false, string('PLAIN')));
    const good = new Cursor(
      (await e.send(request(36, 1, 2, false, bytes(plainToken('bob', USERS.bob)))))!,
      8,
    );
    expect(good.int16()).toBe(0);
    expect(await metadataBrokers(e, 1)).toEqual([...p.brokers].sort());
    e.destroy();
  });

  test('a version whose addresses the proxy cannot rewrite closes the connection, naming it', async () => {
    const p = await proxy(false);
    const c = await RawConnection.open(p.brokers[0]);
    expect(await c.send(request(3, 9, 1, true, int32(-1)))).toBeUndefined();
    expect(p.refusals()).toEqual([
      'the Kafka test proxy cannot rewrite api key 3 version 9 (supports 0-8)',
    ]);
  });
});

test('the SCRAM-SHA-256 server reproduces the RFC 7677 exchange', () => {
  const creds = scramCredentials(
    'sha256',
    'pencil',
    Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    4096,
  );
  const server = new ScramServerExchange(
    'sha256',
    (user) => (user === 'user' ? creds : undefined),
    '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  );
  const first = server.step('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  expect(first).toEqual({
    response:
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    done: false,
  });
  const final = server.step(
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  );
  expect(final).toEqual({ response: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=', done: true });

  const wrong = new ScramServerExchange('sha256', () => creds, '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  wrong.step('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  expect(() =>
    wrong.step(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AAAAZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    ),
  ).toThrow('Authentication failed: Invalid user credentials');
});

describe('the secured test configuration', () => {
  /** Produces two records with kafkaClient(brokers) and reads them back in a group. */
  async function throughKafkaClient(brokers: string[], createTopic: (t: string) => Promise<void>) {
    const topic = unique('configured');
    await createTopic(topic);
    await produce(kafkaClient(brokers), topic, [{ value: 1 }, { value: 2 }]);
    const reader = await TopicReader.start(kafkaClient(brokers), [topic]);
    try {
      await reader.waitFor((r) => r.length === 2, 20_000);
    } finally {
      await reader.close();
    }
    return reader.values<number>(topic);
  }

  test('startKafkaMock({ security }) puts the proxy in front; kafkaClient and the job env carry the settings', async () => {
    const secured = await startKafkaMock({ brokers: 1, security: 'sasl_ssl' });
    cleanup.push(() => secured.stop());
    const security = secured.security!;
    expect(security).toMatchObject({
      protocol: 'sasl_ssl',
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'stream-gen-test' },
    });
    expect(fs.readFileSync(security.ssl!.caFile, 'utf8')).toBe(security.ssl!.caPem);
    expect(kafkaSecurityEnv(security)).toEqual({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: security.ssl!.caFile,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'stream-gen-test',
      KAFKA_SASL_PASSWORD: security.sasl!.password,
    });
    expect(await throughKafkaClient(secured.brokers, (t) => secured.createTopic(t, 1))).toEqual([
      1, 2,
    ]);
    // the same brokers without the settings: refused
    const bare = new Kafka({
      brokers: secured.brokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    await expect(bare.admin().connect()).rejects.toThrow();
  }, 60_000);

  test('testServices() hands out the run cluster settings when STREAM_GEN_TEST_KAFKA_SECURITY is set, none otherwise', async () => {
    const services = testServices();
    const env = kafkaJobEnv(services, 'ns');
    const protocol = process.env.STREAM_GEN_TEST_KAFKA_SECURITY;
    if (!protocol) {
      expect(services.kafkaSecurity).toBeUndefined();
      expect(Object.keys(env).filter((k) => /^KAFKA_S(SL|ASL)/.test(k))).toEqual([]);
      return;
    }
    expect(services.kafkaSecurity?.protocol).toBe(protocol.toLowerCase());
    expect(env).toMatchObject(kafkaSecurityEnv(services.kafkaSecurity));
    expect(
      await throughKafkaClient(services.kafkaBrokers, (t) => services.kafka.createTopic(t, 1)),
    ).toEqual([1, 2]);
  }, 60_000);
});
