import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddedLog,
  EmbeddedLogSink,
  EmbeddedLogSource,
  JobRunner,
  JsonlFileSink,
  JsonlFileSource,
  MemoryStateBackend,
  resolveBackends,
  silentLogger,
  startStatusServer,
  type JobSpec,
} from '../src';
import { clickJob, type Click } from './fixtures';

const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

function fileRunner(job: JobSpec, dir: string, inputs: Record<string, string>, sinks: string[]) {
  return new JobRunner({
    job,
    sources: Object.fromEntries(
      Object.entries(inputs).map(([n, text]) => {
        const path = join(dir, `${n}.jsonl`);
        writeFileSync(path, text);
        return [n, new JsonlFileSource(n, path)];
      }),
    ),
    sinks: Object.fromEntries(
      sinks.map((n) => [n, new JsonlFileSink(n, join(dir, `${n}.out.jsonl`))]),
    ),
    backend: new MemoryStateBackend(),
    logger: silentLogger,
    batchSize: 3,
  });
}

describe('JobRunner', () => {
  it('runs a bounded file job to the end and fires every timer due at the end of time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-run-'));
    const clicks: Click[] = [
      { user: 'a', ts: 1000 },
      { user: 'b', ts: 1200 },
      { user: 'a', ts: 950 },
      { user: 'a', ts: 5000 },
      { user: 'b', ts: 100 },
    ];
    const runner = fileRunner(
      {
        ...clickJob({ bound: 100 }),
        outputs: { main: 'counts', sideOutputs: { late: 'late' }, deadLetters: 'dlq' },
      },
      dir,
      { clicks: clicks.map((c) => JSON.stringify(c)).join('\n') + '\n\n{oops\n' },
      ['counts', 'late', 'dlq'],
    );
    const summary = await runner.run();
    // Batches of 3: the watermark moves to 4900 after the second batch, whose a@5000
    // was already counted when a's first timers fire.
    expect(readJsonl(join(dir, 'counts.out.jsonl'))).toEqual([
      { user: 'a', count: 3, at: 1950 },
      { user: 'a', count: 3, at: 2000 },
      { user: 'b', count: 1, at: 2200 },
      { user: 'a', count: 3, at: 6000 },
    ]);
    expect(readJsonl(join(dir, 'late.out.jsonl'))).toEqual([{ user: 'b', ts: 100 }]);
    const [letter] = readJsonl(join(dir, 'dlq.out.jsonl'));
    expect(letter).toMatchObject({ source: 'clicks', partition: 0, offset: 6, value: '{oops' });
    expect(letter.reason).toMatch(/^not valid JSON/);
    expect(summary.metrics).toMatchObject({
      recordsIn: 6,
      late: 1,
      deadLetters: 1,
      timersFired: 4,
    });
  });

  it('says what is missing when a source or sink is not bound', () => {
    expect(
      () =>
        new JobRunner({
          job: clickJob(),
          sources: {},
          sinks: {},
          backend: new MemoryStateBackend(),
          logger: silentLogger,
        }),
    ).toThrow(
      /source "clicks" has no connector[\s\S]*sink "counts" has no connector[\s\S]*--source <name>=<file.jsonl>/,
    );
  });

  it('reads every partition of the embedded log as its own task, and resumes from checkpoints', async () => {
    const log = new EmbeddedLog(4);
    const backend = new MemoryStateBackend();
    const clicks = Array.from({ length: 400 }, (_, i) => ({ user: `u${i % 20}`, ts: i * 10 }));
    const append = (part: Click[]) =>
      log.append(
        'clicks',
        part.map((c) => ({ key: c.user, value: JSON.stringify(c) })),
      );
    const runner = () =>
      new JobRunner({
        job: clickJob({ bound: 10_000 }),
        sources: { clicks: new EmbeddedLogSource(log, 'clicks') },
        sinks: {
          counts: new EmbeddedLogSink(log, 'counts'),
          late: new EmbeddedLogSink(log, 'late'),
        },
        backend,
        logger: silentLogger,
        batchSize: 25,
        checkpointIntervalMs: 0,
      });

    append(clicks.slice(0, 200));
    const first = runner();
    const running = first.run();
    await waitFor(() => log.lag('stream-gen', 'clicks') === 0);
    await first.stop();
    await running;
    expect(first.status()).toHaveLength(4);

    append(clicks.slice(200));
    log.seal('clicks');
    const second = runner();
    const summary = await second.run();
    expect(summary.metrics).toMatchObject({ recordsIn: 200, late: 0 });

    const counts = readTopic(log, 'counts') as Array<{ user: string; count: number }>;
    // Each user's last timer sees all 20 of its clicks: state survived the restart, counted once.
    const last = new Map(counts.map((c) => [c.user, c.count]));
    expect([...last.values()]).toEqual(Array(20).fill(20));
  });

  it('picks the backends from the environment and rejects a malformed broker list', () => {
    expect(resolveBackends({}, silentLogger).description).toMatch(/^embedded backends/);
    expect(() => resolveBackends({ KAFKA_BROKERS: 'localhost' }, silentLogger)).toThrow(
      'KAFKA_BROKERS must be a comma list of host:port, got "localhost"',
    );
    const kafka = resolveBackends({ KAFKA_BROKERS: 'a:9092, b:9092' }, silentLogger);
    expect(kafka.mode).toBe('kafka');
    expect(kafka.description).toBe('Kafka at a:9092,b:9092 with in-memory state');
    const broker = { KAFKA_BROKERS: 'a:9092' };
    expect(() =>
      resolveBackends({ ...broker, STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS: '5000' }, silentLogger),
    ).toThrow(
      'STREAM_GEN_KAFKA_SESSION_TIMEOUT_MS must be whole milliseconds, at least 6000 (brokers refuse less by default), got "5000"',
    );
    expect(() =>
      resolveBackends({ ...broker, STREAM_GEN_KAFKA_MAX_WAIT_MS: '0.5' }, silentLogger),
    ).toThrow('STREAM_GEN_KAFKA_MAX_WAIT_MS must be whole milliseconds, at least 1, got "0.5"');
  });
});

function readTopic(log: EmbeddedLog, topic: string): unknown[] {
  const out: unknown[] = [];
  for (let p = 0; p < log.partitionCount(topic); p++) {
    out.push(
      ...log.read(topic, p, 0, Number.MAX_SAFE_INTEGER).records.map((r) => JSON.parse(r.value)),
    );
  }
  return out;
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JobRunner failures', () => {
  it('stops every task and reports the error when a sink fails', async () => {
    const log = new EmbeddedLog(2);
    log.append(
      'clicks',
      [0, 1, 2, 3].map((i) => ({ key: `u${i}`, value: JSON.stringify({ user: `u${i}`, ts: i }) })),
    );
    log.seal('clicks');
    const failing = {
      name: 'counts',
      describe: () => 'failing sink',
      open: async () => {},
      write: async () => {
        throw new Error('disk full');
      },
      close: async () => {},
    };
    const runner = new JobRunner({
      job: clickJob(),
      sources: { clicks: new EmbeddedLogSource(log, 'clicks') },
      sinks: { counts: failing, late: new EmbeddedLogSink(log, 'late') },
      backend: new MemoryStateBackend(),
      logger: silentLogger,
    });
    await expect(runner.run()).rejects.toThrow('disk full');
  });
});

describe('status endpoints', () => {
  it('serve /health and /metrics of a running job', async () => {
    const log = new EmbeddedLog(2);
    log.append('clicks', [{ key: 'a', value: JSON.stringify({ user: 'a', ts: 1 }) }]);
    const runner = new JobRunner({
      job: clickJob(),
      sources: { clicks: new EmbeddedLogSource(log, 'clicks') },
      sinks: { counts: new EmbeddedLogSink(log, 'counts'), late: new EmbeddedLogSink(log, 'late') },
      backend: new MemoryStateBackend(),
      logger: silentLogger,
    });
    const running = runner.run();
    const server = await startStatusServer(0, 'Clicks', runner, silentLogger);
    try {
      await waitFor(() => runner.metrics.recordsIn === 1);
      const health = (await (await fetch(`http://127.0.0.1:${server.port}/health`)).json()) as {
        tasks: Array<{ task: string }>;
      };
      expect(health).toMatchObject({ status: 'ok', job: 'Clicks' });
      expect(health.tasks.map((t: { task: string }) => t.task)).toEqual(['0', '1']);
      const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      expect(metrics).toContain('stream_gen_records_in_total{job="Clicks"} 1');
      expect(metrics).toMatch(/stream_gen_watermark_ms\{job="Clicks",task="0"\} -?\d+/);
    } finally {
      await server.close();
      await runner.stop();
      await running;
    }
  });
});
