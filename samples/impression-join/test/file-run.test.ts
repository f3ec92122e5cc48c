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

/** `stream-gen run ImpressionJoin` over a.jsonl and b.jsonl in `dir`, writing out.jsonl and late.jsonl. */
function runOverFiles(dir: string, ...options: string[]) {
  return spawnSync(
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
      ...options,
    ],
    { cwd: dir, encoding: 'utf8' },
  );
}

const read = <T>(dir: string, file: string) =>
  fs
    .readFileSync(path.join(dir, file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
const jsonl = (values: unknown[]) => values.map((v) => `${JSON.stringify(v)}\n`).join('');

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
    fs.writeFileSync(path.join(dir, 'a.jsonl'), jsonl([...of('impressions'), lateImpression]));
    fs.writeFileSync(path.join(dir, 'b.jsonl'), jsonl([...of('plays'), latePlay]));

    const run = runOverFiles(dir);
    expect({ status: run.status, stderr: run.stderr }).toEqual({
      status: 0,
      stderr: expect.stringMatching(/job ImpressionJoin finished/),
    });

    const late = read<Impression | Play>(dir, 'late.jsonl');
    const lateIds = new Set(late.map((e) => ('playId' in e ? e.playId : e.impressionId)));
    expect(lateIds).toContain('late-i');
    expect(lateIds).toContain('late-v');
    const expected = referenceJoin(
      of<Impression>('impressions').filter((i) => !lateIds.has(i.impressionId)),
      of<Play>('plays').filter((p) => !lateIds.has(p.playId)),
    );
    expect(expected.length).toBeGreaterThan(300);
    expect(compare(expected, read<Conversion>(dir, 'out.jsonl'))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('judges lateness record by record, as a live stream would: an 11-line file with one record 95 s behind', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ij-late-'));
  try {
    const impression = (n: number, ts: number): Impression => ({
      impressionId: `i${n}`,
      profileId: 'p',
      titleId: 't',
      ts,
      row: 1,
      rank: n,
    });
    // ten impressions 100 s apart, then one 95 s behind the newest: the watermark
    // (newest - 10 s bound) has passed it when it arrives, so it is late
    const lines = Array.from({ length: 10 }, (_, n) => impression(n, 100_000 * (n + 1)));
    lines.push(impression(10, 1_000_000 - 95_000));
    fs.writeFileSync(path.join(dir, 'a.jsonl'), jsonl(lines));
    const play: Play = { playId: 'v', profileId: 'p', titleId: 't', ts: 1_000_000 };
    fs.writeFileSync(path.join(dir, 'b.jsonl'), jsonl([play]));

    const run = runOverFiles(dir);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain('JSON-lines files, read a record at a time');
    expect(read<Impression>(dir, 'late.jsonl').map((i) => i.impressionId)).toEqual(['i10']);
    expect(read<Conversion>(dir, 'out.jsonl').map((c) => c.impressionCount)).toEqual([10]);

    // one batch of the whole file: the watermark moves only after it, nothing is late
    const batched = runOverFiles(dir, '--batch-size', '500');
    expect(batched.status).toBe(0);
    expect(batched.stderr).toContain('JSON-lines files, read 500 records at a time');
    expect(read(dir, 'late.jsonl')).toEqual([]);
    expect(read<Conversion>(dir, 'out.jsonl').map((c) => c.impressionCount)).toEqual([11]);

    const typo = runOverFiles(dir, '--batch-size', 'all');
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('--batch-size must be a whole number of records >= 1, got "all"');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
