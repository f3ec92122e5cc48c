/**
 * Fuzz: a few thousand records, valid impressions and plays mixed with garbage, pushed
 * through ImpressionJoin as a connector hands them over. Every input must end up in
 * exactly one place: garbage in the dead letters (at its own topic and offset), valid
 * records in a conversion, in state behind one, or in the late output; and the valid
 * records must come out exactly as they do when no garbage is mixed in (so garbage,
 * far-future timestamps included, never moved the watermark).
 */
import { JobHarness, seededRandom } from '@stream-gen/runtime/testing';
import {
  compare,
  generateEvents,
  impressionJoinJob,
  referenceJoin,
  type Conversion,
  type Impression,
  type Play,
} from '../src';

type Topic = 'impressions' | 'plays';
type Event = Impression | Play;

/** One input record: raw (as read from a topic) or, for values JSON cannot hold, decoded. */
interface Input {
  readonly topic: Topic;
  readonly raw?: string | null;
  readonly value?: unknown;
  /** The valid event it carries; undefined for garbage. */
  readonly event?: Event;
}

const START = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const BATCH = 40;

const idOf = (e: Event) => ('playId' in e ? e.playId : e.impressionId);

/**
 * Garbage made from a valid event, on its topic: each kind of bad input the runtime
 * must dead-letter.
 */
function garbage(rnd: () => number, event: Event): Input {
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)];
  const topic: Topic = 'playId' in event ? 'plays' : 'impressions';
  const text = JSON.stringify(event);
  const field = pick(Object.keys(event)) as keyof Event;
  const wrongType = typeof event[field] === 'number' ? 'x' : 42;
  // Rare, as each is big: a valid event padded past 1 MiB, rejected for its size alone.
  if (rnd() < 0.01) return { topic, raw: ' '.repeat(1_100_000) + text };
  const kinds: Array<() => Omit<Input, 'topic'>> = [
    () => ({ raw: text.slice(0, Math.floor(rnd() * text.length)) }), // cut short
    () => ({ raw: pick(['', 'not json', '{"a":', '[1,2', 'undefined', '{ts: 1}']) }),
    () => ({ raw: pick(['7', '"text"', '[]', 'true', '{}']) }), // JSON, not an event
    () => ({ raw: JSON.stringify({ ...event, [field]: wrongType }) }),
    () => ({ raw: JSON.stringify({ ...event, ts: String(event.ts) }) }),
    () => ({ raw: JSON.stringify({ ...event, [field]: undefined }) }), // a missing field
    () => ({ raw: JSON.stringify({ ...event, [field]: null }) }),
    () => ({ raw: null }), // a tombstone
    () => ({ raw: 'null' }),
    () => ({ raw: text.replace(/"ts":\d+/, '"ts":1e999') }), // Infinity
    () => ({ value: { ...event, ts: NaN } }), // JSON has no NaN: pushed decoded
    () => ({ raw: JSON.stringify({ ...event, ts: START + DAY + 1 + Math.floor(rnd() * 1e12) }) }),
  ];
  return { topic, ...pick(kinds)() };
}

/** The valid events in arrival order, with garbage before about a third of them. */
function inputs(seed: number): { events: Event[]; all: Input[] } {
  const rnd = seededRandom(seed);
  const generated = generateEvents({ seed, impressions: 1500, lateRate: 0.01 });
  const all: Input[] = [];
  for (const g of generated) {
    while (rnd() < 0.35) all.push(garbage(rnd, g.value));
    all.push({ topic: g.topic, raw: JSON.stringify(g.value), event: g.value });
  }
  return { events: generated.map((g) => g.value), all };
}

/**
 * Batches: consecutive inputs of one topic, raw or decoded, cut every BATCH valid
 * records too. The watermark moves between batches, so a run without the garbage
 * keeps these cuts (dropping the garbage from each batch) to see the same lateness.
 */
function batches(all: readonly Input[]): Input[][] {
  const out: Input[][] = [];
  let batch: Input[] = [];
  let valid = 0;
  for (const input of all) {
    const last = batch[batch.length - 1];
    const sameKind = last && last.topic === input.topic && 'value' in last === 'value' in input;
    if (last && (!sameKind || valid === BATCH)) {
      out.push(batch);
      [batch, valid] = [[], 0];
    }
    batch.push(input);
    if (input.event) valid++;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** Runs the job over the batches (without their garbage unless `withGarbage`), to the end. */
async function run(all: readonly Input[], withGarbage: boolean) {
  const h = await JobHarness.create({ job: impressionJoinJob(), processingTime: START });
  const offsets: Record<Topic, number> = { impressions: 0, plays: 0 };
  const position = new Map<Input, string>();
  for (const whole of batches(all)) {
    const batch = whole.filter((i) => withGarbage || i.event);
    if (batch.length === 0) continue;
    for (const i of batch) position.set(i, `${i.topic}@${offsets[i.topic]++}`);
    const { topic } = batch[0];
    if ('value' in batch[0]) await h.push(topic, ...batch.map((i) => i.value));
    else await h.pushRaw(topic, ...batch.map((i) => i.raw ?? null));
  }
  await h.endOfInput();
  return {
    position,
    conversions: h.output<Conversion>(),
    late: h.sideOutput<Event>('late'),
    deadLetters: h.deadLetters(),
  };
}

describe('ImpressionJoin under fuzzed input', () => {
  it('puts every input in exactly one place: dead letters, late, or the join', async () => {
    const { events, all } = inputs(20261124);
    const bad = all.filter((i) => !i.event);
    expect(all.length).toBeGreaterThan(2500);
    expect(bad.length).toBeGreaterThan(500);

    const fuzzed = await run(all, true);

    // Garbage: each in the dead letters once, at its own topic and offset, with a reason.
    const lettered = fuzzed.deadLetters.map((d) => `${d.source}@${d.offset}`);
    expect(new Set(lettered).size).toBe(lettered.length);
    expect(lettered.sort()).toEqual(bad.map((i) => fuzzed.position.get(i)).sort());
    for (const d of fuzzed.deadLetters) {
      expect(d.partition).toBe(0);
      expect(d.reason).toMatch(/^(not valid JSON|invalid record|record |event time )/);
    }

    // Valid records: late ones once in the late output, the others in the join, which
    // equals the batch reference join of the on-time records, each play converted once.
    const lateIds = fuzzed.late.map(idOf);
    const late = new Set(lateIds);
    expect(late.size).toBe(lateIds.length);
    expect(late.size).toBeGreaterThan(0);
    const onTime = events.filter((e) => !late.has(idOf(e)));
    const plays = onTime.filter((e): e is Play => 'playId' in e);
    const impressions = onTime.filter((e): e is Impression => 'impressionId' in e);
    expect(compare(referenceJoin(impressions, plays), fuzzed.conversions)).toEqual([]);
    expect(fuzzed.conversions).toHaveLength(plays.length);

    // The same valid records alone give the same late records and conversions.
    const clean = await run(all, false);
    expect(clean.deadLetters).toEqual([]);
    expect(lateIds).toEqual(clean.late.map(idOf));
    expect(fuzzed.conversions).toEqual(clean.conversions);
  });
});
