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
 *
 * Rewind (`stream-gen rewind`, state/redis/checkpoint-admin.ts and exchange-rewind.ts).
 * An epoch is a checkpoint id, and after a rewind of an upstream task to checkpoint R
 * its next checkpoint follows the one it restored. Left at that, it would commit
 * epochs R + 1, R + 2, ... again on a new timeline, while the exchange still holds what
 * the discarded timeline sent of those numbers, committed markers included: marker
 * (R + 1, A) of the discarded timeline would release its (R + 1, A) elements, and the
 * new timeline's (R + 1, A') ones would then be dropped as resends. The gate cannot
 * tell two timelines apart, so a rewind of a job with keyed stages sees that it never
 * has to:
 * - Fresh numbers. An upstream task whose latest checkpoint L is not its target gets
 *   the target's state installed as checkpoint H = max(L, R) + 2, the only one it
 *   retains then. The discarded timeline used no epoch above L + 2: once L is committed
 *   a task's outputs belong to epoch L + 1, to L + 2 only while L + 1 is being
 *   committed, and L is where its commits stopped. For that, the rewind refuses a task
 *   whose latest moved since it was planned (run it with the job stopped), and moves each task's
 *   fence epoch (`epoch` in its head, not an exchange epoch), so a process of the
 *   discarded timeline still running can commit nothing more. So every epoch of the new
 *   timeline, H + 1 and on, is above every epoch the discarded one used.
 * - Void ranges. Each downstream task's restored gate drops, from that upstream task,
 *   the epochs in (R, H] (`voidEpochs` in its checkpoint): elements, markers and end
 *   markers the discarded timeline left in the exchange, and the marker (H, A_R) the
 *   upstream sends when it restores H (A_R committed R), which must release nothing:
 *   the new timeline sends no element of epoch H. Ranges at or below the applied epoch
 *   are forgotten, since those epochs are dropped anyway. The upstream carries (R, H] in its
 *   checkpoints from then on (`skippedEpochs`): the history of checkpoint X is its
 *   epochs up to X but for those ranges, and a later rewind to X voids them again,
 *   since the downstream checkpoint it pairs X with may not have them.
 * - Consistency. A downstream task's target must not have applied an epoch of an
 *   upstream task that the upstream's target does not hold: above its id, or in one of
 *   its skipped ranges (its state would hold input the upstream processes again); the
 *   rewind refuses then, naming both. Savepoints copy downstream tasks before the tasks
 *   that feed them, so one taken while the job runs passes: the downstream copy applied
 *   only epochs committed before it was taken, and the upstream copy taken after it is
 *   at or past them.
 * Restarted from there, a downstream task with applied epoch g reads the exchange from
 * its restored position, the earliest element it had not applied: every element and
 * marker of an epoch above g lies at or after it. Epochs in (g, R] are history both
 * timelines share, committed once, and are applied as after a crash; epochs in (R, H]
 * are dropped; epochs above H exist only on the new timeline and follow the protocol
 * above. So every epoch of the restored history is applied exactly once, and no epoch
 * of the discarded one is.
 */
import type { ExchangeElement, ExchangeMarker } from './exchange-envelope';
import type { AppliedEpoch, EpochRange, GateSnapshot, VoidEpochs } from '../state/checkpoint';
import { BEGINNING_OF_TIME, END_OF_TIME } from '../time/time-bounds';
import { inRanges, rangesAbove } from '../state/epoch-ranges';

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
  /** Per upstream task, the epochs a rewind discarded (see "Rewind" above). */
  private readonly voids = new Map<number, readonly EpochRange[]>();
  /** Elements dropped as resends or as output of attempts that never committed. */
  dropped = 0;
  /** Elements and markers dropped because a rewind discarded their epoch. */
  voided = 0;

  constructor(readonly upstreamTasks: number) {
    if (!Number.isInteger(upstreamTasks) || upstreamTasks < 1) {
      throw new RangeError(`an exchange needs >= 1 upstream task, got ${upstreamTasks}`);
    }
  }

  /** An element of the exchange at `offset`: buffered, or dropped when its epoch is applied. */
  element(offset: number, element: ExchangeElement): void {
    this.checkUpstream(element.u);
    if (this.isVoid(element.u, element.e)) {
      this.voided++;
      return;
    }
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
    if (this.isVoid(marker.u, marker.e)) {
      this.voided++;
      return undefined;
    }
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
    const voids = this.voids.get(marker.u);
    if (voids) this.voids.set(marker.u, rangesAbove(voids, marker.e));
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

  /** The void ranges still ahead of the applied epochs; undefined when there are none. */
  voidSnapshot(): VoidEpochs | undefined {
    const entries = [...this.voids].filter(([, ranges]) => ranges.length > 0);
    return entries.length > 0
      ? Object.fromEntries(entries.map(([u, ranges]) => [String(u), ranges]))
      : undefined;
  }

  /**
   * Restores the applied epochs and void ranges of a checkpoint; the buffers start
   * empty (they are read again).
   */
  restore(snapshot: GateSnapshot | undefined, voids?: VoidEpochs): void {
    this.applied.clear();
    this.buffered.clear();
    this.voids.clear();
    for (const [u, a] of Object.entries(snapshot ?? {})) this.applied.set(Number(u), a);
    for (const [u, ranges] of Object.entries(voids ?? {})) {
      const above = rangesAbove(ranges, this.applied.get(Number(u))?.epoch ?? 0);
      if (above.length > 0) this.voids.set(Number(u), above);
    }
  }

  /** The epoch lies in a range a rewind discarded of that upstream task's epochs. */
  private isVoid(u: number, epoch: number): boolean {
    return inRanges(this.voids.get(u), epoch);
  }

  private checkUpstream(u: number): void {
    if (!Number.isInteger(u) || u < 0 || u >= this.upstreamTasks) {
      throw new RangeError(
        `exchange record names upstream task ${u}, but the upstream has ${this.upstreamTasks} task(s)`,
      );
    }
  }
}
