/**
 * Real services for integration tests: a `redis-server` and librdkafka's mock
 * Kafka cluster (a Kafka-protocol broker over TCP), each started on ephemeral
 * loopback ports and stopped again. No test-framework dependency.
 *
 *   const redis = await startRedis();                 // { url, port, stop() }
 *   const kafka = await startKafkaMock({ brokers: 3 }); // { brokers, createTopic, ... }
 *
 * With REDIS_URL / KAFKA_BROKERS set, the external services are used instead
 * and nothing is started (createTopic, brokerDown, ... then reject: they need
 * the mock).
 *
 * With STREAM_GEN_TEST_KAFKA_SECURITY=ssl|sasl_plaintext|sasl_ssl|plaintext, the
 * mock runs behind the secure proxy (./kafka-test-security): its brokers are the
 * proxy's, and `security` holds what a client needs (CA file, SASL user).
 *
 * Processes never outlive the test run: stop() ends them, an 'exit' hook kills
 * whatever is left, and both watch their stdin, so they exit when the Node
 * process that started them dies, even by SIGKILL.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const LOG_PREFIX = '[stream-gen test-services]';
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const MOCK_SOURCE = path.join(__dirname, 'mock-kafka.c');
const DEFAULT_CACHE_DIR = path.join(
  REPO_ROOT,
  'node_modules',
  '.cache',
  'stream-gen',
  'mock-kafka',
);
const HEADER_DIRS = ['/usr/include', '/usr/local/include'];
/** The Debian packages these services need (`apt-get install -y ...`). */
export const APT_PACKAGES = ['redis-server', 'librdkafka-dev', 'gcc', 'libc6-dev'] as const;

export interface RedisService {
  /** `redis://127.0.0.1:<port>` (or REDIS_URL). */
  url: string;
  port: number;
  /** True when REDIS_URL pointed at an external server and nothing was started. */
  external: boolean;
  stop(): Promise<void>;
}

/** How clients reach the test cluster: the mock alone is plaintext. */
export type KafkaSecurityProtocol = 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';

/** What a client needs to reach a test cluster behind the secure proxy. */
export interface KafkaSecurity {
  readonly protocol: KafkaSecurityProtocol;
  /** The CA the proxy's certificate is from. */
  readonly ssl?: { readonly caFile: string; readonly caPem: string };
  readonly sasl?: {
    readonly mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
    readonly username: string;
    readonly password: string;
  };
}

/** What ./kafka-test-security exports (it checks that it does). */
export interface KafkaSecurityModule {
  securityProtocolFromEnv(): KafkaSecurityProtocol | undefined;
  secureFront(
    mockBrokers: readonly string[],
    protocol: KafkaSecurityProtocol,
  ): Promise<{ brokers: string[]; security: KafkaSecurity; close(): Promise<void> }>;
  kafkaSecurityFor(brokers: readonly string[]): KafkaSecurity | undefined;
}

/**
 * The secure proxy's module, loaded when a cluster needs it. Not imported: this file
 * is also compiled on its own (the bench's declaration build lists only it).
 */
function securityModule(): KafkaSecurityModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  return require('./kafka-test-security') as KafkaSecurityModule;
}

export interface KafkaControl {
  /** Creates a topic with `partitions` partitions (replication factor 1 unless given). */
  createTopic(name: string, partitions: number, replicationFactor?: number): Promise<void>;
  /** Disconnects broker `id` (1..N, -1 for all) and refuses new connections. No leader change. */
  brokerDown(id: number): Promise<void>;
  /** Lets broker `id` accept connections again. */
  brokerUp(id: number): Promise<void>;
  /** Moves the leader of `topic`/`partition` to broker `brokerId`. */
  setPartitionLeader(topic: string, partition: number, brokerId: number): Promise<void>;
  /** Adds `ms` of round-trip delay to broker `id`'s responses. */
  setBrokerRtt(id: number, ms: number): Promise<void>;
}

export interface KafkaService extends KafkaControl {
  /** Bootstrap servers, `host:port` each (or KAFKA_BROKERS split on ','). */
  brokers: string[];
  /** True when KAFKA_BROKERS pointed at an external cluster and no mock was started. */
  external: boolean;
  /** Set when the mock runs behind the secure proxy: what a client needs to connect. */
  security?: KafkaSecurity;
  /** Sends one raw command line to the mock and returns its answer (`OK` or `ERR ...`). */
  command(line: string): Promise<string>;
  stop(): Promise<void>;
}

export interface KafkaMockOptions {
  /** Number of brokers of the mock cluster, ids 1..brokers. Default 1. */
  brokers?: number;
  /** Where the compiled mock is cached. Default node_modules/.cache/stream-gen/mock-kafka. */
  cacheDir?: string;
  /** Install librdkafka-dev with apt-get when its header is missing. Default true unless STREAM_GEN_NO_APT=1. */
  autoInstall?: boolean;
  /** Milliseconds to wait for the mock to print its bootstrap servers. Default 15000. */
  startTimeoutMs?: number;
  /** Put the secure proxy in front ('none': the bare mock). Default STREAM_GEN_TEST_KAFKA_SECURITY, else 'none'. */
  security?: KafkaSecurityProtocol | 'none';
}

// ---------------------------------------------------------------- processes

const live = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Kills `child` (and removes `dir`) when this process exits with it still running. */
function track(child: ChildProcess, dir?: string): void {
  live.add(child);
  if (dir) liveDirs.add(dir);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) killTree(c, 'SIGKILL');
      for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
    });
  }
}

function killTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // detached: its own process group
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** Closes stdin (the child then exits by itself), then TERM, then KILL. */
async function stopChild(child: ChildProcess): Promise<void> {
  child.stdin?.end();
  if (await waitExit(child, 3000)) return;
  killTree(child, 'SIGTERM');
  if (await waitExit(child, 3000)) return;
  killTree(child, 'SIGKILL');
  await waitExit(child, 3000);
}

/** Keeps the last `max` characters written to a stream, for error messages. */
function tail(stream: NodeJS.ReadableStream | null, max = 8192): () => string {
  let buf = '';
  stream?.on('data', (d: Buffer | string) => {
    buf = (buf + d.toString()).slice(-max);
  });
  return () => buf.trim();
}

function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function log(msg: string): void {
  process.stderr.write(`${LOG_PREFIX} ${msg}\n`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

// -------------------------------------------------------------------- redis

/** One PING over a raw socket: resolves true on `+PONG`. */
function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    let data = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

/**
 * Starts `redis-server` on a free loopback port in a temp dir, without
 * persistence, and resolves once it answers PING. With REDIS_URL set, returns
 * that server instead and starts nothing.
 */
export async function startRedis(opts: { startTimeoutMs?: number } = {}): Promise<RedisService> {
  const external = process.env.REDIS_URL;
  if (external) {
    const u = new URL(external);
    return { url: external, port: Number(u.port || 6379), external: true, stop: async () => {} };
  }
  const bin = which('redis-server');
  if (!bin) {
    throw new Error(
      `redis-server not found on PATH. Install it (Debian/Ubuntu: \`apt-get install -y redis-server\`), ` +
        'or set REDIS_URL=redis://host:port to use a running server.',
    );
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startRedisOnce(bin, await freePort(), opts.startTimeoutMs ?? 10000);
    } catch (e) {
      lastError = e; // most likely the port was taken between freePort() and bind: retry
    }
  }
  throw lastError;
}

async function startRedisOnce(bin: string, port: number, timeoutMs: number): Promise<RedisService> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stream-gen-redis-'));
  // prettier-ignore
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning',
  ];
  // A small sh watchdog: redis-server ignores stdin, so sh waits on it and
  // ends redis (and removes its dir) when stdin closes: stop(), or the Node
  // process dying, even by SIGKILL.
  const script =
    'cleanup() { kill $pid 2>/dev/null; wait $pid; rm -rf "$SG_REDIS_DIR"; }; ' +
    '"$0" "$@" </dev/null & pid=$!; trap \'cleanup; exit 0\' TERM INT; read _ignored; cleanup';
  const child = spawn('sh', ['-c', script, bin, ...args], {
    cwd: dir,
    env: { ...process.env, SG_REDIS_DIR: dir },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child, dir);
  const out = tail(child.stdout);
  const err = tail(child.stderr);
  const cleanup = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };

  const stop = async () => {
    await stopChild(child);
    cleanup();
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await pingRedis(port)) {
      return { url: `redis://127.0.0.1:${port}`, port, external: false, stop };
    }
    await sleep(50);
  }
  await stop();
  throw new Error(
    `redis-server did not answer PING on 127.0.0.1:${port} within ${timeoutMs} ms.\n` +
      `${out()}\n${err()}`.trim(),
  );
}

// -------------------------------------------------------------- kafka mock

function hasRdkafkaMockHeader(): boolean {
  return HEADER_DIRS.some((d) => fs.existsSync(path.join(d, 'librdkafka', 'rdkafka_mock.h')));
}

function runLogged(cmd: string, args: string[]): { ok: boolean; output: string } {
  log(`running: ${cmd} ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 10 * 60_000,
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
  log(
    `${cmd} ${args[0]} ${r.status === 0 ? 'done' : `failed (exit ${r.status})`} in ${Date.now() - t0} ms`,
  );
  return { ok: r.status === 0, output };
}

/** Installs the Debian packages with apt-get (as root), running `apt-get update` first when needed. */
function aptInstall(packages: string[]): void {
  const why = `missing: ${packages.join(', ')}`;
  const hint =
    `Install them: \`apt-get install -y ${packages.join(' ')}\`, ` +
    'or set KAFKA_BROKERS=host:port,... to use a running Kafka cluster.';
  if (process.env.STREAM_GEN_NO_APT === '1') {
    throw new Error(`${why} (STREAM_GEN_NO_APT=1, not installing). ${hint}`);
  }
  if (!which('apt-get')) throw new Error(`${why}, and apt-get is not available. ${hint}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(`${why}, and apt-get install needs root. ${hint}`);
  }
  log(`${why}; installing with apt-get`);
  const install = [
    'install',
    '-y',
    '--no-install-recommends',
    '-o',
    'DPkg::Lock::Timeout=120',
    ...packages,
  ];
  let r = runLogged('apt-get', install);
  if (!r.ok) {
    // a fresh machine has no package lists yet
    const u = runLogged('apt-get', ['update', '-o', 'DPkg::Lock::Timeout=120']);
    if (u.ok) r = runLogged('apt-get', install);
  }
  if (!r.ok)
    throw new Error(
      `apt-get install ${packages.join(' ')} failed:\n${r.output.slice(-4000)}\n${hint}`,
    );
}

/**
 * Compiles mock-kafka.c into the cache dir (once per source/compiler/header
 * version), installing librdkafka-dev (and a C compiler) with apt-get when
 * missing. Returns the binary's path.
 */
export function buildKafkaMock(
  opts: Pick<KafkaMockOptions, 'cacheDir' | 'autoInstall'> = {},
): string {
  const cc = process.env.CC || 'cc';
  const missing: string[] = [];
  if (!which(cc)) {
    if (process.env.CC) throw new Error(`CC=${process.env.CC} is not an executable on PATH.`);
    missing.push('gcc', 'libc6-dev');
  }
  if (!hasRdkafkaMockHeader()) missing.push('librdkafka-dev');
  if (missing.length) {
    if (opts.autoInstall === false) {
      throw new Error(
        `missing: ${missing.join(', ')}. Install them: \`apt-get install -y ${missing.join(' ')}\`, ` +
          'or set KAFKA_BROKERS=host:port,... to use a running Kafka cluster.',
      );
    }
    aptInstall(missing);
  }

  const source = fs.readFileSync(MOCK_SOURCE);
  const header = HEADER_DIRS.map((d) => path.join(d, 'librdkafka', 'rdkafka.h')).find((p) =>
    fs.existsSync(p),
  );
  const hash = createHash('sha256')
    .update(source)
    .update(cc)
    .update(header ? `${header}:${fs.statSync(header).size}:${fs.statSync(header).mtimeMs}` : '')
    .digest('hex')
    .slice(0, 16);
  const dir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const bin = path.join(dir, `mock-kafka-${hash}`);
  if (fs.existsSync(bin)) return bin;

  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const args = ['-O2', '-Wall', '-o', tmp, MOCK_SOURCE, '-lrdkafka'];
  const t0 = Date.now();
  const r = spawnSync(cc, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(
      `compiling the Kafka mock failed: ${cc} ${args.join(' ')}\n${r.stderr}${r.error ?? ''}\n` +
        `Needs a C compiler and librdkafka: \`apt-get install -y gcc librdkafka-dev\`.`,
    );
  }
  fs.renameSync(tmp, bin); // atomic: concurrent builds do not see half a binary
  log(`compiled ${path.relative(REPO_ROOT, bin)} in ${Date.now() - t0} ms`);
  // drop binaries of older sources
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith('mock-kafka-') && f !== path.basename(bin) && !f.endsWith('.tmp')) {
      fs.rmSync(path.join(dir, f), { force: true });
    }
  }
  return bin;
}

function externalKafka(brokers: string): KafkaService {
  const fail = (what: string) => () =>
    Promise.reject(
      new Error(
        `${what} needs the mock Kafka cluster, but KAFKA_BROKERS=${brokers} points at an external one ` +
          "(unset KAFKA_BROKERS to use the mock; create topics with your cluster's own tools).",
      ),
    );
  return {
    brokers: brokers
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
    external: true,
    command: fail('command'),
    createTopic: fail('createTopic'),
    brokerDown: fail('brokerDown'),
    brokerUp: fail('brokerUp'),
    setPartitionLeader: fail('setPartitionLeader'),
    setBrokerRtt: fail('setBrokerRtt'),
    stop: async () => {},
  };
}

/** Builds the typed control methods on top of a raw command function. */
export function controlFrom(command: (line: string) => Promise<string>): KafkaControl {
  // the line is built inside, so invalid arguments reject rather than throw
  const ok = async (build: () => string) => {
    const line = build();
    const answer = await command(line);
    if (answer !== 'OK') throw new Error(`mock Kafka: "${line}" -> ${answer}`);
  };
  const word = (s: string) => {
    if (!/^[A-Za-z0-9._-]+$/.test(s)) throw new Error(`invalid Kafka name: ${JSON.stringify(s)}`);
    return s;
  };
  const int = (n: number) => {
    if (!Number.isInteger(n)) throw new Error(`not an integer: ${n}`);
    return n;
  };
  return {
    createTopic: (name, partitions, rf = 1) =>
      ok(() => `create-topic ${word(name)} ${int(partitions)} ${int(rf)}`),
    brokerDown: (id) => ok(() => `broker-down ${int(id)}`),
    brokerUp: (id) => ok(() => `broker-up ${int(id)}`),
    setPartitionLeader: (topic, p, id) =>
      ok(() => `partition-leader ${word(topic)} ${int(p)} ${int(id)}`),
    setBrokerRtt: (id, ms) => ok(() => `broker-rtt ${int(id)} ${int(ms)}`),
  };
}

/**
 * Starts librdkafka's mock cluster with `brokers` brokers (ids 1..brokers) on
 * loopback ports. With KAFKA_BROKERS set, returns that cluster instead and
 * starts nothing.
 */
export async function startKafkaMock(opts: KafkaMockOptions = {}): Promise<KafkaService> {
  const external = process.env.KAFKA_BROKERS;
  if (external) return externalKafka(external);

  const brokerCount = opts.brokers ?? 1;
  const bin = buildKafkaMock({
    cacheDir: opts.cacheDir,
    autoInstall: opts.autoInstall ?? process.env.STREAM_GEN_NO_APT !== '1',
  });
  const child = spawn(bin, [String(brokerCount)], {
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  const err = tail(child.stderr);

  // stdout is line based: the BOOTSTRAP line, then one answer per command.
  const waiting: Array<(line: string | Error) => void> = [];
  let pending = '';
  let exited: Error | undefined;
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    pending += chunk;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i).trim();
      pending = pending.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  child.once('exit', (code, signal) => {
    exited = new Error(`mock Kafka exited (code ${code}, signal ${signal}). ${err()}`.trim());
    for (const w of waiting.splice(0)) w(exited);
  });
  child.once('error', (e) => {
    exited = e;
    for (const w of waiting.splice(0)) w(e);
  });
  child.stdin!.on('error', () => {}); // EPIPE after exit surfaces via 'exit'
  const nextLine = (timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(exited);
      const t = setTimeout(() => {
        const idx = waiting.indexOf(cb);
        if (idx >= 0) waiting.splice(idx, 1);
        reject(new Error(`mock Kafka did not answer within ${timeoutMs} ms. ${err()}`.trim()));
      }, timeoutMs);
      const cb = (l: string | Error) => {
        clearTimeout(t);
        if (l instanceof Error) reject(l);
        else resolve(l);
      };
      waiting.push(cb);
    });

  let bootstrap: string;
  try {
    bootstrap = await nextLine(opts.startTimeoutMs ?? 15000);
    if (!bootstrap.startsWith('BOOTSTRAP '))
      throw new Error(`unexpected first line from mock Kafka: ${bootstrap}`);
  } catch (e) {
    await stopChild(child);
    throw e;
  }

  // one command at a time
  let queue: Promise<unknown> = Promise.resolve();
  const command = (line: string): Promise<string> => {
    if (/[\r\n]/.test(line)) return Promise.reject(new Error('a command is one line'));
    const run = queue.then(async () => {
      if (exited) throw exited;
      const answer = nextLine(10000);
      child.stdin!.write(`${line}\n`);
      return answer;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const mockBrokers = bootstrap.slice('BOOTSTRAP '.length).split(',');
  const security = opts.security ?? securityModule().securityProtocolFromEnv() ?? 'none';
  let front: Awaited<ReturnType<KafkaSecurityModule['secureFront']>> | undefined;
  if (security !== 'none') {
    try {
      front = await securityModule().secureFront(mockBrokers, security);
    } catch (e) {
      await stopChild(child);
      throw e;
    }
  }
  return {
    brokers: front?.brokers ?? mockBrokers,
    external: false,
    ...(front && { security: front.security }),
    command,
    ...controlFrom(command),
    stop: async () => {
      await front?.close();
      await stopChild(child);
    },
  };
}

// -------------------------------------------------- control over HTTP (jest)

/**
 * Serves `POST /` with one command line as body, answered with the mock's
 * answer line (`OK` or `ERR ...`), on a loopback port. Lets jest workers
 * control the mock started by the global setup. Resolves to its URL and close().
 */
export function serveKafkaControl(
  kafka: Pick<KafkaService, 'command'>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(405).end('ERR POST a command line\n');
        return;
      }
      kafka.command(body.trim()).then(
        (answer) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${answer}\n`),
        (e: Error) =>
          res.writeHead(200, { 'content-type': 'text/plain' }).end(`ERR ${e.message}\n`),
      );
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Client of serveKafkaControl: the same control methods, from any process. */
export function kafkaControlClient(
  url: string,
): KafkaControl & { command(line: string): Promise<string> } {
  const command = (line: string) =>
    new Promise<string>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve(body.trim()));
        res.on('error', reject);
      });
      req.on('error', (e) => reject(new Error(`mock Kafka control at ${url}: ${e.message}`)));
      req.end(line);
    });
  return { command, ...controlFrom(command) };
}

// ---------------------------------------------------------------- for tests

export const ENV = {
  redisUrl: 'STREAM_GEN_TEST_REDIS_URL',
  kafkaBrokers: 'STREAM_GEN_TEST_KAFKA_BROKERS',
  kafkaControl: 'STREAM_GEN_TEST_KAFKA_CONTROL',
} as const;

export interface TestServices {
  redisUrl: string;
  kafkaBrokers: string[];
  /** True when the brokers are the mock (createTopic, brokerDown, ... work). */
  kafkaIsMock: boolean;
  /** Set when the mock runs behind the secure proxy (STREAM_GEN_TEST_KAFKA_SECURITY). */
  kafkaSecurity?: KafkaSecurity;
  kafka: KafkaControl & { command(line: string): Promise<string> };
}

/**
 * What the jest global setup started, read from STREAM_GEN_TEST_* in a test
 * worker. Throws when the global setup did not run.
 */
export function testServices(): TestServices {
  const redisUrl = process.env[ENV.redisUrl];
  const brokers = process.env[ENV.kafkaBrokers];
  const control = process.env[ENV.kafkaControl];
  if (!redisUrl || !brokers) {
    throw new Error(
      `${ENV.redisUrl} / ${ENV.kafkaBrokers} are not set: run the integration tests with ` +
        '`npx jest -c packages/runtime/test-services/jest.integration.config.js` (its globalSetup starts the services).',
    );
  }
  const kafkaBrokers = brokers.split(',');
  const kafkaSecurity = securityModule().kafkaSecurityFor(kafkaBrokers);
  const kafka = control ? kafkaControlClient(control) : externalKafka(brokers);
  return {
    redisUrl,
    kafkaBrokers,
    kafkaIsMock: !!control,
    kafka,
    ...(kafkaSecurity && { kafkaSecurity }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * kafkajs consumer settings that keep group rebalances on the mock short.
 * librdkafka 2.0.2's mock waits 3 s before the first rebalance of a new group
 * (its group.initial.rebalance.delay.ms, not settable), and when the last
 * member of a group leaves, the next member's join waits the old member's
 * sessionTimeout - 1 s (kafkajs' default sessionTimeout is 30 s). 6 s is the
 * smallest session timeout a real broker accepts by default.
 */
export const fastConsumerConfig = {
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 100,
} as const;
