import { JobHarness } from '../src/testing';
import { BEGINNING_OF_TIME, END_OF_TIME } from '../src';
import { clickJob, coJob } from './fixtures';

describe('watermarks and lateness', () => {
  it('out-of-order events within the bound are not late', async () => {
    const h = await JobHarness.create({ job: clickJob({ bound: 100 }) });
    await h.push('clicks', { user: 'a', ts: 1000 });
    expect(h.watermark).toBe(900);
    await h.push('clicks', { user: 'a', ts: 901 }, { user: 'b', ts: 950 });
    expect(h.sideOutput('late')).toEqual([]);
    expect(await h.state('count', 'a')).toBe(2);
  });

  it('an event at or below the watermark is late and goes to the side output, not to state', async () => {
    const h = await JobHarness.create({ job: clickJob({ bound: 100 }) });
    await h.push('clicks', { user: 'a', ts: 1000 });
    await h.push('clicks', { user: 'a', ts: 900 }, { user: 'a', ts: 899 }, { user: 'a', ts: 901 });
    expect(h.sideOutput('late')).toEqual([
      { user: 'a', ts: 900 },
      { user: 'a', ts: 899 },
    ]);
    expect(h.metrics.late).toBe(2);
    expect(await h.state('count', 'a')).toBe(2);
  });

  it('moves the watermark at batch end, so order inside a batch does not matter', async () => {
    const h = await JobHarness.create({ job: clickJob({ bound: 10 }) });
    await h.push('clicks', { user: 'a', ts: 5000 }, { user: 'a', ts: 100 });
    expect(h.sideOutput('late')).toEqual([]);
    expect(h.watermark).toBe(4990);
  });

  it('a co-process watermark is the minimum of its inputs', async () => {
    const h = await JobHarness.create({ job: coJob() });
    await h.push('left', { k: 'x', ts: 5000 });
    expect(h.watermark).toBe(BEGINNING_OF_TIME);
    await h.push('right', { k: 'x', ts: 3000 });
    expect(h.watermark).toBe(3000);
    await h.push('right', { k: 'x', ts: 9000 });
    expect(h.watermark).toBe(5000);
    await h.push('left', { k: 'x', ts: 4000 });
    expect(h.sideOutput('late')).toEqual([{ k: 'x', ts: 4000 }]);
  });

  it('an idle input stops holding the watermark back, and holds it again when it wakes', async () => {
    const h = await JobHarness.create({ job: coJob({ leftIdleMs: 1000 }) });
    await h.push('left', { k: 'x', ts: 100 });
    await h.push('right', { k: 'x', ts: 5000 });
    expect(h.watermark).toBe(100);
    await h.advanceProcessingTime(999);
    await h.push('right', { k: 'x', ts: 6000 });
    expect(h.watermark).toBe(100);
    await h.advanceProcessingTime(1);
    expect(h.watermark).toBe(6000);
    await h.push('left', { k: 'x', ts: 7000 });
    await h.push('right', { k: 'x', ts: 9000 });
    expect(h.watermark).toBe(7000);
  });

  it('never moves back when an idle input returns behind it', async () => {
    const h = await JobHarness.create({ job: coJob({ leftIdleMs: 10 }) });
    await h.push('right', { k: 'x', ts: 5000 });
    await h.advanceProcessingTime(10);
    expect(h.watermark).toBe(5000);
    await h.push('left', { k: 'x', ts: 200 });
    expect(h.sideOutput('late')).toEqual([{ k: 'x', ts: 200 }]);
    expect(h.watermark).toBe(5000);
  });

  it('an ended input counts as the end of time', async () => {
    const h = await JobHarness.create({ job: coJob() });
    await h.push('right', { k: 'x', ts: 300 });
    await h.endOfInput('left');
    expect(h.watermark).toBe(300);
    await h.endOfInput('right');
    expect(h.watermark).toBe(END_OF_TIME);
  });
});
