/**
 * Two keyed stages behind the operator, a chain stage between them and one after the
 * last, from decorators to a run: generate() emits the
 * runner's `keyedStages` (checked as text), the generated files compile with the
 * project, and the generated Nest module runs the job over JSON-lines files, its stage
 * classes resolved by Nest (one with a constructor dependency), to the outputs
 * computed here directly from the bids, and the side output of a keyed stage to its own
 * sink.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeGenerated } from '../src';
import { specSection, useGeneratedProject } from './e2e-project';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface Bid {
  auction: string;
  category: string;
  ts: number;
}

export interface AuctionCount {
  auction: string;
  category: string;
  windowEnd: number;
  count: number;
}

export type TopAuction = AuctionCount;

export interface Winner {
  auction: string;
  category: string;
}

export interface Wins {
  auction: string;
  wins: number;
}

export type RankedWins = Wins & { rank: string };

export const WINDOW_MS = 10_000;
`;

const SETTINGS = `import { Injectable } from '@nestjs/common';

/** Injected into the top-per-category stage by Nest. */
@Injectable()
export class TopSettings {
  /** An auction with fewer bids in a window is never its top one. */
  readonly minBids = 2;
}
`;

const STAGES = `import { Chain, KeyBy, KeyedProcess, MapElement, ProcessElement, State, Timer } from '@stream-gen/annotations';
import type { ElementContext, MapState, TimerContext, ValueState } from '@stream-gen/runtime';
import type { AuctionCount, RankedWins, TopAuction, Winner, Wins } from './model';
import { TopSettings } from './top-settings';

/** Keyed by category: the auction with the most bids of each window, when it closes. */
@KeyedProcess({ id: 'top-auction', input: 'auction-counts', output: 'tops', sideOutputs: { 'too-few': 'too-few' } })
export class TopPerCategory {
  @State() private best!: MapState<TopAuction>;

  constructor(private readonly settings: TopSettings) {}

  @ProcessElement('auction-counts')
  @KeyBy((c: AuctionCount) => c.category)
  onCount(count: AuctionCount, ctx: ElementContext<TopAuction>): void {
    const end = String(count.windowEnd);
    const best = this.best.get(end);
    const better = !best || count.count > best.count || (count.count === best.count && count.auction < best.auction);
    if (count.count < this.settings.minBids) ctx.output('too-few', count);
    else if (better) this.best.put(end, count);
    ctx.timers.registerEventTimeTimer(count.windowEnd);
  }

  @Timer()
  onTimer(timestamp: number, ctx: TimerContext<TopAuction>): void {
    const best = this.best.get(String(timestamp));
    this.best.remove(String(timestamp));
    if (best) ctx.emit(best);
  }
}

/** Between the keyed stages: what the next one needs of a top auction. */
@Chain({ id: 'winners', input: 'tops', output: 'winners' })
export class Winners {
  @MapElement()
  winner(top: TopAuction): Winner {
    return { auction: top.auction, category: top.category };
  }
}

/** Keyed by auction: how many windows it was the top one of its category. */
@KeyedProcess({ id: 'leaders', input: 'winners', output: 'wins' })
export class Leaders {
  @State() private wins!: ValueState<number>;

  @ProcessElement('winners')
  @KeyBy('auction')
  onTop(top: Winner, ctx: ElementContext<Wins>): void {
    const wins = (this.wins.value() ?? 0) + 1;
    this.wins.update(wins);
    ctx.emit({ auction: top.auction, wins });
  }
}

/** After the last keyed stage: each count of wins ranked, on its way to the sink. */
@Chain({ id: 'rank', input: 'wins', output: 'ranked' })
export class Rank {
  @MapElement()
  rank(wins: Wins): RankedWins {
    return { ...wins, rank: wins.auction + '#' + wins.wins };
  }
}
`;

const JOB = `import { KeyBy, KeyedProcess, ProcessElement, Sink, Source, State, StreamJob, Timer } from '@stream-gen/annotations';
import type { ElementContext, MapState, TimerContext, ValueState } from '@stream-gen/runtime';
import { WINDOW_MS, type AuctionCount, type Bid } from './model';
import { Leaders, Rank, TopPerCategory, Winners } from './top-auctions.stages';

const windowEnd = (ts: number) => Math.floor(ts / WINDOW_MS) * WINDOW_MS + WINDOW_MS;

@StreamJob({ name: 'TopAuctions', deadLetters: 'dead-letters', stages: [Leaders, Rank, TopPerCategory, Winners] })
@Source<Bid>('bids', { eventTime: 'ts', maxOutOfOrderness: '1s' })
@Sink('leaders')
@Sink('too-few')
@Sink('late')
@Sink('dead-letters')
@KeyedProcess({ input: 'bids', output: 'auction-counts', sideOutputs: { late: 'late' } })
export class CountBids {
  @State() private counts!: MapState<number>;
  @State() private category!: ValueState<string>;

  @ProcessElement('bids')
  @KeyBy('auction')
  onBid(bid: Bid, ctx: ElementContext<AuctionCount>): void {
    const end = String(windowEnd(bid.ts));
    this.counts.put(end, (this.counts.get(end) ?? 0) + 1);
    this.category.update(bid.category);
    ctx.timers.registerEventTimeTimer(windowEnd(bid.ts));
  }

  @Timer()
  onTimer(timestamp: number, ctx: TimerContext<AuctionCount>): void {
    const count = this.counts.get(String(timestamp)) ?? 0;
    this.counts.remove(String(timestamp));
    ctx.emit({ auction: ctx.key, category: this.category.value() ?? '', windowEnd: timestamp, count });
  }
}
`;

/** What the runner's spec lists as `keyedStages`, in the order the stream flows. */
const KEYED_STAGES = `    keyedStages: [
      {
        kind: 'process',
        id: 'top-auction',
        input: 'auction-counts',
        output: 'tops',
        key: (c) => c.category,
        sideOutputs: { 'too-few': 'too-few' },
        create: async () => {
          const stage = await createStage(TopPerCategory);
          return {
            open(ctx) {
              stage['best'] = ctx.mapState('best');
            },
            processElement: (value, ctx) => stage['onCount'](value, ctx),
            onTimer: (timestamp, ctx) =>
              ctx.timeDomain === 'event' ? stage['onTimer'](timestamp, ctx) : undefined,
          };
        },
      },
      {
        kind: 'process',
        id: 'leaders',
        input: 'winners',
        output: 'wins',
        key: (e) => e.auction,
        create: async () => {
          const stage = await createStage(Leaders);
          return {
            open(ctx) {
              stage['wins'] = ctx.valueState('wins');
            },
            processElement: (value, ctx) => stage['onTop'](value, ctx),
          };
        },
      },
    ],
`;

interface Bid {
  auction: string;
  category: string;
  ts: number;
}

const T0 = 1_700_000_000_000;
const CATEGORY: Record<string, string> = { a1: 'c1', a2: 'c1', a3: 'c2', a4: 'c2' };
/**
 * Bids of three windows, in time order: a3 is the top auction of c2 twice; the third
 * window's only auction has too few bids (TopSettings.minBids) to be top.
 */
const BIDS: Bid[] = [
  ['a1', 'a1', 'a2', 'a1', 'a3', 'a3', 'a4'],
  ['a2', 'a1', 'a2', 'a3', 'a3', 'a4'],
  ['a1'],
].flatMap((auctions, w) =>
  auctions.map((auction, i) => ({
    auction,
    category: CATEGORY[auction],
    ts: T0 + w * 10_000 + i * 1_000,
  })),
);

/** The leaders the job must write, computed directly: top auctions per category and window (2 bids at least), counted. */
function expectedLeaders(bids: readonly Bid[]): Array<{ auction: string; wins: number }> {
  const counts = new Map<string, { auction: string; category: string; count: number }>();
  for (const b of bids) {
    const id = `${b.auction}@${Math.floor(b.ts / 10_000)}`;
    const c = counts.get(id) ?? { auction: b.auction, category: b.category, count: 0 };
    c.count++;
    counts.set(id, c);
  }
  const best = new Map<string, { auction: string; count: number }>();
  for (const [id, c] of counts) {
    const key = `${c.category}@${id.split('@')[1]}`;
    const b = best.get(key);
    const better = !b || c.count > b.count || (c.count === b.count && c.auction < b.auction);
    if (c.count >= 2 && better) best.set(key, c);
  }
  const wins = new Map<string, number>();
  const out: Array<{ auction: string; wins: number }> = [];
  for (const { auction } of [...best.values()]) {
    wins.set(auction, (wins.get(auction) ?? 0) + 1);
    out.push({ auction, wins: wins.get(auction) ?? 0 });
  }
  return sortLeaders(out);
}

const sortLeaders = (l: ReadonlyArray<{ auction: string; wins: number }>) =>
  [...l].sort((a, b) => a.auction.localeCompare(b.auction) || a.wins - b.wins);

describe('a job with two keyed stages, generated from decorators', () => {
  const project = useGeneratedProject('keyed', 'top-auctions', {
    'model.ts': MODEL,
    'top-settings.ts': SETTINGS,
    'top-auctions.stages.ts': STAGES,
    'top-auctions.job.ts': JOB,
  });

  it('lists the keyed stages in stream order, built from instances of their classes', () => {
    const runner = project.runner('TopAuctions');
    expect(specSection(runner, '    keyedStages: [')).toBe(KEYED_STAGES);
    // the last stage's emissions go to the only sink no other role claims
    expect(runner).toContain(
      `outputs: {\n      main: 'leaders',\n      sideOutputs: { 'late': 'late' },\n      deadLetters: 'dead-letters',\n    },`,
    );
    expect(runner).toContain(
      `    operator: {\n      kind: 'process',\n      output: 'auction-counts',`,
    );
    for (const provided of ['CountBids', 'Leaders', 'Rank', 'TopPerCategory', 'Winners']) {
      expect(runner).toContain(
        `{ provide: ${provided}, useClass: ${provided}, scope: Scope.TRANSIENT },`,
      );
    }
    expect(runner).toContain('        TopSettings,\n');
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    expect(project.typeErrors()).toBe('');
  });

  it('runs from its generated Nest module to the outputs computed directly', async () => {
    writeGenerated(project.result);
    const bids = join(project.root, 'bids.jsonl');
    const leaders = join(project.root, 'leaders.jsonl');
    const tooFew = join(project.root, 'too-few.jsonl');
    writeFileSync(bids, jsonLines(BIDS));
    await runGenerated(project.runnerPath('TopAuctions'), 'CountBids', {
      sourceFiles: { bids },
      sinkFiles: { leaders, 'too-few': tooFew },
    });
    const written = readJsonLines<{ auction: string; wins: number; rank: string }>(leaders);
    // the chain after the last keyed stage ranked each
    expect(written.every((w) => w.rank === `${w.auction}#${w.wins}`)).toBe(true);
    expect(expectedLeaders(BIDS)).toEqual([
      { auction: 'a1', wins: 1 },
      { auction: 'a2', wins: 1 },
      { auction: 'a3', wins: 1 },
      { auction: 'a3', wins: 2 },
    ]);
    expect(sortLeaders(written.map(({ auction, wins }) => ({ auction, wins })))).toEqual(
      expectedLeaders(BIDS),
    );
    // the keyed stage's own side output: the auctions of one bid in a window
    const few = readJsonLines<{ auction: string; windowEnd: number; count: number }>(tooFew);
    expect(few.map((c) => `${c.auction}@${c.windowEnd - T0} ${c.count}`).sort()).toEqual([
      'a1@20000 1',
      'a1@30000 1',
      'a2@10000 1',
      'a4@10000 1',
      'a4@20000 1',
    ]);
  });
});
