/**
 * PlayEventsRouter with its real sinks: the tv-plays route into a table of the
 * machine's PostgreSQL, the rated-kids-plays route into a Redis hash. Run twice over
 * the same input, the table and the hash hold each record once (upserts on the output
 * id); a row the table refuses (a CHECK constraint) goes to the dead letters with
 * PostgreSQL's reason while the other rows are written.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { launchRouter, silentLogger } from '@stream-gen/runtime';
import { testServices } from '../../../packages/runtime/test-services/services';
import { generatePlayEvents, playEventsRouterSpec, referenceRoutes } from '../src';
import { byPlayId, createDatabase } from './postgres-db';
import { readLines, writeEvents } from './run-files';

jest.setTimeout(60_000);
const services = testServices();
// a database of its own, so the hash name of the router file is this test's alone
const REDIS_URL = `${services.redisUrl}/7`;

describe('PlayEventsRouter into PostgreSQL and Redis', () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof createDatabase>>;
  const redis = new Redis(REDIS_URL);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-pg-'));
    db = await createDatabase('router_pg');
  });
  afterAll(async () => {
    await db.drop();
    redis.disconnect();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (source: string) =>
    launchRouter(playEventsRouterSpec, {
      bindings: {
        sourceFiles: { play_events: source },
        sinkFiles: {
          'long-us-plays': path.join(dir, 'long.jsonl'),
          'dead-letters': path.join(dir, 'dead.jsonl'),
        },
      },
      env: { DATABASE_URL: db.url, REDIS_URL },
      logger: silentLogger,
    }).runAll();

  it('upserts each route output once, however often it is written', async () => {
    await db.createTvPlays();
    await redis.del('rated-kids-plays');
    const events = generatePlayEvents(1_200, 5);
    const expected = referenceRoutes(events);
    const source = path.join(dir, 'plays.jsonl');
    writeEvents(source, events);

    await run(source);
    await run(source);

    expect(byPlayId(await db.rows())).toEqual(expected['tv-plays']);
    const hash = await redis.hgetall('rated-kids-plays');
    for (const id of Object.keys(hash)) {
      expect(id).toMatch(/^PlayEventsRouter\/0\/play_events@\d+>rated-kids-plays\.0#0$/);
    }
    // one field per output: as many as the route's outputs, with the same values
    const sorted = (values: string[]) => [...values].sort();
    expect(sorted(Object.values(hash))).toEqual(
      sorted(expected['rated-kids-plays'].map((v) => JSON.stringify(v))),
    );
    expect(readLines(path.join(dir, 'dead.jsonl'))).toEqual([]);
  });

  it('dead-letters the rows the table refuses, with the reason, and writes the rest', async () => {
    await db.client.query('DROP TABLE tv_plays');
    await db.createTvPlays(`os <> 'webos'`);
    const events = generatePlayEvents(600, 9);
    const source = path.join(dir, 'plays.jsonl');
    writeEvents(source, events);

    await run(source);

    const tv = referenceRoutes(events)['tv-plays'];
    const refused = tv.filter((r) => r.os === 'webos');
    expect(refused.length).toBeGreaterThan(10);
    expect(byPlayId(await db.rows())).toEqual(tv.filter((r) => r.os !== 'webos'));
    const dead = readLines<{ reason: string; source: string; value: { play_id: string } }>(
      path.join(dir, 'dead.jsonl'),
    );
    expect(dead.map((d) => d.value)).toEqual(refused);
    for (const letter of dead) {
      expect(letter.source).toBe('sink:tv-plays');
      expect(letter.reason).toMatch(
        /^sink "tv-plays" refused it: new row for relation "tv_plays" violates check constraint/,
      );
    }
  });
});
