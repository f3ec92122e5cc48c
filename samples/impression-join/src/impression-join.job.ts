import {
  CoProcess,
  KeyBy,
  ProcessElement,
  Sink,
  Source,
  State,
  StreamJob,
  Timer,
} from '@stream-gen/annotations';
import type { ElementContext, ListState, TimerContext } from '@stream-gen/runtime';
import { toConversion } from './conversion';
import { JoinConfig } from './join-config';
import type { Conversion, Impression, Play } from './model';

/**
 * Pattern 4, the co-process joiner. Each play is joined with the impressions of its
 * profile and title in the window before it, once the watermark reaches the play's
 * time (so every impression that can still count has arrived). Impressions leave
 * state when the watermark passes `ts + window`. One event-time timer per distinct
 * time serves both purposes.
 */
@StreamJob({ name: 'ImpressionJoin', deadLetters: 'dead-letters', checkpointInterval: '5s' })
@Source<Impression>('impressions', {
  eventTime: 'ts',
  maxOutOfOrderness: '10s',
  idleTimeout: '30s',
  partitionedByKey: true,
})
@Source<Play>('plays', {
  eventTime: 'ts',
  maxOutOfOrderness: '10s',
  idleTimeout: '30s',
  partitionedByKey: true,
})
@Sink('conversions')
@Sink('late')
@Sink('dead-letters')
@CoProcess({
  inputs: ['impressions', 'plays'],
  output: 'conversions',
  sideOutputs: { late: 'late' },
})
export class ImpressionJoin {
  @State() private impressions!: ListState<Impression>;
  @State() private plays!: ListState<Play>;

  constructor(private readonly config: JoinConfig) {}

  @ProcessElement('impressions')
  @KeyBy((i: Impression) => `${i.profileId}_${i.titleId}`)
  onImpression(impression: Impression, ctx: ElementContext<Conversion>): void {
    this.impressions.add(impression);
    ctx.timers.registerEventTimeTimer(impression.ts + this.config.windowMs);
  }

  @ProcessElement('plays')
  @KeyBy((p: Play) => `${p.profileId}_${p.titleId}`)
  onPlay(play: Play, ctx: ElementContext<Conversion>): void {
    this.plays.add(play);
    ctx.timers.registerEventTimeTimer(play.ts);
  }

  @Timer()
  onTimer(timestamp: number, ctx: TimerContext<Conversion>): void {
    const windowMs = this.config.windowMs;
    const impressions = this.impressions.get();
    const plays = this.plays.get();
    const due = plays.filter((p) => p.ts <= timestamp);
    if (due.length > 0) {
      for (const play of due) ctx.emit(toConversion(play, impressions, windowMs));
      this.plays.update(plays.filter((p) => p.ts > timestamp));
    }
    // No play at or before the watermark can arrive any more (it would be late), so an
    // impression whose window ended here is no longer needed.
    const kept = impressions.filter((i) => i.ts + windowMs > timestamp);
    if (kept.length !== impressions.length) this.impressions.update(kept);
  }
}
