import { stockStreamId } from '@tally/domain';
import { type RunningTally, ShopClient, startFull, waitUntil } from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { expectExactlyOnce, replayStock, StoreProbe, waitForCheckouts } from './store-probe';

// (c) The payment timeout, in full mode: the simulated provider takes 3 s to answer (its latency), the
// checkout process waits 1 s for the money (PAYMENT_TIMEOUT_MS, the smallest the configuration allows).
// The durable timeout fires first and cancels the order; the authorization that lands afterwards is voided.

jest.setTimeout(120_000);

describe('checkout in full mode, with a payment slower than the payment timeout', () => {
  let tally: RunningTally;
  let shop: ShopClient;
  let probe: StoreProbe;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    tally = await startFull({
      env: { PAYMENT_TIMEOUT_MS: '1000', SIMULATED_PAYMENT_LATENCY_MS: '3000' },
    });
    cleanups.unshift(() => tally.stop());
    shop = new ShopClient(tally);
    probe = StoreProbe.open(tally.databaseUrl ?? '');
    cleanups.unshift(() => probe.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('(c) cancels the order with payment_timeout, releases every reservation and voids the late authorization', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const skus = [`SLOW-A-${run}`, `SLOW-B-${run}`];
    for (const sku of skus) await shop.stockProduct(sku, 4);
    const cartId = await shop.cart([
      { sku: skus[0] ?? '', quantity: 2 },
      { sku: skus[1] ?? '', quantity: 3 },
    ]);
    const orderId = await shop.placeOrder(cartId);

    const order = await shop.waitForOrder(orderId, (view) => view.status === 'cancelled');
    expect(order.cancellationReason).toBe('payment_timeout');

    // Every reservation is given back at once; the payment is still open at the provider.
    const outcome = await waitForCheckouts(probe, [orderId], 60_000);
    expect(outcome).toEqual({ confirmed: [], cancelled: { payment_timeout: [orderId] } });
    await expectExactlyOnce(probe, [orderId], skus);
    for (const sku of skus) {
      const ledger = replayStock(await probe.stream(stockStreamId(sku)));
      expect(ledger.reservations.get(orderId)?.state).toBe('released');
      expect(ledger.available).toBe(4);
    }
    // The provider authorizes 3 s after it was asked, long after the cancellation: checkout voids that hold.
    const hold = async () =>
      (
        await probe.sql.query<{ status: string; amount_captured: string }>(
          'SELECT status, amount_captured FROM simulated_payments WHERE order_id = $1',
          [orderId],
        )
      ).rows;
    await waitUntil(
      'the late authorization voided',
      async () => (await probe.count('PaymentVoided', [orderId])) === 1,
    );
    expect(await hold()).toEqual([{ status: 'voided', amount_captured: '0' }]);
    expect(await probe.count('PaymentCaptured', [orderId])).toBe(0);
    expect((await shop.waitForOrder(orderId, (view) => view.payment.status === 'voided')).status).toBe(
      'cancelled',
    );
  });
});
