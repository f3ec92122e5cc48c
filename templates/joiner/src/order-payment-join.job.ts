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
import type { ElementContext, TimerContext, ValueState } from '@stream-gen/runtime';
import type { Order, OrderStatus, Payment } from './model';

const DEADLINE_MS = 15 * 60_000;

/**
 * Joins orders with their payment: an order is reported paid when its payment comes,
 * or unpaid when the watermark passes its deadline without one.
 */
@StreamJob({ name: 'OrderPaymentJoin', deadLetters: 'dead-letters' })
@Source<Order>('orders', { eventTime: 'ts', maxOutOfOrderness: '5s', idleTimeout: '30s' })
@Source<Payment>('payments', { eventTime: 'ts', maxOutOfOrderness: '5s', idleTimeout: '30s' })
@Sink('statuses')
@Sink('late')
@Sink('dead-letters')
@CoProcess({ inputs: ['orders', 'payments'], output: 'statuses', sideOutputs: { late: 'late' } })
export class OrderPaymentJoin {
  @State() private order!: ValueState<Order>;
  @State() private payment!: ValueState<Payment>;

  @ProcessElement('orders')
  @KeyBy('orderId')
  onOrder(order: Order, ctx: ElementContext<OrderStatus>): void {
    this.order.update(order);
    ctx.timers.registerEventTimeTimer(order.ts + DEADLINE_MS);
    this.report(ctx);
  }

  @ProcessElement('payments')
  @KeyBy((p: Payment) => p.orderId)
  onPayment(payment: Payment, ctx: ElementContext<OrderStatus>): void {
    this.payment.update(payment);
    this.report(ctx);
  }

  @Timer()
  onDeadline(_timestamp: number, ctx: TimerContext<OrderStatus>): void {
    const order = this.order.value();
    if (order && !this.payment.value()) {
      ctx.emit({
        orderId: order.orderId,
        status: 'unpaid',
        amount: order.amount,
        paymentId: null,
        paidAfterMs: null,
      });
    }
    this.order.clear();
    this.payment.clear();
  }

  private report(ctx: ElementContext<OrderStatus>): void {
    const [order, payment] = [this.order.value(), this.payment.value()];
    if (!order || !payment) return;
    ctx.emit({
      orderId: order.orderId,
      status: 'paid',
      amount: order.amount,
      paymentId: payment.paymentId,
      paidAfterMs: payment.ts - order.ts,
    });
  }
}
