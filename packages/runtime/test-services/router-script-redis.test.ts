/**
 * A route script kept in a Redis key (the talk's `DynamicConfig("x.script")`), on the
 * real Redis and Kafka of the test services: a static one is read once at start; a
 * dynamic one is polled, and a SET while the router runs is loaded, checked and
 * swapped in at a batch boundary, each record through exactly one version, none lost;
 * a broken SET leaves the version before running and the log says why; a key that is
 * not there at start is a configuration error naming it.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigurationError } from '../src';
import { RouteScript } from '../src/script/route-script';
import { phaseOf, startScriptReloadRun, type ScriptReloadRun } from './script-reload-run';
import { testServices } from './services';

jest.setTimeout(90_000);
const services = testServices();
const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);
const TIMES_10 = 'function transform(p) { return { ...p, n: p.n * 10 }; }';
const TIMES_1000 = 'function transform(p) { return { ...p, n: p.n * 1000 }; }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a route script in a Redis key', () => {
  const redis = new Redis(services.redisUrl);
  const key = (name: string) => `script-test:${Date.now()}:${name}`;
  let run: ScriptReloadRun | undefined;
  afterEach(async () => {
    await run?.stop();
    run = undefined;
  });
  afterAll(() => redis.quit());

  it('reads a static script once, at start', async () => {
    const k = key('static');
    await redis.set(k, TIMES_10);
    run = await startScriptReloadRun(services, { redis: k, redisUrl: services.redisUrl });
    await run.phase(0, 100);
    // not dynamic: a new text in the key is not looked at
    await redis.set(k, TIMES_1000);
    await sleep(1500);
    await run.phase(100, 100);
    const outputs = run.outputs();
    expect(outputs.map((o) => o.value.id)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const expected = phaseOf([[0, version(TIMES_10), 10]]);
    for (const output of outputs)
      expect([output.version, output.value.n]).toEqual(expected(output));
    expect(run.versions()).toEqual([version(TIMES_10)]);
  });

  it('swaps in a version SET while it runs at a batch boundary, and keeps it when the next is broken', async () => {
    const k = key('dynamic');
    await redis.set(k, TIMES_10);
    run = await startScriptReloadRun(services, {
      redis: k,
      redisUrl: services.redisUrl,
      dynamic: true,
      pollMs: 100,
    });
    await run.phase(0, 200);
    await redis.set(k, TIMES_1000);
    // past the poll interval, the next batch looks at the key before it runs
    await sleep(300);
    await run.phase(200, 200);
    await redis.set(k, 'function transform(p) { return {');
    await sleep(300);
    await run.phase(400, 100);

    expect(run.versions()).toEqual([version(TIMES_10), version(TIMES_1000)]);
    expect(run.logs).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^warn route scaled: script Redis key "${k}" version [0-9a-f]{12} does not load \\(.*Unexpected end of input.*\\); version ${version(TIMES_1000)} goes on$`,
        ),
      ),
    );
    const outputs = run.outputs();
    expect(outputs.map((o) => o.value.id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const expected = phaseOf([
      [0, version(TIMES_10), 10],
      [200, version(TIMES_1000), 1000],
    ]);
    for (const output of outputs)
      expect([output.version, output.value.n]).toEqual(expected(output));
    expect(run.deadLetters()).toEqual([]);
  });

  it('looks at the key at most every pollMs, not at every batch', async () => {
    const k = key('poll');
    await redis.set(k, TIMES_10);
    const logs: string[] = [];
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => logs.push(m),
      error: () => undefined,
    };
    const script = await RouteScript.open(
      { redis: k, redisUrl: services.redisUrl, dynamic: true, pollMs: 60_000 },
      logger,
      'scaled',
    );
    try {
      await redis.set(k, TIMES_1000);
      for (let i = 0; i < 20; i++) await script.runBatch([{ id: i, n: i }]);
      expect(script.version).toBe(version(TIMES_10));
      expect(logs).toEqual([]);
    } finally {
      script.close();
    }
  });

  it('refuses to start when the key is not there, naming it', async () => {
    const k = key('missing');
    const opened = RouteScript.open({ redis: k, redisUrl: services.redisUrl }, console, 'scaled');
    await expect(opened).rejects.toThrow(ConfigurationError);
    await expect(opened).rejects.toThrow(
      `route scaled: script Redis key "${k}" does not load: Redis at ${services.redisUrl} has no key "${k}": SET it to the script's text`,
    );
    // a router of such a route ends with that error rather than running
    run = await startScriptReloadRun(services, { redis: k, redisUrl: services.redisUrl });
    await expect(run.phase(0, 1)).rejects.toThrow(`has no key "${k}"`);
  });
});
