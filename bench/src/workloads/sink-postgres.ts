import { Client } from 'pg';
import type { SinkPostgresParams } from '../jobs/sink-postgres.job';
import { runSinkVariants, SINK_BATCH_SIZE, sinkWrites, type SinkVariant } from './sink-variants';
import type { Workload } from './workload';

/** The machine's PostgreSQL (trust auth), as the tests use it. */
const SERVER = 'postgres://postgres@127.0.0.1:5432';

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** PostgresSink against pg doing the same upsert, in a database created and dropped here. */
export const sinkPostgres: Workload = {
  name: 'sink-postgres',
  title: 'PostgresSink upserting tv-plays rows in statements of 500 vs pg, same statements',
  async run(ctx) {
    const database = `bench_sinks_${process.pid}_${Date.now().toString(36)}`;
    await admin(`CREATE DATABASE ${database}`);
    try {
      const variant = (
        name: string,
        v: SinkPostgresParams['variant'],
        against?: string,
      ): SinkVariant => ({
        name,
        job: 'sink-postgres',
        against,
        params: {
          variant: v,
          url: `${SERVER}/${database}`,
          ...sinkWrites(ctx),
          batchSize: SINK_BATCH_SIZE,
        } satisfies SinkPostgresParams,
      });
      return await runSinkVariants(ctx, [
        variant('sink-postgres-raw', 'insert'),
        variant('sink-postgres', 'sink', 'sink-postgres-raw'),
        variant('sink-postgres-unnest', 'unnest', 'sink-postgres-raw'),
      ]);
    } finally {
      // WITH (FORCE): a job process that failed must not keep it alive
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  },
};
