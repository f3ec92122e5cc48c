import { Pool, type PoolConfig } from 'pg';
import { HEADER_ID, type OutRecord } from '../records';
import { errorMessage } from '../util/error-message';
import { ConfigurationError } from '../util/errors';
import type { SinkConnector, SinkRefusal } from './connector';

export interface PostgresSinkOptions {
  readonly table: string;
  /** A connection string; default: `DATABASE_URL`, then the `PG*` variables. */
  readonly url?: string;
  /** Rows per INSERT statement (default 500). */
  readonly batchSize?: number;
}

/** The column that holds each record's `stream-gen-id`: the table's primary key or a unique one. */
export const ID_COLUMN = 'stream_gen_id';

/**
 * Writes each record as a row of a PostgreSQL table: its top-level fields to the
 * columns of the same names (objects and arrays as JSON), its `stream-gen-id` to
 * `stream_gen_id`. Rows are upserted on that id, so a record written again after a
 * restart replaces its row: redelivery never duplicates one. A column the record has no
 * field for is left as it is (its default in a new row), whatever else the batch holds.
 *
 * A statement that fails for a reason the record itself causes (SQLSTATE class 22, a
 * data exception; 23, an integrity constraint; 42703 and 42804, a column the table
 * lacks or of another type) is retried row by row: the rows that fail alone are refused
 * (they go to the dead letters), the others are written. Any other failure (the server away, a deadlock) fails the write, which the
 * runner retries with backoff.
 */
export class PostgresSink implements SinkConnector {
  private pool: Pool | undefined;
  private readonly table: string;

  constructor(
    readonly name: string,
    private readonly options: PostgresSinkOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.table = quoteName(options.table);
  }

  describe(): string {
    return `PostgreSQL table ${this.options.table} (upsert on ${ID_COLUMN})`;
  }

  async open(): Promise<void> {
    const url = this.options.url ?? this.env.DATABASE_URL;
    const config: PoolConfig = { max: 2, ...(url ? { connectionString: url } : {}) };
    this.pool = new Pool(config);
    // an idle client that loses its connection must not crash the process
    this.pool.on('error', () => undefined);
    try {
      await this.pool.query(`SELECT ${quoteIdentifier(ID_COLUMN)} FROM ${this.table} LIMIT 0`);
    } catch (error) {
      if (isSettingsError(error)) {
        await this.close();
        throw new ConfigurationError(
          `sink "${this.name}": table ${this.options.table} must exist with a unique "${ID_COLUMN}" text column: ${errorMessage(error)}`,
        );
      }
      // the server away at start: the first write retries until it is back
    }
  }

  async write(records: readonly OutRecord[]): Promise<readonly SinkRefusal[]> {
    const pool = this.pool;
    if (!pool) throw new Error(`sink "${this.name}" is not open`);
    const refused: SinkRefusal[] = [];
    for (const rows of byColumns(latestPerId(records))) {
      // a statement takes at most 65535 parameters: one per column of each row
      const columns = Object.keys(fieldsOf(rows[0].value)).length + 1;
      const size = Math.max(
        1,
        Math.min(this.options.batchSize ?? 500, Math.floor(65535 / columns)),
      );
      for (let i = 0; i < rows.length; i += size) {
        const batch = rows.slice(i, i + size);
        try {
          await pool.query(upsert(this.table, batch));
        } catch (error) {
          if (!isRecordError(error)) throw error;
          for (const row of batch) {
            try {
              await pool.query(upsert(this.table, [row]));
            } catch (rowError) {
              if (!isRecordError(rowError)) throw rowError;
              refused.push({ record: row, reason: errorMessage(rowError) });
            }
          }
        }
      }
    }
    return refused;
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

/** One row per id, the last record of it (an upsert may not touch a row twice). */
function latestPerId(records: readonly OutRecord[]): OutRecord[] {
  const byId = new Map<string, OutRecord>();
  for (const record of records) byId.set(record.headers[HEADER_ID], record);
  return [...byId.values()];
}

/**
 * The rows grouped by the fields they have, so that a statement names only columns each
 * of its rows has a field for: a row sharing one with a row that has more fields would
 * set those columns to NULL (over their default, or over what its earlier version wrote),
 * unlike the same row written alone, which leaves them as they are.
 */
function byColumns(rows: readonly OutRecord[]): OutRecord[][] {
  const groups = new Map<string, OutRecord[]>();
  // The rows of one projection have the same fields in the same order: a row with the
  // previous row's columns joins its group without sorting and stringifying them again.
  let last: { readonly columns: string[]; readonly group: OutRecord[] } | undefined;
  for (const row of rows) {
    const columns = columnsOf(row);
    if (last && sameList(columns, last.columns)) {
      last.group.push(row);
      continue;
    }
    const key = JSON.stringify([...columns].sort());
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(row);
    last = { columns, group };
  }
  return [...groups.values()];
}

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, i) => item === b[i]);

/** The columns a row writes: its fields but the id (a field left undefined is none). */
function columnsOf(row: OutRecord): string[] {
  const fields = fieldsOf(row.value);
  return Object.keys(fields).filter((c) => c !== ID_COLUMN && fields[c] !== undefined);
}

/** One statement for rows of the same columns (see {@link byColumns}). */
function upsert(table: string, rows: readonly OutRecord[]): { text: string; values: unknown[] } {
  const columns = columnsOf(rows[0]);
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const fields = fieldsOf(row.value);
    values.push(row.headers[HEADER_ID]);
    const placeholders = [`$${values.length}`];
    for (const column of columns) {
      values.push(columnValue(fields[column]));
      placeholders.push(`$${values.length}`);
    }
    return `(${placeholders.join(', ')})`;
  });
  const names = [ID_COLUMN, ...columns].map(quoteIdentifier);
  const updates = columns.map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`);
  const onConflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return {
    text: `INSERT INTO ${table} (${names.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${quoteIdentifier(ID_COLUMN)}) ${onConflict}`,
    values,
  };
}

/** A record that is not an object becomes a row with one column, `value`. */
function fieldsOf(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

function columnValue(value: unknown): unknown {
  if (value === undefined) return null;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

/**
 * Errors the record causes, which the same record would cause again: a data exception
 * (class 22), an integrity constraint (23), a column the table lacks or of another
 * type (42703, 42804). Not the rest of class 42: a table dropped or a privilege revoked
 * while the router runs is mended by someone, and the write retried until then.
 */
function isRecordError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (/^(22|23)/.test(code) || code === '42703' || code === '42804');
}

/** Errors of the sink's settings: no such table, database or role, or a failed login. */
function isSettingsError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (/^(28|3D)/.test(code) || code === '42P01' || code === '42703');
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const quoteIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `schema.table` or `table`, each part quoted. */
function quoteName(name: string): string {
  return name.split('.').map(quoteIdentifier).join('.');
}
