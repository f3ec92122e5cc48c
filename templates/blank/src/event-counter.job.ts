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
import type { Count, Event } from './model';

/** Counts events per key. Start here: rename it, change the types, add state and timers. */
@StreamJob({ name: 'EventCounter' })
@Source<Event>('events', { eventTime: 'ts', maxOutOfOrderness: '5s' })
@Sink('counts')
@KeyedProcess({ input: 'events', output: 'counts' })
export class EventCounter {
  @State() private count!: ValueState<number>;

  @ProcessElement('events')
  @KeyBy('key')
  onEvent(event: Event, ctx: ElementContext<Count>): void {
    const count = (this.count.value() ?? 0) + 1;
    this.count.update(count);
    ctx.emit({ key: event.key, count });
  }
}
