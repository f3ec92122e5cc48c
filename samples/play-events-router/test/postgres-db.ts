import { Client } from 'pg';

const ADMIN = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database of the test's own on the machine's PostgreSQL, dropped by `drop()`. */
export async function createDatabase(prefix: string) {
  const name = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = new Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:5432/${name}`;
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    url,
    client,
    /** The `tv-plays` route's table: one row per output id. */
    async createTvPlays(check = 'true') {
      await client.query(`CREATE TABLE tv_plays (
        stream_gen_id text PRIMARY KEY,
        play_id text NOT NULL, profile_id text NOT NULL, title_id text NOT NULL,
        duration_ms double precision NOT NULL, os text NOT NULL CHECK (${check}))`);
    },
    async rows(): Promise<Array<Record<string, unknown>>> {
      const result = await client.query(
        'SELECT play_id, profile_id, title_id, duration_ms, os FROM tv_plays ORDER BY stream_gen_id',
      );
      return result.rows as Array<Record<string, unknown>>;
    },
    async drop() {
      await client.end();
      const admin = new Client({ connectionString: ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Rows in play order, as the reference gives them. */
export function byPlayId<T extends { play_id?: unknown }>(rows: readonly T[]): T[] {
  const n = (r: T) => Number(String(r.play_id).replace('play-', ''));
  return [...rows].sort((a, b) => n(a) - n(b));
}
