export * from './model';
export { toConversion } from './conversion';
export { ImpressionJoin } from './impression-join.job';
export { JoinConfig } from './join-config';
export { impressionJoinJob } from './impression-join.spec';
export {
  generateEvents,
  random,
  type GeneratorOptions,
  type GeneratedEvent,
} from './data-generator';
export { referenceJoin } from './reference-join';
export { compare, runEmbeddedDemo, type DemoResult } from './embedded-demo';
