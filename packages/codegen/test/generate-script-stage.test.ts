/**
 * A `@ScriptStage` from decorators to a run: plays go through a script kept in the
 * project's `scripts/` folder between the source and the sink. generate() emits the
 * runtime's `scriptStage` with the file found from the generated module and the
 * validator of `Out`; the generated files compile with the project; the generated Nest
 * module runs the job over files, each output what the function gives called directly,
 * an output that is not a `ScoredPlay` dead-lettered with the reason; and the generated
 * spec, run in the harness, gives each output the script's version header.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HEADER_SCRIPT_VERSION, type JobSpec } from '@stream-gen/runtime';
import { JobHarness } from '@stream-gen/runtime/testing';
import { jobFiles, writeGenerated, type GenerationResult } from '../src';
import { specSection } from './e2e-project';
import { format, generateOrFail, TMP, typeCheck, writeProject } from './generated-project';
import { jsonLines, readJsonLines, runGenerated } from './run-generated';

const MODEL = `export interface Play {
  id: number;
  n: number;
}

export interface ScoredPlay {
  id: number;
  score: number;
}
`;

const JOB = `import { ScriptStage, Sink, Source, StreamJob, type ScriptFunction } from '@stream-gen/annotations';
import type { Play, ScoredPlay } from './model';

/** Scores each play with the project's script; a negative play gives nothing. */
@ScriptStage({ id: 'score', input: 'plays', output: 'scored', file: 'scripts/score.js', dynamic: true })
export class Score implements ScriptFunction<Play, ScoredPlay> {}

@StreamJob({ name: 'ScorePlays', deadLetters: 'dead', stages: [Score] })
@Source<Play>('plays')
@Sink('scores')
@Sink('dead')
export class ScorePlays {}
`;

// above 100 the score is a word, which is not a ScoredPlay's number
const SCRIPT = `function transform(p) {
  if (p.n < 0) return null;
  return { id: p.id, score: p.n > 100 ? 'high' : p.n * 2 };
}
`;

const STAGES_SPEC = `    stages: [
      scriptStage({
        id: 'score',
        input: 'plays',
        output: 'scored',
        script: { file: join(__dirname, '..', '..', 'scripts/score.js'), dynamic: true },
        validate: validateScoredPlay,
        outputType: 'ScoredPlay',
      }),
    ],
`;

interface Play {
  id: number;
  n: number;
}

describe('a script stage, generated from @ScriptStage', () => {
  let root: string;
  let dir: string;
  let result: GenerationResult;
  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, 'script-stage-'));
    dir = join(root, 'score-plays');
    writeProject(dir, { 'model.ts': MODEL, 'score-plays.job.ts': JOB });
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts/score.js'), SCRIPT);
    result = generateOrFail(dir);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const runner = () => result.files.find((f) => f.path === jobFiles(dir, 'ScorePlays').runner);

  it('emits the runtime scriptStage: the file from the project directory, the validator of Out', () => {
    const text = runner()?.text ?? '';
    expect(specSection(text, '    stages: [')).toBe(STAGES_SPEC);
    expect(text).toContain("import { join } from 'node:path';");
    // no class to make: the function is the script's
    expect(text).not.toContain('createStage');
    const validators = result.files.find((f) => f.path.endsWith('.validators.generated.ts'));
    expect(validators?.text).toContain('export function validateScoredPlay(');
  });

  it('compiles with zero diagnostics, next to the project sources', () => {
    const checked = typeCheck(join(dir, 'tsconfig.json'), [dir], result.files);
    expect(format(checked, checked.getPreEmitDiagnostics())).toBe('');
  });

  const plays: Play[] = [3, -1, 7, 500, 0, 42].map((n, id) => ({ id, n }));
  // the script's function, called directly
  const transform = new Function(`${SCRIPT}; return transform;`)() as (p: Play) => unknown;

  it('runs from its generated Nest module: each output the function applied directly', async () => {
    writeGenerated(result);
    const [input, scores, dead] = ['plays', 'scores', 'dead'].map((f) => join(root, `${f}.jsonl`));
    writeFileSync(input, jsonLines(plays));
    await runGenerated(jobFiles(dir, 'ScorePlays').runner, 'ScorePlays', {
      sourceFiles: { plays: input },
      sinkFiles: { scores, dead },
    });
    const direct = plays.map(transform);
    expect(readJsonLines(scores)).toEqual(
      direct.filter((out, i) => out !== null && plays[i].n <= 100),
    );
    const version = createHash('sha256').update(SCRIPT).digest('hex').slice(0, 12);
    expect(readJsonLines<{ reason: string; value: unknown }>(dead)).toEqual([
      expect.objectContaining({
        reason: `flatMap step "score.script" threw: script version ${version} gave an output that is not a ScoredPlay: $.score: expected number, got string`,
        value: { id: 3, n: 500 },
      }),
    ]);
  });

  it('gives each output the version of the script that made it, in its header', async () => {
    writeGenerated(result);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module generate() just wrote
    const generated = require(jobFiles(dir, 'ScorePlays').runner) as {
      scorePlaysSpec(create: () => object): JobSpec;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the job class the spec makes
    const job = require(join(dir, 'src/score-plays.job.ts')) as { ScorePlays: new () => object };
    const level = process.env.STREAM_GEN_LOG_LEVEL;
    process.env.STREAM_GEN_LOG_LEVEL = 'error';
    const h = await JobHarness.create({
      job: generated.scorePlaysSpec(() => new job.ScorePlays()),
    }).finally(() => {
      if (level === undefined) delete process.env.STREAM_GEN_LOG_LEVEL;
      else process.env.STREAM_GEN_LOG_LEVEL = level;
    });
    await h.push('plays', ...plays.filter((p) => p.n <= 100));
    const version = createHash('sha256')
      .update(readFileSync(join(dir, 'scripts/score.js'), 'utf8'))
      .digest('hex')
      .slice(0, 12);
    const records = h.records('main');
    expect(records.map((r) => r.value)).toEqual(
      plays
        .filter((p) => p.n <= 100)
        .map(transform)
        .filter((out) => out !== null),
    );
    expect(records.map((r) => r.headers[HEADER_SCRIPT_VERSION])).toEqual(
      records.map(() => version),
    );
    h.close();
  });
});

describe('validators of two types that read the same', () => {
  it('get two names: a script stage whose Out is another module’s Play', () => {
    mkdirSync(TMP, { recursive: true });
    const root = mkdtempSync(join(TMP, 'script-stage-names-'));
    try {
      writeProject(root, {
        'raw.ts': 'export interface Play {\n  id: string;\n}\n',
        'clean.ts': 'export interface Play {\n  id: number;\n  clean: boolean;\n}\n',
        // the stage in a file of its own, its Play the clean one
        'clean.stage.ts': `import { ScriptStage, type ScriptFunction } from '@stream-gen/annotations';
import type { Play as RawPlay } from './raw';
import type { Play } from './clean';

@ScriptStage({ id: 'clean', input: 'plays', output: 'cleaned', file: 'scripts/clean.js' })
export class Clean implements ScriptFunction<RawPlay, Play> {}
`,
        // the job's Play the raw one
        'clean-plays.job.ts': `import { Sink, Source, StreamJob } from '@stream-gen/annotations';
import type { Play } from './raw';
import { Clean } from './clean.stage';

@StreamJob({ name: 'CleanPlays', stages: [Clean] })
@Source<Play>('plays')
@Sink('cleaned')
export class CleanPlays {}
`,
      });
      mkdirSync(join(root, 'scripts'));
      writeFileSync(join(root, 'scripts/clean.js'), 'function transform(p) { return p; }\n');
      const generated = generateOrFail(root);
      const validators =
        generated.files.find((f) => f.path.endsWith('.validators.generated.ts'))?.text ?? '';
      const runnerText =
        generated.files.find((f) => f.path === jobFiles(root, 'CleanPlays').runner)?.text ?? '';
      // the source's Play and the script's Play are checked by functions of their own
      expect(validators).toMatch(/export function validatePlay\(/);
      expect(validators).toMatch(/export function validatePlay2\(/);
      expect(validators).toContain('clean');
      expect(runnerText).toMatch(/validate: validatePlay2,/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
