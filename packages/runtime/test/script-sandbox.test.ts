/**
 * Script UDFs run in an isolated-vm isolate: none of Node's globals, a time limit per
 * call and a memory limit; a batch crosses in one call; a record that loops or blows
 * the memory fails alone, and the sandbox is made anew after running out of memory.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScriptSandbox } from '../src/script/script-sandbox';
import { RouteScript } from '../src/script/route-script';
import type { Logger } from '../src';

const LIMITS = { timeoutMs: 200, memoryMb: 16 };

describe('ScriptSandbox', () => {
  it('runs a batch of records through the function, each failing alone', () => {
    const sandbox = ScriptSandbox.load(
      `function transform(r) { if (r.n === 2) throw new Error('two'); return r.n === 3 ? null : { n: r.n * 10 }; }`,
      'transform',
      LIMITS,
    );
    expect(sandbox.run([{ n: 1 }, { n: 2 }, { n: 3 }])).toEqual([
      { ok: { n: 10 } },
      { error: 'two' },
      { ok: null },
    ]);
    sandbox.dispose();
  });

  it('gives no way to Node: constructor chain, require, process, timers, network', () => {
    const sandbox = ScriptSandbox.load(
      `function transform(r) {
        const escape = (() => { try { return typeof r.constructor.constructor('return process')() } catch (e) { return 'threw: ' + e.message } })();
        const viaThis = (() => { try { return typeof this.constructor.constructor('return process')() } catch (e) { return 'threw: ' + e.message } })();
        return { escape, viaThis, globals: [typeof require, typeof process, typeof setTimeout, typeof fetch, typeof module].join(' ') };
      }`,
      'transform',
      LIMITS,
    );
    const [result] = sandbox.run([{}]);
    expect(result).toEqual({
      ok: {
        escape: 'threw: process is not defined',
        viaThis: 'threw: process is not defined',
        globals: 'undefined undefined undefined undefined undefined',
      },
    });
    sandbox.dispose();
  });

  it('stops an infinite loop at the time limit: that record fails, the others go on', () => {
    const sandbox = ScriptSandbox.load(
      `function transform(r) { while (r.loop) {} return r; }`,
      'transform',
      LIMITS,
    );
    const started = Date.now();
    expect(sandbox.run([{ loop: false, n: 1 }, { loop: true }, { loop: false, n: 3 }])).toEqual([
      { ok: { loop: false, n: 1 } },
      { error: 'script timed out (limit 200 ms per record)' },
      { ok: { loop: false, n: 3 } },
    ]);
    // the whole batch timed out once, then the looping record alone
    expect(Date.now() - started).toBeLessThan(2_000);
    sandbox.dispose();
  });

  it('stops a memory bomb at the memory limit, and makes the sandbox anew', () => {
    const sandbox = ScriptSandbox.load(
      `function transform(r) { const hog = []; while (r.bomb) hog.push(new Array(100000).fill(r)); return r; }`,
      'transform',
      { timeoutMs: 5_000, memoryMb: 16 },
    );
    expect(sandbox.run([{ bomb: true }, { bomb: false }])).toEqual([
      { error: 'script ran out of memory (limit 16 MB)' },
      { ok: { bomb: false } },
    ]);
    expect(sandbox.run([{ bomb: false, after: true }])).toEqual([
      { ok: { bomb: false, after: true } },
    ]);
    sandbox.dispose();
  });

  it("keeps its batch runner out of the script's reach", () => {
    // a script that redefines what a runner would use, and the global it might be under
    const sandbox = ScriptSandbox.load(
      `JSON.parse = () => []; JSON.stringify = () => '[]';
       Object.defineProperty(globalThis, '__streamGenBatch', { get() { for (;;) {} }, set() { for (;;) {} } });
       function transform(r) { return { n: r.n + 1 }; }`,
      'transform',
      LIMITS,
    );
    expect(sandbox.run([{ n: 1 }, { n: 2 }])).toEqual([{ ok: { n: 2 } }, { ok: { n: 3 } }]);
    sandbox.dispose();
  });

  it('refuses a script that does not compile or lacks its function', () => {
    expect(() => ScriptSandbox.load('function transform(r) {', 'transform', LIMITS)).toThrow(
      'Unexpected end of input [script.js:1:24]',
    );
    expect(() => ScriptSandbox.load('const x = 1;', 'transform', LIMITS)).toThrow(
      'the script defines no function "transform" (transform is undefined)',
    );
  });
});

describe('RouteScript', () => {
  let dir: string;
  const logs: string[] = [];
  const logger: Logger = {
    debug: () => undefined,
    info: (m) => logs.push(`info ${m}`),
    warn: (m) => logs.push(`warn ${m}`),
    error: (m) => logs.push(`error ${m}`),
  };
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'route-script-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('swaps a changed script in at a batch boundary, and keeps the old one when the new does not load', async () => {
    const file = path.join(dir, 'double.js');
    fs.writeFileSync(file, 'function transform(r) { return { n: r.n * 2 }; }');
    const script = await RouteScript.open({ file, dynamic: true }, logger, 'r');
    const first = script.version;
    const a = { n: 1 };
    await script.runBatch([a]);
    expect(script.resultOf(a)).toEqual({ ok: { n: 2 } });

    // a file of another size and time: the next batch runs the new version
    fs.writeFileSync(file, 'function transform(r) { return { n: r.n * 100 }; }');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const b = { n: 1 };
    await script.runBatch([b]);
    expect(script.resultOf(b)).toEqual({ ok: { n: 100 } });
    expect(script.version).not.toBe(first);
    const second = script.version;

    fs.writeFileSync(file, 'function transform(r) { return {');
    fs.utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    const c = { n: 2 };
    await script.runBatch([c]);
    expect(script.resultOf(c)).toEqual({ ok: { n: 200 } });
    expect(script.version).toBe(second);
    expect(logs.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn route r: script .*double.js version [0-9a-f]{12} does not load \\(Unexpected end of input \\[script.js:1:33\\]\\); version ${second} goes on$`,
        ),
      ),
    ]);
    script.close();
  });

  it('says once that a dynamic script cannot be read, and goes on with its version', async () => {
    const file = path.join(dir, 'gone.js');
    fs.writeFileSync(file, 'function transform(r) { return r; }');
    const script = await RouteScript.open({ file, dynamic: true }, logger, 'g');
    fs.rmSync(file);
    logs.length = 0;
    for (let i = 0; i < 5; i++) await script.runBatch([{ n: i }]);
    expect(logs.filter((l) => /cannot be read/.test(l))).toHaveLength(1);
    fs.writeFileSync(file, 'function transform(r) { return r; }');
    await script.runBatch([{ n: 9 }]);
    expect(logs.filter((l) => /can be read again/.test(l))).toHaveLength(1);
    script.close();
  });

  it('makes a script that does not load at start a configuration error', async () => {
    await expect(
      RouteScript.open({ file: path.join(dir, 'missing.js') }, logger, 'r'),
    ).rejects.toThrow(/^route r: script .*missing.js does not load: ENOENT/);
  });
});
