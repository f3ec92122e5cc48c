/**
 * `npm run bench [-- --quick] [-- --profile] [-- --only a,b]`: starts a redis-server
 * and a mock Kafka cluster, pre-produces the seeded join input, runs every workload's
 * job in its own process, prints a table and writes bench/results.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { checkRetained, joinEvents, produceEvents } from './input-data';
import { describeCommit, describeMachine } from './machine';
import { parseOptions } from './options';
import { summarizeProfiles } from './profile-summary';
import { resultsTable, withRatios, writeResults } from './results';
import { startServices } from './services';
import { PROFILE_DIR, SuiteContext } from './suite-context';
import { checkTargets, targetsTable } from './targets';
import { assetViewKafkaRedis } from './workloads/asset-view-kafka-redis';
import { rawConsume, rawRedisPipeline } from './workloads/baselines';
import { enricher } from './workloads/enricher';
import { hotItemsKafkaRedis } from './workloads/hot-items-kafka-redis';
import { joinEmbedded } from './workloads/join-embedded';
import { joinKafkaRedis } from './workloads/join-kafka-redis';
import { joinLatency } from './workloads/join-latency';
import { rawConsumeLatency } from './workloads/raw-consume-latency';
import { routerKafka, routerKafkaInterpreted } from './workloads/router-kafka';
import { scriptUdf } from './workloads/script-udf';
import { sessionsEmbedded } from './workloads/sessions-embedded';
import { sinkHttp } from './workloads/sink-http';
import { sinkPostgres } from './workloads/sink-postgres';
import { sinkRedis } from './workloads/sink-redis';
import { chainKafka, statelessKafka } from './workloads/stateless-kafka';
import { statelessKafkaSaslSsl } from './workloads/stateless-kafka-sasl-ssl';
import {
  statelessKafkaCodecs,
  statelessKafkaNoIdempotence,
} from './workloads/stateless-kafka-settings';
import { statelessKafkaZstdInput } from './workloads/zstd-input';
import { fusedKafkaRedis, pipelineKafkaRedis } from './workloads/pipeline-kafka-redis';
import { unionKafkaRedis } from './workloads/union-kafka-redis';
import type { Workload } from './workloads/workload';

const RESULTS_FILE = path.resolve(__dirname, '..', 'results.json');

/** In this order: the ratios need raw-consume, the latency workload the join's maximum. */
const WORKLOADS: readonly Workload[] = [
  rawConsume,
  rawRedisPipeline,
  statelessKafka,
  ...statelessKafkaCodecs,
  statelessKafkaNoIdempotence,
  statelessKafkaZstdInput,
  statelessKafkaSaslSsl,
  chainKafka,
  pipelineKafkaRedis,
  fusedKafkaRedis,
  unionKafkaRedis,
  hotItemsKafkaRedis,
  assetViewKafkaRedis,
  routerKafka,
  routerKafkaInterpreted,
  scriptUdf,
  sinkPostgres,
  sinkRedis,
  sinkHttp,
  enricher,
  joinKafkaRedis,
  joinEmbedded,
  sessionsEmbedded,
  joinLatency,
  rawConsumeLatency,
];

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const unknown = options.only?.filter((name) => !WORKLOADS.some((w) => w.name === name)) ?? [];
  if (unknown.length > 0) {
    throw new Error(
      `unknown workload ${unknown.join(', ')}; the workloads: ${WORKLOADS.map((w) => w.name).join(', ')}`,
    );
  }
  const selected = WORKLOADS.filter((w) => !options.only || options.only.includes(w.name));
  const started = Date.now();
  if (options.profile) fs.rmSync(PROFILE_DIR, { recursive: true, force: true });
  log(`mode ${options.mode}; starting redis-server and the mock Kafka cluster`);
  const services = await startServices();
  const kafka = new Kafka({
    brokers: services.kafka.brokers,
    logLevel: logLevel.ERROR,
    clientId: 'bench',
  });
  const producer = kafka.producer();
  try {
    await producer.connect();
    const topics = { impressions: 'bench.input.impressions', plays: 'bench.input.plays' };
    await services.kafka.createTopic(topics.impressions, options.partitions);
    await services.kafka.createTopic(topics.plays, options.partitions);
    const input = joinEvents(options.impressions, options.seed);
    await produceEvents(producer, input, topics, options.partitions);
    await checkRetained(kafka, [topics.impressions, topics.plays]);
    log(`pre-produced ${input.length} join events in ${Date.now() - started} ms since start`);
    const ctx = new SuiteContext(
      options,
      services,
      {
        topics,
        events: input.length,
        impressions: input.filter((e) => e.topic === 'impressions').length,
      },
      kafka,
      producer,
      PROFILE_DIR,
    );
    try {
      for (const workload of selected) {
        log(`${workload.name}: ${workload.title}`);
        const workloadStarted = Date.now();
        const results = await workload.run(ctx);
        ctx.results.push(...results);
        for (const r of results) {
          log(
            `  ${r.entry.workload}: ${r.entry.eventsPerSec} events/s, ${r.eventsPerCpuSecond} events/CPU-s ` +
              `(${((Date.now() - workloadStarted) / 1000).toFixed(1)} s) ${JSON.stringify(r.details)}`,
          );
        }
      }
      const entries = withRatios(ctx.results);
      writeResults(RESULTS_FILE, entries);
      const machine = describeMachine(await ctx.redisVersion());
      console.log(`\nstream-gen bench (${options.mode}) at ${describeCommit()} on ${machine}\n`);
      console.log(resultsTable(entries, ctx.results));
      const notes = ctx.results.flatMap((r) => r.notes);
      if (notes.length > 0) console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
      console.log(
        `\nTargets (reported, not enforced)\n\n${targetsTable(checkTargets(entries, ctx.results, options.joinRuns))}`,
      );
      console.log(
        `\nwrote ${path.relative(process.cwd(), RESULTS_FILE)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      if (options.profile) console.log(`\n${summarizeProfiles(PROFILE_DIR, 15)}`);
    } finally {
      await ctx.close();
    }
  } finally {
    await producer.disconnect();
    await services.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
