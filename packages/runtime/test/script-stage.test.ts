/**
 * A script as a stage of a job (`scriptStage`, what a `@ScriptStage` generates): each
 * input batch crosses into the sandbox once; a dynamic script changed between batches
 * is swapped in at the boundary, so each record goes through exactly one version, named
 * in its output's header; an output that is not of the stage's output type is
 * dead-lettered with the reason, and the sandbox goes with the task.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import {
  HEADER_ID,
  HEADER_SCRIPT_VERSION,
  scriptStage,
  type JobSpec,
  type ScriptSpec,
} from '../src';
import { ScriptSandbox } from '../src/script/script-sandbox';
import { JobHarness } from '../src/testing';
import { recordingLogger } from './recording-logger';

interface Play {
  id: number;
  n: number;
}

const validateScaled = (v: unknown) => {
  const n = (v as { n?: unknown }).n;
  return typeof n === 'number' ? undefined : `$.n: expected number, got ${JSON.stringify(n)}`;
};

const versionOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);
const scale = (factor: number) =>
  `function transform(p) { return { id: p.id, n: p.n * ${factor} }; }`;

describe('script stage of a job', () => {
  let dir: string;
  const logger = recordingLogger();
  const logs = logger.logs;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'script-stage-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => (logs.length = 0));

  const job = (script: ScriptSpec): JobSpec => ({
    name: 'Scaler',
    sources: [{ name: 'plays' }],
    stages: [
      scriptStage({
        id: 'scale',
        input: 'plays',
        output: 'scaled',
        script,
        validate: validateScaled,
        outputType: 'Scaled',
        logger,
      }),
    ],
    outputs: { main: 'out', deadLetters: 'dead' },
  });
  const plays = (from: number, count: number): Play[] =>
    Array.from({ length: count }, (_, i) => ({ id: from + i, n: from + i }));

  it('runs each batch in one call, and swaps a changed script in at the next batch', async () => {
    const file = path.join(dir, 'scale.js');
    fs.writeFileSync(file, scale(2));
    const h = await JobHarness.create({ job: job({ file, dynamic: true }) });
    const live = ScriptSandbox.live;
    const calls = ScriptSandbox.calls;
    await h.push('plays', ...plays(0, 5));
    await h.push('plays', ...plays(5, 5));
    // changed between two batches: a file of another size and time
    fs.writeFileSync(file, scale(30));
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    await h.push('plays', ...plays(10, 5));
    await h.push('plays', ...plays(15, 5));
    expect(ScriptSandbox.calls - calls).toBe(4);

    const records = h.records('main');
    // one output per record: none lost, none twice
    expect(records.map((r) => r.headers[HEADER_ID])).toEqual(
      plays(0, 20).map((p) => `Scaler/0/plays@${p.id}.0#0`),
    );
    const [v2, v30] = [versionOf(scale(2)), versionOf(scale(30))];
    expect(records.map((r) => [r.value, r.headers[HEADER_SCRIPT_VERSION]])).toEqual(
      plays(0, 20).map((p) =>
        p.id < 10 ? [{ id: p.id, n: p.n * 2 }, v2] : [{ id: p.id, n: p.n * 30 }, v30],
      ),
    );
    expect(logs).toEqual([
      expect.stringMatching(/script .*scale\.js version [0-9a-f]{12} loaded$/),
      expect.stringMatching(new RegExp(`script version ${v2} replaced by ${v30}$`)),
    ]);
    expect(h.deadLetters()).toEqual([]);
    h.close();
    expect(ScriptSandbox.live).toBe(live - 1);
  });

  it('dead-letters a record whose output is not of the output type, with the reason', async () => {
    const file = path.join(dir, 'half-broken.js');
    const text = `function transform(p) { return { id: p.id, n: p.id === 2 ? 'two' : p.n }; }`;
    fs.writeFileSync(file, text);
    const h = await JobHarness.create({ job: job({ file }) });
    await h.push('plays', ...plays(0, 4));
    expect(h.output<Play>().map((p) => p.id)).toEqual([0, 1, 3]);
    expect(h.deadLetters()).toEqual([
      {
        reason: `flatMap step "scale.script" threw: script version ${versionOf(text)} gave an output that is not a Scaled: $.n: expected number, got "two"`,
        source: 'plays',
        partition: 0,
        offset: 2,
        value: { id: 2, n: 2 },
      },
    ]);
    h.close();
  });

  it('does not start with a script that does not load', async () => {
    const file = path.join(dir, 'broken.js');
    fs.writeFileSync(file, 'function transform(p) { return {');
    await expect(JobHarness.create({ job: job({ file }) })).rejects.toThrow(
      /script .*broken\.js does not load: Unexpected end of input/,
    );
  });
});
