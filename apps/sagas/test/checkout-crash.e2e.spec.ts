import {
  type RunningTally,
  ShopClient,
  checkoutRequest,
  mapLimit,
  startFull,
  waitUntil,
} from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { expectExactlyOnce, StoreProbe, waitForCheckouts } from './store-probe';

// (d) The sagas process killed with SIGKILL (no shutdown hook runs) after the stock is reserved and before
// any payment outcome, then started again. The simulated provider takes 2 s per call, which holds every
// checkout in that window long enough to land the kill in it; the test checks from the store that it did.

jest.setTimeout(180_000);

describe('checkout in full mode, when the sagas process dies mid-checkout', () => {
  let tally: RunningTally;
  let shop: ShopClient;
  let probe: StoreProbe;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    tally = await startFull({ env: { SIMULATED_PAYMENT_LATENCY_MS: '2000' } });
    cleanups.unshift(() => tally.stop());
    shop = new ShopClient(tally);
    probe = StoreProbe.open(tally.databaseUrl ?? '');
    cleanups.unshift(() => probe.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('(d) completes or compensates every checkout after a SIGKILL between reservation and payment, leaking no reservation', async () => {
    const run = randomUUID().slice(0, 8).toUpperCase();
    const [popular, single] = [`CRASH-A-${run}`, `CRASH-B-${run}`];
    await shop.stockProduct(popular, 5);
    await shop.stockProduct(single, 1);
    // 7 shoppers for the 5 units of one SKU (2 must be refused), and one for another SKU whose card is declined.
    const popularCarts = await mapLimit(Array.from({ length: 7 }), 7, () =>
      shop.cart([{ sku: popular, quantity: 1 }]),
    );
    const singleCart = await shop.cart([{ sku: single, quantity: 1 }]);
    const [declined, ...orderIdsOfPopular] = await Promise.all([
      shop.placeOrder(singleCart, checkoutRequest('pm_card_chargeDeclined')),
      ...popularCarts.map((cartId) => shop.placeOrder(cartId)),
    ]);
    const orderIds = [declined, ...orderIdsOfPopular];

    await waitUntil(
      'every unit reserved and every refusal recorded',
      async () =>
        (await probe.count('StockReserved', orderIds)) === 6 &&
        (await probe.count('StockReservationRejected', orderIds)) === 2,
      60_000,
      20,
    );
    await tally.process('sagas').kill('SIGKILL');
    const outcomesAtKill = await probe.ofTypes(['PaymentAuthorized', 'PaymentDeclined'], orderIds);
    // The kill landed where it should: stock held, no payment answered yet.
    expect(outcomesAtKill).toEqual([]);

    await tally.restart('sagas');
    // Generous: what the dead process had pulled but not acknowledged comes back after the consumer's
    // ack wait (30 s); the rest resumes from the checkout streams at once.
    const outcome = await waitForCheckouts(probe, orderIds, 90_000);

    expect(outcome.confirmed).toHaveLength(5);
    expect(outcome.cancelled.payment_declined).toEqual([declined]);
    expect(outcome.cancelled.out_of_stock).toHaveLength(2);
    await expectExactlyOnce(probe, orderIds, [popular, single]);
  });
});
