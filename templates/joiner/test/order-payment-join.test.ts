import 'reflect-metadata';
import { JobHarness } from '@stream-gen/runtime/testing';
import { orderPaymentJoinSpec } from '../src/generated/order-payment-join.runner.generated';
import { OrderPaymentJoin } from '../src/order-payment-join.job';

const job = orderPaymentJoinSpec(() => new OrderPaymentJoin());

describe('OrderPaymentJoin', () => {
  it('reports a paid order when its payment arrives, in either order', async () => {
    const h = await JobHarness.create({ job });
    await h.push('payments', { paymentId: 'p1', orderId: 'o1', method: 'card', ts: 2_000 });
    await h.push('orders', { orderId: 'o1', customerId: 'c1', amount: 30, ts: 1_000 });
    expect(h.output()).toEqual([
      { orderId: 'o1', status: 'paid', amount: 30, paymentId: 'p1', paidAfterMs: 1_000 },
    ]);
  });

  it('reports an unpaid order when the watermark passes its deadline', async () => {
    const h = await JobHarness.create({ job });
    await h.push('orders', { orderId: 'o2', customerId: 'c1', amount: 10, ts: 0 });
    await h.advanceWatermark(15 * 60_000);
    expect(h.output()).toEqual([
      { orderId: 'o2', status: 'unpaid', amount: 10, paymentId: null, paidAfterMs: null },
    ]);
    expect(await h.state('order', 'o2')).toBeUndefined();
  });

  it('sends records that do not match the Order type to the dead letters', async () => {
    const h = await JobHarness.create({ job });
    await h.push('orders', { orderId: 'o3', customerId: 'c1', amount: 'ten', ts: 0 });
    expect(h.deadLetters().map((d) => d.reason)).toEqual([
      'invalid record: $.amount: expected number, got string',
    ]);
  });
});
