import * as vm from 'node:vm';
import { Project, ts } from 'ts-morph';
import {
  isUnsupported,
  shapeOfDeclaration,
  writeValidators,
  type Shape,
  type ValidatorSpec,
} from '../src/validators';

/** Element types covering every supported construct, as a user would declare them. */
const TYPES = `
export interface Impression { impressionId: string; profileId: string; titleId: string; ts: number; row: number; rank: number }
export interface Play { playId: string; profileId: string; titleId: string; ts: number; deviceType: 'tv' | 'mobile' | 'web'; durationMs?: number }

type Rating = 1 | 2 | 3;
interface Geo { lat: number; lon: number }
export interface Profile {
  id: string;
  nickname: string | null;
  kids: boolean;
  maturity?: Rating;
  email: string | undefined;
  tags: string[];
  scores: Array<number>;
  history: readonly { titleId: string; watchedMs: number }[];
  home: Geo;
  address: { city: string; zip?: string };
  counters: Record<string, number>;
  labels: { [key: string]: string };
  point: [number, number];
  meta: unknown;
}

export type Shape = { kind: 'circle'; radius: number } | { kind: 'square'; side: number };
export interface Drawing { shapes: Shape[]; background: string | { color: string } | null }
export type Either = { left: number } | { right: string };

export interface TreeNode { name: string; children: TreeNode[] }
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
`;

const BAD_TYPES = `
class Session { started = 0; stop(): void {} }
export interface Bad {
  onEvent: () => void;
  id: symbol;
  big: bigint;
  when: Date;
  cache: Map<string, number>;
  ids: Set<string>;
  session: Session;
  nested: { at: Date };
  ok: string;
}
export interface Box<T> { inner?: Box<Box<T>> }
`;

function declarations(source: string, strict = true) {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: { strict, target: ts.ScriptTarget.ES2022 },
  });
  const file = project.createSourceFile('/types.ts', source);
  return [...file.getInterfaces(), ...file.getTypeAliases()].filter((d) => d.isExported());
}

function shapeOf(name: string, source = TYPES): Shape {
  const declaration = declarations(source).find((d) => d.getName() === name);
  if (declaration === undefined) throw new Error(`no ${name}`);
  const result = shapeOfDeclaration(declaration);
  if (isUnsupported(result)) throw new Error(result.unsupported);
  return result.shape;
}

/** Every exported declaration of TYPES, converted and written: the generated module's text. */
function generate(): string {
  const specs: ValidatorSpec[] = declarations(TYPES).map((declaration) => {
    const result = shapeOfDeclaration(declaration);
    if (isUnsupported(result)) throw new Error(result.unsupported);
    return { functionName: `validate${declaration.getName()}`, shape: result.shape };
  });
  return writeValidators(specs);
}

type Validator = (value: unknown) => string | undefined;

/** Transpiles and evaluates the generated module in a fresh context: its exports by name. */
function load(source: string): Record<string, Validator> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const module = { exports: {} as Record<string, Validator> };
  vm.runInNewContext(outputText, { module, exports: module.exports });
  return module.exports;
}

describe('shapes of TypeScript types', () => {
  it('describes an element type with literal unions and an optional field', () => {
    expect(shapeOf('Play')).toEqual({
      kind: 'object',
      name: 'Play',
      fields: [
        { name: 'playId', optional: false, shape: { kind: 'string' } },
        { name: 'profileId', optional: false, shape: { kind: 'string' } },
        { name: 'titleId', optional: false, shape: { kind: 'string' } },
        { name: 'ts', optional: false, shape: { kind: 'number' } },
        {
          name: 'deviceType',
          optional: false,
          shape: {
            kind: 'union',
            options: [
              { kind: 'literal', value: 'tv' },
              { kind: 'literal', value: 'mobile' },
              { kind: 'literal', value: 'web' },
            ],
          },
        },
        { name: 'durationMs', optional: true, shape: { kind: 'number' } },
      ],
    });
  });

  it('keeps boolean, strips `| undefined` into optional, and reads arrays, records and tuples', () => {
    const profile = shapeOf('Profile');
    if (profile.kind !== 'object') throw new Error(profile.kind);
    const field = (name: string) => profile.fields.find((f) => f.name === name);
    expect(field('kids')).toEqual({ name: 'kids', optional: false, shape: { kind: 'boolean' } });
    expect(field('email')).toEqual({ name: 'email', optional: true, shape: { kind: 'string' } });
    expect(field('nickname')?.shape).toEqual({
      kind: 'union',
      options: [{ kind: 'string' }, { kind: 'null' }],
    });
    expect(field('scores')?.shape).toEqual({ kind: 'array', element: { kind: 'number' } });
    expect(field('history')?.shape).toMatchObject({ kind: 'array', element: { kind: 'object' } });
    expect(field('home')?.shape).toMatchObject({ kind: 'object', name: 'Geo' });
    expect(field('counters')?.shape).toEqual({
      kind: 'object',
      fields: [],
      indexValue: { kind: 'number' },
    });
    expect(field('point')?.shape).toEqual({
      kind: 'tuple',
      elements: [{ kind: 'number' }, { kind: 'number' }],
    });
    expect(field('meta')?.shape).toEqual({ kind: 'unknown' });
  });

  it('represents a recursive type with a binding and refs instead of recursing forever', () => {
    expect(shapeOf('TreeNode')).toEqual({
      kind: 'recursive',
      name: 'TreeNode',
      shape: {
        kind: 'object',
        name: 'TreeNode',
        fields: [
          { name: 'name', optional: false, shape: { kind: 'string' } },
          {
            name: 'children',
            optional: false,
            shape: { kind: 'array', element: { kind: 'ref', name: 'TreeNode' } },
          },
        ],
      },
    });
  });

  it('reports every member that cannot be validated from JSON, naming its path', () => {
    const bad = declarations(BAD_TYPES).find((d) => d.getName() === 'Bad');
    const result = shapeOfDeclaration(bad!);
    expect(isUnsupported(result) && result.problems).toEqual([
      'Bad.onEvent: function type () => void cannot be validated from JSON',
      'Bad.id: symbol is not representable in JSON',
      'Bad.big: bigint is not representable in JSON',
      'Bad.when: Date is not representable in JSON',
      'Bad.cache: Map is not representable in JSON',
      'Bad.ids: Set is not representable in JSON',
      'Bad.session: Session has method stop(): objects with methods (class instances) cannot be validated from JSON',
      'Bad.nested.at: Date is not representable in JSON',
    ]);
    expect(isUnsupported(result) && result.unsupported).toContain('Bad.onEvent: function type');
  });

  it('reports a generic that expands without end, and a project without strictNullChecks', () => {
    const box = shapeOfDeclaration(declarations(BAD_TYPES).find((d) => d.getName() === 'Box')!);
    expect(isUnsupported(box) && box.unsupported).toMatch(
      /^Box\.inner\.inner.*: nesting is deeper than 32 levels/,
    );
    const loose = shapeOfDeclaration(declarations(TYPES, false)[0]);
    expect(loose).toEqual({
      unsupported: 'Impression: the project must enable strictNullChecks to derive validators',
      problems: ['Impression: the project must enable strictNullChecks to derive validators'],
    });
  });
});

describe('generated validators', () => {
  const source = generate();
  const v = load(source);

  it('compile with zero diagnostics under strict (and without unused locals)', () => {
    const project = new Project({
      useInMemoryFileSystem: true,
      compilerOptions: {
        strict: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        target: ts.ScriptTarget.ES2022,
        lib: ['lib.es2022.d.ts'],
      },
    });
    project.createSourceFile('/validators.ts', source);
    const messages = project
      .getPreEmitDiagnostics()
      .map(
        (d) =>
          `${d.getLineNumber()}: ${ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n')}`,
      );
    expect(messages).toEqual([]);
    expect(source).not.toMatch(/^import /m);
  });

  it('is deterministic: two runs from fresh projects give the same text', () => {
    expect(generate()).toBe(source);
  });

  it('writes straight-line checks (the Play validator, verbatim)', () => {
    const start = source.indexOf('export function validatePlay');
    const play = source.slice(start, source.indexOf('\n}\n', start) + 2);
    expect(play.split('\n')).toEqual([
      'export function validatePlay(value: unknown): string | undefined {',
      "  if (!isRecord(value)) return '$: expected object, got ' + describeType(value);",
      "  const v1 = value['playId'];",
      "  if (v1 === undefined) return '$.playId: required field is missing';",
      "  if (typeof v1 !== 'string') return '$.playId: expected string, got ' + describeType(v1);",
      "  const v2 = value['profileId'];",
      "  if (v2 === undefined) return '$.profileId: required field is missing';",
      "  if (typeof v2 !== 'string') return '$.profileId: expected string, got ' + describeType(v2);",
      "  const v3 = value['titleId'];",
      "  if (v3 === undefined) return '$.titleId: required field is missing';",
      "  if (typeof v3 !== 'string') return '$.titleId: expected string, got ' + describeType(v3);",
      "  const v4 = value['ts'];",
      "  if (v4 === undefined) return '$.ts: required field is missing';",
      "  if (typeof v4 !== 'number') return '$.ts: expected number, got ' + describeType(v4);",
      "  const v5 = value['deviceType'];",
      "  if (v5 === undefined) return '$.deviceType: required field is missing';",
      "  if (v5 !== 'tv' && v5 !== 'mobile' && v5 !== 'web') return '$.deviceType: expected one of \"tv\" | \"mobile\" | \"web\", got ' + describeValue(v5);",
      "  const v6 = value['durationMs'];",
      '  if (v6 !== undefined) {',
      "    if (typeof v6 !== 'number') return '$.durationMs: expected number, got ' + describeType(v6);",
      '  }',
      '  return undefined;',
      '}',
    ]);
  });

  it('checks Impression: types, required fields, the top level; extra fields are allowed', () => {
    const impression = {
      impressionId: 'i1',
      profileId: 'p1',
      titleId: 't1',
      ts: 1000,
      row: 2,
      rank: 5,
    };
    expect(v.validateImpression(impression)).toBeUndefined();
    expect(v.validateImpression({ ...impression, extra: { any: 'thing' } })).toBeUndefined();
    expect(v.validateImpression({ ...impression, ts: '1000' })).toBe(
      '$.ts: expected number, got string',
    );
    const { row: _row, ...withoutRow } = impression;
    expect(v.validateImpression(withoutRow)).toBe('$.row: required field is missing');
    expect(v.validateImpression([impression])).toBe('$: expected object, got array');
    expect(v.validateImpression(null)).toBe('$: expected object, got null');
    expect(v.validateImpression('x')).toBe('$: expected object, got string');
  });

  it('checks Play: literal unions and an optional field', () => {
    const play = { playId: 'y1', profileId: 'p1', titleId: 't1', ts: 2000, deviceType: 'tv' };
    expect(v.validatePlay(play)).toBeUndefined();
    expect(v.validatePlay({ ...play, durationMs: 1500 })).toBeUndefined();
    expect(v.validatePlay({ ...play, deviceType: 'vr' })).toBe(
      '$.deviceType: expected one of "tv" | "mobile" | "web", got "vr"',
    );
    expect(v.validatePlay({ ...play, deviceType: 3 })).toBe(
      '$.deviceType: expected one of "tv" | "mobile" | "web", got 3',
    );
    expect(v.validatePlay({ ...play, durationMs: '5' })).toBe(
      '$.durationMs: expected number, got string',
    );
    expect(v.validatePlay({ ...play, durationMs: null })).toBe(
      '$.durationMs: expected number, got null',
    );
  });

  it('checks Profile: nullable, boolean, arrays, nested objects, records and tuples', () => {
    const profile = {
      id: 'p1',
      nickname: null,
      kids: false,
      tags: ['a', 'b'],
      scores: [1, 2],
      history: [{ titleId: 't1', watchedMs: 10 }],
      home: { lat: 52.1, lon: 4.3 },
      address: { city: 'Delft' },
      counters: { views: 3, 'odd key': 4 },
      labels: {},
      point: [1, 2],
      meta: { whatever: [1] },
    };
    expect(v.validateProfile(profile)).toBeUndefined();
    expect(
      v.validateProfile({ ...profile, nickname: 'jo', maturity: 2, email: 'a@b' }),
    ).toBeUndefined();
    const bad = (patch: object) => v.validateProfile({ ...profile, ...patch });
    expect(bad({ nickname: 5 })).toBe('$.nickname: expected string | null, got number');
    expect(bad({ kids: 'yes' })).toBe('$.kids: expected boolean, got string');
    expect(bad({ maturity: 4 })).toBe('$.maturity: expected one of 1 | 2 | 3, got 4');
    expect(bad({ email: 1 })).toBe('$.email: expected string, got number');
    expect(bad({ tags: ['a', 'b', null] })).toBe('$.tags[2]: expected string, got null');
    expect(bad({ tags: 'a' })).toBe('$.tags: expected array, got string');
    expect(bad({ scores: [1, '2'] })).toBe('$.scores[1]: expected number, got string');
    expect(
      bad({
        history: [
          { titleId: 't1', watchedMs: 1 },
          { titleId: 't2', watchedMs: '2' },
        ],
      }),
    ).toBe('$.history[1].watchedMs: expected number, got string');
    expect(bad({ home: { lon: 4.3 } })).toBe('$.home.lat: required field is missing');
    expect(bad({ address: { city: 'Delft', zip: 2611 } })).toBe(
      '$.address.zip: expected string, got number',
    );
    expect(bad({ counters: { views: 'many' } })).toBe(
      '$.counters.views: expected number, got string',
    );
    expect(bad({ counters: { 'odd key': true } })).toBe(
      '$.counters["odd key"]: expected number, got boolean',
    );
    expect(bad({ labels: [] })).toBe('$.labels: expected object, got array');
    expect(bad({ point: [1] })).toBe('$.point: expected 2 elements, got 1');
    expect(bad({ point: [1, '2'] })).toBe('$.point[1]: expected number, got string');
    expect(bad({ meta: undefined })).toBe('$.meta: required field is missing');
  });

  it('checks unions of objects: by discriminant, by JSON type, and by trying each option', () => {
    const drawing = {
      shapes: [
        { kind: 'circle', radius: 1 },
        { kind: 'square', side: 2 },
      ],
      background: null,
    };
    expect(v.validateDrawing(drawing)).toBeUndefined();
    expect(v.validateDrawing({ ...drawing, background: 'red' })).toBeUndefined();
    expect(v.validateDrawing({ ...drawing, background: { color: 'red' } })).toBeUndefined();
    const bad = (patch: object) => v.validateDrawing({ ...drawing, ...patch });
    expect(bad({ shapes: [{ kind: 'square', side: 'x' }] })).toBe(
      '$.shapes[0].side: expected number, got string',
    );
    expect(bad({ shapes: [{ kind: 'circle', radius: 1 }, { kind: 'triangle' }] })).toBe(
      '$.shapes[1].kind: expected one of "circle" | "square", got "triangle"',
    );
    expect(bad({ shapes: [{ radius: 1 }] })).toBe('$.shapes[0].kind: required field is missing');
    expect(bad({ shapes: [5] })).toBe('$.shapes[0]: expected Shape, got number');
    expect(bad({ background: { color: 1 } })).toBe(
      '$.background.color: expected string, got number',
    );
    expect(bad({ background: 5 })).toBe(
      '$.background: expected string | object | null, got number',
    );

    expect(v.validateEither({ left: 1 })).toBeUndefined();
    expect(v.validateEither({ right: 'r' })).toBeUndefined();
    expect(v.validateEither({ right: 1 })).toBe(
      '$: matches no option of Either (#1 object: $.left: required field is missing; ' +
        '#2 object: $.right: expected string, got number)',
    );
    expect(v.validateEither([])).toBe('$: expected Either, got array');
  });

  it('checks recursive types to any depth, with the full path', () => {
    const tree = { name: 'a', children: [{ name: 'b', children: [] }] };
    expect(v.validateTreeNode(tree)).toBeUndefined();
    const deep = {
      name: 'a',
      children: [
        {
          name: 'b',
          children: [
            { name: 'c', children: [] },
            { name: 4, children: [] },
          ],
        },
      ],
    };
    expect(v.validateTreeNode(deep)).toBe(
      '$.children[0].children[1].name: expected string, got number',
    );

    expect(v.validateJson({ a: [1, 'x', null, true, { b: [] }] })).toBeUndefined();
    expect(v.validateJson({ a: [1, { 'b-c': [() => 1] }] })).toBe(
      '$.a[1]["b-c"][0]: expected string | number | boolean | Json[] | Record<string, Json> | null, got function',
    );
  });
});

describe('the validator writer', () => {
  it('rejects function names that are not identifiers or are used twice', () => {
    const shape: Shape = { kind: 'string' };
    expect(() => writeValidators([{ functionName: 'validate-x', shape }])).toThrow(
      'invalid validator name "validate-x"',
    );
    expect(() => writeValidators([{ functionName: 'isRecord', shape }])).toThrow(
      'validator name "isRecord" is taken',
    );
  });

  it('writes a validator that accepts anything for an unknown shape', () => {
    const { validateAny } = load(
      writeValidators([{ functionName: 'validateAny', shape: { kind: 'unknown' } }]),
    );
    expect(validateAny(undefined)).toBeUndefined();
  });
});
