/**
 * `stream-gen run UserSessions --source activity=... --sink sessions=... --sink late=...`:
 * a bounded run over JSON-lines files, a record at a time, exits 0.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  generateActivity,
  inOrder,
  referenceSessions,
  SESSION_GAP_MS,
  type Activity,
  type Session,
} from '../src';

jest.setTimeout(60_000);
const CLI = path.resolve(__dirname, '../../../packages/codegen/bin/stream-gen.js');
const PROJECT = path.resolve(__dirname, '..');

/** Runs the job over `activity` in a temporary directory; returns what the sinks hold. */
function runFiles(activity: readonly Activity[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'us-run-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'activity.jsonl'),
      activity.map((a) => `${JSON.stringify(a)}\n`).join(''),
    );
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'run',
        'UserSessions',
        '--project',
        PROJECT,
        '--source',
        `activity=${path.join(dir, 'activity.jsonl')}`,
        '--sink',
        `sessions=${path.join(dir, 'sessions.jsonl')}`,
        '--sink',
        `late=${path.join(dir, 'late.jsonl')}`,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    const lines = <T>(file: string) =>
      fs
        .readFileSync(path.join(dir, file), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as T);
    return {
      status: run.status,
      stderr: run.stderr,
      sessions: run.status === 0 ? lines<Session>('sessions.jsonl') : [],
      late: run.status === 0 ? lines<Activity>('late.jsonl') : [],
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

it('writes the sessions of the activity file, nothing late, and exits 0', () => {
  const activity = generateActivity({ users: 20, events: 2_000, seed: 17 });
  const { status, stderr, sessions, late } = runFiles(activity);
  expect({ status, stderr }).toEqual({
    status: 0,
    stderr: expect.stringMatching(/job UserSessions finished: .*"late":0/),
  });
  const expected = referenceSessions(activity, SESSION_GAP_MS);
  expect(expected.length).toBeGreaterThan(100);
  expect(inOrder(sessions)).toEqual(expected);
  expect(late).toEqual([]);
});

it('writes a record far behind the watermark to the late file, in no session', () => {
  const activity = generateActivity({ users: 5, events: 300, seed: 23 });
  const first = Math.min(...activity.map((a) => a.ts));
  const stale: Activity = { userId: 'user-0', ts: first - 60 * 60_000, action: 'click' };
  const { status, stderr, sessions, late } = runFiles([...activity, stale]);
  expect({ status, stderr }).toEqual({
    status: 0,
    stderr: expect.stringMatching(/job UserSessions finished: .*"late":1/),
  });
  expect(late).toEqual([stale]);
  expect(inOrder(sessions)).toEqual(referenceSessions(activity, SESSION_GAP_MS));
});
