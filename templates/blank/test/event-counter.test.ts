import 'reflect-metadata';
import { JobHarness } from '@stream-gen/runtime/testing';
import { eventCounterSpec } from '../src/generated/event-counter.runner.generated';
import { EventCounter } from '../src/event-counter.job';

describe('EventCounter', () => {
  it('counts events per key', async () => {
    const h = await JobHarness.create({ job: eventCounterSpec(() => new EventCounter()) });
    await h.push('events', { key: 'a', ts: 1 }, { key: 'b', ts: 2 }, { key: 'a', ts: 3 });
    expect(h.output()).toEqual([
      { key: 'a', count: 1 },
      { key: 'b', count: 1 },
      { key: 'a', count: 2 },
    ]);
  });
});
