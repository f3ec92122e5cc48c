import type {
  ElementContext,
  KeyedCoProcessFunction,
  ListState,
  RuntimeContext,
  TimerContext,
} from '@stream-gen/runtime';
import { toConversion } from './conversion';
import type { Conversion, Impression, Play } from './model';

/**
 * Joins each play with the impressions of its key in the window before it, once the
 * watermark reaches the play's time (so every impression that can still count has
 * arrived). Impressions leave state when the watermark passes `ts + window`.
 * One event-time timer per distinct time serves both purposes.
 */
export class ImpressionJoiner implements KeyedCoProcessFunction<Impression, Play, Conversion> {
  private impressions!: ListState<Impression>;
  private plays!: ListState<Play>;

  constructor(private readonly windowMs = 3_600_000) {}

  open(ctx: RuntimeContext): void {
    this.impressions = ctx.listState<Impression>('impressions');
    this.plays = ctx.listState<Play>('plays');
  }

  processElement1(impression: Impression, ctx: ElementContext<Conversion>): void {
    this.impressions.add(impression);
    ctx.timers.registerEventTimeTimer(impression.ts + this.windowMs);
  }

  processElement2(play: Play, ctx: ElementContext<Conversion>): void {
    this.plays.add(play);
    ctx.timers.registerEventTimeTimer(play.ts);
  }

  onTimer(timestamp: number, ctx: TimerContext<Conversion>): void {
    const impressions = this.impressions.get();
    const plays = this.plays.get();
    const due = plays.filter((p) => p.ts <= timestamp);
    if (due.length > 0) {
      for (const play of due) ctx.emit(toConversion(play, impressions, this.windowMs));
      this.plays.update(plays.filter((p) => p.ts > timestamp));
    }
    // No play at or before the watermark can arrive any more (it would be late), so an
    // impression whose window ended here is no longer needed.
    const kept = impressions.filter((i) => i.ts + this.windowMs > timestamp);
    if (kept.length !== impressions.length) this.impressions.update(kept);
  }
}
