/**
 * Window stages from decorators to a run: the job's operator is a `@Window` aggregate
 * over session windows per user; a `@Window` stage behind a repartition counts the
 * sessions per minute with a full-window function. generate() emits both windows
 * (checked as text), `stream-gen graph` labels them, the generated files compile with
 * the project, and the generated Nest module runs the job over JSON-lines files to the
 * sessions and counts computed here directly (by sorting and splitting, not windows).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { specSection, useGeneratedProject } from './e2e-project';
import { cli } from './run-cli';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface Click {
  user: string;
  page: string;
  ts: number;
}

export interface Session {
  user: string;
  first: number;
  last: number;
  clicks: number;
}

export interface PerMinute {
  minute: number;
  sessions: number;
  clicks: number;
}
`;

const JOB = `import { Sink, Source, StreamJob, Window } from '@stream-gen/annotations';
import type { WindowAggregate, WindowBounds } from '@stream-gen/runtime';
import type { Click, Session } from './model';
import { SessionsPerMinute } from './per-minute.stage';

interface Acc {
  first: number;
  last: number;
  clicks: number;
}

@StreamJob({ name: 'Sessions', deadLetters: 'dead-letters', output: 'per-minute', stages: [SessionsPerMinute] })
@Source<Click>('clicks', { eventTime: 'ts', maxOutOfOrderness: '2s' })
@Sink('per-minute')
@Sink('late')
@Sink('dead-letters')
@Window({ input: 'clicks', key: 'user', session: { gap: '10s' }, output: 'sessions', sideOutputs: { late: 'late' } })
export class UserSessions implements WindowAggregate<Click, Acc, Session> {
  createAccumulator(): Acc {
    return { first: Number.MAX_SAFE_INTEGER, last: 0, clicks: 0 };
  }
  add(click: Click, acc: Acc): Acc {
    return { first: Math.min(acc.first, click.ts), last: Math.max(acc.last, click.ts), clicks: acc.clicks + 1 };
  }
  merge(a: Acc, b: Acc): Acc {
    return { first: Math.min(a.first, b.first), last: Math.max(a.last, b.last), clicks: a.clicks + b.clicks };
  }
  result(acc: Acc, window: WindowBounds): Session {
    return { user: window.key, ...acc };
  }
}
`;

const STAGE = `import { Window } from '@stream-gen/annotations';
import type { WindowBounds, WindowProcess } from '@stream-gen/runtime';
import type { PerMinute, Session } from './model';

/** Sessions per minute of their end, over every user: one key for all. */
@Window({ id: 'per-minute', input: 'sessions', key: (s: Session) => 'all', tumbling: { size: '1m' } })
export class SessionsPerMinute implements WindowProcess<Session, PerMinute> {
  process(sessions: readonly Session[], window: WindowBounds): PerMinute[] {
    return [{ minute: window.start, sessions: sessions.length, clicks: sessions.reduce((n, s) => n + s.clicks, 0) }];
  }
}
`;

/** The runner's operator: the session windows, the class instance as the function. */
const OPERATOR = `    operator: {
      kind: 'process',
      output: 'sessions',
      name: 'UserSessions',
      input: 'clicks',
      window: { assigner: { kind: 'session', gapMs: 10000 }, time: 'event', allowedLatenessMs: 0 },
      create: () => create(),
    },
`;

const KEYED_STAGES = `    keyedStages: [
      {
        kind: 'process',
        id: 'per-minute',
        input: 'sessions',
        key: (s) => 'all',
        window: { assigner: { kind: 'tumbling', sizeMs: 60000, offsetMs: 0 }, time: 'event', allowedLatenessMs: 0 },
        create: () => createStage(SessionsPerMinute),
      },
    ],
`;

interface Click {
  user: string;
  page: string;
  ts: number;
}

const T0 = 1_700_000_040_000; // on a minute
const GAP = 10_000;

/** Clicks of 4 users in bursts; arrival shuffled within the 2 s bound. */
function clicks(): Click[] {
  const out: Click[] = [];
  let seed = 11;
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (const user of ['ann', 'bob', 'cy', 'di']) {
    let ts = T0 + Math.floor(next() * 5_000);
    for (let i = 0; i < 40; i++) {
      out.push({ user, page: `p${i % 3}`, ts });
      // mostly within a session, sometimes a gap of at least 10 s (exactly 10 s once)
      ts +=
        i === 7
          ? GAP
          : next() < 0.2
            ? GAP + Math.floor(next() * 30_000)
            : Math.floor(next() * 9_000);
    }
  }
  out.sort((a, b) => a.ts - b.ts);
  for (let i = 0; i + 1 < out.length; i += 2) {
    if (out[i + 1].ts - out[i].ts < 2_000) [out[i], out[i + 1]] = [out[i + 1], out[i]];
  }
  return out;
}

/** Sessions by sorting each user's clicks and splitting where they are a gap or more apart. */
function expectedSessions(all: readonly Click[]) {
  const sessions: Array<{ user: string; first: number; last: number; clicks: number }> = [];
  for (const user of [...new Set(all.map((c) => c.user))]) {
    const ts = all
      .filter((c) => c.user === user)
      .map((c) => c.ts)
      .sort((a, b) => a - b);
    let first = ts[0];
    let n = 0;
    ts.forEach((t, i) => {
      if (i > 0 && t - ts[i - 1] >= GAP) {
        sessions.push({ user, first, last: ts[i - 1], clicks: n });
        first = t;
        n = 0;
      }
      n++;
    });
    sessions.push({ user, first, last: ts[ts.length - 1], clicks: n });
  }
  return sessions;
}

/** Per minute of a session's output time (its last click + gap - 1): sessions and clicks. */
function expectedPerMinute(all: readonly Click[]) {
  const minutes = new Map<number, { minute: number; sessions: number; clicks: number }>();
  for (const s of expectedSessions(all)) {
    const at = s.last + GAP - 1;
    const minute = at - (at % 60_000);
    const m = minutes.get(minute) ?? { minute, sessions: 0, clicks: 0 };
    minutes.set(minute, { minute, sessions: m.sessions + 1, clicks: m.clicks + s.clicks });
  }
  return [...minutes.values()].sort((a, b) => a.minute - b.minute);
}

describe('window stages generated from decorators', () => {
  const project = useGeneratedProject('windows', 'sessions', {
    'model.ts': MODEL,
    'per-minute.stage.ts': STAGE,
    'sessions.job.ts': JOB,
  });

  it('emits the windows of the operator and of the stage', () => {
    const runner = project.runner('Sessions');
    expect(specSection(runner, '    operator: {')).toBe(OPERATOR);
    expect(specSection(runner, '    keyedStages: [')).toBe(KEYED_STAGES);
    expect(runner).toContain(`key: (e: Click) => e.user,\n`);
  });

  it('is drawn by stream-gen graph with the windows in the labels', async () => {
    const mermaid = await cli('graph', 'Sessions', '--project', project.dir, '--format', 'mermaid');
    expect(mermaid.code).toBe(0);
    expect(mermaid.out).toContain('op_UserSessions["UserSessions (session window, gap 10000 ms)"]');
    expect(mermaid.out).toContain(
      'stage_per_minute["per-minute: SessionsPerMinute (tumbling window, 60000 ms)"]',
    );
    expect(mermaid.out).toContain('op_UserSessions -->|"late"| sink_late');
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs from its generated Nest module: sessions per minute as computed by sorting', async () => {
    writeGenerated(project.result);
    const input = clicks();
    const files = {
      clicks: join(project.root, 'clicks.jsonl'),
      perMinute: join(project.root, 'per-minute.jsonl'),
      late: join(project.root, 'late.jsonl'),
    };
    writeFileSync(files.clicks, jsonLines(input));
    await runGenerated(project.runnerPath('Sessions'), 'UserSessions', {
      sourceFiles: { clicks: files.clicks },
      sinkFiles: { 'per-minute': files.perMinute, late: files.late },
    });
    const perMinute = readJsonLines<{ minute: number }>(files.perMinute);
    expect(perMinute.sort((a, b) => a.minute - b.minute)).toEqual(expectedPerMinute(input));
    expect(expectedSessions(input).length).toBeGreaterThan(8);
    expect(readJsonLines(files.late)).toEqual([]);
  });
});
