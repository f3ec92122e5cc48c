export { JobHarness, type JobHarnessOptions } from './job-harness';
export { PipelineHarness } from './pipeline-harness';
export { ManualClock } from '../time/clock';
export { seededRandom } from './seeded-random';
