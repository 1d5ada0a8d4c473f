import { randomUUID } from 'node:crypto';
import type { SqlClient } from '@tally/database';
import type { JsonValue } from '@tally/event-store';
import type { TestSchema } from '@tally/testing';
import { refreshWarehouseAggregates, WAREHOUSE_AGGREGATES } from '../aggregates/warehouse-aggregates';
import { createWarehouseViews } from '../views/warehouse.views';
import { sweepAbandonedCarts } from './carts';
import { pseudonymizeCustomer } from './pseudonym';
import { warehouseDigest } from './warehouse-digest';
import { createWarehouseProjection } from './warehouse.projection';
import { at, EventLog, project, warehouseSchema } from './warehouse.test-events';

const KEY = 'test-pseudonym-key';
const IDLE = 60;
const projection = createWarehouseProjection({ pseudonymKey: KEY, cartIdleMinutes: IDLE });

describe('warehouse projection', () => {
  let db: TestSchema;
  let sql: SqlClient;
  let log: EventLog;

  beforeEach(async () => {
    ({ db, sql } = await warehouseSchema());
    log = new EventLog();
  });
  afterEach(async () => {
    await db.drop();
  });

  const run = (batchSize?: number) => project(sql, projection, log.events, batchSize);
  const rows = async <Row>(text: string, params: unknown[] = []) => (await sql.query<Row>(text, params)).rows;
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value);

  describe('dim_product', () => {
    const versions = (sku: string) =>
      rows<Record<string, unknown>>(
        `SELECT product_key::text, version, name, category, price_amount::int AS price, status,
           valid_from, valid_to, is_current
         FROM dim_product WHERE sku = $1 ORDER BY version`,
        [sku],
      ).then((found) =>
        found.map((row) => ({ ...row, valid_from: iso(row.valid_from), valid_to: iso(row.valid_to) })),
      );

    it('opens a version per price or category change; name and status change every version in place', async () => {
      const sku = `MUG-${randomUUID()}`;
      const created = log.productCreated(sku, at(0), 1200);
      log.record(`product-${sku}`, 'ProductPublished', { sku }, at(1));
      const repriced = log.priceChanged(sku, at(10), 1500, 1200);
      log.detailsChanged(sku, at(20), { name: 'Big mug' });
      const moved = log.detailsChanged(sku, at(30), { category: 'kitchen' });
      log.detailsChanged(sku, at(31), { category: 'kitchen' });
      log.record(`product-${sku}`, 'ProductDiscontinued', { sku }, at(40));

      await run(3);

      const common = { name: 'Big mug', status: 'discontinued' };
      expect(await versions(sku)).toEqual([
        {
          ...common,
          product_key: created.eventId,
          version: 1,
          category: 'mugs',
          price: 1200,
          valid_from: at(0),
          valid_to: at(10),
          is_current: false,
        },
        {
          ...common,
          product_key: repriced.eventId,
          version: 2,
          category: 'mugs',
          price: 1500,
          valid_from: at(10),
          valid_to: at(30),
          is_current: false,
        },
        {
          ...common,
          product_key: moved.eventId,
          version: 3,
          category: 'kitchen',
          price: 1500,
          valid_from: at(30),
          valid_to: null,
          is_current: true,
        },
      ]);
    });

    it('ignores changes to a product it never saw created', async () => {
      log.priceChanged(`GHOST-${randomUUID()}`, at(0), 100);
      await run();
      expect(await rows('SELECT * FROM dim_product')).toEqual([]);
    });
  });

  describe('fact_order_line', () => {
    const lines = (orderId: string) =>
      rows<{ line_no: number; product_key: string | null; price: number }>(
        `SELECT f.line_no, f.product_key::text, p.price_amount::int AS price
         FROM fact_order_line f LEFT JOIN dim_product p USING (product_key)
         WHERE f.order_id = $1 ORDER BY f.line_no`,
        [orderId],
      );

    // The test: a price change between two orders yields two versions, each line on its own.
    it('points each order line to the product version valid when it was placed', async () => {
      const sku = `MUG-${randomUUID()}`;
      const [before, after] = [randomUUID(), randomUUID()];
      const v1 = log.productCreated(sku, at(0), 1200);
      log.orderPlaced(before, at(5), [{ sku, quantity: 2, unitPrice: 1200 }]);
      const v2 = log.priceChanged(sku, at(10), 1500, 1200);
      log.orderPlaced(after, at(15), [{ sku, quantity: 1, unitPrice: 1500 }]);

      await run(2);

      expect(await rows('SELECT count(*)::int AS n FROM dim_product WHERE sku = $1', [sku])).toEqual([
        { n: 2 },
      ]);
      expect(await lines(before)).toEqual([{ line_no: 1, product_key: v1.eventId, price: 1200 }]);
      expect(await lines(after)).toEqual([{ line_no: 1, product_key: v2.eventId, price: 1500 }]);
    });

    it('re-points a line when a price change valid before it is projected after it', async () => {
      const sku = `MUG-${randomUUID()}`;
      const orderId = randomUUID();
      log.productCreated(sku, at(0), 1200);
      log.orderPlaced(orderId, at(20), [{ sku, quantity: 1, unitPrice: 900 }]);
      await run();
      const late = log.priceChanged(sku, at(10), 900, 1200);
      await project(sql, projection, [late]);

      expect(await lines(orderId)).toEqual([{ line_no: 1, product_key: late.eventId, price: 900 }]);
      expect(
        await rows<{ version: number; valid_to: Date | null; is_current: boolean }>(
          'SELECT version, valid_to, is_current FROM dim_product WHERE sku = $1 ORDER BY version',
          [sku],
        ),
      ).toEqual([
        { version: 1, valid_to: new Date(at(10)), is_current: false },
        { version: 2, valid_to: null, is_current: true },
      ]);
    });

    it('finds the product for lines projected before it was created', async () => {
      const sku = `MUG-${randomUUID()}`;
      const orderId = randomUUID();
      log.orderPlaced(orderId, at(5), [{ sku, quantity: 1, unitPrice: 1200 }]);
      const created = log.productCreated(sku, at(0), 1200);
      await run(1);
      expect(await lines(orderId)).toEqual([{ line_no: 1, product_key: created.eventId, price: 1200 }]);
    });

    it('records quantities, amounts and a pseudonymous customer per line', async () => {
      const orderId = randomUUID();
      const customerId = randomUUID();
      log.orderPlaced(
        orderId,
        at(5),
        [
          { sku: 'A', quantity: 2, unitPrice: 300 },
          { sku: 'B', quantity: 1, unitPrice: 1000 },
        ],
        customerId,
      );
      await run();
      expect(
        await rows(
          `SELECT line_no, date_key, customer_key, product_key, sku, quantity, unit_price::int, line_total::int,
             order_total::int, currency
           FROM fact_order_line WHERE order_id = $1 ORDER BY line_no`,
          [orderId],
        ),
      ).toEqual([
        {
          line_no: 1,
          date_key: 20300102,
          customer_key: pseudonymizeCustomer(customerId, KEY),
          product_key: null,
          sku: 'A',
          quantity: 2,
          unit_price: 300,
          line_total: 600,
          order_total: 2100,
          currency: 'EUR',
        },
        {
          line_no: 2,
          date_key: 20300102,
          customer_key: pseudonymizeCustomer(customerId, KEY),
          product_key: null,
          sku: 'B',
          quantity: 1,
          unit_price: 1000,
          line_total: 1000,
          order_total: 2100,
          currency: 'EUR',
        },
      ]);
    });
  });

  it('maps payments, stock movements, searches and customers to their facts', async () => {
    const [orderId, paymentId, customerId] = [randomUUID(), randomUUID(), randomUUID()];
    const money = (amount: number) => ({ amount, currency: 'EUR' });
    const p = (type: string, minute: number, data: Record<string, JsonValue> = {}) =>
      log.payment(paymentId, type, at(minute), { orderId, providerPaymentId: 'pi_1', ...data });
    p('PaymentInitiated', 1, { amount: money(2100), provider: 'fake', paymentMethodId: 'pm' });
    p('PaymentDeclined', 2, { reason: 'card_declined', message: 'no' });
    p('PaymentAuthorized', 3, { amount: money(2100) });
    p('PaymentCaptured', 4, { amount: money(2100) });
    p('PaymentRefunded', 5, { refundId: 'r1', providerRefundId: 're_1', amount: money(700) });
    p('PaymentVoided', 6);
    const s = (type: string, minute: number, data: Record<string, JsonValue>) =>
      log.stock('MUG', type, at(minute), data);
    s('StockReceived', 1, { quantity: 10, reference: 'PO-1' });
    s('StockAdjusted', 2, { delta: -2, reason: 'breakage' });
    s('StockReserved', 3, { orderId, quantity: 3 });
    s('StockReservationRejected', 4, { orderId, requested: 50, available: 5 });
    s('StockReservationReleased', 5, { orderId, quantity: 1 });
    s('StockReservationCommitted', 6, { orderId, quantity: 2 });
    log.search(at(7), 'Blue Mugz', 0, { id: 'anonymous', role: 'guest' });
    log.search(at(8), 'blue mugz', 4, { id: customerId, role: 'customer' }, 'blue mugs');
    log.customerRegistered(customerId, '2029-12-31T23:30:00.000Z');

    await run(4);

    expect(
      await rows(
        `SELECT kind, amount::int, currency, refund_id, decline_reason, order_id = $1 AS of_order,
           payment_id = $2 AS of_payment, date_key
         FROM fact_payment ORDER BY occurred_at`,
        [orderId, paymentId],
      ),
    ).toEqual(
      [
        { kind: 'initiated', amount: 2100, currency: 'EUR', refund_id: null, decline_reason: null },
        { kind: 'declined', amount: 0, currency: null, refund_id: null, decline_reason: 'card_declined' },
        { kind: 'authorized', amount: 2100, currency: 'EUR', refund_id: null, decline_reason: null },
        { kind: 'captured', amount: 2100, currency: 'EUR', refund_id: null, decline_reason: null },
        { kind: 'refunded', amount: 700, currency: 'EUR', refund_id: 'r1', decline_reason: null },
        { kind: 'voided', amount: 0, currency: null, refund_id: null, decline_reason: null },
      ].map((row) => ({ ...row, of_order: true, of_payment: true, date_key: 20300102 })),
    );
    expect(
      await rows(
        `SELECT movement, on_hand_delta, reserved_delta, quantity, order_id IS NOT NULL AS for_order, reason
         FROM fact_stock_movement WHERE sku = 'MUG' ORDER BY occurred_at`,
      ),
    ).toEqual([
      {
        movement: 'received',
        on_hand_delta: 10,
        reserved_delta: 0,
        quantity: 10,
        for_order: false,
        reason: null,
      },
      {
        movement: 'adjusted',
        on_hand_delta: -2,
        reserved_delta: 0,
        quantity: -2,
        for_order: false,
        reason: 'breakage',
      },
      {
        movement: 'reserved',
        on_hand_delta: 0,
        reserved_delta: 3,
        quantity: 3,
        for_order: true,
        reason: null,
      },
      {
        movement: 'rejected',
        on_hand_delta: 0,
        reserved_delta: 0,
        quantity: 50,
        for_order: true,
        reason: null,
      },
      {
        movement: 'released',
        on_hand_delta: 0,
        reserved_delta: -1,
        quantity: 1,
        for_order: true,
        reason: null,
      },
      {
        movement: 'committed',
        on_hand_delta: -2,
        reserved_delta: -2,
        quantity: 2,
        for_order: true,
        reason: null,
      },
    ]);
    expect(
      await rows(
        `SELECT query, normalized_query, results, zero_result, corrected_query, customer_key, date_key
         FROM fact_search ORDER BY occurred_at`,
      ),
    ).toEqual([
      {
        query: 'Blue Mugz',
        normalized_query: 'blue mugz',
        results: 0,
        zero_result: true,
        corrected_query: null,
        customer_key: null,
        date_key: 20300102,
      },
      {
        query: 'blue mugz',
        normalized_query: 'blue mugz',
        results: 4,
        zero_result: false,
        corrected_query: 'blue mugs',
        customer_key: pseudonymizeCustomer(customerId, KEY),
        date_key: 20300102,
      },
    ]);
    expect(await rows('SELECT customer_key, registered_date_key FROM dim_customer')).toEqual([
      { customer_key: pseudonymizeCustomer(customerId, KEY), registered_date_key: 20291231 },
    ]);
  });

  it('skips an event dated outside the calendar and projects the rest of its batch', async () => {
    log.customerRegistered(randomUUID(), '1999-12-31T23:59:59.000Z');
    log.customerRegistered(randomUUID(), at(0));
    await run();
    expect(await rows('SELECT registered_date_key FROM dim_customer')).toEqual([
      { registered_date_key: 20300102 },
    ]);
  });

  describe('cart activity', () => {
    const activities = (cartId: string) =>
      rows<Record<string, unknown>>(
        `SELECT activity, sku, quantity, occurred_at FROM fact_cart_activity WHERE cart_id = $1
         ORDER BY occurred_at, activity`,
        [cartId],
      ).then((found) => found.map((row) => ({ ...row, occurred_at: iso(row.occurred_at) })));
    const state = async (cartId: string) =>
      (
        await rows<Record<string, unknown>>(
          'SELECT units, checked_out, last_activity_at, abandoned_at FROM warehouse_cart_state WHERE cart_id = $1',
          [cartId],
        )
      ).map((row) => ({
        ...row,
        last_activity_at: iso(row.last_activity_at),
        abandoned_at: iso(row.abandoned_at),
      }))[0];

    it('records each change of the cart with its signed units, across batches', async () => {
      const cartId = randomUUID();
      const orderId = randomUUID();
      log.cartOpened(cartId, at(0), randomUUID());
      log.itemAdded(cartId, at(1), 'A', 2);
      log.itemAdded(cartId, at(2), 'B', 1);
      log.itemAdded(cartId, at(3), 'A', 1);
      log.cart(cartId, 'CartItemQuantityChanged', at(4), { sku: 'B', quantity: 4, previousQuantity: 1 });
      log.cart(cartId, 'CartItemRemoved', at(5), { sku: 'A' });
      log.cart(cartId, 'CartCheckedOut', at(6), {
        orderId,
        lines: [],
        total: { amount: 4000, currency: 'EUR' },
      });

      await run(1);

      expect(await activities(cartId)).toEqual([
        { activity: 'open', sku: null, quantity: null, occurred_at: at(0) },
        { activity: 'add', sku: 'A', quantity: 2, occurred_at: at(1) },
        { activity: 'add', sku: 'B', quantity: 1, occurred_at: at(2) },
        { activity: 'add', sku: 'A', quantity: 1, occurred_at: at(3) },
        { activity: 'change', sku: 'B', quantity: 3, occurred_at: at(4) },
        { activity: 'remove', sku: 'A', quantity: -3, occurred_at: at(5) },
        { activity: 'checkout', sku: null, quantity: null, occurred_at: at(6) },
      ]);
      expect(
        await rows('SELECT order_id FROM fact_cart_activity WHERE cart_id = $1 AND activity = $2', [
          cartId,
          'checkout',
        ]),
      ).toEqual([{ order_id: orderId }]);
      expect(await state(cartId)).toEqual({
        units: 4,
        checked_out: true,
        last_activity_at: at(6),
        abandoned_at: null,
      });
    });

    it('empties the cart on a clear and on a merge into another cart, and adds merged lines to the target', async () => {
      const [guest, target] = [randomUUID(), randomUUID()];
      log.cartOpened(guest, at(0));
      log.cartOpened(target, at(0), randomUUID());
      log.itemAdded(target, at(1), 'A', 2);
      log.cart(target, 'CartCleared', at(2));
      log.itemAdded(target, at(3), 'A', 1);
      log.itemAdded(guest, at(3), 'B', 5);
      await run();
      log.cart(guest, 'CartMergedInto', at(4), { targetCartId: target });
      log.cart(target, 'CartsMerged', at(4), {
        sourceCartId: guest,
        lines: [{ sku: 'B', name: 'B', quantity: 5, unitPrice: { amount: 100, currency: 'EUR' } }],
      });
      log.cart(target, 'CartItemRemoved', at(5), { sku: 'A' });
      await project(sql, projection, log.events.slice(-3));

      expect((await activities(target)).slice(2)).toEqual([
        { activity: 'remove', sku: null, quantity: -2, occurred_at: at(2) },
        { activity: 'add', sku: 'A', quantity: 1, occurred_at: at(3) },
        { activity: 'add', sku: 'B', quantity: 5, occurred_at: at(4) },
        { activity: 'remove', sku: 'A', quantity: -1, occurred_at: at(5) },
      ]);
      expect(await state(target)).toEqual(expect.objectContaining({ units: 5 }));
      expect(await state(guest)).toEqual(expect.objectContaining({ units: 0 }));
    });

    describe('abandonment', () => {
      const abandonments = (cartId: string) =>
        rows<{ activity_id: string; occurred_at: Date }>(
          `SELECT activity_id, occurred_at FROM fact_cart_activity WHERE cart_id = $1 AND activity = 'abandon'
           ORDER BY occurred_at`,
          [cartId],
        );

      it('is seen when the next event comes after the idle time, at the last activity plus that time', async () => {
        const cartId = randomUUID();
        log.cartOpened(cartId, at(0));
        log.itemAdded(cartId, at(10), 'A', 1);
        log.itemAdded(cartId, at(10 + IDLE + 5), 'B', 1);
        log.itemAdded(cartId, at(10 + IDLE + 30), 'B', 1);
        await run(1);
        expect(await abandonments(cartId)).toEqual([
          { activity_id: `abandon:${cartId}:${at(10 + IDLE)}`, occurred_at: new Date(at(10 + IDLE)) },
        ]);
      });

      it('is recorded by the sweep once per idle period, and not again when the cart comes back', async () => {
        const cartId = randomUUID();
        log.cartOpened(cartId, at(0));
        log.itemAdded(cartId, at(10), 'A', 1);
        await run();

        expect(await sweepAbandonedCarts(sql, { now: new Date(at(10 + IDLE - 1)), idleMinutes: IDLE })).toBe(
          0,
        );
        expect(await sweepAbandonedCarts(sql, { now: new Date(at(10 + IDLE)), idleMinutes: IDLE })).toBe(1);
        expect(await sweepAbandonedCarts(sql, { now: new Date(at(500)), idleMinutes: IDLE })).toBe(0);
        expect(await state(cartId)).toEqual(expect.objectContaining({ abandoned_at: at(10 + IDLE) }));

        const back = log.itemAdded(cartId, at(200), 'A', 1);
        await project(sql, projection, [back]);
        expect(await abandonments(cartId)).toHaveLength(1);
        expect(await state(cartId)).toEqual(
          expect.objectContaining({ abandoned_at: null, last_activity_at: at(200) }),
        );

        expect(await sweepAbandonedCarts(sql, { now: new Date(at(200 + IDLE)), idleMinutes: IDLE })).toBe(1);
        expect((await abandonments(cartId)).map((row) => row.occurred_at)).toEqual([
          new Date(at(10 + IDLE)),
          new Date(at(200 + IDLE)),
        ]);
      });

      it('takes back a sweep whose cart had an event inside the idle time still on its way', async () => {
        const cartId = randomUUID();
        log.cartOpened(cartId, at(0));
        log.itemAdded(cartId, at(10), 'A', 1);
        await run();
        await sweepAbandonedCarts(sql, { now: new Date(at(100)), idleMinutes: IDLE });
        await project(sql, projection, [log.itemAdded(cartId, at(20), 'A', 1)]);
        expect(await abandonments(cartId)).toEqual([]);
      });

      it('never abandons a checked-out cart or an empty one', async () => {
        const [paid, emptied, empty] = [randomUUID(), randomUUID(), randomUUID()];
        log.cartOpened(paid, at(0));
        log.itemAdded(paid, at(1), 'A', 1);
        log.cart(paid, 'CartCheckedOut', at(2), {
          orderId: randomUUID(),
          lines: [],
          total: { amount: 1, currency: 'EUR' },
        });
        log.cartOpened(emptied, at(0));
        log.itemAdded(emptied, at(1), 'A', 1);
        log.cart(emptied, 'CartItemRemoved', at(2), { sku: 'A' });
        log.cartOpened(empty, at(0));
        await run();
        log.itemAdded(emptied, at(500), 'A', 1);
        log.itemAdded(empty, at(500), 'A', 1);
        await project(sql, projection, log.events.slice(-2));

        expect(await sweepAbandonedCarts(sql, { now: new Date(at(400)), idleMinutes: IDLE })).toBe(0);
        expect(await rows(`SELECT * FROM fact_cart_activity WHERE activity = 'abandon'`)).toEqual([]);
      });
    });
  });

  describe('aggregates', () => {
    beforeEach(() => createWarehouseViews(sql));

    const money = (amount: number) => ({ amount, currency: 'EUR' });
    const pay = (orderId: string, type: string, minute: number, amount: number) =>
      log.payment(`pay-${orderId}`, type, at(minute), {
        orderId,
        providerPaymentId: 'pi',
        ...(type === 'PaymentRefunded' ? { refundId: randomUUID(), providerRefundId: 're' } : {}),
        amount: money(amount),
      });
    const byCategory = () =>
      rows<{ category: string; revenue: string }>(
        `SELECT category, revenue::text AS revenue FROM metric_revenue_by_category_daily ORDER BY category`,
      );
    /** The aggregates (and carts' flags) the projection kept must be what the facts alone give. */
    const expectAggregatesOfFacts = async () => {
      const kept = await warehouseDigest(sql);
      await sql.transaction((tx) => refreshWarehouseAggregates(tx));
      expect(await warehouseDigest(sql)).toEqual(kept);
    };

    it('moves an order’s revenue to the category of the version its lines are re-pointed to', async () => {
      const sku = `MUG-${randomUUID()}`;
      const orderId = randomUUID();
      log.productCreated(sku, at(0), 1000, 'mugs');
      log.orderPlaced(orderId, at(20), [{ sku, quantity: 2, unitPrice: 1000 }]);
      pay(orderId, 'PaymentCaptured', 21, 2500);
      await run();
      expect(await byCategory()).toEqual([{ category: 'mugs', revenue: '2500' }]);

      // A move to another category, valid before the order, projected after it.
      await project(sql, projection, [log.detailsChanged(sku, at(10), { category: 'gifts' })]);
      expect(await byCategory()).toEqual([{ category: 'gifts', revenue: '2500' }]);
      await project(sql, projection, [pay(orderId, 'PaymentRefunded', 22, 700)]);
      expect(await byCategory()).toEqual([{ category: 'gifts', revenue: '1800' }]);
      await expectAggregatesOfFacts();
    });

    it('counts payments of an order it has no lines of as uncategorized until the lines arrive', async () => {
      const [mug, tea] = [`MUG-${randomUUID()}`, `TEA-${randomUUID()}`];
      const orderId = randomUUID();
      log.productCreated(mug, at(0), 1000, 'mugs');
      log.productCreated(tea, at(0), 500, 'food');
      const placed = log.orderPlaced(orderId, at(20), [
        { sku: mug, quantity: 1, unitPrice: 1000 },
        { sku: tea, quantity: 1, unitPrice: 500 },
      ]);
      pay(orderId, 'PaymentCaptured', 21, 2000);
      pay(orderId, 'PaymentRefunded', 22, 1);
      // The store delivers the payments first (another stream, committed earlier).
      await project(
        sql,
        projection,
        log.events.filter((event) => event !== placed),
      );
      expect(await byCategory()).toEqual([{ category: 'uncategorized', revenue: '1999' }]);
      expect(
        await rows(`SELECT orders_placed::int, orders_paid::int, revenue::int FROM metric_orders_daily`),
      ).toEqual([{ orders_placed: 0, orders_paid: 1, revenue: 1999 }]);

      await project(sql, projection, [placed]);
      // 1999 over 1000 and 500: round(1332.67) = 1333 for the mug, the rest for the tea.
      expect(await byCategory()).toEqual([
        { category: 'food', revenue: '666' },
        { category: 'mugs', revenue: '1333' },
      ]);
      expect(
        await rows(`SELECT orders_placed::int, orders_paid::int, revenue::int FROM metric_orders_daily`),
      ).toEqual([{ orders_placed: 1, orders_paid: 1, revenue: 1999 }]);
      await expectAggregatesOfFacts();
    });

    describe('carts', () => {
      const abandonment = () =>
        rows<{ with_items: number; abandoned: number }>(
          `SELECT carts_with_items::int AS with_items, carts_abandoned::int AS abandoned
           FROM metric_cart_abandonment_daily`,
        );
      const funnel = () =>
        rows<Record<string, number>>(
          `SELECT carts_opened::int AS opened, carts_with_items::int AS with_items,
             carts_checked_out::int AS checked_out, carts_paid::int AS paid
           FROM metric_funnel_daily`,
        );

      it('counts a swept abandonment, takes it back when an event inside the idle time arrives, and counts the next', async () => {
        const cartId = randomUUID();
        log.cartOpened(cartId, at(0));
        log.itemAdded(cartId, at(10), 'A', 1);
        await run();
        expect(await abandonment()).toEqual([{ with_items: 1, abandoned: 0 }]);

        expect(await sweepAbandonedCarts(sql, { now: new Date(at(100)), idleMinutes: IDLE })).toBe(1);
        expect(await abandonment()).toEqual([{ with_items: 1, abandoned: 1 }]);

        // The shopper was back at minute 20: the sweep was premature.
        await project(sql, projection, [log.itemAdded(cartId, at(20), 'B', 1)]);
        expect(await abandonment()).toEqual([{ with_items: 1, abandoned: 0 }]);
        await expectAggregatesOfFacts();

        expect(await sweepAbandonedCarts(sql, { now: new Date(at(20 + IDLE)), idleMinutes: IDLE })).toBe(1);
        // Back after the idle time: the abandonment stays, and a second one of the same cart counts once.
        await project(sql, projection, [log.itemAdded(cartId, at(300), 'C', 1)]);
        expect(await sweepAbandonedCarts(sql, { now: new Date(at(300 + IDLE)), idleMinutes: IDLE })).toBe(1);
        expect(await abandonment()).toEqual([{ with_items: 1, abandoned: 1 }]);
        expect(
          await rows(`SELECT count(*)::int AS n FROM fact_cart_activity WHERE activity = 'abandon'`),
        ).toEqual([{ n: 2 }]);
        await expectAggregatesOfFacts();
      });

      it('counts a cart paid once its order is captured, whichever of checkout and capture comes first', async () => {
        const [first, second] = [randomUUID(), randomUUID()];
        const [firstOrder, secondOrder] = [randomUUID(), randomUUID()];
        const checkout = (cartId: string, orderId: string, minute: number) =>
          log.cart(cartId, 'CartCheckedOut', at(minute), { orderId, lines: [], total: money(1500) });
        log.cartOpened(first, at(0));
        log.itemAdded(first, at(1), 'A', 1);
        checkout(first, firstOrder, 2);
        log.cartOpened(second, at(0));
        log.itemAdded(second, at(1), 'A', 1);
        await run();
        expect(await funnel()).toEqual([{ opened: 2, with_items: 2, checked_out: 1, paid: 0 }]);

        // The first cart's capture comes after its checkout; the second's before its checkout.
        await project(sql, projection, [pay(firstOrder, 'PaymentCaptured', 5, 1500)]);
        await project(sql, projection, [pay(secondOrder, 'PaymentCaptured', 5, 1500)]);
        expect(await funnel()).toEqual([{ opened: 2, with_items: 2, checked_out: 1, paid: 1 }]);
        await project(sql, projection, [checkout(second, secondOrder, 3)]);
        expect(await funnel()).toEqual([{ opened: 2, with_items: 2, checked_out: 2, paid: 2 }]);
        // A second capture of the same order changes nothing.
        await project(sql, projection, [pay(firstOrder, 'PaymentCaptured', 6, 1)]);
        expect(await funnel()).toEqual([{ opened: 2, with_items: 2, checked_out: 2, paid: 2 }]);
        await expectAggregatesOfFacts();
      });
    });
  });

  describe('replays', () => {
    it('changes nothing when a batch is applied again', async () => {
      generateShop(log, 1);
      const half = Math.floor(log.events.length / 2);
      await project(sql, projection, log.events.slice(0, half));
      await project(sql, projection, log.events.slice(half));
      const before = await warehouseDigest(sql);
      await project(sql, projection, log.events.slice(half));
      expect(await warehouseDigest(sql)).toEqual(before);
    });

    // The test: replaying the warehouse from scratch yields identical tables.
    it('builds identical tables from the same events however they are batched', async () => {
      generateShop(log, 2);
      await run();
      const digest = await warehouseDigest(sql);
      // The history exercises every table and every kind of cart activity.
      const [counts] = await rows<Record<string, number>>(
        `SELECT (SELECT count(*)::int FROM dim_product) AS versions,
           (SELECT count(*)::int FROM dim_customer) AS customers,
           (SELECT count(*)::int FROM fact_order_line) AS lines,
           (SELECT count(*)::int FROM fact_payment) AS payments,
           (SELECT count(*)::int FROM fact_stock_movement) AS movements,
           (SELECT count(*)::int FROM fact_search) AS searches,
           (SELECT count(DISTINCT activity)::int FROM fact_cart_activity) AS activity_kinds`,
      );
      expect(counts).toEqual({
        versions: 10,
        customers: 3,
        lines: 16,
        payments: 24,
        movements: 12,
        searches: 6,
        activity_kinds: 6,
      });
      // The facts have no foreign keys (load speed): the projection itself must resolve every key it writes.
      const [dangling] = await rows<Record<string, number>>(
        `SELECT
           (SELECT count(*)::int FROM (
              SELECT date_key FROM fact_order_line UNION ALL SELECT date_key FROM fact_payment
              UNION ALL SELECT date_key FROM fact_cart_activity UNION ALL SELECT date_key FROM fact_stock_movement
              UNION ALL SELECT date_key FROM fact_search
              UNION ALL SELECT registered_date_key FROM dim_customer) k
            WHERE NOT EXISTS (SELECT 1 FROM dim_date d WHERE d.date_key = k.date_key)) AS dates,
           (SELECT count(*)::int FROM fact_order_line l
            WHERE NOT EXISTS (SELECT 1 FROM dim_product p WHERE p.product_key = l.product_key)) AS products`,
      );
      expect(dangling).toEqual({ dates: 0, products: 0 });

      for (const batchSize of [1, 7, 64]) {
        const other = await warehouseSchema();
        try {
          await project(other.sql, projection, log.events, batchSize);
          expect(await warehouseDigest(other.sql)).toEqual(digest);
        } finally {
          await other.db.drop();
        }
      }
    });
  });

  // Exactly once: what the statements add to the aggregates is what the facts they wrote give, whatever
  // the batches, the sweeps between them, and the replays.
  it('keeps the aggregates equal to those the facts give, however batched, swept and replayed', async () => {
    generateShop(log, 3);
    const shop = log.events.slice();
    // A late move to another category, for lines placed and paid before it was projected.
    log.detailsChanged(skuOf(shop, 0), at(40), { category: 'late' });
    const half = Math.floor(log.events.length / 2);
    const digests: Record<string, string>[] = [];
    for (const batchSize of [1, 7, 64, log.events.length]) {
      const other = await warehouseSchema();
      try {
        await project(other.sql, projection, log.events.slice(0, half), batchSize);
        await sweepAbandonedCarts(other.sql, { now: new Date(at(200)), idleMinutes: IDLE });
        await project(other.sql, projection, log.events.slice(half), batchSize);
        await project(other.sql, projection, log.events.slice(half - 5, half + 5));
        await sweepAbandonedCarts(other.sql, { now: new Date(at(2000)), idleMinutes: IDLE });
        const kept = await warehouseDigest(other.sql);
        await other.sql.transaction((tx) => refreshWarehouseAggregates(tx));
        expect(await warehouseDigest(other.sql)).toEqual(kept);
        digests.push(kept);
      } finally {
        await other.db.drop();
      }
    }
    expect(new Set(digests.map((digest) => JSON.stringify(digest))).size).toBe(1);
    // The history reaches every aggregate.
    for (const table of WAREHOUSE_AGGREGATES) expect(digests[0]?.[table]).not.toBe(EMPTY_DIGEST);
  });

  it('keeps no email, name or address of a customer anywhere', async () => {
    const customerId = randomUUID();
    const email = `secret-${randomUUID()}@example.com`;
    log.customerRegistered(customerId, at(0), email);
    const cartId = randomUUID();
    log.cartOpened(cartId, at(1), customerId);
    log.itemAdded(cartId, at(2), 'A', 1);
    log.orderPlaced(randomUUID(), at(3), [{ sku: 'A', quantity: 1, unitPrice: 1000 }], customerId, email);
    await run();

    for (const table of ['dim_customer', 'fact_order_line', 'fact_cart_activity', 'warehouse_cart_state']) {
      const [dump] = await rows<{ text: string | null }>(
        `SELECT string_agg(t::text, E'\\n') AS text FROM ${table} t`,
      );
      expect(dump?.text).toBeTruthy();
      for (const secret of [email, customerId, `Person ${customerId}`, 'Hidden Street', 'Secretname'])
        expect(dump?.text).not.toContain(secret);
    }
  });
});

/** The MD5 of no rows, as `warehouseDigest` gives it for an empty table. */
const EMPTY_DIGEST = 'd41d8cd98f00b204e9800998ecf8427e';

/** The SKU of the `index`th product `generateShop` created. */
function skuOf(events: readonly { type: string; data: unknown }[], index: number): string {
  const created = events.filter((event) => event.type === 'ProductCreated')[index];
  return (created?.data as { sku: string }).sku;
}

/**
 * A small shop's history with everything the warehouse handles, in the order a store could deliver it:
 * products repriced and moved between orders (one price change arrives late), carts left idle, cleared
 * and checked out, payments with declines and refunds, stock and searches.
 */
function generateShop(log: EventLog, seed: number): void {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
  const skus = ['A', 'B', 'C', 'D'].map((letter) => `${letter}-${randomUUID()}`);
  skus.forEach((sku, index) =>
    log.productCreated(sku, at(index), 1000 + index * 100, index % 2 ? 'mugs' : 'tees'),
  );
  const customers = [randomUUID(), randomUUID(), randomUUID()];
  customers.forEach((customerId, index) => log.customerRegistered(customerId, at(index)));
  for (let round = 0; round < 12; round += 1) {
    const minute = 10 + round * 45;
    const sku = skus[random(skus.length)] ?? 'A';
    if (round % 3 === 0) log.priceChanged(sku, at(minute), 900 + random(500));
    if (round === 5) log.detailsChanged(sku, at(minute), { category: 'gifts', name: `Renamed ${round}` });
    const cartId = randomUUID();
    const customerId = round % 2 ? (customers[random(customers.length)] ?? null) : null;
    log.cartOpened(cartId, at(minute), customerId);
    const units = 1 + random(3);
    log.itemAdded(cartId, at(minute + 1), sku, units);
    log.itemAdded(cartId, at(minute + 2), skus[0] ?? 'A', 1);
    if (round % 4 === 0) {
      const previousQuantity = sku === skus[0] ? units + 1 : 1;
      log.cart(cartId, 'CartItemQuantityChanged', at(minute + 2), {
        sku: skus[0] ?? 'A',
        quantity: previousQuantity + 2,
        previousQuantity,
      });
    }
    if (round % 4 === 1) log.cart(cartId, 'CartItemRemoved', at(minute + 3), { sku });
    if (round % 5 === 2) log.cart(cartId, 'CartCleared', at(minute + 3));
    if (round % 3 === 2) {
      log.itemAdded(cartId, at(minute + 3 + IDLE * 2), sku, 1);
      continue;
    }
    const orderId = randomUUID();
    log.cart(cartId, 'CartCheckedOut', at(minute + 4), {
      orderId,
      lines: [],
      total: { amount: 1, currency: 'EUR' },
    });
    log.orderPlaced(
      orderId,
      at(minute + 5),
      [
        { sku, quantity: 2, unitPrice: 1000 },
        { sku: skus[0] ?? 'A', quantity: 1, unitPrice: 1000 },
      ],
      customerId,
    );
    const paymentId = randomUUID();
    const money = { amount: 3500, currency: 'EUR' };
    log.payment(paymentId, 'PaymentInitiated', at(minute + 6), {
      orderId,
      amount: money,
      provider: 'fake',
      paymentMethodId: 'pm',
    });
    if (round % 4 === 3) {
      log.payment(paymentId, 'PaymentDeclined', at(minute + 7), {
        orderId,
        providerPaymentId: null,
        reason: 'card_declined',
        message: 'no',
      });
      continue;
    }
    log.payment(paymentId, 'PaymentAuthorized', at(minute + 7), {
      orderId,
      providerPaymentId: 'pi',
      amount: money,
    });
    log.payment(paymentId, 'PaymentCaptured', at(minute + 8), {
      orderId,
      providerPaymentId: 'pi',
      amount: money,
    });
    if (round % 2)
      log.payment(paymentId, 'PaymentRefunded', at(minute + 9), {
        orderId,
        refundId: randomUUID(),
        providerRefundId: 're',
        amount: { amount: 500, currency: 'EUR' },
      });
    log.stock(sku, 'StockReserved', at(minute + 6), { orderId, quantity: 2 });
    log.stock(sku, 'StockReservationCommitted', at(minute + 10), { orderId, quantity: 2 });
    log.search(at(minute + 11), `query ${random(4)}`, random(3));
  }
  // A price change committed after orders placed later than it: the lines must move to it.
  log.priceChanged(skus[0] ?? 'A', at(30), 777);
}
