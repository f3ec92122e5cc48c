/**
 * What generate() emits for a route's script: a file (found from the generated module
 * wherever the project's tsconfig emits it) or a Redis key (left to run time, said so
 * in the generated code); the generated files compile with the project.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('still checks a script file', () => {
    const dir = project('file', '{ file: scripts/stars.js }');
    mkdirSync(join(dir, 'scripts'));
    writeFileSync(join(dir, 'scripts/stars.js'), 'function transform(p) { return p; }');
    expect(routerFile(dir)).toContain('script: { file: ');
  });
});
