import { randomUUID } from 'node:crypto';
import { orderStreamId, paymentStreamId } from '@tally/domain';
import type { JsonValue, RecordedEvent } from '@tally/event-store';
import { type EventToAppend, startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { ordersProjection } from './orders.projection';
import { getOrder, listOrders, type OrderView } from './orders.queries';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const T0 = '2030-01-02T03:04:05.000Z';

describe('orders read model', () => {
  let h: ReadModelHarness;
  let orderId: string;
  let paymentId: string;

  beforeEach(async () => {
    h = await startReadModels([ordersProjection]);
    orderId = randomUUID();
    paymentId = randomUUID();
  });
  afterEach(async () => {
    try {
      // Business data never poisons this projection; a failing handler would show up here.
      expect(await poisonEvents()).toEqual([]);
    } finally {
      await h.close();
    }
  });

  type Event = { type: string; data: Record<string, JsonValue>; occurredAt?: string };
  const appendTo = async (streamId: string, id: Record<string, string>, events: Event[]) => {
    const token = await h.append(
      streamId,
      events.map((event): EventToAppend => ({
        type: event.type,
        data: { ...id, ...event.data },
        ...(event.occurredAt ? { occurredAt: event.occurredAt } : {}),
      })),
    );
    expect(await h.caughtUp(token)).toBe(true);
  };
  const toOrder = (...events: Event[]) => appendTo(orderStreamId(orderId), { orderId }, events);
  const toPayment = (...events: Event[]) =>
    appendTo(paymentStreamId(paymentId), { paymentId, orderId }, events);
  const poisonEvents = async () => (await h.sql.query('SELECT event_id FROM projection_poison_events')).rows;

  const lines = [
    { sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: eur(1200), lineTotal: eur(2400) },
    { sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) },
  ];
  const totals = { subtotal: eur(4900), shipping: eur(490), tax: eur(1078), total: eur(6468) };
  const address = {
    name: 'Ada Lovelace',
    line1: '1 Analytical St',
    city: 'London',
    postalCode: 'N1',
    country: 'GB',
  };
  const placed = (overrides: Record<string, JsonValue> = {}): Event => ({
    type: 'OrderPlaced',
    data: {
      cartId: randomUUID(),
      customerId: 'c0ffee00-0000-4000-8000-000000000001',
      email: 'ada@example.com',
      lines,
      shippingAddress: address,
      shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
      taxRateBasisPoints: 2000,
      totals,
      paymentMethodId: 'pm_card_visa',
      placedAt: T0,
      ...overrides,
    },
  });
  const initiated: Event = {
    type: 'PaymentInitiated',
    data: { amount: eur(6468), provider: 'simulated', paymentMethodId: 'pm_card_visa' },
  };
  const authorized: Event = {
    type: 'PaymentAuthorized',
    data: { providerPaymentId: 'pi_1', amount: eur(6468) },
  };
  const captured: Event = { type: 'PaymentCaptured', data: { providerPaymentId: 'pi_1', amount: eur(6468) } };
  const refunded = (refundId: string, amount: number): Event => ({
    type: 'PaymentRefunded',
    data: { refundId, providerRefundId: `re_${refundId}`, amount: eur(amount) },
  });

  /** Placed, numbered, reserved, paid, confirmed and captured: what a successful checkout leaves. */
  const checkedOut = async () => {
    await toOrder(placed(), {
      type: 'OrderNumberAssigned',
      data: { orderNumber: 42, formatted: 'TL-000042' },
    });
    await toPayment(initiated);
    await toOrder({ type: 'OrderStockReserved', data: {} });
    await toPayment(authorized);
    await toOrder(
      { type: 'OrderPaymentAuthorized', data: { paymentId, amount: eur(6468) } },
      { type: 'OrderConfirmed', data: {} },
    );
    await toPayment(captured);
    await toOrder({ type: 'OrderPaymentCaptured', data: { paymentId, amount: eur(6468) } });
  };

  it('is null for an order never placed', async () => {
    expect(await getOrder(h.sql, orderId)).toBeNull();
  });

  it('shows a placed order as pending, unnumbered and unpaid, with its snapshot and first timeline entry', async () => {
    const cartId = randomUUID();
    await toOrder(placed({ cartId }));

    const order = await getOrder(h.sql, orderId);
    expect(order).toEqual<OrderView>({
      orderId,
      orderNumber: null,
      status: 'pending',
      cancellationReason: null,
      customerId: 'c0ffee00-0000-4000-8000-000000000001',
      cartId,
      email: 'ada@example.com',
      lines,
      totals,
      shippingAddress: address,
      shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
      payment: {
        status: 'none',
        amountAuthorized: eur(0),
        amountCaptured: eur(0),
        amountRefunded: eur(0),
        declineReason: null,
      },
      shipment: null,
      placedAt: T0,
      updatedAt: T0,
      version: 1,
      timeline: [
        {
          at: T0,
          type: 'OrderPlaced',
          summary: 'Order placed: 3 items, total €64.68',
          eventId: expect.any(String) as string,
          streamId: orderStreamId(orderId),
          version: 1,
        },
      ],
    });
  });

  describe('when checked out successfully', () => {
    beforeEach(checkedOut);

    it('is confirmed with its number and the captured payment', async () => {
      const order = await getOrder(h.sql, orderId);
      expect(order).toMatchObject({
        orderNumber: 'TL-000042',
        status: 'confirmed',
        cancellationReason: null,
        payment: {
          status: 'captured',
          amountAuthorized: eur(6468),
          amountCaptured: eur(6468),
          amountRefunded: eur(0),
          declineReason: null,
        },
        shipment: null,
        version: 6,
      });
    });

    it('tells the order and payment events apart in one timeline, in the order they happened', async () => {
      const order = await getOrder(h.sql, orderId);
      const [orderStream, paymentStream] = [orderStreamId(orderId), paymentStreamId(paymentId)];
      expect(
        order?.timeline.map((entry) => [entry.streamId, entry.version, entry.type, entry.summary]),
      ).toEqual([
        [orderStream, 1, 'OrderPlaced', 'Order placed: 3 items, total €64.68'],
        [orderStream, 2, 'OrderNumberAssigned', 'Order number TL-000042 assigned'],
        [paymentStream, 1, 'PaymentInitiated', 'Payment of €64.68 started with the simulated provider'],
        [orderStream, 3, 'OrderStockReserved', 'Stock reserved for every line'],
        [paymentStream, 2, 'PaymentAuthorized', 'Payment authorized (€64.68)'],
        [orderStream, 4, 'OrderPaymentAuthorized', 'Authorized payment recorded on the order (€64.68)'],
        [orderStream, 5, 'OrderConfirmed', 'Order confirmed'],
        [paymentStream, 3, 'PaymentCaptured', 'Payment captured (€64.68)'],
        [orderStream, 6, 'OrderPaymentCaptured', 'Captured payment recorded on the order (€64.68)'],
      ]);
      const stored = [
        ...(await h.store.readStream(orderStream)),
        ...(await h.store.readStream(paymentStream)),
      ];
      for (const entry of order?.timeline ?? []) {
        expect(stored.find((event) => event.eventId === entry.eventId)).toMatchObject({
          streamId: entry.streamId,
          version: entry.version,
          type: entry.type,
        });
      }
    });

    it('shows the shipment once shipped, and delivered after that', async () => {
      await toOrder({
        type: 'OrderShipped',
        data: { carrier: 'DHL', trackingNumber: 'JD0001' },
        occurredAt: '2030-01-03T10:00:00.000Z',
      });
      expect(await getOrder(h.sql, orderId)).toMatchObject({
        status: 'shipped',
        shipment: { carrier: 'DHL', trackingNumber: 'JD0001' },
        placedAt: T0,
        updatedAt: '2030-01-03T10:00:00.000Z',
        version: 7,
      });

      await toOrder({ type: 'OrderDelivered', data: {}, occurredAt: '2030-01-05T12:30:00.000Z' });
      const order = await getOrder(h.sql, orderId);
      expect(order).toMatchObject({
        status: 'delivered',
        shipment: { carrier: 'DHL', trackingNumber: 'JD0001' },
        updatedAt: '2030-01-05T12:30:00.000Z',
        version: 8,
      });
      expect(order?.timeline.slice(-2).map((entry) => [entry.at, entry.summary])).toEqual([
        ['2030-01-03T10:00:00.000Z', 'Order shipped with DHL, tracking JD0001'],
        ['2030-01-05T12:30:00.000Z', 'Order delivered'],
      ]);
    });

    it('shows a shipment without carrier or tracking number as such', async () => {
      await toOrder({ type: 'OrderShipped', data: { carrier: null, trackingNumber: null } });

      expect(await getOrder(h.sql, orderId)).toMatchObject({
        status: 'shipped',
        shipment: { carrier: null, trackingNumber: null },
      });
    });

    it('adds partial refunds up until the captured amount is refunded', async () => {
      await toOrder({
        type: 'OrderRefundRequested',
        data: { refundId: 'r1', amount: eur(1000), reason: 'Mug arrived chipped' },
      });
      await toPayment(refunded('r1', 1000));
      await toOrder({ type: 'OrderRefunded', data: { refundId: 'r1', amount: eur(1000) } });

      expect((await getOrder(h.sql, orderId))?.payment).toEqual({
        status: 'partially_refunded',
        amountAuthorized: eur(6468),
        amountCaptured: eur(6468),
        amountRefunded: eur(1000),
        declineReason: null,
      });

      await toOrder({
        type: 'OrderRefundRequested',
        data: { refundId: 'r2', amount: eur(5468), reason: '' },
      });
      await toPayment(refunded('r2', 5468));
      await toOrder({ type: 'OrderRefunded', data: { refundId: 'r2', amount: eur(5468) } });

      const order = await getOrder(h.sql, orderId);
      expect(order?.payment).toMatchObject({ status: 'refunded', amountRefunded: eur(6468) });
      // Refunds do not change the order's status (still one of the five the API promises).
      expect(order?.status).toBe('confirmed');
      expect(order?.timeline.slice(-6).map((entry) => entry.summary)).toEqual([
        'Refund of €10.00 requested: Mug arrived chipped',
        'Refund paid out (€10.00)',
        'Refund recorded on the order (€10.00)',
        'Refund of €54.68 requested',
        'Refund paid out (€54.68)',
        'Refund recorded on the order (€54.68)',
      ]);
    });

    it('ignores the events of both streams replayed to it', async () => {
      await toPayment(refunded('r1', 1000));
      const before = await getOrder(h.sql, orderId);
      const history: RecordedEvent[] = [
        ...(await h.store.readStream(orderStreamId(orderId))),
        ...(await h.store.readStream(paymentStreamId(paymentId))),
      ];
      await h.sql.transaction((tx) => ordersProjection.apply(tx, history));
      // One at a time too, as the runner does when it isolates a poison event.
      for (const event of history) await h.sql.transaction((tx) => ordersProjection.apply(tx, [event]));

      expect(await getOrder(h.sql, orderId)).toEqual(before);
      expect(before?.payment.amountRefunded).toEqual(eur(1000));
      expect(before?.timeline).toHaveLength(10);
    });
  });

  describe('when the payment is declined', () => {
    beforeEach(async () => {
      await toOrder(placed(), { type: 'OrderStockReserved', data: {} });
      await toPayment(initiated, {
        type: 'PaymentDeclined',
        data: {
          providerPaymentId: null,
          reason: 'insufficient_funds',
          message: 'Your card has insufficient funds.',
        },
      });
      await toOrder({
        type: 'OrderCancelled',
        data: { reason: 'payment_declined', detail: 'insufficient_funds' },
      });
    });

    it('is cancelled for payment_declined with the provider reason', async () => {
      const order = await getOrder(h.sql, orderId);
      expect(order).toMatchObject({
        status: 'cancelled',
        cancellationReason: 'payment_declined',
        payment: { status: 'declined', amountAuthorized: eur(0), declineReason: 'insufficient_funds' },
      });
      expect(order?.timeline.slice(-2).map((entry) => entry.summary)).toEqual([
        'Payment declined: insufficient_funds (Your card has insufficient funds.)',
        'Order cancelled: payment declined (insufficient_funds)',
      ]);
    });
  });

  it('voids the authorization of an order cancelled for lack of stock', async () => {
    await toOrder(placed());
    await toPayment(initiated, authorized);
    await toOrder({ type: 'OrderCancelled', data: { reason: 'out_of_stock', detail: null } });
    await toPayment({ type: 'PaymentVoided', data: { providerPaymentId: 'pi_1' } });

    const order = await getOrder(h.sql, orderId);
    expect(order).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'out_of_stock',
      payment: { status: 'voided', amountAuthorized: eur(6468), amountCaptured: eur(0) },
    });
    expect(order?.timeline.slice(-2).map((entry) => entry.summary)).toEqual([
      'Order cancelled: out of stock',
      'Payment authorization voided; no money was taken',
    ]);
  });

  it('shows a timed-out payment as initiated on an order cancelled for payment_timeout', async () => {
    await toOrder(placed());
    await toPayment(initiated);
    await toOrder({ type: 'OrderCancelled', data: { reason: 'payment_timeout', detail: null } });

    expect(await getOrder(h.sql, orderId)).toMatchObject({
      status: 'cancelled',
      cancellationReason: 'payment_timeout',
      payment: { status: 'initiated' },
    });
  });

  it('shows the latest payment when a new one is started, and only lists the old one in the timeline', async () => {
    const firstPaymentId = paymentId;
    await toOrder(placed());
    await toPayment(initiated, {
      type: 'PaymentDeclined',
      data: { providerPaymentId: 'pi_1', reason: 'card_declined', message: '' },
    });
    paymentId = randomUUID();
    await toPayment(initiated, authorized);
    // A late event of the first payment is history, not the state of the payment shown.
    await appendTo(paymentStreamId(firstPaymentId), { paymentId: firstPaymentId, orderId }, [
      { type: 'PaymentVoided', data: { providerPaymentId: 'pi_1' } },
    ]);

    const order = await getOrder(h.sql, orderId);
    expect(order?.payment).toEqual({
      status: 'authorized',
      amountAuthorized: eur(6468),
      amountCaptured: eur(0),
      amountRefunded: eur(0),
      declineReason: null,
    });
    expect(order?.timeline.map((entry) => entry.type)).toEqual([
      'OrderPlaced',
      'PaymentInitiated',
      'PaymentDeclined',
      'PaymentInitiated',
      'PaymentAuthorized',
      'PaymentVoided',
    ]);
  });

  it('formats amounts in the currency of the order, with its own minor units', async () => {
    const yen = (amount: number) => ({ amount, currency: 'JPY' });
    await toOrder(
      placed({
        lines: [{ sku: 'TEA', name: 'Tea', quantity: 1, unitPrice: yen(1200), lineTotal: yen(1200) }],
        shippingMethod: { id: 'pickup', name: 'Store pickup', price: yen(0) },
        totals: { subtotal: yen(1200), shipping: yen(0), tax: yen(240), total: yen(1440) },
      }),
    );

    const order = await getOrder(h.sql, orderId);
    expect(order?.totals.total).toEqual(yen(1440));
    expect(order?.payment.amountCaptured).toEqual(yen(0));
    expect(order?.timeline[0]?.summary).toBe('Order placed: 1 item, total ¥1,440');
  });

  it('ignores order and payment events for an order it never saw placed, without a poison event', async () => {
    await toOrder(
      { type: 'OrderNumberAssigned', data: { orderNumber: 7, formatted: 'TL-000007' } },
      { type: 'OrderConfirmed', data: {} },
      { type: 'OrderCancelled', data: { reason: 'customer_request', detail: null } },
    );
    await toPayment(initiated, authorized, refunded('r1', 100));

    expect(await getOrder(h.sql, orderId)).toBeNull();
    expect((await h.sql.query('SELECT * FROM order_timeline')).rows).toEqual([]);
    expect(await poisonEvents()).toEqual([]);
  });

  describe('listing', () => {
    const customer = 'c0ffee00-0000-4000-8000-00000000000a';
    const other = 'c0ffee00-0000-4000-8000-00000000000b';
    /** Places an order at `day` of January 2030; returns its id. */
    const placeAt = async (day: number, customerId: string | null, then: Event[] = []) => {
      orderId = randomUUID();
      await toOrder(
        placed({ customerId, placedAt: `2030-01-${String(day).padStart(2, '0')}T09:00:00.000Z` }),
        ...then,
      );
      return orderId;
    };

    let ids: string[];
    beforeEach(async () => {
      ids = [
        await placeAt(1, customer, [{ type: 'OrderConfirmed', data: {} }]),
        await placeAt(2, other),
        await placeAt(3, customer, [
          { type: 'OrderCancelled', data: { reason: 'customer_request', detail: null } },
        ]),
        await placeAt(4, null),
        await placeAt(5, customer),
      ];
    });

    it('lists every order newest first with its summary', async () => {
      const result = await listOrders(h.sql, { page: 1, pageSize: 10 });

      expect(result.total).toBe(5);
      expect(result.items.map((item) => item.orderId)).toEqual([...ids].reverse());
      expect(result.items[0]).toEqual({
        orderId: ids[4],
        orderNumber: null,
        status: 'pending',
        total: eur(6468),
        placedAt: '2030-01-05T09:00:00.000Z',
      });
    });

    it('filters by customer and by status, together or apart', async () => {
      const ofCustomer = await listOrders(h.sql, { customerId: customer, page: 1, pageSize: 10 });
      expect(ofCustomer.items.map((item) => item.orderId)).toEqual([ids[4], ids[2], ids[0]]);
      expect(ofCustomer.total).toBe(3);

      const pending = await listOrders(h.sql, { status: 'pending', page: 1, pageSize: 10 });
      expect(pending.items.map((item) => item.orderId)).toEqual([ids[4], ids[3], ids[1]]);

      const both = await listOrders(h.sql, {
        customerId: customer,
        status: 'cancelled',
        page: 1,
        pageSize: 10,
      });
      expect(both).toEqual({
        items: [expect.objectContaining({ orderId: ids[2], status: 'cancelled' })],
        total: 1,
        page: 1,
        pageSize: 10,
      });

      expect(await listOrders(h.sql, { customerId: randomUUID(), page: 1, pageSize: 10 })).toEqual({
        items: [],
        total: 0,
        page: 1,
        pageSize: 10,
      });
    });

    it('pages with a total over every page, and an empty page past the end', async () => {
      const pages = [];
      for (const page of [1, 2, 3]) pages.push(await listOrders(h.sql, { page, pageSize: 2 }));

      expect(pages.map((page) => page.items.map((item) => item.orderId))).toEqual([
        [ids[4], ids[3]],
        [ids[2], ids[1]],
        [ids[0]],
      ]);
      expect(pages.map((page) => page.total)).toEqual([5, 5, 5]);
      expect(await listOrders(h.sql, { page: 4, pageSize: 2 })).toEqual({
        items: [],
        total: 5,
        page: 4,
        pageSize: 2,
      });
    });

    it('rejects a page or page size out of range', async () => {
      await expect(listOrders(h.sql, { page: 0, pageSize: 10 })).rejects.toThrow(RangeError);
      await expect(listOrders(h.sql, { page: 1, pageSize: 101 })).rejects.toThrow(RangeError);
      await expect(listOrders(h.sql, { page: 1.5, pageSize: 10 })).rejects.toThrow(RangeError);
    });
  });
});
