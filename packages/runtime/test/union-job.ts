/**
 * A union of three click streams into one keyed count: every click of a user adds one
 * to the user's count, whichever device's stream it came through, and each running
 * count is emitted with the stream that brought it. The sources are keyed by user but
 * not partitioned by it (tests spread each user over every partition). What the job
 * must output and keep in state is computed here directly from the clicks.
 */
import type { ElementContext, JobSpec, RuntimeContext, ValueState } from '../src';

export interface Click {
  user: string;
  ts: number;
}

export interface UserCount {
  user: string;
  count: number;
  /** The stream of the click counted (`ctx.input`). */
  via: string;
}

export const DEVICES = ['web', 'app', 'tv'] as const;
export type Device = (typeof DEVICES)[number];
export type ClicksByDevice = Readonly<Record<Device, readonly Click[]>>;

/** The job's name, which names its state keys, groups and repartition topic. */
export const UNION_JOB = 'AllClicks';
/** The sink of the counts. */
export const UNION_SINK = 'counts';
/** The topic the re-keying stage writes, as `launchJob` names it (before the namespace). */
export const UNION_REPARTITION = `${UNION_JOB}.count.repartition`;

/** The running count of each user's clicks, over every input, with the input named. */
export class CountClicks {
  private count!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.count = ctx.valueState<number>('count');
  }
  processElement(click: Click, ctx: ElementContext<UserCount>) {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ user: click.user, count, via: ctx.input });
  }
}

export function unionJob(): JobSpec {
  return {
    name: UNION_JOB,
    sources: DEVICES.map((name) => ({
      name,
      key: (c: Click) => c.user,
      // no click is late, whatever order the streams interleave in
      eventTime: { timestamp: (c: Click) => c.ts, maxOutOfOrdernessMs: 1e12 },
    })),
    operator: {
      kind: 'union',
      name: 'count',
      inputs: [...DEVICES],
      create: () => new CountClicks(),
    },
    outputs: { main: UNION_SINK },
  };
}

/** What the fused stage adds to each count: how many counts of the user it saw so far. */
export type TalliedCount = UserCount & { seen: number };

/** The fused stage's id; its state is `<id>.seen` in the count's tasks. */
export const TALLY_STAGE = 'tally';

/** Fused after the count (same key): each count with how many counts of its user it saw. */
export class TallyCounts {
  private seen!: ValueState<number>;
  open(ctx: RuntimeContext) {
    this.seen = ctx.valueState<number>('seen');
  }
  processElement(count: UserCount, ctx: ElementContext<TalliedCount>) {
    const seen = (this.seen.value() ?? 0) + 1;
    this.seen.update(seen);
    ctx.emit({ ...count, seen });
  }
}

/**
 * The union job with {@link TallyCounts} fused after the count (`sameKey`): it runs in
 * the count's tasks, so a count applied twice or lost there would show as `seen`
 * differing from `count`, and its state differing from the user's clicks.
 */
export function fusedUnionJob(): JobSpec {
  const job = unionJob();
  return {
    ...job,
    operator: { ...job.operator!, output: 'counted' } as JobSpec['operator'],
    keyedStages: [
      {
        kind: 'process',
        id: TALLY_STAGE,
        input: 'counted',
        sameKey: true,
        create: () => new TallyCounts(),
      },
    ],
  };
}

/** `perDevice` clicks on each device, in time order, spread over `users` users. */
export function generateClicks(options: { perDevice: number; users: number }): ClicksByDevice {
  const of = (d: number) =>
    Array.from({ length: options.perDevice }, (_, i) => ({
      user: `u${(i * 7 + d) % options.users}`,
      ts: 1_000 + i,
    }));
  return { web: of(0), app: of(1), tv: of(2) };
}

/** The count state each user ends with: its clicks over every device. */
export function referenceState(clicks: ClicksByDevice): Map<string, number> {
  const totals = new Map<string, number>();
  for (const device of DEVICES) {
    for (const c of clicks[device]) totals.set(c.user, (totals.get(c.user) ?? 0) + 1);
  }
  return totals;
}

/**
 * How `outputs` (one per input click, duplicates removed) differ from what the job must
 * emit for `clicks`: each user's counts are 1..n once each, n its clicks, and as many of
 * them name a device as the user clicked there. Empty when they agree.
 */
export function countMismatches(clicks: ClicksByDevice, outputs: readonly UserCount[]): string[] {
  const problems: string[] = [];
  const totals = referenceState(clicks);
  const byUser = new Map<string, UserCount[]>();
  for (const o of outputs) byUser.set(o.user, [...(byUser.get(o.user) ?? []), o]);
  for (const user of new Set([...totals.keys(), ...byUser.keys()])) {
    const counts = (byUser.get(user) ?? []).map((o) => o.count).sort((a, b) => a - b);
    const n = totals.get(user) ?? 0;
    if (counts.length !== n || counts.some((c, i) => c !== i + 1)) {
      problems.push(`${user}: counts ${summarize(counts)}, expected 1..${n} once each`);
    }
    for (const device of DEVICES) {
      const want = clicks[device].filter((c) => c.user === user).length;
      const got = (byUser.get(user) ?? []).filter((o) => o.via === device).length;
      if (got !== want) problems.push(`${user}: ${got} counts via ${device}, expected ${want}`);
    }
  }
  return problems;
}

function summarize(counts: readonly number[]): string {
  const shown = counts.slice(0, 8).join(',');
  return counts.length > 8 ? `${shown},… (${counts.length})` : `[${shown}]`;
}
