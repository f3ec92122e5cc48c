/**
 * PostgresSink against the machine's PostgreSQL (127.0.0.1:5432, user postgres, trust
 * auth): a database of its own, created here and dropped at the end, so runs never see
 * each other's rows.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { Client } from 'pg';
import type { SinkRefusal } from '../src/connectors/connector';
import { PostgresSink } from '../src/connectors/postgres.sink';
import { HEADER_ID, type OutRecord } from '../src/records';
import { ConfigurationError } from '../src/util/errors';

const SERVER = 'postgres://postgres@127.0.0.1:5432';
const DATABASE = `sg_postgres_sink_${process.pid}_${randomBytes(4).toString('hex')}`;
const URL = `${SERVER}/${DATABASE}`;

let db: Client;
const sinks: PostgresSink[] = [];

beforeAll(async () => {
  const admin = new Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  db = new Client({ connectionString: URL });
  await db.connect();
});

afterAll(async () => {
  await Promise.allSettled(sinks.map((s) => s.close()));
  await db?.end();
  const admin = new Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  try {
    // WITH (FORCE): a pool the sink under test failed to end must not keep it alive
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

let tables = 0;

/** A fresh table per test: the id column the sink upserts on, and the constraints to break. */
async function createTable(): Promise<string> {
  const table = `plays_${++tables}`;
  await db.query(`
    CREATE TABLE ${table} (
      stream_gen_id text PRIMARY KEY,
      user_id text NOT NULL,
      score integer CHECK (score >= 0),
      note text DEFAULT 'none',
      meta jsonb
    )`);
  return table;
}

async function openSink(table: string, batchSize?: number): Promise<PostgresSink> {
  const sink = new PostgresSink('plays', { table, url: URL, batchSize });
  sinks.push(sink);
  await sink.open();
  return sink;
}

function record(id: string, value: unknown): OutRecord {
  return { key: null, value, headers: { [HEADER_ID]: id }, timestamp: 0 };
}

async function rows(table: string): Promise<Record<string, unknown>[]> {
  const result = await db.query(`SELECT * FROM ${table} ORDER BY stream_gen_id`);
  return result.rows;
}

/** A loopback port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('PostgresSink', () => {
  it('writes each record as a row: fields to columns, objects as JSON, the id to stream_gen_id', async () => {
    const table = await createTable();
    const sink = await openSink(table);

    const refused = await sink.write([
      record('a', { user_id: 'u1', score: 3, meta: { device: 'tv', tags: ['x', 'y'] } }),
      record('b', { user_id: 'u2', score: 0, note: 'hi', meta: null }),
    ]);

    expect(refused).toEqual([]);
    expect(await rows(table)).toEqual([
      {
        stream_gen_id: 'a',
        user_id: 'u1',
        score: 3,
        note: 'none',
        meta: { device: 'tv', tags: ['x', 'y'] },
      },
      { stream_gen_id: 'b', user_id: 'u2', score: 0, note: 'hi', meta: null },
    ]);
  });

  it('upserts on stream_gen_id: records written again, or twice in a batch, leave one row each', async () => {
    const table = await createTable();
    const sink = await openSink(table, 2);
    const first = ['a', 'b', 'c', 'd', 'e'].map((id, i) => record(id, { user_id: id, score: i }));

    await sink.write(first);
    // a redelivery after a restart: the same records again, one of them changed
    await sink.write([...first.slice(0, 4), record('e', { user_id: 'e', score: 50 })]);
    // one id twice in one batch: an upsert may not touch a row twice, the last one wins
    expect(
      await sink.write([
        record('f', { user_id: 'f', score: 1 }),
        record('f', { user_id: 'f', score: 2 }),
      ]),
    ).toEqual([]);

    const written = await rows(table);
    expect(written.map((r) => [r.stream_gen_id, r.score])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
      ['e', 50],
      ['f', 2],
    ]);
  });

  it('refuses just the records that break a constraint, with the reason, and writes the rest', async () => {
    const table = await createTable();
    // batches of 2: the bad records fail two different statements, the good ones around them pass
    const sink = await openSink(table, 2);
    const noUser = record('b', { score: 1 });
    const negative = record('d', { user_id: 'u4', score: -1 });

    const refused = await sink.write([
      record('a', { user_id: 'u1', score: 1 }),
      noUser,
      record('c', { user_id: 'u3', score: 2 }),
      negative,
      record('e', { user_id: 'u5', score: 3 }),
    ]);

    // statements group records by their fields, so refusals come in no particular order
    const byId = (r: SinkRefusal) => r.record.headers[HEADER_ID];
    expect([...refused].sort((x, y) => byId(x).localeCompare(byId(y)))).toEqual([
      {
        record: noUser,
        reason: expect.stringMatching(/null value in column "user_id".*violates not-null/),
      },
      {
        record: negative,
        reason: expect.stringMatching(/violates check constraint "plays_\d+_score_check"/),
      },
    ]);
    expect((await rows(table)).map((r) => r.stream_gen_id)).toEqual(['a', 'c', 'e']);
  });

  it('leaves a column a record has no field for as it would be alone, whatever the batch holds', async () => {
    const table = await createTable();
    const sink = await openSink(table);
    await sink.write([record('b', { user_id: 'u2', note: 'kept' })]);

    // `a` has a note, `b` and `c` none: they must not get NULL from sharing a statement with it
    await sink.write([
      record('a', { user_id: 'u1', note: 'given' }),
      record('b', { user_id: 'u2', score: 5 }),
      record('c', { user_id: 'u3' }),
    ]);

    expect((await rows(table)).map((r) => [r.stream_gen_id, r.score, r.note])).toEqual([
      ['a', null, 'given'],
      ['b', 5, 'kept'],
      ['c', null, 'none'],
    ]);
  });

  it('refuses to open on a missing table, naming it and the id column', async () => {
    const sink = new PostgresSink('plays', { table: 'no_such_table', url: URL });
    sinks.push(sink);

    const opening = sink.open();

    await expect(opening).rejects.toBeInstanceOf(ConfigurationError);
    await expect(opening).rejects.toThrow(
      /table no_such_table must exist with a unique "stream_gen_id" text column: relation "no_such_table" does not exist/,
    );
  });

  it('rejects a write, refusing nothing, when the server is not there', async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/${DATABASE}`;
    const sink = new PostgresSink('plays', { table: 'plays_1', url });
    sinks.push(sink);
    // the server away at start is no configuration error: the writes retry until it is back
    await sink.open();

    await expect(sink.write([record('a', { user_id: 'u1', score: 1 })])).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
