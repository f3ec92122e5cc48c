/**
 * End to end: `stream-gen new` scaffolds each template into a temporary directory, the
 * project installs (framework packages from the tarballs `new` packs into its vendor/),
 * generates, type-checks and passes its own tests and runs its job over small JSON-lines
 * files. One project is scaffolded from a copy of the checkout that is deleted before
 * the install, as when a checkout moves. Uses the built CLI
 * (packages/codegen/dist/cli/main.js); the root `npm test` builds it first.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';

const REPO = resolve(__dirname, '../../..');
const CLI = join(REPO, 'packages/codegen/dist/cli/main.js');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Per template: scaffold and `npm install` (a cold npm cache takes the longest). */
const INSTALL_TIMEOUT_MS = 240_000;
const STEP_TIMEOUT_MS = 120_000;
/** A child gets less than its test, so a hung one fails with its output rather than a jest timeout. */
const CHILD_TIMEOUT_MS = STEP_TIMEOUT_MS - 20_000;

/**
 * The environment of the children, as if run by hand: without the npm_* variables of
 * an enclosing `npm test` (its prefix, package and lifecycle), jest's worker id and
 * forced colours (the project's jest summary is matched as text).
 */
const childEnv: NodeJS.ProcessEnv = (() => {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || ['INIT_CWD', 'JEST_WORKER_ID', 'FORCE_COLOR'].includes(name))
      continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', NO_UPDATE_NOTIFIER: '1' };
})();

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
  /** The command line and its output, for failure messages. */
  report: string;
}

function exec(command: string, args: readonly string[], cwd: string, timeoutMs: number): Ran {
  const r = spawnSync(command, args, {
    cwd,
    env: childEnv,
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32' && command === NPM,
  });
  const outcome = r.error
    ? `failed to run or timed out after ${timeoutMs} ms: ${r.error.message}`
    : `exited ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}`;
  const stdout = r.stdout ?? '';
  const stderr = r.stderr ?? '';
  return {
    status: r.error ? null : r.status,
    stdout,
    stderr,
    report: `\`${[command, ...args].join(' ')}\` in ${cwd} ${outcome}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`,
  };
}

/** Runs the command and fails with its output unless it exits 0. */
function mustSucceed(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Ran {
  const ran = exec(command, args, cwd, timeoutMs);
  if (ran.status !== 0) throw new Error(ran.report);
  return ran;
}

const cli = (args: readonly string[], cwd: string, timeoutMs = CHILD_TIMEOUT_MS) =>
  exec(process.execPath, [CLI, ...args], cwd, timeoutMs);
const cliOk = (args: readonly string[], cwd: string, timeoutMs = CHILD_TIMEOUT_MS, cliPath = CLI) =>
  mustSucceed(process.execPath, [cliPath, ...args], cwd, timeoutMs);

/**
 * A copy of the checkout as far as `stream-gen new` reads it (the built framework
 * packages and templates/), with the checkout's node_modules linked for the CLI's own
 * dependencies. Returns its root.
 */
function copyCheckout(to: string): string {
  for (const name of ['annotations', 'runtime', 'codegen']) {
    for (const entry of ['package.json', 'README.md', 'bin', 'dist']) {
      const from = join(REPO, 'packages', name, entry);
      if (existsSync(from)) cpSync(from, join(to, 'packages', name, entry), { recursive: true });
    }
  }
  cpSync(join(REPO, 'templates'), join(to, 'templates'), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(to, 'node_modules'), 'dir');
  return to;
}

function requireBuiltCli(): void {
  if (!existsSync(CLI)) {
    throw new Error(
      `the stream-gen CLI is not built (${CLI} is missing): run \`npx tsc -b\` at the repository root first`,
    );
  }
}

/** Fails with the command's output when `check` throws, so a wrong result shows why. */
function withReport(ran: Ran, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (error instanceof Error) error.message += `\n\n${ran.report}`;
    throw error;
  }
}

const jsonl = (records: readonly unknown[]) =>
  records.map((r) => JSON.stringify(r)).join('\n') + '\n';

function readJsonl(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const byKey =
  (key: string) =>
  (a: Record<string, unknown>, b: Record<string, unknown>): number =>
    String(a[key]).localeCompare(String(b[key]));

interface TemplateCase {
  template: 'joiner' | 'enricher' | 'blank';
  job: string;
  /** The job file's base name, as in src/<base>.job.ts and src/generated/<base>.*.generated.ts. */
  base: string;
  /** Tests in the template's own test file. */
  tests: number;
  /** Scaffolded from a copy of the checkout, deleted before the project installs. */
  checkoutRemoved?: boolean;
  /** Source name to file content. */
  inputs: Record<string, string>;
  /** Bound sinks: name to file name. */
  sinks: Record<string, string>;
  /** Asserts the sink files of the bounded run (read with `read(file name)`). */
  verify(read: (file: string) => Record<string, unknown>[]): void;
}

const order = (orderId: string, amount: unknown, ts: number) => ({
  orderId,
  customerId: `c-${orderId}`,
  amount,
  ts,
});
const play = (playId: string, profileId: string, titleId: string, ts: number, extra = {}) => ({
  playId,
  profileId,
  titleId,
  deviceType: 'tv',
  durationMs: 120_000,
  ts,
  ...extra,
});

/** Plays far ahead in event time, more than one input batch of them, so a later old play is late. */
const BULK_PLAYS = 1_000;

const CASES: readonly TemplateCase[] = [
  {
    template: 'joiner',
    job: 'OrderPaymentJoin',
    base: 'order-payment-join',
    tests: 3,
    inputs: {
      orders: jsonl([order('o1', 30, 1_000), order('o2', 10, 2_000), order('o3', 'ten', 3_000)]),
      payments:
        jsonl([{ paymentId: 'p1', orderId: 'o1', method: 'card', ts: 4_000 }]) + 'not json\n',
    },
    sinks: { statuses: 'statuses.jsonl', late: 'late.jsonl', 'dead-letters': 'dead.jsonl' },
    verify(read) {
      expect(read('statuses.jsonl').sort(byKey('orderId'))).toEqual([
        { orderId: 'o1', status: 'paid', amount: 30, paymentId: 'p1', paidAfterMs: 3_000 },
        { orderId: 'o2', status: 'unpaid', amount: 10, paymentId: null, paidAfterMs: null },
      ]);
      expect(read('late.jsonl')).toEqual([]);
      expect(read('dead.jsonl').sort(byKey('source'))).toEqual([
        expect.objectContaining({
          source: 'orders',
          offset: 2,
          reason: 'invalid record: $.amount: expected number, got string',
          value: order('o3', 'ten', 3_000),
        }),
        expect.objectContaining({
          source: 'payments',
          offset: 1,
          reason: expect.stringMatching(/^not valid JSON/),
          value: 'not json',
        }),
      ]);
    },
  },
  {
    template: 'enricher',
    job: 'PlayHistoryEnricher',
    base: 'play-history-enricher',
    tests: 2,
    inputs: {
      plays: jsonl([
        play('a', 'p1', 't1', 1_000),
        play('b', 'p1', 't2', 2_000, { deviceType: 'web', durationMs: 60_000 }),
        play('c', 'p2', 't1', 3_000, { deviceType: 'fridge' }),
        ...Array.from({ length: BULK_PLAYS }, (_, i) =>
          play(`bulk${i}`, 'bulk', 't3', 10_000_000 + i, { durationMs: 60_000 }),
        ),
        play('old', 'p1', 't4', 4_000),
      ]),
    },
    sinks: { enriched: 'enriched.jsonl', late: 'late.jsonl', 'dead-letters': 'dead.jsonl' },
    verify(read) {
      const enriched = read('enriched.jsonl');
      expect(enriched.filter((p) => p.profileId === 'p1')).toEqual([
        { ...play('a', 'p1', 't1', 1_000), playsBefore: 0, minutesBefore: 0, lastTitleId: null },
        {
          ...play('b', 'p1', 't2', 2_000, { deviceType: 'web', durationMs: 60_000 }),
          playsBefore: 1,
          minutesBefore: 2,
          lastTitleId: 't1',
        },
      ]);
      const bulk = enriched.filter((p) => p.profileId === 'bulk');
      expect(bulk).toHaveLength(BULK_PLAYS);
      expect(bulk[BULK_PLAYS - 1]).toEqual({
        ...play(`bulk${BULK_PLAYS - 1}`, 'bulk', 't3', 10_000_000 + BULK_PLAYS - 1, {
          durationMs: 60_000,
        }),
        playsBefore: BULK_PLAYS - 1,
        minutesBefore: BULK_PLAYS - 1,
        lastTitleId: 't3',
      });
      expect(enriched).toHaveLength(2 + BULK_PLAYS);
      expect(read('late.jsonl')).toEqual([play('old', 'p1', 't4', 4_000)]);
      expect(read('dead.jsonl')).toEqual([
        expect.objectContaining({
          source: 'plays',
          offset: 2,
          reason:
            'invalid record: $.deviceType: expected one of "tv" | "mobile" | "web", got "fridge"',
        }),
      ]);
    },
  },
  {
    template: 'blank',
    job: 'EventCounter',
    base: 'event-counter',
    tests: 1,
    checkoutRemoved: true,
    inputs: {
      events: jsonl([
        { key: 'a', ts: 1 },
        { key: 'b', ts: 2 },
        { key: 'a', ts: 3 },
        { key: 'a', ts: 4 },
      ]),
    },
    sinks: { counts: 'counts.jsonl' },
    verify(read) {
      expect(read('counts.jsonl')).toEqual([
        { key: 'a', count: 1 },
        { key: 'b', count: 1 },
        { key: 'a', count: 2 },
        { key: 'a', count: 3 },
      ]);
    },
  },
];

let root = '';

beforeAll(() => {
  requireBuiltCli();
  root = mkdtempSync(join(tmpdir(), 'stream-gen-new-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('stream-gen new', () => {
  it('refuses a target directory that is not empty, and leaves it alone', () => {
    const dir = join(root, 'not-empty');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep.txt'), 'mine');
    const ran = cli(['new', dir, '--template', 'blank'], root);
    withReport(ran, () => {
      expect(ran.status).toBe(1);
      expect(ran.stderr).toContain(`${dir} exists and is not empty; choose a new directory`);
      expect(readdirSync(dir)).toEqual(['keep.txt']);
    });
  });

  it('rejects an unknown template with a usage error', () => {
    const dir = join(root, 'unknown-template');
    const ran = cli(['new', dir, '--template', 'nope'], root);
    withReport(ran, () => {
      expect(ran.status).toBe(2);
      expect(ran.stderr).toContain('--template must be one of joiner, enricher, blank, not "nope"');
      expect(existsSync(dir)).toBe(false);
    });
  });
});

describe.each(CASES)('stream-gen new --template $template', (c) => {
  let dir = '';
  /** Where the checkout that scaffolded the project was. */
  let checkout = REPO;

  beforeAll(() => {
    requireBuiltCli();
    dir = join(root, `sg-${c.template}`);
    if (c.checkoutRemoved) {
      checkout = copyCheckout(join(root, `checkout-for-${c.template}`));
      const cliPath = join(checkout, 'packages/codegen/dist/cli/main.js');
      cliOk(['new', dir, '--template', c.template], root, CHILD_TIMEOUT_MS, cliPath);
      rmSync(checkout, { recursive: true, force: true });
    } else {
      cliOk(['new', dir, '--template', c.template], root);
    }
    mustSucceed(
      NPM,
      ['install', '--no-audit', '--no-fund', '--prefer-offline'],
      dir,
      INSTALL_TIMEOUT_MS - 20_000,
    );
  }, INSTALL_TIMEOUT_MS);

  it('scaffolds a project that installs the framework packages from its own vendor/', () => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe(`sg-${c.template}`);
    const specs = {
      annotations: pkg.dependencies['@stream-gen/annotations'],
      runtime: pkg.dependencies['@stream-gen/runtime'],
      codegen: pkg.devDependencies['@stream-gen/codegen'],
    };
    for (const [name, spec] of Object.entries(specs)) {
      expect(spec).toMatch(new RegExp(`^file:vendor/stream-gen-${name}-\\d+\\.\\d+\\.\\d+\\.tgz$`));
      expect(existsSync(join(dir, spec.slice('file:'.length)))).toBe(true);
      // Installed copies, not links back into a checkout.
      const installed = join(dir, 'node_modules', '@stream-gen', name);
      expect(lstatSync(installed).isSymbolicLink()).toBe(false);
      expect(realpathSync(installed)).toBe(
        join(realpathSync(dir), 'node_modules', '@stream-gen', name),
      );
    }
    for (const file of ['package.json', 'package-lock.json']) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text).not.toContain(checkout);
      expect(text).not.toContain(root);
    }
    if (c.checkoutRemoved) expect(existsSync(checkout)).toBe(false);
    expect(existsSync(join(dir, '.gitignore'))).toBe(true);
    expect(existsSync(join(dir, 'src', `${c.base}.job.ts`))).toBe(true);
    const left = readdirSync(dir).join('\n') + readFileSync(join(dir, 'README.md'), 'utf8');
    expect(left).not.toMatch(/\{\{\w+\}\}/);
  });

  it(
    'generates the runner modules',
    () => {
      const ran = cliOk(['generate'], dir);
      withReport(ran, () => {
        for (const kind of ['validators', 'runner', 'main']) {
          const file = join('src', 'generated', `${c.base}.${kind}.generated.ts`);
          expect(ran.stdout).toContain(`wrote ${file}`);
          expect(existsSync(join(dir, file))).toBe(true);
        }
      });
      cliOk(['generate', '--check'], dir);
    },
    STEP_TIMEOUT_MS,
  );

  it(
    "passes the project's own tests",
    () => {
      const ran = mustSucceed(NPM, ['test'], dir, CHILD_TIMEOUT_MS);
      withReport(ran, () => {
        expect(stripVTControlCharacters(ran.stdout + ran.stderr)).toMatch(
          new RegExp(`Tests:\\s+${c.tests} passed, ${c.tests} total`),
        );
      });
    },
    STEP_TIMEOUT_MS,
  );

  it(
    'fails its npm test on a type error in a test, with the TypeScript error, and passes without it',
    () => {
      // The test passes at run time: only the type check can fail it.
      const file = join(dir, 'test', 'type-error.test.ts');
      const test = (type: string) =>
        `const answer: ${type} = 'no';\n\nit('runs', () => expect(answer).toBe('no'));\n`;
      try {
        writeFileSync(file, test('number'));
        const failed = exec(NPM, ['test'], dir, CHILD_TIMEOUT_MS);
        withReport(failed, () => {
          expect(failed.status).not.toBe(0);
          const output = stripVTControlCharacters(failed.stdout + failed.stderr);
          expect(output).toContain(
            "test/type-error.test.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.",
          );
          expect(output).not.toMatch(/Tests:/);
        });
        writeFileSync(file, test('string'));
        const passed = mustSucceed(NPM, ['test'], dir, CHILD_TIMEOUT_MS);
        withReport(passed, () => {
          expect(stripVTControlCharacters(passed.stdout + passed.stderr)).toMatch(
            new RegExp(`Tests:\\s+${c.tests + 1} passed, ${c.tests + 1} total`),
          );
        });
      } finally {
        rmSync(file, { force: true });
      }
    },
    STEP_TIMEOUT_MS,
  );

  it(
    `runs ${c.job} over JSON-lines files to the end`,
    () => {
      const args = ['run', c.job];
      for (const [source, content] of Object.entries(c.inputs)) {
        writeFileSync(join(dir, `${source}.in.jsonl`), content);
        args.push('--source', `${source}=${source}.in.jsonl`);
      }
      for (const [sink, file] of Object.entries(c.sinks)) args.push('--sink', `${sink}=${file}`);
      const ran = cliOk(args, dir);
      withReport(ran, () => {
        expect(ran.stdout + ran.stderr).toContain(`job ${c.job} finished`);
        c.verify((file) => readJsonl(join(dir, file)));
      });
    },
    STEP_TIMEOUT_MS,
  );
});
