/**
 * Redis state over TLS with an ACL user, against a redis-server listening on TLS only
 * (`--port 0 --tls-port`) with `--requirepass` and a user made with ACL SETUSER: the
 * runtime's Redis client and a job's state backend connect and work; a wrong password
 * and an untrusted CA fail with errors naming the setting, and no log line, error or
 * description ever holds a password.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { resolveBackends, type KafkaBackends } from '../src/runner/backends';
import { redisClient } from '../src/runner/redis-client';
import { redisTarget, type RedisTarget } from '../src/runner/redis-target';
import type { Logger } from '../src/util/logger';
import { recordingLogger as keptLines } from '../test/recording-logger';
import { freePort } from './services';
import { generateTestCertificates, type TestCertificates } from './test-certificates';

jest.setTimeout(30_000);

const ADMIN_PASSWORD = 'admin-Pa55word';
const JOB_PASSWORD = 'job-S3cret/with:odd@chars';
const WRONG_PASSWORD = 'not-the-job-password';
const SECRETS = [ADMIN_PASSWORD, JOB_PASSWORD, encodeURIComponent(JOB_PASSWORD), WRONG_PASSWORD];

/** Every line, debug too: no level may hold a secret. */
function recordingLogger(): Logger & { readonly lines: string[] } {
  const logger = keptLines();
  return { ...logger, lines: logger.logs, debug: (m) => logger.logs.push(`debug ${m}`) };
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function expectNoSecret(...texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('Redis over TLS with AUTH and an ACL user', () => {
  let certs: TestCertificates;
  let otherCa: TestCertificates;
  let server: ChildProcess;
  let port: number;
  const open: Array<{ close(): Promise<void> }> = [];

  const url = (user: string, password: string, db = 2) =>
    `rediss://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  const cli = (...args: string[]) =>
    spawnSync(
      'redis-cli',
      ['--tls', '--cacert', certs.caFile, '-p', String(port), '-a', ADMIN_PASSWORD],
      { encoding: 'utf8', input: `${args.join(' ')}\n` },
    ).stdout.trim();

  beforeAll(async () => {
    const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout;
    expect(version).toMatch(/v=(\d+)/);
    certs = generateTestCertificates('stream-gen Redis');
    otherCa = generateTestCertificates('someone else');
    port = await freePort();
    // prettier-ignore
    server = spawn('redis-server', [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1',
      '--tls-cert-file', path.join(certs.dir, 'server.pem'),
      '--tls-key-file', path.join(certs.dir, 'server.key'),
      '--tls-ca-cert-file', certs.caFile, '--tls-auth-clients', 'no',
      '--requirepass', ADMIN_PASSWORD, '--save', '', '--appendonly', 'no',
    ], { stdio: 'ignore' });
    process.once('exit', () => server.kill('SIGKILL'));
    await waitFor(() => cli('PING') === 'PONG', 10_000, 'redis-server on TLS');
    expect(cli(`ACL SETUSER jobs on >${JOB_PASSWORD} ~* &* +@all`)).toBe('OK');
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    server?.kill('SIGTERM');
    certs?.remove();
    otherCa?.remove();
  });

  function backends(env: NodeJS.ProcessEnv, logger: Logger): KafkaBackends {
    // Kafka is never contacted here: only the state backend is used
    const chosen = resolveBackends({ KAFKA_BROKERS: '127.0.0.1:9', ...env }, logger);
    if (chosen.mode !== 'kafka') throw new Error('expected Kafka backends');
    open.push({ close: () => chosen.close() });
    return chosen;
  }

  const checkpoint = (id: number) => ({
    id,
    takenAt: Date.now(),
    positions: { clicks: id * 10 },
    watermarks: { current: 0, inputs: {} },
    timers: { event: [], processing: [] },
  });

  it("keeps a job's state as the ACL user over TLS, trusting REDIS_TLS_CA_FILE", async () => {
    const logger = recordingLogger();
    const chosen = backends(
      { REDIS_URL: url('jobs', JOB_PASSWORD), REDIS_TLS_CA_FILE: certs.caFile },
      logger,
    );
    expect(chosen.description).toBe(
      `Kafka at 127.0.0.1:9 with Redis state at rediss://jobs:***@127.0.0.1:${port}/2 (CA ${certs.caFile})`,
    );
    const job = `tls-${Date.now()}`;
    const task = await chosen.backend.openTask({ job, task: '0' });
    await task.checkpoints.commit(checkpoint(1), [
      { state: 'count', key: 'alice', entry: { value: 3 } },
    ]);
    const [entry] = await task.state.read([{ state: 'count', key: 'alice' }]);
    expect(entry).toEqual({ value: 3 });
    expect((await task.checkpoints.latest())?.positions).toEqual({ clicks: 10 });
    // written by that user into database 2, over TLS
    expect(cli('SELECT 2', '\n', 'DBSIZE')).not.toMatch(/^0$/m);
    expect(cli('CLIENT LIST')).toMatch(/user=jobs/);
    expectNoSecret(chosen.description, ...logger.lines);
  });

  it('connects with the runtime Redis client as the default user with the password alone', async () => {
    const target = redisTarget({
      REDIS_URL: `rediss://:${ADMIN_PASSWORD}@127.0.0.1:${port}`,
      REDIS_TLS_CA_FILE: certs.caFile,
    }) as RedisTarget;
    const client = redisClient(target, { retry: () => null, maxRetriesPerRequest: 0 });
    open.push({ close: async () => void client.disconnect() });
    expect(await client.call('ACL', 'WHOAMI')).toBe('default');
    expect(target.display).toBe(`rediss://***@127.0.0.1:${port} (CA ${certs.caFile})`);
  });

  it('fails a wrong password with WRONGPASS, naming REDIS_URL and never the password', async () => {
    const logger = recordingLogger();
    const chosen = backends(
      { REDIS_URL: url('jobs', WRONG_PASSWORD), REDIS_TLS_CA_FILE: certs.caFile },
      logger,
    );
    const error = await chosen.backend
      .openTask({ job: 'wrong', task: '0' })
      .then((task) => task.checkpoints.latest())
      .then(
        () => undefined,
        (e: Error) => e,
      );
    expect(error?.message).toMatch(/^WRONGPASS/);
    await waitFor(() => logger.lines.length > 0, 10_000, 'a retry logged');
    expect(logger.lines[0]).toMatch(
      /unavailable \(WRONGPASS .* \(check the user and password in REDIS_URL\)\); retrying/,
    );
    expectNoSecret(error?.message ?? '', error?.stack ?? '', chosen.description, ...logger.lines);
  });

  it('does not trust a server certificate of another CA, and says REDIS_TLS_CA_FILE', async () => {
    const logger = recordingLogger();
    const chosen = backends(
      { REDIS_URL: url('jobs', JOB_PASSWORD), REDIS_TLS_CA_FILE: otherCa.caFile },
      logger,
    );
    let settled = false;
    void chosen.backend
      .openTask({ job: 'untrusted', task: '0' })
      .then((task) => task.checkpoints.latest())
      .then(
        () => (settled = true),
        () => (settled = true),
      );
    await waitFor(() => logger.lines.length > 0, 10_000, 'a retry logged');
    expect(logger.lines[0]).toContain(
      `unavailable (the Redis server's TLS certificate is not signed by the CA in REDIS_TLS_CA_FILE (${otherCa.caFile}): self-signed certificate in certificate chain); retrying`,
    );
    // a job waits (the state is out of reach) rather than going on without it
    expect(settled).toBe(false);
    expectNoSecret(...logger.lines);

    // a client that gives up (the admin commands') fails instead
    const target = redisTarget({ REDIS_URL: url('jobs', JOB_PASSWORD) }) as RedisTarget;
    const client = redisClient(target, { retry: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    open.push({ close: async () => void client.disconnect() });
    await expect(client.ping()).rejects.toThrow();
  });

  it('refuses REDIS_TLS_CA_FILE with a redis:// URL', () => {
    expect(() =>
      redisTarget({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TLS_CA_FILE: certs.caFile }),
    ).toThrow(
      'REDIS_TLS_CA_FILE is set but REDIS_URL is not a rediss:// URL: TLS to Redis is asked for with rediss://',
    );
  });
});
