export { JobHarness, type JobHarnessOptions } from './job-harness';
export { ManualClock } from '../time/clock';
export { seededRandom } from './seeded-random';
