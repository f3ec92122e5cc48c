/**
 * A router's routes share one job reading the source once: a route whose function
 * throws on a record dead-letters that record for that route alone, and the routes
 * beside it still get it; isolated routes run as jobs of their own.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchRouter, silentLogger, type RouterSpec } from '../src';
import { ScriptSandbox } from '../src/script/script-sandbox';

interface Play {
  id: number;
  title?: string;
}

const router: RouterSpec = {
  name: 'Plays',
  source: { topic: 'plays' },
  routes: [
    {
      name: 'titles',
      // throws on a play without a title, as compiled CEL reading an absent field does
      project: (p: Play) => {
        if (p.title === undefined) throw new Error('no such key: title');
        return { title: p.title.toUpperCase() };
      },
      sink: { kind: 'null' },
    },
    { name: 'all', filter: (p: Play) => p.id >= 0, sink: { kind: 'null' } },
    { name: 'odd', filter: (p: Play) => p.id % 2 === 1, sink: { kind: 'null' }, isolated: true },
  ],
};

describe('router routes', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-routes-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lines = (file: string) =>
    fs
      .readFileSync(path.join(dir, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('dead-letters a record for the route that failed on it, and the other routes get it', async () => {
    const plays: Play[] = Array.from({ length: 10 }, (_, id) =>
      id % 3 === 0 ? { id } : { id, title: `t${id}` },
    );
    fs.writeFileSync(path.join(dir, 'plays.jsonl'), plays.map((p) => JSON.stringify(p)).join('\n'));
    const file = (name: string) => path.join(dir, name);
    const running = launchRouter(router, {
      bindings: {
        sourceFiles: { plays: file('plays.jsonl') },
        sinkFiles: {
          titles: file('titles.jsonl'),
          all: file('all.jsonl'),
          odd: file('odd.jsonl'),
          'dead-letters': file('dead.jsonl'),
        },
      },
      env: {},
      logger: silentLogger,
    });
    const summaries = await running.runAll();
    // the isolated route is a job of its own
    expect(summaries.map((s) => s.job)).toEqual(['Plays', 'Plays-odd']);
    expect(lines('all.jsonl')).toEqual(plays);
    expect(lines('odd.jsonl')).toEqual(plays.filter((p) => p.id % 2 === 1));
    expect(lines('titles.jsonl')).toEqual(
      plays.filter((p) => p.title).map((p) => ({ title: p.title?.toUpperCase() })),
    );
    const dead = lines('dead.jsonl');
    expect(dead.map((d) => [d.offset, d.reason])).toEqual(
      [0, 3, 6, 9].map((offset) => [offset, 'map step "titles.project" threw: no such key: title']),
    );
    expect(running.routeMetrics()).toEqual({
      titles: { in: 10, filtered: 0, out: 6, extra: 0, failed: 4 },
      all: { in: 10, filtered: 0, out: 10, extra: 0, failed: 0 },
      odd: { in: 10, filtered: 5, out: 5, extra: 0, failed: 0 },
    });
  });

  it('dead-letters a record that is not of the source type once, not once per job', async () => {
    const validated: RouterSpec = {
      ...router,
      source: {
        topic: 'plays',
        validate: (v) => (typeof (v as Play).id === 'number' ? undefined : '$.id: expected number'),
      },
    };
    const input = ['{"id":1,"title":"a"}', '{"id":"two"}', 'not json', '{"id":3,"title":"c"}'];
    fs.writeFileSync(path.join(dir, 'plays.jsonl'), input.join('\n'));
    const file = (name: string) => path.join(dir, name);
    await launchRouter(validated, {
      bindings: {
        sourceFiles: { plays: file('plays.jsonl') },
        sinkFiles: {
          odd: file('odd.jsonl'),
          'dead-letters': file('dead.jsonl'),
          'dead-letters.odd': file('dead-odd.jsonl'),
        },
      },
      env: {},
      logger: silentLogger,
    }).runAll();
    // both jobs read the two bad records; the shared job (the first) reports them
    expect(lines('dead.jsonl').map((d) => d.offset)).toEqual([1, 2]);
    expect(fs.existsSync(file('dead-odd.jsonl')) ? lines('dead-odd.jsonl') : []).toEqual([]);
    expect(lines('odd.jsonl')).toEqual([
      { id: 1, title: 'a' },
      { id: 3, title: 'c' },
    ]);
  });

  it('embedded, keeps a route to another Kafka cluster in the embedded log, off that cluster', async () => {
    const elsewhere: RouterSpec = {
      name: 'Elsewhere',
      source: { topic: 'plays' },
      routes: [
        // nothing listens there: a write to it would retry until the test timed out
        { name: 'far', sink: { kind: 'kafka', topic: 'far', brokers: ['127.0.0.1:9'] } },
        { name: 'near', sink: { kind: 'null' } },
      ],
    };
    fs.writeFileSync(path.join(dir, 'plays.jsonl'), '{"id":1}\n{"id":2}');
    const running = launchRouter(elsewhere, {
      bindings: { sourceFiles: { plays: path.join(dir, 'plays.jsonl') }, sinkFiles: {} },
      env: {},
      logger: silentLogger,
    });
    await running.runAll();
    expect(running.routeMetrics().far).toEqual({ in: 2, filtered: 0, out: 2, extra: 0, failed: 0 });
  });

  it('refuses a sink binding that names no route', () => {
    expect(() =>
      launchRouter(router, {
        bindings: { sourceFiles: { plays: 'p.jsonl' }, sinkFiles: { title: 't.jsonl' } },
        env: {},
        logger: silentLogger,
      }),
    ).toThrow(
      'router Plays has no sink "title" (sinks: titles, all, odd, dead-letters, dead-letters.odd)',
    );
  });

  it('runs a route script once per batch, and dead-letters an output that is not of the source type', async () => {
    const script = path.join(dir, 'script.js');
    fs.writeFileSync(
      script,
      'function transform(p) { return p.id === 7 ? { id: "seven" } : { ...p, title: "s" + p.id }; }',
    );
    const scripted: RouterSpec = {
      name: 'Scripted',
      source: {
        topic: 'plays',
        validate: (v) => (typeof (v as Play).id === 'number' ? undefined : '$.id: expected number'),
      },
      routes: [{ name: 'titled', script: { file: script }, sink: { kind: 'null' } }],
    };
    const plays = Array.from({ length: 200 }, (_, id) => ({ id }));
    fs.writeFileSync(path.join(dir, 'plays.jsonl'), plays.map((p) => JSON.stringify(p)).join('\n'));
    const before = ScriptSandbox.calls;
    const live = ScriptSandbox.live;
    await launchRouter(scripted, {
      bindings: {
        sourceFiles: { plays: path.join(dir, 'plays.jsonl') },
        sinkFiles: {
          titled: path.join(dir, 'titled.jsonl'),
          'dead-letters': path.join(dir, 'dead.jsonl'),
        },
      },
      env: { STREAM_GEN_FILE_BATCH_SIZE: '50' },
      logger: silentLogger,
    }).runAll();
    // 200 records in batches of 50: four calls into the sandbox; its isolate closed with the task
    expect(ScriptSandbox.calls - before).toBe(4);
    expect(ScriptSandbox.live).toBe(live);
    expect(lines('titled.jsonl')).toEqual(
      plays.filter((p) => p.id !== 7).map((p) => ({ id: p.id, title: `s${p.id}` })),
    );
    expect(lines('dead.jsonl').map((d) => [d.offset, d.reason])).toEqual([
      [
        7,
        expect.stringMatching(
          /^flatMap step "titled.script" threw: script version [0-9a-f]{12} gave an output that is not a record of the source type: \$.id: expected number$/,
        ),
      ],
    ]);
  });
});
