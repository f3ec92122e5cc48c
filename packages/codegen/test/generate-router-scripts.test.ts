/**
 * What generate() emits for a route's script: a file (found from the generated module
 * wherever the project's tsconfig emits it) or a Redis key (left to run time, said so
 * in the generated code); the generated files compile with the project.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { writeGenerated } from '../src';
import { format, generateOrFail, TMP, typeCheck, writeProject } from './generated-project';
import { PLAY_EVENT_TYPES } from './router-fixture';

const routerYaml = (script: string) => `router: Plays
source: { topic: play_events, type: PlayEvent }
routes:
  - name: starred
    script: ${script}
    sink: { kind: null }
`;

describe('generated route scripts', () => {
  let root: string;
  beforeAll(() => {
    mkdirSync(TMP, { recursive: true });
    root = mkdtempSync(join(TMP, 'router-scripts-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const project = (name: string, script: string) => {
    const dir = join(root, name);
    writeProject(dir, { 'model.ts': PLAY_EVENT_TYPES, 'plays.router.yaml': routerYaml(script) });
    return dir;
  };
  const routerFile = (dir: string) => {
    const result = generateOrFail(dir);
    const file = result.files.find((f) => f.path.endsWith('plays.router.generated.ts'));
    const checked = typeCheck(join(dir, 'tsconfig.json'), [dir], result.files);
    expect(format(checked, checked.getPreEmitDiagnostics())).toBe('');
    return file?.text ?? '';
  };

  it('hands a Redis key to the runtime, saying it is not checked at build time', () => {
    const text = routerFile(
      project('redis', '{ redis: plays.stars.script, dynamic: true, pollMs: 500 }'),
    );
    expect(text).toContain(
      '    // a Redis key: its text is read (REDIS_URL) and checked when the router starts, not at build time\n' +
        "    script: { redis: 'plays.stars.script', dynamic: true, pollMs: 500 },",
    );
    expect(text).not.toContain("from 'node:path'");
  });

  it('finds a script file from the generated module wherever tsconfig emits it, run as JS or as TS', () => {
    const dir = project('out-dir', '{ file: scripts/stars.js }');
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts/stars.js'), 'function transform(p) { return p; }');
    // not <project>/dist/generated: <project>/build/js/src/generated, four folders down
    const tsconfig = JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8'));
    tsconfig.compilerOptions = { ...tsconfig.compilerOptions, rootDir: '.', outDir: 'build/js' };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = generateOrFail(dir);
    writeGenerated(result);
    expect(result.files.find((f) => f.path.endsWith('.router.generated.ts'))?.text).toContain(
      "script: { file: join(__dirname, ...(__filename.endsWith('.ts') ? ['..', '..'] : ['..', '..', '..', '..']), 'scripts/stars.js') },",
    );
    const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), undefined, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    if (!config) throw new Error('no tsconfig');
    ts.createProgram(config.fileNames, config.options).emit();
    const script = (module: string) =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module just emitted
      (require(module) as { playsSpec: { routes: Array<{ script?: { file?: string } }> } })
        .playsSpec.routes[0].script?.file;
    expect(script(join(dir, 'build/js/src/generated/plays.router.generated.js'))).toBe(
      join(dir, 'scripts/stars.js'),
    );
    // and run from its source, as ts-node or jest runs it
    expect(script(join(dir, 'src/generated/plays.router.generated.ts'))).toBe(
      join(dir, 'scripts/stars.js'),
    );
  });

  it('still checks a script file', () => {
    const dir = project('file', '{ file: scripts/stars.js }');
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts/stars.js'), 'function transform(p) { return p; }');
    expect(routerFile(dir)).toContain('script: { file: ');
  });
});
