export * from './model';
export { EnricherConfig } from './enricher-config';
export { PlaybackEnricher } from './playback-enricher.job';
export { ParsePlays } from './parse-plays.stage';
export { TitleLookup } from './title-lookup.stage';
export { parsePlayLogLine, formatPlay, formatHeartbeat, formatLine } from './play-log';
export { playbackEnricherJob } from './playback-enricher.spec';
export { FakeServices, defaultTitles, type FakeServiceOptions } from './fake-services';
export {
  generatePlayLog,
  generatePlays,
  type GeneratedLine,
  type PlayGeneratorOptions,
} from './data-generator';
export { runEmbeddedDemo, type EnricherDemoResult } from './embedded-demo';
