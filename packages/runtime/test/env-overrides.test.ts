import {
  checkpointIntervalFrom,
  fileBatchSizeFrom,
  namespaceFrom,
  namespacedTopics,
  sinkBufferFrom,
  withBoundOverrides,
} from '../src/runner/env-overrides';
import type { JobSpec } from '../src';

const job: JobSpec = {
  name: 'J',
  sources: [
    { name: 'a', eventTime: { timestamp: () => 0, maxOutOfOrdernessMs: 10 } },
    { name: 'b', eventTime: { timestamp: () => 0, maxOutOfOrdernessMs: 20 } },
  ],
  outputs: { main: 'out' },
};
const bounds = (j: JobSpec) => j.sources.map((s) => s.eventTime?.maxOutOfOrdernessMs);

describe('STREAM_GEN_NAMESPACE', () => {
  it('prefixes topics, the group and the Redis keys', () => {
    const ns = namespaceFrom({ STREAM_GEN_NAMESPACE: 'staging' });
    expect(namespacedTopics({ sources: { a: 'a' }, sinks: { out: 'x' } }, ns)).toEqual({
      sources: { a: 'staging.a' },
      sinks: { out: 'staging.x' },
    });
    expect(ns.groupId('J')).toBe('staging.stream-gen.J');
    expect(ns.redisKeyPrefix).toBe('sg:staging');
  });

  it('changes nothing when unset', () => {
    const ns = namespaceFrom({});
    expect([ns.topic('a'), ns.groupId('J'), ns.redisKeyPrefix]).toEqual([
      'a',
      'stream-gen.J',
      'sg',
    ]);
  });

  it('rejects names that cannot be part of a topic', () => {
    expect(() => namespaceFrom({ STREAM_GEN_NAMESPACE: 'a b' })).toThrow(
      'STREAM_GEN_NAMESPACE may hold letters, digits, ".", "_" and "-" only, got "a b"',
    );
  });
});

describe('STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS', () => {
  it('sets the bound of every source, or of the named ones', () => {
    expect(bounds(withBoundOverrides(job, {}))).toEqual([10, 20]);
    expect(bounds(withBoundOverrides(job, { STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS: '5' }))).toEqual([
      5, 5,
    ]);
    expect(
      bounds(withBoundOverrides(job, { STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS: 'b=30000' })),
    ).toEqual([10, 30000]);
  });

  it('names what is wrong', () => {
    expect(() => withBoundOverrides(job, { STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS: '10s' })).toThrow(
      'STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS needs milliseconds, or <source>=<ms>,..., got "10s"',
    );
    expect(() => withBoundOverrides(job, { STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS: 'c=1' })).toThrow(
      'STREAM_GEN_MAX_OUT_OF_ORDERNESS_MS names "c", but J has the sources a, b',
    );
  });
});

describe('STREAM_GEN_FILE_BATCH_SIZE and STREAM_GEN_CHECKPOINT_INTERVAL_MS', () => {
  it('a file run reads a record at a time unless told otherwise', () => {
    expect(fileBatchSizeFrom({})).toBe(1);
    expect(fileBatchSizeFrom({ STREAM_GEN_FILE_BATCH_SIZE: '500' })).toBe(500);
    expect(() => fileBatchSizeFrom({ STREAM_GEN_FILE_BATCH_SIZE: '0' })).toThrow(
      'STREAM_GEN_FILE_BATCH_SIZE must be a whole number of records >= 1, got "0"',
    );
  });

  it('a checkpoint interval that is not milliseconds > 0 is an error, not ignored', () => {
    expect(checkpointIntervalFrom({})).toBeUndefined();
    expect(checkpointIntervalFrom({ STREAM_GEN_CHECKPOINT_INTERVAL_MS: '250' })).toBe(250);
    expect(() => checkpointIntervalFrom({ STREAM_GEN_CHECKPOINT_INTERVAL_MS: '5s' })).toThrow(
      'STREAM_GEN_CHECKPOINT_INTERVAL_MS must be milliseconds > 0, got "5s"',
    );
  });

  it('a sink buffer is a whole number of records >= 0', () => {
    expect(sinkBufferFrom({})).toBeUndefined();
    expect(sinkBufferFrom({ STREAM_GEN_SINK_BUFFER_RECORDS: '0' })).toBe(0);
    expect(sinkBufferFrom({ STREAM_GEN_SINK_BUFFER_RECORDS: '5000' })).toBe(5000);
    for (const bad of ['-1', '1.5', '10k']) {
      expect(() => sinkBufferFrom({ STREAM_GEN_SINK_BUFFER_RECORDS: bad })).toThrow(
        `STREAM_GEN_SINK_BUFFER_RECORDS must be a whole number of records >= 0, got "${bad}"`,
      );
    }
  });
});
