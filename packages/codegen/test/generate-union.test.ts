/**
 * A union from decorators to a run: clicks of three devices, each of its own type, are
 * counted per user and window by one @Union (a handler per input, dispatched on
 * `ctx.input`), a keyed stage picks the busiest user of each window, and a sink copies
 * the stream between them (fan-out); a second job unions two sources of one type into
 * one `@ProcessElement()`. generate() emits the operators and `outputs.streams`
 * (checked as text), the generated files compile with the project, and the generated
 * Nest modules run both jobs over JSON-lines files to the outputs computed here directly.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jobFiles, writeGenerated, type GenerationResult } from '../src';
import { format, generateOrFail, TMP, typeCheck, writeProject } from './generated-project';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface WebClick {
  user: string;
  page: string;
  ts: number;
}

export interface AppClick {
  userId: string;
  screen: string;
  ts: number;
}

export interface TvClick {
  account: { user: string };
  ts: number;
}

export type Device = 'web' | 'app' | 'tv';

export interface UserWindow {
  user: string;
  windowEnd: number;
  web: number;
  app: number;
  tv: number;
}

export interface Busiest {
  windowEnd: number;
  user: string;
  clicks: number;
}

export interface Play {
  titleId: string;
  ts: number;
}

export interface TitleCount {
  titleId: string;
  plays: number;
  via: string;
}

export const WINDOW_MS = 10_000;
`;

const CLICKS = `import { KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob, Timer, Union } from '@stream-gen/annotations';
import type { ElementContext, MapState, TimerContext, ValueState } from '@stream-gen/runtime';
import { WINDOW_MS, type AppClick, type Busiest, type Device, type TvClick, type UserWindow, type WebClick } from './model';

const windowEnd = (ts: number) => Math.floor(ts / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
const clicks = (w: UserWindow) => w.web + w.app + w.tv;

/** Keyed by window: the user with the most clicks in it (the first by name on a tie). */
@KeyedProcess({ id: 'busiest', input: 'user-windows' })
export class BusiestUser {
  @State() private best!: ValueState<UserWindow>;

  @ProcessElement('user-windows')
  @KeyBy((w: UserWindow) => w.windowEnd)
  onWindow(window: UserWindow, ctx: ElementContext<Busiest>): void {
    const best = this.best.value();
    if (!best || clicks(window) > clicks(best) || (clicks(window) === clicks(best) && window.user < best.user)) {
      this.best.update(window);
    }
    ctx.timers.registerEventTimeTimer(window.windowEnd);
  }

  @Timer()
  onTimer(timestamp: number, ctx: TimerContext<Busiest>): void {
    const best = this.best.value();
    this.best.clear();
    if (best) ctx.emit({ windowEnd: timestamp, user: best.user, clicks: clicks(best) });
  }
}

/** Clicks per user and window, by device: each device's stream has a handler of its own. */
@StreamJob({ name: 'DeviceClicks', deadLetters: 'dead-letters', stages: [BusiestUser] })
@Source<WebClick>('web', { eventTime: 'ts', maxOutOfOrderness: '1s' })
@Source<AppClick>('app', { eventTime: 'ts', maxOutOfOrderness: '1s' })
@Source<TvClick>('tv', { eventTime: 'ts', maxOutOfOrderness: '1s' })
@Sink('busiest')
@Sink('per-user', { stream: 'user-windows' })
@Sink('dead-letters')
@Union({ inputs: ['web', 'app', 'tv'], output: 'user-windows' })
export class CountClicks {
  @State() private windows!: MapState<UserWindow>;

  @ProcessElement('web')
  @KeyBy('user')
  onWeb(click: WebClick, ctx: ElementContext<UserWindow>): void {
    this.count('web', click.ts, ctx);
  }

  @ProcessElement('app')
  @KeyBy((c: AppClick) => c.userId)
  onApp(click: AppClick, ctx: ElementContext<UserWindow>): void {
    this.count('app', click.ts, ctx);
  }

  @ProcessElement('tv')
  @KeyBy('account.user')
  onTv(click: TvClick, ctx: ElementContext<UserWindow>): void {
    this.count('tv', click.ts, ctx);
  }

  @Timer()
  onTimer(timestamp: number, ctx: TimerContext<UserWindow>): void {
    const window = this.windows.get(String(timestamp));
    this.windows.remove(String(timestamp));
    if (window) ctx.emit(window);
  }

  private count(device: Device, ts: number, ctx: ElementContext<UserWindow>): void {
    const end = windowEnd(ts);
    const window = this.windows.get(String(end)) ?? { user: ctx.key, windowEnd: end, web: 0, app: 0, tv: 0 };
    window[device]++;
    this.windows.put(String(end), window);
    ctx.timers.registerEventTimeTimer(end);
  }
}
`;

const PLAYS = `import { KeyBy, ProcessElement, Sink, Source, State, StreamJob, Union } from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
import type { Play, TitleCount } from './model';

/** Plays of two regions counted per title by one handler of both. */
@StreamJob({ name: 'PlayCounts' })
@Source<Play>('plays-eu', { eventTime: 'ts' })
@Source<Play>('plays-us', { eventTime: 'ts' })
@Sink('title-counts')
@Union({ inputs: ['plays-eu', 'plays-us'], output: 'title-counts' })
export class CountPlays {
  @State() private plays!: ValueState<number>;

  @ProcessElement()
  @KeyBy('titleId')
  onPlay(play: Play, ctx: ElementContext<TitleCount>): void {
    const plays = (this.plays.value() ?? 0) + 1;
    this.plays.update(plays);
    ctx.emit({ titleId: play.titleId, plays, via: ctx.input });
  }
}
`;

/** The operator of DeviceClicks: its handlers called by the input the element came from. */
const DEVICE_OPERATOR = `    operator: {
      kind: 'union',
      output: 'user-windows',
      name: 'CountClicks',
      inputs: ['web', 'app', 'tv'],
      create: async () => {
        const job = await create();
        return {
          open(ctx) {
            job['windows'] = ctx.mapState('windows');
          },
          processElement: (value, ctx) => {
            if (ctx.input === 'web') return job['onWeb'](value, ctx);
            if (ctx.input === 'app') return job['onApp'](value, ctx);
            if (ctx.input === 'tv') return job['onTv'](value, ctx);
            throw new Error(\`no @ProcessElement handler for input "\${ctx.input}"\`);
          },
          onTimer: (timestamp, ctx) =>
            ctx.timeDomain === 'event' ? job['onTimer'](timestamp, ctx) : undefined,
        };
      },
    },
`;

/** The operator of PlayCounts: one handler of every input. */
const PLAY_OPERATOR = `    operator: {
      kind: 'union',
      name: 'CountPlays',
      inputs: ['plays-eu', 'plays-us'],
      create: async () => {
        const job = await create();
        return {
          open(ctx) {
            job['plays'] = ctx.valueState('plays');
          },
          processElement: (value, ctx) => job['onPlay'](value, ctx),
        };
      },
    },
`;

const T0 = 1_700_000_000_000;
const WINDOW_MS = 10_000;
type Device = 'web' | 'app' | 'tv';

/** Clicks as [device, user, seconds after T0]: two windows, u2 busiest in the first, u1 in the second. */
const CLICKS_AT: Array<[Device, string, number]> = [
  ['web', 'u1', 0],
  ['app', 'u2', 1],
  ['tv', 'u2', 2],
  ['web', 'u2', 3],
  ['app', 'u1', 4],
  ['tv', 'u3', 5],
  ['web', 'u1', 11],
  ['app', 'u1', 12],
  ['tv', 'u1', 13],
  ['web', 'u3', 14],
  ['tv', 'u3', 15],
];

/** The record of a click as its device's source carries it. */
function record([device, user, s]: [Device, string, number]): object {
  const ts = T0 + s * 1000;
  if (device === 'web') return { user, page: '/home', ts };
  if (device === 'app') return { userId: user, screen: 'home', ts };
  return { account: { user }, ts };
}

interface UserWindow {
  user: string;
  windowEnd: number;
  web: number;
  app: number;
  tv: number;
}

/** Clicks per user and window by device, and the busiest user of each window, computed directly. */
function expected(clicks: typeof CLICKS_AT) {
  const windows = new Map<string, UserWindow>();
  for (const [device, user, s] of clicks) {
    const windowEnd = Math.floor((T0 + s * 1000) / WINDOW_MS) * WINDOW_MS + WINDOW_MS;
    const id = `${user}@${windowEnd}`;
    const w = windows.get(id) ?? { user, windowEnd, web: 0, app: 0, tv: 0 };
    w[device]++;
    windows.set(id, w);
  }
  const total = (w: UserWindow) => w.web + w.app + w.tv;
  const busiest = new Map<number, { windowEnd: number; user: string; clicks: number }>();
  for (const w of windows.values()) {
    const best = busiest.get(w.windowEnd);
    if (!best || total(w) > best.clicks || (total(w) === best.clicks && w.user < best.user))
      busiest.set(w.windowEnd, { windowEnd: w.windowEnd, user: w.user, clicks: total(w) });
  }
  return { perUser: sortBy([...windows.values()]), busiest: sortBy([...busiest.values()]) };
}

const sortBy = <T extends { windowEnd: number; user: string }>(records: readonly T[]) =>
  [...records].sort((a, b) => a.windowEnd - b.windowEnd || a.user.localeCompare(b.user));

describe('union jobs, generated from decorators', () => {
  let root: string;
  let dir: string;
  let result: GenerationResult;
  const runnerOf = (job: string) =>
    result.files.find((f) => f.path === jobFiles(dir, job).runner)?.text ?? '';
  const operatorOf = (runner: string) => {
    const start = runner.indexOf('    operator: {\n');
    return runner.slice(start, runner.indexOf('\n    },\n', start) + '\n    },\n'.length);
  };

  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, 'union-'));
    dir = join(root, 'clicks');
    writeProject(dir, {
      'model.ts': MODEL,
      'device-clicks.job.ts': CLICKS,
      'play-counts.job.ts': PLAYS,
    });
    result = generateOrFail(dir);
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('emits the union operators, and the copy of the stream the keyed stage reads', () => {
    const devices = runnerOf('DeviceClicks');
    expect(operatorOf(devices)).toBe(DEVICE_OPERATOR);
    expect(devices).toContain(
      `outputs: {\n      main: 'busiest',\n      deadLetters: 'dead-letters',\n      streams: { 'user-windows': 'per-user' },\n    },`,
    );
    // each source is keyed by its handler's selector
    for (const key of [
      '(e: WebClick) => e.user',
      '(c: AppClick) => c.userId',
      '(e: TvClick) => e.account.user',
    ])
      expect(devices).toContain(`      key: ${key},\n`);
    expect(operatorOf(runnerOf('PlayCounts'))).toBe(PLAY_OPERATOR);
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    const project = typeCheck(join(dir, 'tsconfig.json'), [dir], result.files);
    expect(format(project, project.getPreEmitDiagnostics())).toBe('');
  });

  it('runs DeviceClicks to the busiest users, and the copied stream to its sink', async () => {
    writeGenerated(result);
    const files = Object.fromEntries(
      (['web', 'app', 'tv'] as const).map((device) => {
        const path = join(root, `${device}.jsonl`);
        writeFileSync(path, jsonLines(CLICKS_AT.filter((c) => c[0] === device).map(record)));
        return [device, path];
      }),
    );
    const busiest = join(root, 'busiest.jsonl');
    const perUser = join(root, 'per-user.jsonl');
    await runGenerated(jobFiles(dir, 'DeviceClicks').runner, 'CountClicks', {
      sourceFiles: files,
      sinkFiles: { busiest, 'per-user': perUser },
    });
    const want = expected(CLICKS_AT);
    expect(want.busiest.map((b) => [b.user, b.clicks])).toEqual([
      ['u2', 3],
      ['u1', 3],
    ]);
    expect(sortBy(readJsonLines<UserWindow>(perUser))).toEqual(want.perUser);
    expect(sortBy(readJsonLines<{ windowEnd: number; user: string }>(busiest))).toEqual(
      want.busiest,
    );
  });

  it('runs PlayCounts: one handler counts the plays of both regions', async () => {
    const plays = { 'plays-eu': ['t1', 't2', 't1'], 'plays-us': ['t1', 't2'] };
    const sourceFiles = Object.fromEntries(
      Object.entries(plays).map(([region, titles]) => {
        const path = join(root, `${region}.jsonl`);
        writeFileSync(path, jsonLines(titles.map((titleId, i) => ({ titleId, ts: T0 + i }))));
        return [region, path];
      }),
    );
    const counts = join(root, 'title-counts.jsonl');
    await runGenerated(jobFiles(dir, 'PlayCounts').runner, 'CountPlays', {
      sourceFiles,
      sinkFiles: { 'title-counts': counts },
    });
    const written = readJsonLines<{ titleId: string; plays: number; via: string }>(counts);
    const sorted = written
      .map((c) => [c.titleId, c.plays])
      .sort((a, b) => String(a).localeCompare(String(b)));
    expect(sorted).toEqual([
      ['t1', 1],
      ['t1', 2],
      ['t1', 3],
      ['t2', 1],
      ['t2', 2],
    ]);
    // each count names the region its play came from
    const via = (title: string) => written.filter((c) => c.titleId === title).map((c) => c.via);
    expect(via('t1').sort()).toEqual(['plays-eu', 'plays-eu', 'plays-us']);
    expect(via('t2').sort()).toEqual(['plays-eu', 'plays-us']);
  });
});
