import { HEADER_ID, PostgresSink, type OutRecord } from '@stream-gen/runtime';
import { Client } from 'pg';
import type { Measured } from '../protocol';
import {
  chunks,
  measureSinkWrites,
  type SinkJobParams,
  type SinkTarget,
  type TvPlay,
} from './sink-writes';

export interface SinkPostgresParams extends SinkJobParams {
  /**
   * `sink`: PostgresSink. `insert`: pg with the same multi-row INSERT ... ON CONFLICT
   * upsert written for the known columns. `unnest`: pg with one array parameter per
   * column (`INSERT ... SELECT FROM unnest(...)`), the same upsert.
   */
  readonly variant: 'sink' | 'insert' | 'unnest';
  /** The database the workload created (dropped by it afterwards). */
  readonly url: string;
  /** Rows per statement. */
  readonly batchSize: number;
}

const COLUMNS = ['play_id', 'profile_id', 'title_id', 'duration_ms', 'os'] as const;
const TYPES = ['text', 'text', 'text', 'float8', 'text'] as const;
const UPDATES = COLUMNS.map((c) => `${c} = EXCLUDED.${c}`).join(', ');

/** The `tv-plays` table of the play-events-router sample's tests. */
const createTable = (table: string) => `CREATE TABLE ${table} (
  stream_gen_id text PRIMARY KEY,
  play_id text NOT NULL, profile_id text NOT NULL, title_id text NOT NULL,
  duration_ms double precision NOT NULL, os text NOT NULL)`;

function insertStatement(table: string, rows: readonly OutRecord[]) {
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const v = row.value as TvPlay;
    const n = values.push(row.headers[HEADER_ID], ...COLUMNS.map((c) => v[c]));
    return `($${n - 5}, $${n - 4}, $${n - 3}, $${n - 2}, $${n - 1}, $${n})`;
  });
  return {
    text:
      `INSERT INTO ${table} (stream_gen_id, ${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ` +
      `ON CONFLICT (stream_gen_id) DO UPDATE SET ${UPDATES}`,
    values,
  };
}

function unnestStatement(table: string, rows: readonly OutRecord[]) {
  const arrays: unknown[][] = [rows.map((r) => r.headers[HEADER_ID])];
  for (const c of COLUMNS) arrays.push(rows.map((r) => (r.value as TvPlay)[c]));
  const params = ['text', ...TYPES].map((type, i) => `$${i + 1}::${type}[]`);
  return {
    text:
      `INSERT INTO ${table} (stream_gen_id, ${COLUMNS.join(', ')}) ` +
      `SELECT * FROM unnest(${params.join(', ')}) ` +
      `ON CONFLICT (stream_gen_id) DO UPDATE SET ${UPDATES}`,
    values: arrays,
  };
}

/**
 * PostgresSink, or pg doing the same upsert, writing the tv-plays rows to a fresh table;
 * then the table must hold one row per record with the records' durations.
 */
export async function sinkPostgres(params: SinkPostgresParams): Promise<Measured> {
  const db = new Client({ connectionString: params.url });
  await db.connect();
  const sinks: PostgresSink[] = [];
  const tableOf = (name: string) => `${params.variant}_${name}`;
  const target: SinkTarget = {
    async open(name) {
      const table = tableOf(name);
      await db.query(createTable(table));
      if (params.variant === 'sink') {
        const sink = new PostgresSink('tv-plays', {
          table,
          url: params.url,
          batchSize: params.batchSize,
        });
        sinks.push(sink);
        await sink.open();
        return async (records) => {
          const refused = await sink.write(records);
          if (refused.length > 0) throw new Error(`the sink refused ${refused.length} records`);
        };
      }
      const statement = params.variant === 'insert' ? insertStatement : unnestStatement;
      return async (records) => {
        for (const rows of chunks(records, params.batchSize))
          await db.query(statement(table, rows));
      };
    },
    async verify(name, records) {
      const { rows } = await db.query<{ rows: number; total: number }>(
        `SELECT count(*)::int AS rows, coalesce(sum(duration_ms), 0)::float8 AS total FROM ${tableOf(name)}`,
      );
      const expected = records.reduce((sum, r) => sum + (r.value as TvPlay).duration_ms, 0);
      if (rows[0].rows !== records.length || rows[0].total !== expected) {
        throw new Error(
          `${tableOf(name)} holds ${rows[0].rows} rows (duration sum ${rows[0].total}), ` +
            `expected ${records.length} (${expected})`,
        );
      }
      return { rows: rows[0].rows };
    },
    async close() {
      await Promise.allSettled(sinks.map((s) => s.close()));
      await db.end();
    },
  };
  const measured = await measureSinkWrites(params, target);
  return {
    ...measured,
    details: { ...measured.details, variant: params.variant, batchSize: params.batchSize },
  };
}
