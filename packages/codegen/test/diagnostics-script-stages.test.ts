/**
 * `@ScriptStage` diagnostics (SG2201-SG2205), at the line and column of what is wrong:
 * its settings, its script file (checked as the sandbox would load it), its
 * `implements ScriptFunction<In, Out>`, `In` against what its input carries, and where
 * it may stand in the job.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Project } from 'ts-morph';
import { analyzeProject } from '../src';
import { TMP } from './generated-project';

const HEADER = `import { KeyBy, KeyedProcess, ProcessElement, ScriptStage, Sink, Source, StreamJob, type ScriptFunction } from '@stream-gen/annotations';
import type { ElementContext } from '@stream-gen/runtime';
export interface Play { id: number; title: string; }
export interface Scored { id: number; score: number; }
`;
const HEADER_LINES = HEADER.split('\n').length - 1;

/** A job of plays -> score (a script stage) -> the sink; `parts` replace pieces of it. */
const scriptJob = (
  parts: { options?: string; cls?: string; source?: string; job?: string } = {},
) => `
@ScriptStage(${parts.options ?? `{ id: 'score', input: 'plays', output: 'scored', file: 'scripts/score.js' }`})
${parts.cls ?? 'export class Score implements ScriptFunction<Play, Scored> {}'}
${
  parts.job ??
  `@StreamJob({ name: 'J', stages: [Score] })
${parts.source ?? `@Source<Play>('plays')`}
@Sink('out')
export class J {}`
}
`;

describe('@ScriptStage diagnostics', () => {
  let root: string;
  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, 'script-stage-diagnostics-'));
    mkdirSync(join(root, 'scripts'));
    writeFileSync(join(root, 'scripts/score.js'), 'function transform(p) { return p; }');
    writeFileSync(join(root, 'scripts/broken.js'), 'function transform(p) {\n  return {\n');
    writeFileSync(
      join(root, 'scripts/typed.ts'),
      'function transform(p: { id: number }) {\n  return p as;\n}\n',
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** `line:col code message` of each diagnostic of the job file, lines counted in `body`. */
  const diagnosticsOf = (body: string): string[] => {
    const project = new Project({
      compilerOptions: { strict: true, experimentalDecorators: true, skipLibCheck: true },
    });
    // inside the repository (the test folder), so @stream-gen/* resolve
    project.createSourceFile(join(root, 'src/job.ts'), HEADER + body);
    return analyzeProject(project, root, new Map()).diagnostics.map(
      (d) => `${d.location.line - HEADER_LINES}:${d.location.column} ${d.code} ${d.message}`,
    );
  };

  it('accepts a script stage between a source and the sink', () => {
    expect(diagnosticsOf(scriptJob())).toEqual([]);
    // a Redis key is read and checked when the job starts
    const redis = `{ id: 'score', input: 'plays', output: 'scored', redis: 'score.ts', dynamic: true, pollMs: 500 }`;
    expect(diagnosticsOf(scriptJob({ options: redis }))).toEqual([]);
  });

  it('SG2201: neither or both of file and redis, and limits that are not positive numbers', () => {
    expect(
      diagnosticsOf(scriptJob({ options: `{ id: 'score', input: 'plays', output: 'scored' }` })),
    ).toEqual([
      "2:14 SG2201 @ScriptStage Score names neither file and redis: exactly one, the script's file or the Redis key holding it",
    ]);
    expect(
      diagnosticsOf(
        scriptJob({
          options: `{ id: 'score', input: 'plays', output: 'scored', file: 'scripts/score.js', redis: 'k', timeoutMs: 0, memoryMb: -5, pollMs: -1 }`,
        }),
      ),
    ).toEqual([
      "2:14 SG2201 @ScriptStage Score names both file and redis: exactly one, the script's file or the Redis key holding it",
      '2:112 SG2201 @ScriptStage timeoutMs must be a positive number, not 0',
      '2:125 SG2201 @ScriptStage memoryMb must be a positive number, not -5',
      '2:137 SG2201 @ScriptStage pollMs must be a number of at least 0, not -1',
    ]);
    // pollMs 0: a key read at every batch, as a route's may be
    expect(
      diagnosticsOf(
        scriptJob({
          options: `{ id: 'score', input: 'plays', output: 'scored', redis: 'k', dynamic: true, pollMs: 0 }`,
        }),
      ),
    ).toEqual([]);
  });

  it('SG2202: a script file that is missing or does not compile, with its line', () => {
    const file = (path: string) =>
      diagnosticsOf(
        scriptJob({
          options: `{ id: 'score', input: 'plays', output: 'scored', file: '${path}' }`,
        }),
      );
    expect(file('scripts/none.js')).toEqual([
      expect.stringMatching(/^2:69 SG2202 script scripts\/none\.js cannot be read: ENOENT/),
    ]);
    expect(file('scripts/broken.js')).toEqual([
      '2:69 SG2202 script scripts/broken.js does not compile (line 3): Unexpected end of input',
    ]);
    expect(file('scripts/typed.ts')).toEqual([
      expect.stringMatching(/^2:69 SG2202 script scripts\/typed\.ts does not compile \(line 2\): /),
    ]);
  });

  it('SG2203: a class that does not implement ScriptFunction<In, Out>', () => {
    expect(diagnosticsOf(scriptJob({ cls: 'export class Score {}' }))).toEqual([
      '3:14 SG2203 @ScriptStage Score must implement ScriptFunction<In, Out> (from @stream-gen/annotations), saying what its script takes and gives: class Score implements ScriptFunction<Play, ScoredPlay> {}',
    ]);
  });

  it('SG2204: an In that does not take what the input carries', () => {
    const cls = 'export class Score implements ScriptFunction<Scored, Scored> {}';
    expect(diagnosticsOf(scriptJob({ cls }))).toEqual([
      `3:46 SG2204 script stage "score" takes 'Scored', but its input "plays" carries 'Play' (@Source<Play>)`,
    ]);
  });

  it('SG2205: a script stage after another stage, or before a keyed operator that re-keys its source', () => {
    const after = `@ScriptStage({ id: 'again', input: 'scored', output: 'rescored', file: 'scripts/score.js' })
export class Again implements ScriptFunction<Scored, Scored> {}
@StreamJob({ name: 'J', stages: [Score, Again] })
@Source<Play>('plays')
@Sink('out')
export class J {}`;
    expect(diagnosticsOf(scriptJob({ job: after }))).toEqual([
      `4:36 SG2205 script stage "again" reads "scored", which is not a source: a script stage reads a source, whose batches cross into its sandbox before any step runs; put it first`,
    ]);
    const keyed = (source: string) => `@StreamJob({ name: 'J', stages: [Score] })
${source}
@Sink('out')
@KeyedProcess({ input: 'scored', output: 'out' })
export class J {
  @ProcessElement('scored')
  @KeyBy('id')
  onScored(s: Scored, ctx: ElementContext<Scored>) { ctx.emit(s); }
}`;
    expect(
      diagnosticsOf(scriptJob({ job: keyed(`@Source<Play>('plays', { eventTime: 'id' })`) })),
    ).toEqual([
      `2:36 SG2205 script stage "score" is on the way from source "plays" to the keyed operator, which re-keys it on Kafka in a stage that runs steps one element at a time: mark the source partitionedByKey (its topic keyed as the operator keys it)`,
    ]);
    expect(
      diagnosticsOf(
        scriptJob({
          job: keyed(`@Source<Play>('plays', { eventTime: 'id', partitionedByKey: true })`),
        }),
      ),
    ).toEqual([]);
  });

  it('SG1801: an Out that cannot be validated', () => {
    const cls = `export class Score implements ScriptFunction<Play, Odd> {}
export interface Odd { at: Date }`;
    expect(diagnosticsOf(scriptJob({ cls }))).toEqual([
      expect.stringMatching(
        /^3:52 SG1801 output type 'Odd' of script stage "score" cannot be validated: /,
      ),
    ]);
  });
});
