import { seededRandom } from '@stream-gen/runtime/testing';
import { celRuntime } from '@stream-gen/runtime';
import { compileCel } from '../src/router/compile-cel';
import { analyzeRouterSource } from './router-fixture';

/**
 * The compiler's promise is "the same result as the interpreter, faster": checked here
 * by evaluating every expression both ways over seeded random records, so a construct
 * whose JS meaning drifts from CEL's shows up as a disagreement on some record.
 */

const SAMPLE_TYPES = `
export interface Meta { level: 'low' | 'mid' | 'high'; label: string; hint?: string; }
export interface Sample {
  name: string;
  score: number;
  active: boolean;
  bonus?: number;
  meta: Meta;
  tags: string[];
  attrs: Record<string, string>;
  pos: { x: number; y?: number };
  note: string | null;
}
`;

/** A router over records of `typeName` (declared in `types`), for its CEL environment. */
function celOf(types: string, typeName: string) {
  const yaml = [
    'router: SampleRouter',
    'source:',
    '  topic: samples',
    `  type: ${typeName}`,
    'routes:',
    '  - name: all',
    '    sink: { kind: null }',
  ].join('\n');
  const [router] = analyzeRouterSource(yaml, types).routers;
  return router.cel;
}

/** Expected to compile to JS: without these the test could pass by compiling nothing. */
const COMPILED = [
  // numeric comparisons, int literals against double fields
  'score > 50.0',
  'score <= 10',
  'score == 42.0',
  'score != 0.0',
  '-5 < score',
  '7 > score',
  'score >= 0',
  'pos.x <= score',
  'size(name) < score',
  // strings: equality, concatenation, methods (with emoji on either side)
  'name == "alpha"',
  'name != meta.label',
  'name == "😀"',
  'name + "-" + meta.label',
  'name.startsWith("a")',
  'name.endsWith("😀")',
  'name.contains(meta.label)',
  'meta.level == "mid" ? name : meta.label',
  // logic
  'score >= 0.5 && active',
  'active || score < 5.0',
  '!active',
  '!(score > 10.0) || !active',
  'active ? score : -score',
  // double arithmetic, unary minus
  'score + 1.5 > 10.0',
  'score * 2.0',
  'score / 4.0',
  'score / 0.0',
  'score * -1.0',
  '-score',
  '-(-score)',
  '-(-1.0)',
  '1.0 / -0.0',
  'score - bonus',
  // lists
  'tags + ["x"]',
  'tags + [name]',
  'tags == ["mid"]',
  'tags == ["x", ""]',
  'tags == []',
  'tags != []',
  '[score] == [42.0]',
  '"red" in tags',
  'name in tags',
  'score in [0.0, 42.0, 7.25]',
  'meta.level in ["low", "high"]',
  'tags[0]',
  'tags[1] == "red"',
  'tags[-1]',
  'tags[3]',
  '[score, 1.0][0]',
  // maps
  '"color" in attrs',
  'attrs["color"]',
  'attrs.color',
  'attrs[name]',
  'attrs["😀"]',
  '"😀" in attrs',
  // size: code points of strings, elements, entries
  'size(name)',
  'size(tags)',
  'size(attrs)',
  'size(name) > 3',
  'size("😀") == 1',
  'size(meta.label) == size(name)',
  // has() on an optional field, a nested field, a map key
  'has(record.bonus)',
  // a field that may be null: reading a null is an error in CEL
  'note + "!"',
  'note == "red"',
  'has(meta.label)',
  'has(attrs.color)',
  'has(meta.hint)',
  'has(pos.y)',
  'has(record.tags)',
  'has(record.bonus) ? bonus : 0.0',
  // the optional field on its own (an error when absent), through the whole record too
  'bonus > 1.0',
  'record.bonus',
  'record.score > 1.0',
  // optional fields of nested objects, named and inline
  'meta.hint + "!"',
  'meta.hint.contains("😀")',
  'pos.y * 2.0',
  'has(pos.y) ? pos.y : pos.x',
];

/** Expected to be left to the interpreter (evaluated by it alone, on the same records). */
const INTERPRETED = [
  // macros
  'tags.exists(t, t == "red")',
  'tags.all(t, size(t) > 2)',
  'tags.map(t, t + "!")',
  'attrs.exists(k, k == "color")',
  // strings order by code point in CEL, by UTF-16 unit in JS
  'name < "m"',
  'name >= meta.label',
  // int arithmetic overflows with an error in CEL
  'size(tags) * 2',
  'size(name) + 1 > 5',
  'tags[size(tags) - 1]',
  '-size(name)',
  '- -2',
  // a part that can fail under && || ?: (CEL's error absorption differs from JS)
  'bonus > 1.0 && active',
  'active && bonus > 1.0',
  'has(record.bonus) && bonus > 1.0',
  'tags[0] == "red" || active',
  'attrs["color"] == "red" ? 1.0 : 2.0',
  'has(meta.hint) || meta.hint == "x"',
  '!has(pos.y) || pos.y > 0.0',
  // map literals
  'attrs == {}',
  // has() of a field that may hold null
  'has(record.note)',
];

const NAMES = ['alpha', 'mid', 'z', '', 'a😀', '😀', '😀ab', 'red', 'ab😀', 'héllo', 'low'];
const SCORES = [0, -0, 42, 7.25, -3.5, 100, 0.5, 10, 1e21];
const TAGS = ['red', 'blue', 'x', '😀', 'mid', ''];
const ATTR_KEYS = ['color', 'size', 'alpha', '😀'];
const LEVELS = ['low', 'mid', 'high'];

type Rec = Record<string, unknown>;

/** `count` records made by `make` from one seeded generator and its `pick`. */
function randomRecords(
  count: number,
  seed: number,
  make: (random: () => number, pick: <T>(items: readonly T[]) => T) => Rec,
): Rec[] {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  return Array.from({ length: count }, () => make(random, pick));
}

function sampleRecord(random: () => number, pick: <T>(items: readonly T[]) => T): Rec {
  const tags = Array.from({ length: Math.floor(random() * 5) }, () => pick(TAGS));
  const attrs: Record<string, string> = {};
  for (const key of ATTR_KEYS) if (random() < 0.4) attrs[key] = pick(TAGS);
  const record: Rec = {
    name: pick(NAMES),
    score: random() < 0.7 ? pick(SCORES) : Math.round(random() * 2000 - 1000) / 8,
    active: random() < 0.5,
    meta: { level: pick(LEVELS), label: pick(NAMES) },
    tags,
    attrs,
    pos: { x: pick(SCORES) },
    note: random() < 0.5 ? null : pick(TAGS),
  };
  // some records lack the optional fields: reading one is an error in CEL
  if (random() < 0.6) record.bonus = pick(SCORES);
  if (random() < 0.5) (record.meta as Rec).hint = pick(NAMES);
  if (random() < 0.5) (record.pos as Rec).y = pick(SCORES);
  return record;
}

type Outcome = { readonly value: unknown } | { readonly threw: true };

function outcome(evaluate: () => unknown): Outcome {
  try {
    return { value: evaluate() };
  } catch {
    return { threw: true };
  }
}

/**
 * The checks of one record type: every expression type-checks, the compiler compiles
 * exactly `compiled` (so the test cannot pass by compiling nothing), and each compiled
 * one gives the interpreter's value on every record, or throws where it throws.
 */
function differential(
  cel: ReturnType<typeof celOf>,
  compiled: readonly string[],
  interpreted: readonly string[],
  records: readonly Rec[],
): void {
  it('type-checks every expression', () => {
    const invalid = [...compiled, ...interpreted].filter(
      (expression) => !cel.env.parse(expression).check().valid,
    );
    expect(invalid).toEqual([]);
  });

  it('compiles the expressions it promises to, and leaves the rest to the interpreter', () => {
    expect(compiled.filter((e) => compileCel(cel, e) === undefined)).toEqual([]);
    expect(interpreted.filter((e) => compileCel(cel, e) !== undefined)).toEqual([]);
  });

  it('gives the interpreter’s value, or an error where it errs, on every record', () => {
    const disagreements: unknown[] = [];
    for (const expression of [...compiled, ...interpreted]) {
      const interpreter = celRuntime.interpreted(expression, cel.declarations);
      const code = compileCel(cel, expression);
      // a syntax error here is a compiler bug too, not a record's error
      const js =
        code === undefined
          ? undefined
          : (new Function('$', `return (r) => ${code}`)(celRuntime) as (r: unknown) => unknown);
      for (const record of records) {
        // run even when not compiled: the interpreter must take the expression too
        const expected = outcome(() => interpreter(record));
        if (!js) continue;
        const actual = outcome(() => js(record));
        if (!isSame(actual, expected)) {
          disagreements.push({ expression, code, record, compiled: actual, interpreted: expected });
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
}

describe('compileCel against the CEL interpreter, on typed fields', () => {
  const records = randomRecords(50, 20240611, sampleRecord);

  it('generates records of every kind the expressions tell apart', () => {
    expect(records.some((r) => !('bonus' in r))).toBe(true);
    expect(records.some((r) => 'bonus' in r)).toBe(true);
    expect(records.some((r) => !('hint' in (r.meta as object)))).toBe(true);
    expect(records.some((r) => 'y' in (r.pos as object))).toBe(true);
    expect(records.some((r) => /\p{Extended_Pictographic}/u.test(r.name as string))).toBe(true);
    expect(records.some((r) => (r.tags as string[]).length === 0)).toBe(true);
    expect(records.some((r) => !('color' in (r.attrs as object)))).toBe(true);
    expect(records.some((r) => 'color' in (r.attrs as object))).toBe(true);
  });

  differential(celOf(SAMPLE_TYPES, 'Sample'), COMPILED, INTERPRETED, records);
});

/**
 * Fields CEL sees as `dyn` (an `unknown`, a union of kinds, a tuple's elements): their
 * kind is checked by the interpreter at run time, where JS operators would coerce.
 */
const LOOSE_TYPES = `
export interface Loose {
  name: string;
  flag: boolean;
  payload: unknown;
  mixed: string | number;
  pair: [number, string];
  attrs: Record<string, string>;
}
`;

const LOOSE_COMPILED = [
  'payload == 1.0',
  'null == payload',
  'mixed == 5.0',
  'mixed != "s"',
  'payload in ["s", "5"]',
  'mixed in [5.0, 1.5]',
  'pair[0] == 1',
  'size(pair)',
  'pair + [1.0]',
  'flag && mixed == 5.0',
  'has(record.payload)',
  // the interpreter looks a dyn key up as JS does (5 finds key "5"): compiled alike
  'attrs[mixed]',
  'mixed in attrs',
  'attrs[payload]',
  'payload in attrs',
];

/** JS would coerce these (`!0`, `5 + "x"`, `size(5)`, `(5).x`): CEL has no such overload. */
const LOOSE_INTERPRETED = [
  '!payload',
  'payload && flag',
  'flag || payload',
  'payload ? 1.0 : 2.0',
  'payload + 1.0',
  'payload * 2.0',
  'payload + "x"',
  'mixed + "x"',
  'payload + [1]',
  'pair[1] + "!"',
  '-payload',
  'size(mixed)',
  'size(payload)',
  'size(pair[1])',
  'payload.x == 1.0',
  'has(payload.x)',
  'name.startsWith(payload)',
];

const PAYLOADS: readonly unknown[] = [5, 0, 1, 's', '', '5', true, false, null, { x: 1 }, [1, 'a']];
const MIXED = [5, 0, 1.5, 's', '', '5'];

function looseRecord(random: () => number, pick: <T>(items: readonly T[]) => T): Rec {
  const attrs: Record<string, string> = {};
  for (const key of ['5', 's', 'color']) if (random() < 0.5) attrs[key] = pick(TAGS);
  return {
    name: pick(NAMES),
    flag: random() < 0.5,
    payload: pick(PAYLOADS),
    mixed: pick(MIXED),
    pair: [pick(SCORES), pick(NAMES)],
    attrs,
  };
}

describe('compileCel against the CEL interpreter, on dyn fields', () => {
  differential(
    celOf(LOOSE_TYPES, 'Loose'),
    LOOSE_COMPILED,
    LOOSE_INTERPRETED,
    randomRecords(50, 7, looseRecord),
  );
});

/** Deep equality that tells -0 from 0 and NaN equals NaN, as `Object.is` does. */
function isSame(a: Outcome, b: Outcome): boolean {
  if ('threw' in a || 'threw' in b) return 'threw' in a && 'threw' in b;
  return sameValue(a.value, b.value);
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => Object.hasOwn(bo, k) && sameValue((a as Record<string, unknown>)[k], bo[k]))
  );
}
