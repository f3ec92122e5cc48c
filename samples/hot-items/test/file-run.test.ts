/**
 * `stream-gen run HotItems --source bids=... --sink hot-items=... --sink late=...`: a
 * bounded run over JSON-lines files, the window stage and the keyed stage after it in
 * one process, exits 0.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateBids, inOrder, referenceHotItems, type HotItem } from '../src';

jest.setTimeout(60_000);
const CLI = path.resolve(__dirname, '../../../packages/codegen/bin/stream-gen.js');
const PROJECT = path.resolve(__dirname, '..');

it('writes the hot items of the bids file and exits 0', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hi-run-'));
  try {
    const bids = generateBids({ bids: 2_000, seed: 17 });
    fs.writeFileSync(
      path.join(dir, 'in.jsonl'),
      bids.map((b) => `${JSON.stringify(b)}\n`).join(''),
    );
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'run',
        'HotItems',
        '--project',
        PROJECT,
        '--source',
        'bids=in.jsonl',
        '--sink',
        'hot-items=out.jsonl',
        '--sink',
        'late=late.jsonl',
        '--batch-size',
        '200',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr: expect.stringMatching(/job HotItems: 2 segments/),
    });
    const out = fs
      .readFileSync(path.join(dir, 'out.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as HotItem);
    const expected = referenceHotItems(bids);
    expect(expected.length).toBeGreaterThan(20);
    expect(inOrder(out)).toEqual(expected);
    expect(fs.readFileSync(path.join(dir, 'late.jsonl'), 'utf8')).toBe('');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
