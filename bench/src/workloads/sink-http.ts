import type { SinkHttpParams } from '../jobs/sink-http.job';
import { startSinkHttpServer } from '../sink-http-server';
import { runSinkVariants, SINK_BATCH_SIZE, sinkOrRaw, sinkWrites } from './sink-variants';
import type { Workload } from './workload';

/** HttpSink (JSON and Elasticsearch _bulk) against fetch POSTing the same bodies. */
export const sinkHttp: Workload = {
  name: 'sink-http',
  title: 'HttpSink POSTs of 500 records (JSON array, _bulk NDJSON) vs fetch, same bodies',
  async run(ctx) {
    const server = await startSinkHttpServer();
    try {
      const variant = (format: SinkHttpParams['format'], client: SinkHttpParams['client']) =>
        sinkOrRaw(`sink-http-${format === 'json' ? 'json' : 'bulk'}`, client, 'sink-http', {
          serverUrl: server.url,
          format,
          client,
          ...sinkWrites(ctx),
          batchSize: SINK_BATCH_SIZE,
        } satisfies SinkHttpParams);
      return await runSinkVariants(ctx, [
        variant('json', 'raw'),
        variant('json', 'sink'),
        variant('elasticsearch-bulk', 'raw'),
        variant('elasticsearch-bulk', 'sink'),
      ]);
    } finally {
      await server.close();
    }
  },
};
