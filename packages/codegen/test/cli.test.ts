/**
 * The `stream-gen` CLI, in process: `main(argv, io)` with an io that captures what it
 * prints. Commands that write run on copies of the golden fixture project in a
 * temporary folder inside packages/codegen/test/.tmp (gitignored; inside the repository
 * so that the copies resolve @stream-gen/*, @nestjs/* from its node_modules), removed
 * after the tests. Read-only commands run on the fixture itself.
 */
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { cli, type Ran } from './run-cli';

const FIXTURE = join(__dirname, 'fixtures/golden-project');
const TMP = join(__dirname, '.tmp');

const GENERATED_NAMES = [
  'click-attribution.validators.generated.ts',
  'click-attribution.runner.generated.ts',
  'click-attribution.main.generated.ts',
  'session-tracker.validators.generated.ts',
  'session-tracker.runner.generated.ts',
  'session-tracker.main.generated.ts',
];

/** Paths as the CLI prints them: relative to the working directory. */
const rel = (path: string) => relative(process.cwd(), path);

let root: string;
let copies = 0;

/** A fresh copy of the fixture project (src and tsconfig.json, not the expected files). */
function copyOf(from = FIXTURE): string {
  const dir = join(root, `project-${++copies}`);
  cpSync(join(from, 'src'), join(dir, 'src'), { recursive: true });
  copyFileSync(join(from, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  return dir;
}

function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`"${from}" is not in ${file}`);
  writeFileSync(file, text.replace(from, to));
}

beforeAll(() => {
  mkdirSync(TMP, { recursive: true });
  root = mkdtempSync(join(TMP, 'cli-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('help', () => {
  const COMMANDS = [
    'new',
    'generate',
    'validate',
    'graph',
    'run',
    'checkpoints',
    'savepoint',
    'rewind',
    'jobs',
    'status',
  ];

  it.each(COMMANDS)('%s --help prints its usage with an example and exits 0', async (command) => {
    for (const flag of ['--help', '-h']) {
      const r = await cli(command, flag);
      expect(r).toEqual({ code: 0, out: expect.stringContaining('Example:'), err: '' });
      expect(r.out).toMatch(new RegExp(`^stream-gen ${command}\\b`));
      expect(r.out).toContain(`npx stream-gen ${command}`);
    }
  });

  it('--help lists every command, with an example, and exits 0', async () => {
    const r = await cli('--help');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('Usage: stream-gen <command> [options]');
    expect(r.out).toContain('Example:');
    for (const command of COMMANDS) expect(r.out).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
  });

  it('no command prints the usage and exits 2', async () => {
    const r = await cli();
    expect(r.code).toBe(2);
    expect(`${r.out}${r.err}`).toContain('Usage: stream-gen <command> [options]');
  });
});

describe('generate', () => {
  /** A copy of the fixture after `stream-gen generate`: copied again for each test. */
  let generated: string;
  let firstRun: Ran;

  beforeAll(async () => {
    generated = copyOf();
    firstRun = await cli('generate', '--project', generated);
  });

  const generatedFile = (dir: string, name: string) => join(dir, 'src/generated', name);
  const outOfDate = (dir: string, ...problems: string[]) =>
    `generated files are out of date; run 'stream-gen generate --project ${rel(dir)}':\n  ${problems.join('\n  ')}`;

  it('writes the files of every job, as the golden test expects them', () => {
    expect(firstRun).toEqual({
      code: 0,
      out: GENERATED_NAMES.map((n) => `wrote ${rel(generatedFile(generated, n))}`).join('\n'),
      err: '',
    });
    for (const name of GENERATED_NAMES) {
      expect(readFileSync(generatedFile(generated, name), 'utf8')).toBe(
        readFileSync(join(FIXTURE, 'expected', `${name}.txt`), 'utf8'),
      );
    }
  });

  it('says "unchanged" for files it left as they were, and "wrote" only for changed ones', async () => {
    const dir = copyOf();
    expect((await cli('generate', '--project', dir)).code).toBe(0);
    const runner = generatedFile(dir, GENERATED_NAMES[1]);
    const other = generatedFile(dir, GENERATED_NAMES[0]);
    const before = statSync(other).mtimeMs;
    writeFileSync(runner, '// edited by hand\n');
    const again = await cli('generate', '--project', dir);
    expect(again.code).toBe(0);
    expect(again.out.split('\n').sort()).toEqual(
      GENERATED_NAMES.map((n) =>
        n === GENERATED_NAMES[1]
          ? `wrote ${rel(generatedFile(dir, n))}`
          : `unchanged ${rel(generatedFile(dir, n))}`,
      ).sort(),
    );
    const third = await cli('generate', '--project', dir);
    expect(third.out).not.toContain('wrote');
    expect(statSync(other).mtimeMs).toBe(before);
  });

  it('--check exits 0 right after generate', async () => {
    expect(await cli('generate', '--project', generated, '--check')).toEqual({
      code: 0,
      out: 'generated files are up to date (6 files, 2 job(s))',
      err: '',
    });
  });

  it('--check exits 1 naming the stale file after a job changed, and writes nothing', async () => {
    const dir = copyOf(generated);
    const runner = generatedFile(dir, 'click-attribution.runner.generated.ts');
    const before = readFileSync(runner, 'utf8');
    edit(
      join(dir, 'src/click-attribution.job.ts'),
      `maxOutOfOrderness: '5s'`,
      `maxOutOfOrderness: '7s'`,
    );

    const r = await cli('generate', '--check', '--project', dir);
    expect(r).toEqual({ code: 1, out: '', err: outOfDate(dir, `stale: ${rel(runner)}`) });
    expect(readFileSync(runner, 'utf8')).toBe(before);

    expect((await cli('generate', '--project', dir)).code).toBe(0);
    expect(readFileSync(runner, 'utf8')).toBe(
      before.replace('maxOutOfOrdernessMs: 5000', 'maxOutOfOrdernessMs: 7000'),
    );
    expect((await cli('generate', '--check', '--project', dir)).code).toBe(0);
  });

  it('--check exits 1 naming a deleted generated file as missing', async () => {
    const dir = copyOf(generated);
    const main = generatedFile(dir, 'session-tracker.main.generated.ts');
    unlinkSync(main);
    expect(await cli('generate', '--check', '--project', dir)).toEqual({
      code: 1,
      out: '',
      err: outOfDate(dir, `missing: ${rel(main)}`),
    });
    expect(existsSync(main)).toBe(false);
  });

  it('--check exits 1 naming a *.generated.ts file no job produces as orphaned', async () => {
    const dir = copyOf(generated);
    const extra = generatedFile(dir, 'x.generated.ts');
    writeFileSync(extra, 'export const x = 1;\n');
    expect(await cli('generate', '--check', '--project', dir)).toEqual({
      code: 1,
      out: '',
      err: outOfDate(dir, `orphaned (no job or router produces it): ${rel(extra)}`),
    });
  });

  it('--check exits 1 when nothing was generated yet, naming every file missing', async () => {
    const dir = copyOf();
    const r = await cli('generate', '--check', '--project', dir);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      outOfDate(dir, ...GENERATED_NAMES.map((n) => `missing: ${rel(generatedFile(dir, n))}`)),
    );
    expect(existsSync(join(dir, 'src/generated'))).toBe(false);
  });

  it('exits 1 with the diagnostics and writes nothing when a job is invalid', async () => {
    const dir = copyOf();
    edit(join(dir, 'src/click-attribution.job.ts'), `  @KeyBy('userId')\n`, '');
    const r = await cli('generate', '--project', dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/ - error SG1302: /);
    expect(existsSync(join(dir, 'src/generated'))).toBe(false);
  });
});

describe('validate', () => {
  it('exits 0 naming the valid jobs', async () => {
    expect(await cli('validate', '--project', FIXTURE)).toEqual({
      code: 0,
      out: '2 job(s) valid: ClickAttribution, SessionTracker',
      err: '',
    });
  });

  it('exits 1 printing every misuse as path:line:col - error SGnnnn: message, with a code frame', async () => {
    const dir = copyOf();
    const clickJob = join(dir, 'src/click-attribution.job.ts');
    const sessionJob = join(dir, 'src/session-tracker.job.ts');
    edit(clickJob, `  @KeyBy('userId')\n`, '');
    edit(sessionJob, `@Timer('processing')`, `@Timer('event')`);
    const lines = (file: string) => readFileSync(file, 'utf8').split('\n');
    const handlerLine = lines(clickJob).indexOf(`  @ProcessElement('clicks')`) + 1;
    const timerLine = lines(sessionJob).lastIndexOf(`  @Timer('event')`) + 1; // the second one

    const r = await cli('validate', '--project', dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const pad = (n: number) => ' '.repeat(String(n).length);
    expect(r.err.split('\n')).toEqual([
      `${rel(clickJob)}:${handlerLine}:3 - error SG1302: handler 'onClick' of keyed input "clicks" needs @KeyBy(...) to say what its key is`,
      '',
      `  ${handlerLine} |   @ProcessElement('clicks')`,
      `  ${pad(handlerLine)} |   ${'~'.repeat(`@ProcessElement('clicks')`.length)}`,
      '',
      `${rel(sessionJob)}:${timerLine}:3 - error SG1202: a second @Timer('event') handler; one per time domain (see 'onEnd')`,
      '',
      `  ${timerLine} |   @Timer('event')`,
      `  ${pad(timerLine)} |   ${'~'.repeat(`@Timer('event')`.length)}`,
      '',
      'Found 2 errors.',
    ]);
  });
});

describe('graph', () => {
  it('prints the topology as mermaid', async () => {
    expect(
      await cli('graph', 'ClickAttribution', '--project', FIXTURE, '--format', 'mermaid'),
    ).toEqual({
      code: 0,
      out: [
        'flowchart LR',
        '  source_clicks[/"clicks"/]',
        '  source_purchases[/"purchases"/]',
        '  sink_attributions[("attributions")]',
        '  sink_late[("late")]',
        '  sink_dead_letters[("dead-letters")]',
        '  op_ClickAttribution["ClickAttribution (keyed co-process)"]',
        '  source_clicks -->|"keyBy (e: Click) => e.userId"| op_ClickAttribution',
        '  source_purchases -->|"keyBy (p: Purchase) => p.userId"| op_ClickAttribution',
        '  op_ClickAttribution --> sink_attributions',
        '  op_ClickAttribution -->|"late"| sink_late',
        '  op_ClickAttribution -->|"dead letters"| sink_dead_letters',
      ].join('\n'),
      err: '',
    });
  });

  it('prints the topology as dot', async () => {
    expect(await cli('graph', 'SessionTracker', '--project', FIXTURE, '--format=dot')).toEqual({
      code: 0,
      out: [
        'digraph "SessionTracker" {',
        '  rankdir=LR;',
        '  source_heartbeats [label="heartbeats", shape=cds];',
        '  sink_sessions [label="sessions", shape=cylinder];',
        '  op_SessionTracker [label="SessionTracker (keyed process)", shape=box];',
        '  source_heartbeats -> op_SessionTracker [label="keyBy (e: Heartbeat) => e.session.id"];',
        '  op_SessionTracker -> sink_sessions;',
        '}',
      ].join('\n'),
      err: '',
    });
  });

  it('prints the topology as json', async () => {
    const r = await cli('graph', 'SessionTracker', '--project', FIXTURE, '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      job: 'SessionTracker',
      nodes: [
        { id: 'source_heartbeats', label: 'heartbeats', kind: 'source' },
        { id: 'sink_sessions', label: 'sessions', kind: 'sink' },
        { id: 'op_SessionTracker', label: 'SessionTracker (keyed process)', kind: 'operator' },
      ],
      edges: [
        {
          from: 'source_heartbeats',
          to: 'op_SessionTracker',
          label: 'keyBy (e: Heartbeat) => e.session.id',
        },
        { from: 'op_SessionTracker', to: 'sink_sessions' },
      ],
    });
  });

  it('defaults to mermaid', async () => {
    const r = await cli('graph', 'SessionTracker', '--project', FIXTURE);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('flowchart LR');
  });

  it('exits 1 naming the known jobs for an unknown job', async () => {
    expect(await cli('graph', 'Nope', '--project', FIXTURE)).toEqual({
      code: 1,
      out: '',
      err: `no job "Nope" in ${FIXTURE} (jobs: ClickAttribution, SessionTracker)`,
    });
  });

  it('exits 2 with the usage for an unknown format', async () => {
    const r = await cli('graph', 'SessionTracker', '--project', FIXTURE, '--format', 'png');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--format must be one of mermaid, dot, json, svg, not "png"');
    expect(r.err).toContain('Usage: stream-gen graph <Job|Router>');
  });
});

describe('usage errors exit 2 with the usage', () => {
  it('an unknown command', async () => {
    const r = await cli('frobnicate');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe('unknown command "frobnicate"');
    expect(r.err).toContain('Usage: stream-gen <command> [options]');
  });

  it('an unknown option', async () => {
    const r = await cli('generate', '--frobnicate', 'yes', '--project', FIXTURE);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err.split('\n')[0]).toBe(
      'stream-gen generate: unknown option --frobnicate (options: --project <value>, --check)',
    );
    expect(r.err).toContain('Usage: stream-gen generate [--project <dir>] [--check]');
  });

  it('an unknown option given last, without a value (a mistyped flag)', async () => {
    const r = await cli('validate', '--project', FIXTURE, '--verbose');
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: stream-gen validate [--project <dir>]');
    expect(r.err.split('\n')[0]).toBe(
      'stream-gen validate: unknown option --verbose (options: --project <value>)',
    );
  });

  it('a project folder without src/', async () => {
    const r = await cli('validate', '--project', join(FIXTURE, 'expected'));
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(
      `stream-gen validate: ${join(FIXTURE, 'expected')} has no src/ folder: pass --project <dir> of a stream-gen project (one made by 'stream-gen new')`,
    );
  });
});
