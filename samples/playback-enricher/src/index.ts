export * from './model';
export { EnricherConfig } from './enricher-config';
export { PlaybackEnricher } from './playback-enricher.job';
export { playbackEnricherJob } from './playback-enricher.spec';
export { FakeServices, defaultTitles, type FakeServiceOptions } from './fake-services';
export { generatePlays, type PlayGeneratorOptions } from './data-generator';
export { runEmbeddedDemo, type EnricherDemoResult } from './embedded-demo';
