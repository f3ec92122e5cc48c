/**
 * A router of one scripted route (`scaled`) on the test services, for the tests of its
 * script's versions: records `{ id, n: id }` produced in phases, each phase waited for
 * until every record of it is out. No test-framework dependency.
 */
import { HEADER_ID, launchRouter, type Logger, type RouterSpec, type RunningRouter } from '../src';
import { HEADER_SCRIPT_VERSION, type ScriptSpec } from '../src/script/route-script';
import { kafkaJobEnv } from './job-env';
import { kafkaClient, produce, TopicReader } from './kafka-io';
import type { TestServices } from './services';

export interface ScaledOutput {
  readonly value: { readonly id: number; readonly n: number };
  readonly version: string;
}

export interface ScriptReloadRun {
  /** What the router logged (warnings as `warn <message>`). */
  readonly logs: string[];
  /** Produces the records of ids `from` to `from + count - 1` and waits for their outputs. */
  phase(from: number, count: number): Promise<void>;
  /** The versions the log says were loaded at start, then those that replaced them, each once. */
  versions(): string[];
  /**
   * Each output by id, in id order. A record written twice (at least once) must be the
   * same both times, version included: otherwise this throws.
   */
  outputs(): ScaledOutput[];
  /** Records the router dead-lettered. */
  deadLetters(): unknown[];
  stop(): Promise<void>;
}

export async function startScriptReloadRun(
  services: TestServices,
  script: ScriptSpec,
): Promise<ScriptReloadRun> {
  const kafka = kafkaClient(services.kafkaBrokers);
  const ns = `script-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  const topic = (t: string) => `${ns}.${t}`;
  await services.kafka.createTopic(topic('plays'), 2);
  await services.kafka.createTopic(topic('scaled'), 1);
  await services.kafka.createTopic(topic('Scaler.dead-letters'), 1);
  const router: RouterSpec = {
    name: 'Scaler',
    source: {
      topic: 'plays',
      validate: (v) =>
        typeof (v as { n?: unknown }).n === 'number' ? undefined : '$.n: expected number',
    },
    routes: [{ name: 'scaled', script, sink: { kind: 'kafka', topic: 'scaled' } }],
  };
  const logs: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => logs.push(m),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  const reader = await TopicReader.start(kafka, [topic('scaled'), topic('Scaler.dead-letters')]);
  const running: RunningRouter = launchRouter(router, { env: kafkaJobEnv(services, ns), logger });
  const run = running.runAll();
  // a run that fails (a script that does not load at start) ends the waits with its error
  const failure = run.then(() => new Promise<never>(() => undefined));
  failure.catch(() => undefined);
  const scaled = () => reader.records.filter((r) => r.topic === topic('scaled'));
  return {
    logs,
    async phase(from, count) {
      const values = Array.from({ length: count }, (_, i) => ({ id: from + i, n: from + i }));
      await produce(
        kafka,
        topic('plays'),
        values.map((value) => ({ key: String(value.id), value })),
      );
      await Promise.race([
        failure,
        reader.waitFor(
          () => new Set(scaled().map((r) => r.headers[HEADER_ID])).size >= from + count,
          60_000,
          () => `${scaled().length} outputs\n${logs.join('\n')}`,
        ),
      ]);
    },
    versions: () => [
      // each task of the job loads the script and swaps it for itself
      ...new Set(
        logs.flatMap(
          (l) => /(?:version|replaced by) ([0-9a-f]{12})(?: loaded)?$/.exec(l)?.[1] ?? [],
        ),
      ),
    ],
    outputs() {
      const byId = new Map<string, ScaledOutput>();
      for (const r of scaled()) {
        const out = {
          value: r.value as ScaledOutput['value'],
          version: r.headers[HEADER_SCRIPT_VERSION],
        };
        const seen = byId.get(r.headers[HEADER_ID]);
        if (seen && (seen.version !== out.version || seen.value.n !== out.value.n)) {
          throw new Error(
            `record ${r.headers[HEADER_ID]} written as ${JSON.stringify(seen)} and ${JSON.stringify(out)}`,
          );
        }
        byId.set(r.headers[HEADER_ID], out);
      }
      return [...byId.values()].sort((a, b) => a.value.id - b.value.id);
    },
    deadLetters: () =>
      reader.records.filter((r) => r.topic === topic('Scaler.dead-letters')).map((r) => r.value),
    async stop() {
      await running.stop();
      await run.catch(() => undefined);
      await reader.close();
    },
  };
}

/**
 * Whether each output went through the version of its phase: `phases` are
 * `[first id, version, factor]`, in id order; an output of id `i` in a phase must have
 * that version and `n = i * factor`.
 */
export function phaseOf(
  phases: ReadonlyArray<readonly [number, string, number]>,
): (output: ScaledOutput) => [string, number] {
  return ({ value }) => {
    const [, version, factor] =
      [...phases].reverse().find(([from]) => value.id >= from) ?? phases[0];
    return [version, value.id * factor];
  };
}
