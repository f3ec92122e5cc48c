/**
 * The downstream end of an exchange: what makes a keyed stage fed by another keyed
 * stage exactly-once, although what the upstream emits depends on its batching and on
 * when its timers fired (so "skip below the upstream offset" cannot tell a resend from
 * new output).
 *
 * Protocol. Every upstream task tags each element it sends with its epoch (the id of
 * the checkpoint that will cover the input the element came from) and its attempt (a
 * random id per opening of the task, saved in each checkpoint it commits). Elements
 * reach the exchange before that checkpoint is committed (the runner writes outputs
 * first, as for sinks). After the atomic commit of checkpoint E, the upstream task
 * appends a marker (E, attempt, its watermark) to every exchange partition; when it
 * restores checkpoint E it appends that marker again, with the attempt saved in E.
 * Appends of one upstream task to one partition keep their order.
 *
 * This gate buffers each upstream task's elements until a marker of that task comes:
 * marker (E, A) releases the buffered elements tagged exactly (E, A), in order, drops
 * the other buffered elements of epochs up to E, and records (E, A) as applied. An
 * element or marker of an epoch at or below the applied one is dropped on arrival. The
 * applied epoch of every upstream task is saved in the downstream task's own atomic
 * checkpoint, and the downstream position saved with it is the offset of the earliest
 * element still buffered, so a restart reads every unreleased element again.
 *
 * Crash ordering (upstream):
 * - Crash before checkpoint E commits: E was never committed, so no marker (E, A)
 *   exists; the restarted task restores E - 1 and emits that input again as attempt
 *   A' with epoch E. Marker (E, A') releases only A' elements: the (E, A) ones are
 *   dropped, so each input counts once, whatever the two attempts' batching was.
 * - Crash after the commit of E, before its markers: the restarted task restores E
 *   and appends marker (E, A) (A is saved in E), which releases what A sent for E.
 * - A stale owner still sending after a rebalance: it cannot commit (the commit is
 *   fenced), so its elements carry an epoch that is committed only by the new owner,
 *   under another attempt, and are dropped.
 * Crash ordering (downstream): state, applied epochs, timers and the position are one
 * atomic commit. Restarting from it, released elements are read again but their epoch
 * is at or below the applied one (dropped); unreleased ones are buffered again and
 * released by the markers that follow them. So every committed upstream epoch is
 * applied exactly once, and only committed epochs are.
 *
 * Watermark: each upstream task's watermark as of its last applied marker; the gate's
 * is the minimum over all upstream tasks (none before every task sent one). An element
 * an upstream task emitted after checkpoint E - 1 has an event time above its watermark
 * then, so releasing epoch E before moving to that task's new watermark makes no
 * upstream output late downstream.
 */
import type { ExchangeElement, ExchangeMarker } from './exchange-envelope';
import type { AppliedEpoch, GateSnapshot } from '../state/checkpoint';
import { BEGINNING_OF_TIME, END_OF_TIME } from '../time/time-bounds';

interface Buffered {
  readonly offset: number;
  readonly element: ExchangeElement;
}

/** Elements of one upstream task released by one marker, in the order they were sent. */
export interface Released {
  readonly upstream: number;
  /** Elements of attempts that never committed this epoch, dropped by this marker. */
  readonly dropped: number;
  readonly elements: ReadonlyArray<{ readonly offset: number; readonly element: ExchangeElement }>;
}

export class EpochGate {
  private readonly applied = new Map<number, AppliedEpoch>();
  private readonly buffered = new Map<number, Buffered[]>();
  /** Elements dropped as resends or as output of attempts that never committed. */
  dropped = 0;

  constructor(readonly upstreamTasks: number) {
    if (!Number.isInteger(upstreamTasks) || upstreamTasks < 1) {
      throw new RangeError(`an exchange needs >= 1 upstream task, got ${upstreamTasks}`);
    }
  }

  /** An element of the exchange at `offset`: buffered, or dropped when its epoch is applied. */
  element(offset: number, element: ExchangeElement): void {
    this.checkUpstream(element.u);
    if (element.e <= (this.applied.get(element.u)?.epoch ?? 0)) {
      this.dropped++;
      return;
    }
    let list = this.buffered.get(element.u);
    if (!list) this.buffered.set(element.u, (list = []));
    list.push({ offset, element });
  }

  /** A marker: releases the elements of its epoch and attempt; undefined when it is a resend. */
  marker(marker: ExchangeMarker): Released | undefined {
    this.checkUpstream(marker.u);
    if (marker.e <= (this.applied.get(marker.u)?.epoch ?? 0)) return undefined;
    const list = this.buffered.get(marker.u) ?? [];
    const released: Buffered[] = [];
    const kept: Buffered[] = [];
    let dropped = 0;
    for (const b of list) {
      if (b.element.e > marker.e) kept.push(b);
      else if (b.element.e === marker.e && b.element.a === marker.a) released.push(b);
      else dropped++;
    }
    this.dropped += dropped;
    this.buffered.set(marker.u, kept);
    this.applied.set(marker.u, {
      epoch: marker.e,
      attempt: marker.a,
      watermark: marker.end ? END_OF_TIME : marker.w,
      ended: marker.end === true,
    });
    return { upstream: marker.u, elements: released, dropped };
  }

  /** Minimum over the upstream tasks of their applied watermark. */
  get watermark(): number {
    let min = END_OF_TIME;
    for (let u = 0; u < this.upstreamTasks; u++) {
      const applied = this.applied.get(u);
      if (!applied) return BEGINNING_OF_TIME;
      min = Math.min(min, applied.watermark);
    }
    return min;
  }

  /** Every upstream task ended and nothing is buffered: the exchange is over. */
  get ended(): boolean {
    for (let u = 0; u < this.upstreamTasks; u++) {
      if (!this.applied.get(u)?.ended) return false;
    }
    return this.bufferedCount === 0;
  }

  get bufferedCount(): number {
    let n = 0;
    for (const list of this.buffered.values()) n += list.length;
    return n;
  }

  /** Where a restart must read from: the earliest buffered element, else `next`. */
  safeOffset(next: number): number {
    let min = next;
    for (const list of this.buffered.values())
      if (list.length > 0) min = Math.min(min, list[0].offset);
    return min;
  }

  snapshot(): GateSnapshot {
    return Object.fromEntries([...this.applied].map(([u, a]) => [String(u), a]));
  }

  /** Restores the applied epochs of a checkpoint; the buffers start empty (they are read again). */
  restore(snapshot: GateSnapshot | undefined): void {
    this.applied.clear();
    this.buffered.clear();
    for (const [u, a] of Object.entries(snapshot ?? {})) this.applied.set(Number(u), a);
  }

  private checkUpstream(u: number): void {
    if (!Number.isInteger(u) || u < 0 || u >= this.upstreamTasks) {
      throw new RangeError(
        `exchange record names upstream task ${u}, but the upstream has ${this.upstreamTasks} task(s)`,
      );
    }
  }
}
