import {
  authHeader,
  httpRequest,
  type RunningTally,
  ShopClient,
  startEmbedded,
  waitUntil,
} from '@tally/testing';
import { randomUUID } from 'node:crypto';

// Checkout in embedded mode (`npm start`): one process on PGlite, no NATS. The checkout process manager runs
// over the in-process bus and sends its commands to command-api in process; the order must get from the
// cart to confirmed and paid exactly as in full mode.

jest.setTimeout(120_000);

describe('checkout in embedded mode', () => {
  let tally: RunningTally;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    tally = await startEmbedded();
    cleanups.push(() => tally.stop());
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('takes a checked-out cart to a confirmed, captured order over the in-process bus', async () => {
    const shop = new ShopClient(tally);
    const sku = `EMB-${randomUUID().slice(0, 8).toUpperCase()}`;
    await shop.stockProduct(sku, 3, 2000);
    const cartId = await shop.cart([{ sku, quantity: 2 }]);
    const orderId = await shop.placeOrder(cartId);

    const order = await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');
    expect(order).toMatchObject({
      orderId,
      status: 'confirmed',
      lines: [{ sku, quantity: 2, lineTotal: { amount: 4000, currency: 'EUR' } }],
      payment: { status: 'captured' },
    });
    expect(order.payment.amountCaptured).toEqual(order.totals.total);

    // Two units held for the order until it ships (the stock read model follows on its own schedule).
    await waitUntil('the stock read model to show the reservation', async () => {
      const stock = await shop.query<{ onHand: number; reserved: number; available: number }>(
        `/api/v1/inventory/${sku}`,
      );
      return stock.body.onHand === 3 && stock.body.reserved === 2 && stock.body.available === 1;
    });

    // The process's own record of what it saw, in its stream.
    const checkout = await httpRequest<{ events: { type: string }[] }>(
      'GET',
      `${tally.queryApi}/api/v1/streams/checkout-${orderId}/events`,
      { headers: authHeader('auditor') },
    );
    expect(checkout.status).toBe(200);
    expect(checkout.body.events.map((event) => event.type)).toContain('CheckoutEventObserved');
  });
});
