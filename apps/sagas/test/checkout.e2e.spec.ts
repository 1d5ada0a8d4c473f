import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { cartStreamId, checkoutStreamId, orderStreamId, paymentStreamId, stockStreamId } from '@tally/domain';
import { eventStreamName } from '@tally/messaging';
import { SIGNATURE_HEADER, signWebhookPayload } from '@tally/payments';
import type { OrderView } from '@tally/read-models';
import {
  checkoutRequest,
  mapLimit,
  type RunningTally,
  ShopClient,
  startFull,
  waitUntil,
} from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { replayStock, StoreProbe } from './store-probe';

// Checkout end to end in full mode: command-api, query-api, projectors (with the relay) and sagas, each
// its own built process, on a fresh PostgreSQL database and the shared NATS server under a NATS_PREFIX of
// this run's own. The simulated payment provider answers at once. Every wait is on a condition with a
// deadline (the store, or the query API); the store is the truth the read models are checked against.

jest.setTimeout(240_000);

const WEBHOOK_SECRET = 'whsec_e2e_checkout';
const run = randomUUID().slice(0, 8).toUpperCase();
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('checkout in full mode', () => {
  let tally: RunningTally;
  let shop: ShopClient;
  let probe: StoreProbe;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    tally = await startFull({ env: { SIMULATED_WEBHOOK_SECRET: WEBHOOK_SECRET } });
    cleanups.unshift(() => tally.stop());
    shop = new ShopClient(tally);
    probe = StoreProbe.open(tally.databaseUrl ?? '');
    cleanups.unshift(() => probe.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  /** Waits until these orders are confirmed or cancelled in the store, and their processes have finished what they must. */
  async function settled(orderIds: readonly string[], timeoutMs = 120_000): Promise<void> {
    await waitUntil(
      `${orderIds.length} orders confirmed or cancelled`,
      async () => {
        const [confirmed, cancelled] = await Promise.all([
          probe.count('OrderConfirmed', orderIds),
          probe.count('OrderCancelled', orderIds),
        ]);
        return confirmed + cancelled >= orderIds.length;
      },
      timeoutMs,
      250,
    );
  }

  describe('(a) no oversell', () => {
    it('sells the 25 units of a SKU to exactly 25 of 200 concurrent checkouts and cancels 175 out_of_stock; stock never goes below 0; every reservation is committed (once shipped) or released', async () => {
      const sku = `HOT-${run}`;
      await shop.stockProduct(sku, 25);
      const carts = await mapLimit(range(200), 16, () => shop.cart([{ sku, quantity: 1 }]));

      const responses = await Promise.all(carts.map((cartId) => shop.checkout(cartId)));
      expect(responses.map((response) => response.status)).toEqual(carts.map(() => 202));
      const orderIds = responses.map((response) => response.body.orderId ?? '');
      expect(new Set(orderIds).size).toBe(200);

      await settled(orderIds, 180_000);
      const confirmed = (await probe.ofTypes(['OrderConfirmed'], orderIds)).map((e) =>
        String(e.data.orderId),
      );
      const cancelled = await probe.ofTypes(['OrderCancelled'], orderIds);
      expect(confirmed).toHaveLength(25);
      expect(cancelled).toHaveLength(175);
      expect(new Set(cancelled.map((event) => event.data.reason))).toEqual(new Set(['out_of_stock']));
      expect(new Set([...confirmed, ...cancelled.map((event) => String(event.data.orderId))]).size).toBe(200);

      // The query API agrees with the store, order by order.
      const views = await mapLimit(orderIds, 16, (orderId) => shop.waitForOrder(orderId));
      const byStatus = (status: string) => views.filter((view) => view.status === status);
      expect(byStatus('confirmed')).toHaveLength(25);
      expect(byStatus('cancelled').map((view) => view.cancellationReason)).toEqual(
        Array<string>(175).fill('out_of_stock'),
      );

      // Shipping the 25 commits their reservations: then nothing may be held any more.
      await mapLimit(confirmed, 8, (orderId) => shop.command('POST', `/api/v1/orders/${orderId}/ship`));
      await waitUntil(
        '25 reservations committed',
        async () => (await probe.count('StockReservationCommitted', confirmed)) === 25,
      );

      const ledger = replayStock(await probe.stream(stockStreamId(sku)));
      expect(ledger.anomalies).toEqual([]);
      expect(ledger.lowestAvailable).toBe(0);
      expect(ledger.available).toBe(0);
      expect(ledger.onHand).toBe(0);
      expect(ledger.rejected).toHaveLength(175);
      const states = [...ledger.reservations.values()].map((reservation) => reservation.state);
      // Precisely: 25 reservations were made, each for one of the confirmed orders, and all 25 were
      // committed; the 175 refused orders never held a unit, so there is nothing left to release.
      expect(states).toEqual(Array<string>(25).fill('committed'));
      expect(new Set(ledger.reservations.keys())).toEqual(new Set(confirmed));

      await waitUntil('the stock read model to show the commits', async () => {
        const view = await shop.query<{ onHand: number; reserved: number; available: number }>(
          `/api/v1/inventory/${sku}`,
        );
        return view.body.onHand === 0 && view.body.reserved === 0 && view.body.available === 0;
      });
    });
  });

  describe('(b) exactly one order per cart', () => {
    it('accepts one of 10 concurrent checkouts of one cart (409 for the rest), and captures once although the capture webhook arrives twice more', async () => {
      const sku = `ONE-${run}`;
      await shop.stockProduct(sku, 5, 2500);
      const cartId = await shop.cart([{ sku, quantity: 2 }]);

      const responses = await Promise.all(range(10).map(() => shop.checkout(cartId)));
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([202, ...Array<number>(9).fill(409)]);
      const orderId = responses.find((response) => response.status === 202)?.body.orderId ?? '';

      const order = await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');
      expect(order.status).toBe('confirmed');
      // Wait for the capture webhook the provider delivered itself, so that only the replays below remain.
      await waitUntil(
        'the capture recorded on the order',
        async () => (await probe.count('OrderPaymentCaptured', [orderId])) === 1,
      );
      const captured = await probe.stream(paymentStreamId(orderId));
      const capture = captured.find((event) => event.type === 'PaymentCaptured');
      expect(capture).toBeDefined();

      // The provider's capture webhook, delivered twice more (as providers do), signed like the real one.
      const body = JSON.stringify({
        id: `evt_e2e_${randomUUID()}`,
        object: 'event',
        type: 'payment.captured',
        created: Math.floor(Date.now() / 1000),
        data: {
          paymentId: orderId,
          orderId,
          providerPaymentId: capture?.data.providerPaymentId,
          amount: capture?.data.amount,
        },
      });
      for (const _ of range(2)) {
        const delivered = await postWebhook(
          tally,
          body,
          signWebhookPayload(body, WEBHOOK_SECRET, new Date()),
        );
        expect(delivered.status).toBe(200);
      }

      const placed = await probe.ofTypes(['CartCheckedOut', 'OrderPlaced']);
      expect(placed.filter((event) => event.data.cartId === cartId).map((event) => event.type)).toEqual([
        'CartCheckedOut',
        'OrderPlaced',
      ]);
      expect(await probe.stream(paymentStreamId(orderId))).toEqual(captured);
      expect(await probe.count('PaymentCaptured', [orderId])).toBe(1);
      expect(await probe.count('OrderPaymentCaptured', [orderId])).toBe(1);
      // The provider moved the money once: one capture request reached it, one payment is captured.
      const { rows } = await probe.sql.query<{ captures: string; amount_captured: string }>(
        `SELECT (SELECT count(*) FROM simulated_payment_requests r
                  WHERE r.operation = 'capture' AND r.request->>'providerPaymentId' = p.provider_payment_id) AS captures,
                p.amount_captured
         FROM simulated_payments p WHERE p.order_id = $1`,
        [orderId],
      );
      expect(rows).toEqual([{ captures: '1', amount_captured: String(order.totals.total.amount) }]);
    });
  });

  describe('(c) a declined payment', () => {
    it('cancels the order with payment_declined and releases every reservation', async () => {
      const skus = [`DEC-A-${run}`, `DEC-B-${run}`];
      for (const sku of skus) await shop.stockProduct(sku, 3);
      const cartId = await shop.cart([
        { sku: skus[0] ?? '', quantity: 2 },
        { sku: skus[1] ?? '', quantity: 1 },
      ]);
      const orderId = await shop.placeOrder(cartId, checkoutRequest('pm_card_chargeDeclined'));

      const order = await shop.waitForOrder(orderId, (view) => view.status === 'cancelled');
      expect(order).toMatchObject({
        cancellationReason: 'payment_declined',
        payment: { status: 'declined', declineReason: 'card_declined' },
      });
      await waitUntil(
        'every reservation released',
        async () => (await probe.activeCheckouts([orderId])) === 0,
      );
      for (const sku of skus) {
        const ledger = replayStock(await probe.stream(stockStreamId(sku)));
        expect(ledger.anomalies).toEqual([]);
        expect(ledger.reservations.get(orderId)?.state).toBe('released');
        expect(ledger.available).toBe(3);
      }
      expect(await probe.count('PaymentCaptured', [orderId])).toBe(0);
    });
  });

  describe('(f) two lines of one SKU', () => {
    // The cart merges adds of one SKU into one line, so no cart the API builds has two. The checkout process
    // places orders from CartCheckedOut alone: this test appends such an event (as a cart written by another
    // client of the store would have) and lets the running processes take it from there.
    it('reserves the sum of the lines, not each line alone (CartCheckedOut with two lines of one SKU appended to the store)', async () => {
      const sku = `SUM-${run}`;
      await shop.stockProduct(sku, 5, 1000);

      const checkOut = async (quantities: readonly number[]) => {
        const cartId = randomUUID();
        const orderId = randomUUID();
        const lines = quantities.map((quantity) => ({
          sku,
          name: `Product ${sku}`,
          quantity,
          unitPrice: { amount: 1000, currency: 'EUR' },
          lineTotal: { amount: 1000 * quantity, currency: 'EUR' },
        }));
        const total = quantities.reduce((sum, quantity) => sum + 1000 * quantity, 0);
        await probe.appendNew(cartStreamId(cartId), 'CartCheckedOut', {
          cartId,
          orderId,
          lines,
          total: { amount: total, currency: 'EUR' },
          customerId: null,
          checkout: {
            email: 'grace@example.com',
            shippingAddress: checkoutRequest().shippingAddress,
            shippingMethod: {
              id: 'standard',
              name: 'Standard delivery',
              price: { amount: 490, currency: 'EUR' },
            },
            paymentMethodId: 'pm_card_visa',
          },
        });
        return orderId;
      };

      // 3 + 3 of 5: each line alone would fit, their sum does not.
      const tooMany = await checkOut([3, 3]);
      const refused = await shop.waitForOrder(tooMany);
      expect(refused).toMatchObject({ status: 'cancelled', cancellationReason: 'out_of_stock' });
      expect(refused.lines.map((line) => line.quantity)).toEqual([3, 3]);
      const rejections = await probe.ofTypes(['StockReservationRejected'], [tooMany]);
      expect(rejections.map((event) => event.data)).toEqual([
        expect.objectContaining({ sku, requested: 6, available: 5 }),
      ]);

      // 2 + 2 of 5: one reservation of 4, leaving 1.
      const fits = await checkOut([2, 2]);
      expect(await shop.waitForOrder(fits)).toMatchObject({ status: 'confirmed' });
      const reserved = await probe.ofTypes(['StockReserved'], [fits]);
      expect(reserved.map((event) => event.data)).toEqual([expect.objectContaining({ sku, quantity: 4 })]);
      const ledger = replayStock(await probe.stream(stockStreamId(sku)));
      expect(ledger.anomalies).toEqual([]);
      expect(ledger.available).toBe(1);
    });
  });

  describe('the order page', () => {
    it('shows status, lines, totals, payment and a timeline, waiting for the consistency token of the last write', async () => {
      const sku = `PAGE-${run}`;
      await shop.stockProduct(sku, 10, 1999);
      const cartId = await shop.cart([{ sku, quantity: 3 }]);
      const orderId = await shop.placeOrder(cartId, { ...checkoutRequest(), shippingMethod: 'express' });
      await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');

      const shipped = await shop.command('POST', `/api/v1/orders/${orderId}/ship`, {
        carrier: 'DHL',
        trackingNumber: 'TRK-1',
      });
      // The token of the ship command: the very next read shows the shipment, no polling.
      const page = await shop.query<OrderView>(`/api/v1/orders/${orderId}`, shipped.token);
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({
        orderId,
        status: 'shipped',
        cancellationReason: null,
        email: 'ada@example.com',
        lines: [
          {
            sku,
            quantity: 3,
            unitPrice: { amount: 1999, currency: 'EUR' },
            lineTotal: { amount: 5997, currency: 'EUR' },
          },
        ],
        shippingMethod: { id: 'express' },
        shipment: { carrier: 'DHL', trackingNumber: 'TRK-1' },
        payment: { status: 'captured' },
      });
      const { subtotal, shipping, tax, total } = page.body.totals;
      expect(subtotal.amount).toBe(5997);
      expect(shipping.amount).toBe(1290);
      expect(total.amount).toBe(subtotal.amount + shipping.amount + tax.amount);
      expect(page.body.payment.amountCaptured).toEqual(total);
      expect(page.body.orderNumber).toMatch(/\S/);
      expect(page.headers.get('etag')).toBe(`"${page.body.version}"`);
      const timeline = page.body.timeline.map((entry) => entry.type);
      expect(timeline).toEqual(
        expect.arrayContaining([
          'OrderPlaced',
          'OrderStockReserved',
          'PaymentAuthorized',
          'OrderConfirmed',
          'PaymentCaptured',
          'OrderShipped',
        ]),
      );
      expect(timeline.indexOf('OrderPlaced')).toBeLessThan(timeline.indexOf('OrderConfirmed'));
      expect(timeline.indexOf('OrderConfirmed')).toBeLessThan(timeline.indexOf('OrderShipped'));
      for (const entry of page.body.timeline) expect(entry.summary).toMatch(/\S/);

      // Shipping committed the reservation, through the checkout process.
      await waitUntil(
        'the reservation committed',
        async () => (await probe.count('StockReservationCommitted', [orderId])) === 1,
      );
    });
  });

  describe('bad input', () => {
    /** Events of a cart's stream and in the whole store: neither may change on a refused checkout. */
    const footprint = async (cartId: string) => ({
      cart: (await probe.stream(cartStreamId(cartId))).length,
      checkedOut: await probe.count('CartCheckedOut'),
      payments: await probe.count('PaymentInitiated'),
    });

    let sku: string;
    beforeAll(async () => {
      sku = `BAD-${run}`;
      await shop.stockProduct(sku, 10);
    });

    it('refuses an unknown cart (404), an empty one and one already checked out (409), writing nothing', async () => {
      const unknown = randomUUID();
      const missing = await shop.checkout(unknown);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('CART_NOT_FOUND');
      expect(await probe.stream(cartStreamId(unknown))).toEqual([]);

      const empty = await shop.cart([]);
      const before = await footprint(empty);
      const refused = await shop.checkout(empty);
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('CART_EMPTY');
      expect(await footprint(empty)).toEqual(before);

      const cartId = await shop.cart([{ sku, quantity: 1 }]);
      const orderId = await shop.placeOrder(cartId);
      await shop.waitForOrder(orderId);
      const after = await footprint(cartId);
      const again = await shop.checkout(cartId);
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('CART_ALREADY_CHECKED_OUT');
      expect(await footprint(cartId)).toEqual(after);
    });

    it.each([
      ['a missing shipping address', 400, 'shippingAddress', { shippingAddress: undefined }],
      [
        'an address without a city',
        400,
        'shippingAddress.city',
        { shippingAddress: { ...checkoutRequest().shippingAddress, city: undefined } },
      ],
      [
        'a country that is not ISO alpha-2',
        400,
        'shippingAddress.country',
        { shippingAddress: { ...checkoutRequest().shippingAddress, country: 'XX' } },
      ],
      ['a missing email', 400, 'email', { email: undefined }],
      ['a malformed email', 400, 'email', { email: 'ada-at-example' }],
      ['an unknown shipping method', 422, 'shippingMethod', { shippingMethod: 'teleport' }],
      [
        'card data instead of a payment method',
        400,
        'payment.paymentMethodId',
        { payment: { paymentMethodId: '4242424242424242' } },
      ],
    ] as const)('refuses %s with %i naming %s, writing nothing', async (_case, status, field, change) => {
      const cartId = await shop.cart([{ sku, quantity: 1 }]);
      const before = await footprint(cartId);
      const response = await shop.checkout(cartId, { ...checkoutRequest(), ...change });
      expect(response.status).toBe(status);
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
      expect(await footprint(cartId)).toEqual(before);
    });

    it('refuses a webhook with a bad signature or a replayed timestamp (400), recording nothing and moving no money', async () => {
      const cartId = await shop.cart([{ sku, quantity: 1 }]);
      const orderId = await shop.placeOrder(cartId);
      await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');
      // The saga records the capture on the order after the read model shows it; after that the order
      // waits for shipping, so anything appended below can only come from the webhooks.
      await waitUntil(
        'the capture recorded on the order',
        async () => (await probe.count('OrderPaymentCaptured', [orderId])) === 1,
      );
      const payment = await probe.stream(paymentStreamId(orderId));
      const authorized = payment.find((event) => event.type === 'PaymentAuthorized');
      const refund = JSON.stringify({
        id: `evt_e2e_${randomUUID()}`,
        object: 'event',
        type: 'payment.refunded',
        created: Math.floor(Date.now() / 1000),
        data: {
          paymentId: orderId,
          orderId,
          providerPaymentId: authorized?.data.providerPaymentId,
          providerRefundId: `re_e2e_${randomUUID()}`,
          refundId: null,
          amount: authorized?.data.amount,
        },
      });
      const money = async () =>
        (
          await probe.sql.query(
            'SELECT status, amount_captured, amount_refunded FROM simulated_payments WHERE order_id = $1',
            [orderId],
          )
        ).rows;
      const moneyBefore = await money();
      const eventsBefore = await probe.concerning(orderId);

      const forged = await postWebhook(
        tally,
        refund,
        signWebhookPayload(refund, 'whsec_not_the_secret', new Date()),
      );
      expect(forged.status).toBe(400);
      expect(forged.body).toMatchObject({ errors: [{ field: 'header.Stripe-Signature' }] });

      const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
      const replayed = await postWebhook(
        tally,
        refund,
        signWebhookPayload(refund, WEBHOOK_SECRET, tenMinutesAgo),
      );
      expect(replayed.status).toBe(400);
      expect(replayed.body).toMatchObject({ errors: [{ field: 'header.Stripe-Signature' }] });

      const unsigned = await postWebhook(tally, refund, undefined);
      expect(unsigned.status).toBe(400);

      expect(await probe.concerning(orderId)).toEqual(eventsBefore);
      expect(await probe.stream(paymentStreamId(orderId))).toEqual(payment);
      expect(await money()).toEqual(moneyBefore);
    });
  });

  describe('isolation', () => {
    it("relays this run's events into a JetStream stream of its own NATS_PREFIX", async () => {
      const prefix = tally.natsPrefix ?? '';
      expect(prefix).toMatch(/^t_/);
      const nats = await connect({ servers: tally.natsUrl });
      try {
        const jsm = await jetstreamManager(nats);
        const info = await jsm.streams.info(eventStreamName(prefix));
        expect(info.config.subjects).toEqual([`${prefix}.events.>`]);
        // Everything in the store went there (the relay is caught up once the processes are idle).
        await waitUntil('the relay to catch up', async () => {
          const state = (await jsm.streams.info(eventStreamName(prefix))).state;
          return state.messages === (await probe.total());
        });
      } finally {
        await nats.close();
      }
      // And the checkout processes recorded what they observed in their own streams.
      const orders = await probe.ofTypes(['OrderPlaced']);
      const first = String(orders[0]?.data.orderId);
      expect((await probe.stream(checkoutStreamId(first))).length).toBeGreaterThan(0);
      expect((await probe.stream(orderStreamId(first)))[0]?.type).toBe('OrderPlaced');
    });
  });
});

/** POSTs a webhook body as the provider would: the exact bytes that were signed. */
async function postWebhook(
  tally: RunningTally,
  body: string,
  signature: string | undefined,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${tally.commandApi}/api/v1/payments/webhooks/simulated`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { [SIGNATURE_HEADER]: signature } : {}) },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
