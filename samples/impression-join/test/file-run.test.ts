/**
 * The run of DESIGN.md §7 exactly as a user types it: `stream-gen run ImpressionJoin
 * --source ...=a.jsonl --sink ...=out.jsonl`, a bounded run over JSON-lines files.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  compare,
  generateEvents,
  referenceJoin,
  type Conversion,
  type Impression,
  type Play,
} from '../src';

jest.setTimeout(120_000);
const CLI = path.resolve(__dirname, '../../../packages/codegen/bin/stream-gen.js');
const PROJECT = path.resolve(__dirname, '..');

it('stream-gen run over files writes the reference join to out.jsonl and late data to late.jsonl, then exits 0', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ij-run-'));
  try {
    const events = generateEvents({ impressions: 2000, seed: 13 });
    const of = <T>(topic: string) =>
      events.filter((e) => e.topic === topic).map((e) => e.value as T);
    const start = Math.min(...events.map((e) => e.value.ts));
    // after the watermark passed them: late whatever the batching
    const lateImpression: Impression = {
      impressionId: 'late-i',
      profileId: 'p1',
      titleId: 't1',
      ts: start - 3_600_000,
      row: 1,
      rank: 1,
    };
    const latePlay: Play = {
      playId: 'late-v',
      profileId: 'p1',
      titleId: 't1',
      ts: start - 3_600_000,
    };
    const jsonl = (values: unknown[]) => values.map((v) => `${JSON.stringify(v)}\n`).join('');
    fs.writeFileSync(path.join(dir, 'a.jsonl'), jsonl([...of('impressions'), lateImpression]));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), jsonl([...of('plays'), latePlay]));

    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'run',
        'ImpressionJoin',
        '--project',
        PROJECT,
        '--source',
        'impressions=a.jsonl',
        '--source',
        'plays=b.jsonl',
        '--sink',
        'conversions=out.jsonl',
        '--sink',
        'late=late.jsonl',
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr: expect.stringMatching(/job ImpressionJoin finished/),
    });

    const read = <T>(file: string) =>
      fs
        .readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T);
    const late = read<Impression | Play>('late.jsonl');
    const lateIds = new Set(late.map((e) => ('playId' in e ? e.playId : e.impressionId)));
    expect(lateIds).toContain('late-i');
    expect(lateIds).toContain('late-v');
    const expected = referenceJoin(
      of<Impression>('impressions').filter((i) => !lateIds.has(i.impressionId)),
      of<Play>('plays').filter((p) => !lateIds.has(p.playId)),
    );
    expect(expected.length).toBeGreaterThan(300);
    expect(compare(expected, read<Conversion>('out.jsonl'))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
