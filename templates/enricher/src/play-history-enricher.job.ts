import {
  KeyBy,
  KeyedProcess,
  ProcessElement,
  Sink,
  Source,
  State,
  StreamJob,
} from '@stream-gen/annotations';
import type { ElementContext, ValueState } from '@stream-gen/runtime';
import type { EnrichedPlay, PlayEvent, ProfileHistory } from './model';

/**
 * Enriches each play with the history of its profile kept in keyed state (plays and
 * minutes watched so far, last title). History expires after 30 days without plays.
 */
@StreamJob({ name: 'PlayHistoryEnricher', deadLetters: 'dead-letters' })
@Source<PlayEvent>('plays', { eventTime: 'ts', maxOutOfOrderness: '10s' })
@Sink('enriched')
@Sink('late')
@Sink('dead-letters')
@KeyedProcess({ input: 'plays', output: 'enriched', sideOutputs: { late: 'late' } })
export class PlayHistoryEnricher {
  @State({ ttl: '30d' }) private history!: ValueState<ProfileHistory>;

  @ProcessElement('plays')
  @KeyBy('profileId')
  enrich(play: PlayEvent, ctx: ElementContext<EnrichedPlay>): void {
    const before = this.history.value();
    ctx.emit({
      ...play,
      playsBefore: before?.plays ?? 0,
      minutesBefore: Math.round((before?.totalMs ?? 0) / 60_000),
      lastTitleId: before?.lastTitleId ?? null,
    });
    this.history.update({
      plays: (before?.plays ?? 0) + 1,
      totalMs: (before?.totalMs ?? 0) + play.durationMs,
      lastTitleId: play.titleId,
    });
  }
}
