import { cpuSeconds } from '../measure-window';
import { fromReport, round, type WorkloadResult } from '../results';
import { startBenchProxy, type BenchProxy } from '../secure-proxy';
import type { SuiteContext } from '../suite-context';
import { rawConsumeParams } from './baselines';
import { withPerEventCost } from './per-event-cost';
import { statelessParams } from './stateless-kafka';
import type { Workload } from './workload';

/**
 * Runs a job process with `proxy` in front of the mock and adds what the proxy did to
 * the details: its connections, and the CPU of this (the bench's) process over the job
 * process's whole life (start, group join and stop included), which is all the proxy's
 * but for a few IPC messages; per event: over `events` read (and written) through it.
 */
async function throughProxy(
  ctx: SuiteContext,
  proxy: BenchProxy,
  name: string,
  job: string,
  params: object,
  events: number,
): Promise<WorkloadResult> {
  const connectionsBefore = proxy.connections();
  const before = process.cpuUsage();
  const report = await ctx.runJob(name, { workload: job, params });
  const proxyCpu = cpuSeconds(before, process.cpuUsage());
  const connections = proxy.connections() - connectionsBefore;
  if (connections === 0 || proxy.authFailures() > 0) {
    throw new Error(
      `${name}: ${connections} connections through the proxy, ${proxy.authFailures()} refused`,
    );
  }
  return fromReport(name, report, {
    details: {
      proxyConnections: connections,
      proxyCpuSeconds: round(proxyCpu, 3),
      proxyCpuUsPerEvent: round((proxyCpu * 1e6) / events, 2),
    },
  });
}

const proxyNote = (result: WorkloadResult) =>
  `; the proxy ${String(result.details.proxyCpuUsPerEvent)} µs of the bench process's CPU per event`;

/**
 * raw-consume through the secure proxy in plaintext (what the proxy costs), then in
 * SASL_SSL with SCRAM-SHA-512 (kafkajs' own TLS and SASL), then stateless-kafka in
 * SASL_SSL (KAFKA_SSL, KAFKA_SSL_CA_FILE, KAFKA_SASL_* in its environment: the
 * runtime's consumer and producer both through the proxy). The proxy runs in the bench
 * process, on the same two cores as the job process and the mock.
 */
export const statelessKafkaSaslSsl: Workload = {
  name: 'stateless-kafka-sasl-ssl',
  title: 'raw-consume through the test proxy (plaintext, SASL_SSL) and stateless-kafka in SASL_SSL',
  async run(ctx) {
    const mock = ctx.services.kafka.brokers;
    const passes = ctx.options.rawPasses;
    const plain = await startBenchProxy(mock, 'plaintext');
    let rawPlain: WorkloadResult;
    try {
      const name = 'raw-consume-proxy';
      const params = rawConsumeParams(ctx, name, { brokers: plain.brokers });
      rawPlain = await throughProxy(
        ctx,
        plain,
        name,
        'raw-consume',
        params,
        ctx.input.events * passes,
      );
    } finally {
      await plain.close();
    }
    const secure = await startBenchProxy(mock, 'sasl_ssl');
    try {
      const rawName = 'raw-consume-sasl-ssl';
      const rawParams = rawConsumeParams(ctx, rawName, {
        brokers: secure.brokers,
        security: secure.raw,
      });
      const raw = await throughProxy(
        ctx,
        secure,
        rawName,
        'raw-consume',
        rawParams,
        ctx.input.events * passes,
      );
      const name = 'stateless-kafka-sasl-ssl';
      const params = await statelessParams(ctx, name, {
        brokers: secure.brokers,
        env: secure.env,
      });
      const job = await throughProxy(
        ctx,
        secure,
        name,
        'stateless-kafka',
        params,
        ctx.input.events,
      );
      const direct = ctx.result('raw-consume');
      return [
        withPerEventCost(rawPlain, [direct], proxyNote(rawPlain)),
        withPerEventCost(raw, [rawPlain, direct], proxyNote(raw)),
        withPerEventCost(job, [raw, ctx.result('stateless-kafka')], proxyNote(job)),
      ];
    } finally {
      await secure.close();
    }
  },
};
