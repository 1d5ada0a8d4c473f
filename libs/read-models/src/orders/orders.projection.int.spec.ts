import { randomUUID } from 'node:crypto';
import { migrate, type SqlClient } from '@tally/database';
import { orderStreamId, paymentStreamId } from '@tally/domain';
import type { JsonValue, RecordedEvent } from '@tally/event-store';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { tableDigests } from '../batch';
import type { Projection } from '../projection';
import { readModelMigrations } from '../read-models.migrations';
import { type EventToAppend, startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { ordersPerEventReference } from './orders-per-event.reference';
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

describe('orders projection over batches', () => {
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  const money = (amount: number) => ({ amount: eur(amount) });
  const ROW_ORDER = { orders: 'order_id COLLATE "C"', order_timeline: 'stream_id COLLATE "C", version' };

  /** A log written by hand: each event one minute after the one before, in the order they are added. */
  class OrderLog {
    /** Every event once, in log order. */
    readonly events: RecordedEvent[] = [];
    /** What the projection is given: the log with some events delivered a second time. */
    readonly delivered: RecordedEvent[] = [];
    private readonly versions = new Map<string, number>();

    order(orderId: string, type: string, data: Record<string, JsonValue> = {}): RecordedEvent {
      return this.add(orderStreamId(orderId), type, { orderId, ...data });
    }

    payment(paymentId: string, orderId: string, type: string, data: Record<string, JsonValue> = {}) {
      return this.add(paymentStreamId(paymentId), type, { paymentId, orderId, ...data });
    }

    /** Delivers `event` again (a redelivery, or a replay overlapping the log). */
    again(event: RecordedEvent): void {
      this.delivered.push(event);
    }

    private add(streamId: string, type: string, data: Record<string, JsonValue>): RecordedEvent {
      const version = (this.versions.get(streamId) ?? 0) + 1;
      this.versions.set(streamId, version);
      const n = this.events.length + 1;
      const at = new Date(Date.parse('2030-03-01T08:00:00.000Z') + n * 60_000).toISOString();
      const id = randomUUID();
      const event: RecordedEvent = {
        eventId: randomUUID(),
        streamId,
        version,
        type,
        data,
        position: String(n).padStart(12, '0'),
        recordedAt: at,
        metadata: {
          commandId: id,
          correlationId: id,
          causationId: id,
          actor: { id: 'test', role: 'system' },
          occurredAt: at,
          schemaVersion: 1,
        },
      };
      this.events.push(event);
      this.delivered.push(event);
      return event;
    }
  }

  const at = (event: RecordedEvent) => event.metadata.occurredAt;
  const placed = (cartId: string): Record<string, JsonValue> => ({
    cartId,
    customerId: null,
    email: 'grace@example.com',
    lines: [{ sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: eur(3234), lineTotal: eur(6468) }],
    shippingAddress: { name: 'Grace Hopper', line1: '1 Compiler Way', city: 'Arlington', country: 'US' },
    shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(0) },
    taxRateBasisPoints: 0,
    totals: { subtotal: eur(6468), shipping: eur(0), tax: eur(0), total: eur(6468) },
    paymentMethodId: 'pm_card_visa',
    placedAt: '2030-03-01T08:00:00.000Z',
  });
  const initiated = { ...money(6468), provider: 'simulated', paymentMethodId: 'pm_card_visa' };

  const schemas: TestSchema[] = [];
  afterEach(async () => {
    await Promise.all(schemas.splice(0).map((db) => db.drop()));
  });

  /** A fresh schema with the read-model tables and nothing projected. */
  const freshTables = async (): Promise<SqlClient> => {
    const db = await createTestSchema('orders');
    schemas.push(db);
    await migrate(db.client, [readModelMigrations]);
    return db.client;
  };
  const inBatches = async (
    sql: SqlClient,
    events: readonly RecordedEvent[],
    size: number,
    projection: Projection = ordersProjection,
  ) => {
    for (let i = 0; i < events.length; i += size) {
      await sql.transaction((tx) => projection.apply(tx, events.slice(i, i + size)));
    }
  };

  it('builds the same tables however the events are batched, and replaying them changes nothing', async () => {
    const log = new OrderLog();
    // A: paid, shipped, delivered, then refunded in two parts.
    // B: declined, paid by a retry, shipped without tracking, partly refunded.
    // C: declined and cancelled. E: cancelled for lack of stock, its authorization voided.
    // U: never placed; only its payment and one order event arrive.
    const [a, b, c, e, u] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const [payA, payB1, payB2] = [randomUUID(), randomUUID(), randomUUID()];
    const [payC, payE, payU] = [randomUUID(), randomUUID(), randomUUID()];

    const placedA = log.order(a, 'OrderPlaced', placed('cart-a'));
    log.again(placedA);
    log.order(b, 'OrderPlaced', placed('cart-b'));
    log.order(a, 'OrderNumberAssigned', { orderNumber: 1, formatted: 'TL-000001' });
    log.payment(payU, u, 'PaymentInitiated', initiated);
    log.again(placedA);
    log.order(b, 'OrderNumberAssigned', { orderNumber: 2, formatted: 'TL-000002' });
    log.order(a, 'OrderStockReserved');
    const initiatedA = log.payment(payA, a, 'PaymentInitiated', initiated);
    log.order(c, 'OrderPlaced', placed('cart-c'));
    log.order(b, 'OrderStockReserved');
    log.payment(payB1, b, 'PaymentInitiated', initiated);
    log.payment(payA, a, 'PaymentAuthorized', { providerPaymentId: 'pi_a', ...money(6468) });
    log.payment(payB1, b, 'PaymentDeclined', {
      providerPaymentId: null,
      reason: 'card_declined',
      message: '',
    });
    log.order(a, 'OrderPaymentAuthorized', { paymentId: payA, ...money(6468) });
    log.order(c, 'OrderStockReserved');
    const retryB = log.payment(payB2, b, 'PaymentInitiated', initiated);
    const confirmedA = log.order(a, 'OrderConfirmed');
    log.payment(payC, c, 'PaymentInitiated', initiated);
    log.payment(payB2, b, 'PaymentAuthorized', { providerPaymentId: 'pi_b2', ...money(6468) });
    // A late event of B's first payment is history, not the state of the payment shown.
    log.payment(payB1, b, 'PaymentVoided', { providerPaymentId: 'pi_b1' });
    log.payment(payA, a, 'PaymentCaptured', { providerPaymentId: 'pi_a', ...money(6468) });
    log.payment(payC, c, 'PaymentDeclined', {
      providerPaymentId: null,
      reason: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    });
    log.order(b, 'OrderPaymentAuthorized', { paymentId: payB2, ...money(6468) });
    log.order(a, 'OrderPaymentCaptured', { paymentId: payA, ...money(6468) });
    const cancelledC = log.order(c, 'OrderCancelled', {
      reason: 'payment_declined',
      detail: 'insufficient_funds',
    });
    log.again(cancelledC);
    log.order(b, 'OrderConfirmed');
    log.payment(payU, u, 'PaymentAuthorized', { providerPaymentId: 'pi_u', ...money(6468) });
    log.payment(payB2, b, 'PaymentCaptured', { providerPaymentId: 'pi_b2', ...money(6468) });
    log.order(e, 'OrderPlaced', placed('cart-e'));
    log.order(b, 'OrderPaymentCaptured', { paymentId: payB2, ...money(6468) });
    log.order(a, 'OrderShipped', { carrier: 'DHL', trackingNumber: 'JD0001' });
    log.payment(payE, e, 'PaymentInitiated', initiated);
    log.payment(payE, e, 'PaymentAuthorized', { providerPaymentId: 'pi_e', ...money(6468) });
    log.order(e, 'OrderCancelled', { reason: 'out_of_stock', detail: null });
    const voidedE = log.payment(payE, e, 'PaymentVoided', { providerPaymentId: 'pi_e' });
    log.order(a, 'OrderDelivered');
    log.order(b, 'OrderShipped', { carrier: null, trackingNumber: null });
    log.order(a, 'OrderRefundRequested', { refundId: 'r1', ...money(1000), reason: 'Mug arrived chipped' });
    const refundA1 = log.payment(payA, a, 'PaymentRefunded', {
      refundId: 'r1',
      providerRefundId: 're_1',
      ...money(1000),
    });
    log.again(refundA1);
    log.order(a, 'OrderRefunded', { refundId: 'r1', ...money(1000) });
    log.order(u, 'OrderConfirmed');
    log.order(a, 'OrderRefundRequested', { refundId: 'r2', ...money(5468), reason: '' });
    const refundA2 = log.payment(payA, a, 'PaymentRefunded', {
      refundId: 'r2',
      providerRefundId: 're_2',
      ...money(5468),
    });
    const refundedA = log.order(a, 'OrderRefunded', { refundId: 'r2', ...money(5468) });
    log.again(refundA1);
    log.order(b, 'OrderRefundRequested', { refundId: 'r3', ...money(500), reason: '' });
    log.payment(payB2, b, 'PaymentRefunded', { refundId: 'r3', providerRefundId: 're_3', ...money(500) });
    const refundedB = log.order(b, 'OrderRefunded', { refundId: 'r3', ...money(500) });
    // An order event delivered again after later ones must not take the order back; a payment started
    // again by a redelivery must not start its amounts again.
    log.again(confirmedA);
    log.again(retryB);
    log.again(initiatedA);
    log.again(refundA2);

    // (a) one batch.
    const oneBatch = await freshTables();
    await inBatches(oneBatch, log.delivered, log.delivered.length);
    const digests = await tableDigests(oneBatch, ROW_ORDER);

    const { rows: orders } = await oneBatch.query(
      `SELECT order_id, order_number, status, cancellation_reason, payment_id, payment_version, payment_status,
         amount_authorized::int AS authorized, amount_captured::int AS captured,
         amount_refunded::int AS refunded, decline_reason, shipped, carrier, tracking_number,
         to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at, version
       FROM orders ORDER BY updated_at`,
    );
    const row = (orderId: string, fields: Record<string, unknown>) => ({
      order_id: orderId,
      order_number: null,
      cancellation_reason: null,
      decline_reason: null,
      shipped: false,
      carrier: null,
      tracking_number: null,
      ...fields,
    });
    expect(orders).toEqual([
      row(c, {
        status: 'cancelled',
        cancellation_reason: 'payment_declined',
        payment_id: payC,
        payment_version: 2,
        payment_status: 'declined',
        ...{ authorized: 0, captured: 0, refunded: 0 },
        decline_reason: 'insufficient_funds',
        updated_at: at(cancelledC),
        version: 3,
      }),
      row(e, {
        status: 'cancelled',
        cancellation_reason: 'out_of_stock',
        payment_id: payE,
        payment_version: 3,
        payment_status: 'voided',
        ...{ authorized: 6468, captured: 0, refunded: 0 },
        updated_at: at(voidedE),
        version: 2,
      }),
      row(a, {
        order_number: 'TL-000001',
        status: 'delivered',
        payment_id: payA,
        payment_version: 5,
        payment_status: 'refunded',
        ...{ authorized: 6468, captured: 6468, refunded: 6468 },
        shipped: true,
        carrier: 'DHL',
        tracking_number: 'JD0001',
        updated_at: at(refundedA),
        version: 12,
      }),
      row(b, {
        order_number: 'TL-000002',
        status: 'shipped',
        payment_id: payB2,
        payment_version: 4,
        payment_status: 'partially_refunded',
        ...{ authorized: 6468, captured: 6468, refunded: 500 },
        shipped: true,
        updated_at: at(refundedB),
        version: 9,
      }),
    ]);
    // Every event of a placed order is in its timeline once; nothing of the order never placed is.
    const { rows: timeline } = await oneBatch.query<{ event_id: string }>(
      'SELECT event_id FROM order_timeline ORDER BY position',
    );
    expect(timeline.map((row) => row.event_id)).toEqual(
      log.events
        .filter((event) => (event.data as { orderId: string }).orderId !== u)
        .map((event) => event.eventId),
    );
    expect(timeline).toHaveLength(43);

    // (b) one event per batch, (c) batches of 3, and today's statements one event at a time.
    const builds: Record<string, [number, Projection]> = {
      'one event per batch': [1, ordersProjection],
      'batches of 3': [3, ordersProjection],
      'the per-event reference': [1, ordersPerEventReference],
    };
    for (const [build, [size, projection]] of Object.entries(builds)) {
      const other = await freshTables();
      await inBatches(other, log.delivered, size, projection);
      expect({ build, ...(await tableDigests(other, ROW_ORDER)) }).toEqual({ build, ...digests });
    }

    // (d) everything again, as one batch and in batches of 3.
    await inBatches(oneBatch, log.delivered, log.delivered.length);
    await inBatches(oneBatch, log.delivered, 3);
    expect(await tableDigests(oneBatch, ROW_ORDER)).toEqual(digests);
  });

  it('ignores the events of an order that come before it is placed in the same batch, as one at a time', async () => {
    const log = new OrderLog();
    const [orderId, paymentId] = [randomUUID(), randomUUID()];
    log.payment(paymentId, orderId, 'PaymentInitiated', initiated);
    const placedEvent = log.order(orderId, 'OrderPlaced', placed('cart'));
    const authorized = log.payment(paymentId, orderId, 'PaymentAuthorized', {
      providerPaymentId: 'pi',
      ...money(6468),
    });

    const batched = await freshTables();
    await inBatches(batched, log.delivered, log.delivered.length);
    const reference = await freshTables();
    await inBatches(reference, log.delivered, 1, ordersPerEventReference);

    expect(await tableDigests(batched, ROW_ORDER)).toEqual(await tableDigests(reference, ROW_ORDER));
    const { rows } = await batched.query(
      `SELECT o.payment_id, o.payment_status, o.amount_authorized::int AS authorized, o.version,
         array_agg(t.event_id ORDER BY t.position) AS timeline
       FROM orders o JOIN order_timeline t USING (order_id) GROUP BY o.order_id`,
    );
    // The authorization is recorded (the order is known by then) but is not about the payment shown: none.
    expect(rows).toEqual([
      {
        payment_id: null,
        payment_status: 'none',
        authorized: 0,
        version: 1,
        timeline: [placedEvent.eventId, authorized.eventId],
      },
    ]);
  });

  it('fails a batch holding a malformed event as a whole, and that event alone, as it did one at a time', async () => {
    const log = new OrderLog();
    const [orderId, paymentId] = [randomUUID(), randomUUID()];
    log.order(orderId, 'OrderPlaced', placed('cart'));
    log.payment(paymentId, orderId, 'PaymentInitiated', initiated);
    const malformed = log.payment(paymentId, orderId, 'PaymentAuthorized', {
      providerPaymentId: 'pi',
      ...money(64.68),
    });
    // A later initiation would leave valid rows behind: the error must come from the event itself.
    log.payment(randomUUID(), orderId, 'PaymentInitiated', initiated);

    const sql = await freshTables();
    await expect(inBatches(sql, log.delivered, log.delivered.length)).rejects.toThrow();
    expect(await tableDigests(sql, ROW_ORDER)).toEqual(await tableDigests(await freshTables(), ROW_ORDER));

    const reference = await freshTables();
    for (const event of log.delivered) {
      const outcome = (sql: SqlClient, projection: Projection) =>
        sql
          .transaction((tx) => projection.apply(tx, [event]))
          .then(
            () => 'applied',
            () => 'failed',
          );
      const expected = event === malformed ? 'failed' : 'applied';
      expect([
        await outcome(sql, ordersProjection),
        await outcome(reference, ordersPerEventReference),
      ]).toEqual([expected, expected]);
    }
    expect(await tableDigests(sql, ROW_ORDER)).toEqual(await tableDigests(reference, ROW_ORDER));
  });

  it('leaves events of other types alone', async () => {
    const sql = await freshTables();
    const log = new OrderLog();
    await inBatches(
      sql,
      [{ ...log.order(randomUUID(), 'OrderPlaced', placed('cart')), type: 'CartOpened' }],
      1,
    );
    expect((await sql.query('SELECT * FROM orders')).rows).toEqual([]);
  });
});
