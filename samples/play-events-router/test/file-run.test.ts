/**
 * `stream-gen run PlayEventsRouter` over a JSON-lines file, every route's sink bound
 * to a file: each route writes what its filter and projection give computed directly,
 * and records that are not PlayEvents go to the dead letters with the reason.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generatePlayEvents, referenceRoutes } from '../src';
import { readLines, runRouter, writeEvents } from './run-files';

jest.setTimeout(60_000);

describe('PlayEventsRouter over files', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'router-files-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes each route what its filter and projection give', () => {
    const events = generatePlayEvents(1_500, 11);
    const source = path.join(dir, 'plays.jsonl');
    writeEvents(source, events, ['{"playId": 5}', 'not json']);
    const run = runRouter(dir, source, {
      'long-us-plays': 'long.jsonl',
      'tv-plays': 'tv.jsonl',
      'rated-kids-plays': 'kids.jsonl',
      'dead-letters': 'dead.jsonl',
    });
    expect(run.stderr).toMatch(/route all-plays: 1500 in, 0 filtered, 1500 out, 0 failed/);
    expect(run.status).toBe(0);
    const expected = referenceRoutes(events);
    // each route has records, so a route that wrote nothing could not pass
    for (const route of ['long-us-plays', 'tv-plays', 'rated-kids-plays'] as const) {
      expect(expected[route].length).toBeGreaterThan(50);
    }
    expect(readLines(path.join(dir, 'long.jsonl'))).toEqual(expected['long-us-plays']);
    expect(readLines(path.join(dir, 'tv.jsonl'))).toEqual(expected['tv-plays']);
    expect(readLines(path.join(dir, 'kids.jsonl'))).toEqual(expected['rated-kids-plays']);
    const dead = readLines<{ reason: string; offset: number }>(path.join(dir, 'dead.jsonl'));
    expect(dead.map((d) => [d.offset, d.reason])).toEqual([
      [1500, 'invalid record: $.playId: expected string, got number'],
      [1501, expect.stringMatching(/^not valid JSON: /)],
    ]);
  });
});
