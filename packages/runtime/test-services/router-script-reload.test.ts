/**
 * A router's dynamic script UDF on Kafka: the script file rewritten while the router
 * runs is loaded, checked and swapped in at a batch boundary, so the records produced
 * before the change go through the old version and those after through the new one,
 * each exactly once, every output naming its version in a header; a version that does
 * not load leaves the one before running, and the log says why.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { phaseOf, startScriptReloadRun, type ScriptReloadRun } from './script-reload-run';
import { testServices } from './services';

jest.setTimeout(90_000);
const services = testServices();

describe('a dynamic route script on Kafka', () => {
  let dir: string;
  let run: ScriptReloadRun | undefined;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-script-'))));
  afterAll(async () => {
    await run?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('processes each record by exactly one version, swapping at a batch boundary', async () => {
    const script = path.join(dir, 'scale.js');
    fs.writeFileSync(script, 'function transform(p) { return { ...p, n: p.n * 10 }; }');
    run = await startScriptReloadRun(services, { file: script, dynamic: true });

    await run.phase(0, 200);
    fs.writeFileSync(script, 'function transform(p) { return { ...p, n: p.n * 1000 }; }');
    await run.phase(200, 200);
    const [first, second] = run.versions();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    // a broken version: the one before goes on, and the log says why
    fs.writeFileSync(script, 'function transform(p) { return {');
    await run.phase(400, 100);
    expect(
      run.logs.some(
        (l) =>
          l.startsWith('warn route scaled: script') &&
          l.includes(`does not load`) &&
          l.endsWith(`version ${second} goes on`),
      ),
    ).toBe(true);

    const outputs = run.outputs();
    expect(outputs.map((o) => o.value.id)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const expected = phaseOf([
      [0, first, 10],
      [200, second, 1000],
    ]);
    for (const output of outputs)
      expect([output.version, output.value.n]).toEqual(expected(output));
    expect(run.deadLetters()).toEqual([]);
  });
});
