export * from './model';
export { toConversion } from './conversion';
export { ImpressionJoiner } from './impression-joiner';
export { impressionJoinJob, type ImpressionJoinOptions } from './impression-join.job';
export {
  generateEvents,
  random,
  type GeneratorOptions,
  type GeneratedEvent,
} from './data-generator';
export { referenceJoin } from './reference-join';
export { runEmbeddedDemo, type DemoResult } from './embedded-demo';
