/**
 * A route script written in TypeScript: stripped of its types (sucrase) before it goes
 * into the sandbox, still a classic script defining its function; one that does not
 * parse does not load, and the error says its line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigurationError, launchRouter, silentLogger, type RouterSpec } from '../src';
import { RouteScript } from '../src/script/route-script';

const SCRIPT = `interface Play {
  id: number;
  stars: number;
  tags?: readonly string[];
}
type Rated = Play & { outOfTen: number };

function outOfTen(stars: number): number {
  return stars * 2;
}

function transform(play: Play): Rated | null {
  if (play.stars < 0) return null;
  const rated: Rated = { ...play, outOfTen: outOfTen(play.stars as number) };
  return rated;
}
`;

describe('a TypeScript route script', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'route-script-ts-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name: string) => path.join(dir, name);
  const lines = (name: string) =>
    fs
      .readFileSync(file(name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown);

  it('runs in a route, its types stripped', async () => {
    fs.writeFileSync(file('rate.ts'), SCRIPT);
    const plays = [
      { id: 1, stars: 3 },
      { id: 2, stars: -1 },
      { id: 3, stars: 5, tags: ['kids'] },
    ];
    fs.writeFileSync(file('plays.jsonl'), plays.map((p) => JSON.stringify(p)).join('\n'));
    const router: RouterSpec = {
      name: 'Rated',
      source: { topic: 'plays' },
      routes: [{ name: 'rated', script: { file: file('rate.ts') }, sink: { kind: 'null' } }],
    };
    const running = launchRouter(router, {
      bindings: {
        sourceFiles: { plays: file('plays.jsonl') },
        sinkFiles: { rated: file('rated.jsonl'), 'dead-letters': file('dead.jsonl') },
      },
      env: {},
      logger: silentLogger,
    });
    await running.runAll();
    expect(lines('rated.jsonl')).toEqual([
      { id: 1, stars: 3, outOfTen: 6 },
      { id: 3, stars: 5, tags: ['kids'], outOfTen: 10 },
    ]);
    expect(fs.existsSync(file('dead.jsonl')) ? lines('dead.jsonl') : []).toEqual([]);
  });

  it('does not load when it does not parse, saying the line', async () => {
    fs.writeFileSync(
      file('broken.ts'),
      'interface Play { id: number }\n\nfunction transform(p: Play): {\n  return p;\n}\n',
    );
    const opened = RouteScript.open({ file: file('broken.ts') }, silentLogger, 'rated');
    await expect(opened).rejects.toThrow(ConfigurationError);
    await expect(opened).rejects.toThrow(
      /^route rated: script .*broken\.ts does not load: Unexpected token.* \(line 4\)$/,
    );
  });
});
