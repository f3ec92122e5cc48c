/**
 * Fan-out of the sources' stages: a stream read by several chain stages, each branch
 * ending in the operator, the main output or a sink that copies it. A stage before the
 * fork runs once per element for all branches; copies carry ids of their own.
 */
import { checkJob, EmbeddedLog, HEADER_ID, launchJob, silentLogger } from '../src';
import type { ChainStageSpec, JobSpec } from '../src';
import { JobHarness } from '../src/testing';
import { RunningLookups } from '../src/async/lookup-refresher';
import { ElementIngest, type ReadyElement } from '../src/task/element-ingest';
import { JobMetrics } from '../src/task/metrics';
import { openSourcePlans } from '../src/task/source-steps';
import { WatermarkTracker } from '../src/time/watermark-tracker';
import { CountThenFire, type Click } from './fixtures';

/**
 * `lines` -> parse (flatMap) -> `clicks`, read by two stages: `bots` keeps the bots'
 * clicks (copied to the sink `bot-clicks`), `humans` the others (counted per user).
 */
function forkedJob(parsed: { calls: number } = { calls: 0 }, throwOn?: string): JobSpec {
  const parse: ChainStageSpec = {
    kind: 'chain',
    id: 'parse',
    input: 'lines',
    output: 'clicks',
    create: () => [
      {
        kind: 'flatMap',
        name: 'split',
        fn: (line: string) => {
          parsed.calls++;
          return line.split(';').map((part) => JSON.parse(part) as Click);
        },
      },
    ],
  };
  const filter = (id: string, output: string, bots: boolean): ChainStageSpec => ({
    kind: 'chain',
    id,
    input: 'clicks',
    output,
    create: () => [
      {
        kind: 'filter',
        name: 'who',
        fn: (c: Click) => {
          if (bots && c.user === throwOn) throw new Error(`cannot tell ${c.user}`);
          return c.user.startsWith('bot') === bots;
        },
      },
    ],
  });
  return {
    name: 'Forked',
    sources: [
      {
        name: 'lines',
        eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 0 },
        key: (c: Click) => c.user,
      },
    ],
    stages: [parse, filter('bots', 'bot-clicks', true), filter('humans', 'human-clicks', false)],
    operator: {
      kind: 'process',
      name: 'count',
      input: 'human-clicks',
      create: () => new CountThenFire(),
    },
    outputs: {
      main: 'counts',
      deadLetters: 'dead',
      streams: { 'bot-clicks': 'bots', clicks: 'all-clicks' },
    },
  };
}

const line = (...clicks: Click[]) => clicks.map((c) => JSON.stringify(c)).join(';');

describe('a stream read by several chain stages', () => {
  it('sends each branch its elements: the operator one, the copies to their sinks', async () => {
    const parsed = { calls: 0 };
    const h = await JobHarness.create({ job: forkedJob(parsed) });
    await h.push(
      'lines',
      line({ user: 'a', ts: 1 }, { user: 'bot1', ts: 2 }),
      line({ user: 'bot2', ts: 3 }),
      line({ user: 'a', ts: 4 }, { user: 'b', ts: 5 }),
    );
    await h.endOfInput();
    // the stage before the fork ran once per line, not once per branch
    expect(parsed.calls).toBe(3);
    expect(h.output()).toEqual([
      { user: 'a', count: 2, at: 1001 },
      { user: 'a', count: 2, at: 1004 },
      { user: 'b', count: 1, at: 1005 },
    ]);
    expect(h.copied<Click>('bot-clicks').map((c) => c.user)).toEqual(['bot1', 'bot2']);
    expect(h.copied<Click>('clicks').map((c) => c.user)).toEqual(['a', 'bot1', 'bot2', 'a', 'b']);
    const ids = h.records('stream').map((r) => r.headers[HEADER_ID]);
    expect(ids.slice(0, 3)).toEqual([
      'Forked/0/lines@0>clicks.0#0',
      'Forked/0/lines@0>clicks.1#0',
      'Forked/0/lines@0>bot-clicks.0#0',
    ]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('dead-letters a record once when the stage before the fork throws', async () => {
    const job = forkedJob();
    const h = await JobHarness.create({ job });
    await h.push('lines', line({ user: 'a', ts: 1 }), '{oops', line({ user: 'bot', ts: 2 }));
    await h.endOfInput();
    expect(h.deadLetters().map((d) => d.offset)).toEqual([1]);
    expect(h.deadLetters()[0].reason).toMatch(/^flatMap step "parse\.split" threw: /);
    expect(h.copied<Click>('clicks').map((c) => c.user)).toEqual(['a', 'bot']);
  });

  it('dead-letters a record whose branch after the fork throws, copies of it included', async () => {
    const h = await JobHarness.create({ job: forkedJob(undefined, 'boom') });
    await h.push(
      'lines',
      line({ user: 'a', ts: 1 }),
      line({ user: 'a', ts: 2 }, { user: 'boom', ts: 3 }),
    );
    await h.endOfInput();
    const [letter, ...others] = h.deadLetters();
    expect(others).toEqual([]);
    expect(letter).toMatchObject({ source: 'lines', offset: 1 });
    expect(letter.reason).toBe('filter step "bots.who" threw: cannot tell boom');
    // nothing of the failed record: neither its copies nor the other branch's count
    expect(h.copied<Click>('clicks').map((c) => c.ts)).toEqual([1]);
    expect(h.output()).toEqual([{ user: 'a', count: 1, at: 1001 }]);
  });

  it('writes each copy to its sink on the embedded log, the same ids whatever the batching', async () => {
    const lines = Array.from({ length: 200 }, (_, i) =>
      line({ user: `u${i % 7}`, ts: i * 10 }, { user: `bot${i % 3}`, ts: i * 10 + 1 }),
    );
    const run = async (interval: string) => {
      const log = new EmbeddedLog(2);
      log.createTopic('lines', 2);
      log.append(
        'lines',
        // each record is a JSON string holding a line
        lines.map((value, i) => ({
          key: String(i % 2),
          value: JSON.stringify(value),
          timestamp: i,
        })),
      );
      log.seal('lines');
      await launchJob({
        job: forkedJob(),
        sinks: ['counts', 'dead', 'bots', 'all-clicks'],
        log,
        logger: silentLogger,
        env: { STREAM_GEN_CHECKPOINT_INTERVAL_MS: interval },
      }).run();
      const read = (topic: string) =>
        [0, 1].flatMap((p) =>
          log.read(topic, p, 0, 1_000_000).records.map((r) => `${r.headers[HEADER_ID]} ${r.value}`),
        );
      return { bots: read('bots').sort(), all: read('all-clicks').sort() };
    };
    const a = await run('1');
    expect(a.bots).toHaveLength(200);
    expect(a.all).toHaveLength(400);
    expect(await run('500')).toEqual(a);
  });

  it('refuses to start when a copy has no sink connector', async () => {
    const log = new EmbeddedLog(1);
    log.createTopic('lines', 1);
    log.seal('lines');
    const run = async () =>
      launchJob({
        job: forkedJob(),
        sinks: ['counts', 'dead', 'all-clicks'],
        log,
        logger: silentLogger,
      }).run();
    await expect(run()).rejects.toThrow('sink "bots" has no connector');
  });

  it('feeds the main output of a job without an operator from every branch no sink copies', async () => {
    const { operator: _none, ...job } = forkedJob();
    const stateless: JobSpec = {
      ...job,
      outputs: { main: 'humans', streams: { 'bot-clicks': 'bots' } },
    };
    const h = await JobHarness.create({ job: stateless });
    await h.push('lines', line({ user: 'a', ts: 1 }, { user: 'bot', ts: 2 }));
    expect(h.output<Click>().map((c) => c.user)).toEqual(['a']);
    expect(h.copied<Click>('bot-clicks').map((c) => c.user)).toEqual(['bot']);
  });

  it('refuses a source whose branches reach two inputs of the operator', () => {
    const job = forkedJob();
    expect(() =>
      checkJob({
        ...job,
        operator: {
          kind: 'union',
          name: 'count',
          inputs: ['human-clicks', 'bot-clicks'],
          create: () => new CountThenFire(),
        },
        outputs: { main: 'counts' },
      }),
    ).toThrow(
      'source "lines" reaches operator inputs "bot-clicks" and "human-clicks"; the elements of one source feed one input',
    );
  });
});

describe('a record the re-keying stage split over several tasks', () => {
  /** What one task's ingest does with the record at offset 5 when it holds `share` of it. */
  async function ingestShare(value: string, share?: number[]) {
    const job = forkedJob(undefined, 'boom');
    const calls: string[] = [];
    const ingest = new ElementIngest(
      {
        watermarks: new WatermarkTracker({ lines: { maxOutOfOrdernessMs: 0 } }, 0),
        metrics: new JobMetrics(),
        retries: 0,
        external: new Set(),
        ownPartition: 0,
      },
      {
        deadLetter: (origin) => void calls.push(`dead ${origin}`),
        late: (origin) => void calls.push(`late ${origin}`),
        copy: (stream, origin) => void calls.push(`copy ${origin}`),
        failed: (_f, origin) => void calls.push(`failed ${origin}`),
      },
      () => 2,
    );
    ingest.plans = await openSourcePlans(job, new RunningLookups(silentLogger));
    const ready: ReadyElement[] = [];
    const element = { offset: 5, encoded: JSON.stringify(value), valueIndexes: share };
    ingest.prepare(job.sources[0], 0, element, 0, ready);
    return { calls, ready: ready.map((r) => r.origin) };
  }

  const two = line({ user: 'a', ts: 1 }, { user: 'b', ts: 2 });

  it('writes its copies once: from the task holding its first value', async () => {
    expect(await ingestShare(two, [1])).toEqual({ calls: [], ready: ['lines:2@5.1'] });
    expect(await ingestShare(two, [0])).toEqual({
      calls: ['copy lines:2@5>clicks.0', 'copy lines:2@5>clicks.1'],
      ready: ['lines:2@5.0'],
    });
    expect((await ingestShare(two)).ready).toEqual(['lines:2@5.0', 'lines:2@5.1']);
  });

  it('dead-letters it once when a branch the re-keying stage does not run throws', async () => {
    const failing = line({ user: 'a', ts: 1 }, { user: 'boom', ts: 2 });
    expect(await ingestShare(failing, [1])).toEqual({ calls: [], ready: [] });
    expect(await ingestShare(failing, [0])).toEqual({ calls: ['failed lines:2@5'], ready: [] });
  });
});
