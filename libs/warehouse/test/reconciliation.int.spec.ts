import { migrate, type SqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import {
  ordersProjection,
  ProjectionRunner,
  readModelMigrations,
  waitForProjections,
} from '@tally/read-models';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { createWarehouseProjection, warehouseMigrationSet } from '@tally/warehouse';
import { type ShopHistory, writeShopHistory } from '../../../tools/bench/replay/shop-history';

// The proof that the warehouse reconciles to the cent: a generated shop history of more than 5,000
// orders (declines, customer cancellations, partial and full refunds, price and category changes between
// orders) is projected, while it is written by concurrent appenders, into the orders read model and into the
// warehouse (its own schema, as in production) by their projection runners; then captured minus refunded
// must be the same in the event store (SQL over the stored events), the order read model and the warehouse,
// overall, per payment day (UTC) and per order, and so must the counts of declines, cancellations and
// refunds.

const ORDERS = 5_000;
/** Simulated business time: one day per tick of the generator, so the history spans about a month. */
const START = new Date('2031-03-01T00:00:00.000Z');

interface Money {
  currency: string;
  captured: string;
  refunded: string;
}
type DayMoney = Money & { date: string };
type OrderNet = { order_id: string; net: string };

describe('warehouse reconciliation over a generated shop history', () => {
  let main: TestSchema;
  let warehouse: TestSchema;
  let store: PostgresEventStore;
  let history: ShopHistory;
  let runners: ProjectionRunner[] = [];
  /** What the runners report: a poison event or a failed batch would make the numbers differ for a reason. */
  const problems: unknown[] = [];
  const logger = {
    info: () => undefined,
    warn: (obj: object, msg: string) => problems.push({ msg, ...obj }),
    error: (obj: object, msg: string) => problems.push({ msg, ...obj }),
  };

  const rows = async <Row>(sql: SqlClient, text: string): Promise<Row[]> => (await sql.query<Row>(text)).rows;
  /** The event store's own record: SQL over the stored payment events, by business time (UTC day). */
  const events = (text: string) => rows<Record<string, string>>(main.client, text);

  beforeAll(async () => {
    main = await createTestSchema('reconcile');
    warehouse = await createTestSchema('reconcile_warehouse');
    await migrate(main.client, [eventStoreMigrations, readModelMigrations]);
    await migrate(warehouse.client, [warehouseMigrationSet]);
    store = new PostgresEventStore(main.client);
    const projection = createWarehouseProjection({
      pseudonymKey: 'reconciliation-test-key',
      cartIdleMinutes: 60,
    });
    runners = [
      new ProjectionRunner({
        sql: main.client,
        store,
        projections: [ordersProjection],
        logger,
        batchSize: 2000,
      }),
      new ProjectionRunner({
        sql: warehouse.client,
        store,
        projections: [projection],
        logger,
        batchSize: 5000,
      }),
    ];
    await Promise.all(runners.map((runner) => runner.start()));
    history = await writeShopHistory({
      store,
      orders: ORDERS,
      appenders: 8,
      startAt: START,
      tickMinutes: 24 * 60,
    });
    // A bound, not a measurement: on a busy server the runners may trail the appenders by minutes.
    const caughtUp = await Promise.all([
      waitForProjections(main.client, [ordersProjection.name], history.checkpoint, { timeoutMs: 400_000 }),
      waitForProjections(warehouse.client, [projection.name], history.checkpoint, { timeoutMs: 400_000 }),
    ]);
    if (!caughtUp.every(Boolean)) throw new Error('the projections did not reach the last event written');
  }, 900_000);

  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await store.close();
    await warehouse.drop();
    await main.drop();
  });

  it('generated the load the issue asks for', async () => {
    const [load] = await events(`
      SELECT count(*) FILTER (WHERE type = 'OrderPlaced') AS orders,
        count(*) FILTER (WHERE type = 'PaymentDeclined') AS declines,
        count(*) FILTER (WHERE type = 'OrderCancelled' AND data->>'reason' = 'customer_request') AS cancellations,
        count(*) FILTER (WHERE type = 'ProductPriceChanged') AS price_changes,
        count(*) FILTER (WHERE type = 'ProductDetailsChanged' AND data ? 'category') AS category_changes,
        count(*) FILTER (WHERE type = 'CustomerRegistered') AS customers,
        count(*) FILTER (WHERE type = 'ProductSearchReturnedResults') AS searches,
        count(*) FILTER (WHERE type = 'ProductSearchReturnedNoResults') AS zero_result_searches,
        count(DISTINCT ((metadata->>'occurredAt')::timestamptz AT TIME ZONE 'UTC')::date) AS days
      FROM events`);
    const [refunds] = await events(`
      SELECT count(*) FILTER (WHERE refunded < captured) AS partial, count(*) FILTER (WHERE refunded = captured) AS full
      FROM (
        SELECT data->>'orderId' AS order_id,
          sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentCaptured') AS captured,
          sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentRefunded') AS refunded
        FROM events WHERE type IN ('PaymentCaptured', 'PaymentRefunded')
        GROUP BY 1
      ) o WHERE refunded > 0`);
    expect(history.orders).toBeGreaterThanOrEqual(ORDERS);
    expect(Number(load?.orders)).toBe(history.orders);
    for (const count of Object.values({ ...load, ...refunds })) expect(Number(count)).toBeGreaterThan(0);
    expect(Number(load?.days)).toBeGreaterThanOrEqual(20);
  });

  it('projected every event: no poison event, no failed batch', async () => {
    expect(problems).toEqual([]);
    const poison = 'SELECT projection, event_id FROM projection_poison_events';
    expect(await rows(main.client, poison)).toEqual([]);
    expect(await rows(warehouse.client, poison)).toEqual([]);
  });

  it('has the same revenue, captured and refunded, overall', async () => {
    const fromEvents = await events(`
      SELECT data->'amount'->>'currency' AS currency,
        sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentCaptured')::text AS captured,
        sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentRefunded')::text AS refunded
      FROM events WHERE type IN ('PaymentCaptured', 'PaymentRefunded')
      GROUP BY 1 ORDER BY 1`);
    const fromOrders = await rows<Money>(
      main.client,
      `SELECT currency, sum(amount_captured)::text AS captured, sum(amount_refunded)::text AS refunded
       FROM orders GROUP BY 1 HAVING sum(amount_captured) > 0 ORDER BY 1`,
    );
    const fromFacts = await rows<Money>(
      warehouse.client,
      `SELECT currency, sum(amount) FILTER (WHERE kind = 'captured')::text AS captured,
         sum(amount) FILTER (WHERE kind = 'refunded')::text AS refunded
       FROM fact_payment WHERE kind IN ('captured', 'refunded') GROUP BY 1 ORDER BY 1`,
    );
    const fromView = await rows<Money>(
      warehouse.client,
      `SELECT currency, sum(captured)::text AS captured, sum(refunded)::text AS refunded
       FROM metric_revenue_daily GROUP BY 1 ORDER BY 1`,
    );
    expect(fromEvents).toHaveLength(1);
    expect(BigInt(fromEvents[0]?.refunded ?? 0)).toBeGreaterThan(0n);
    expect(fromOrders).toEqual(fromEvents);
    expect(fromFacts).toEqual(fromEvents);
    expect(fromView).toEqual(fromEvents);
  });

  it('has the same revenue per payment day in the event store and the warehouse', async () => {
    const byDay = `ORDER BY date, currency`;
    const fromEvents = await events(`
      SELECT to_char((metadata->>'occurredAt')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS date,
        data->'amount'->>'currency' AS currency,
        coalesce(sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentCaptured'), 0)::text AS captured,
        coalesce(sum((data->'amount'->>'amount')::bigint) FILTER (WHERE type = 'PaymentRefunded'), 0)::text AS refunded
      FROM events WHERE type IN ('PaymentCaptured', 'PaymentRefunded')
      GROUP BY 1, 2 ${byDay}`);
    const fromView = await rows<DayMoney & { revenue: string }>(
      warehouse.client,
      `SELECT to_char(date, 'YYYY-MM-DD') AS date, currency, captured::text, refunded::text, revenue::text
       FROM metric_revenue_daily ${byDay}`,
    );
    const fromFacts = await rows<DayMoney>(
      warehouse.client,
      `SELECT to_char(d.date, 'YYYY-MM-DD') AS date, p.currency,
         coalesce(sum(p.amount) FILTER (WHERE p.kind = 'captured'), 0)::text AS captured,
         coalesce(sum(p.amount) FILTER (WHERE p.kind = 'refunded'), 0)::text AS refunded
       FROM fact_payment p JOIN dim_date d USING (date_key)
       WHERE p.kind IN ('captured', 'refunded') GROUP BY 1, 2 ${byDay}`,
    );
    expect(fromEvents.length).toBeGreaterThanOrEqual(20);
    expect(fromFacts).toEqual(fromEvents);
    expect(fromView.map(({ revenue: _, ...day }) => day)).toEqual(fromEvents);
    for (const day of fromView) {
      expect(BigInt(day.revenue)).toBe(BigInt(day.captured) - BigInt(day.refunded));
    }
  });

  it('spreads each day’s revenue over categories without losing a cent', async () => {
    const mismatches = await rows<Record<string, string>>(
      warehouse.client,
      `SELECT r.date, r.currency, r.revenue, c.revenue AS by_category
       FROM metric_revenue_daily r
       LEFT JOIN (
         SELECT date, currency, sum(revenue) AS revenue FROM metric_revenue_by_category_daily GROUP BY 1, 2
       ) c USING (date, currency)
       WHERE c.revenue IS DISTINCT FROM r.revenue`,
    );
    expect(mismatches).toEqual([]);
  });

  it('has the same net payment for every order in the event store, the order read model and the warehouse', async () => {
    const fromEvents = await events(`
      SELECT data->>'orderId' AS order_id,
        sum(CASE type WHEN 'PaymentCaptured' THEN 1 ELSE -1 END * (data->'amount'->>'amount')::bigint)::text AS net
      FROM events WHERE type IN ('PaymentCaptured', 'PaymentRefunded')
      GROUP BY 1 ORDER BY 1`);
    const fromOrders = await rows<OrderNet>(
      main.client,
      `SELECT order_id, (amount_captured - amount_refunded)::text AS net
       FROM orders WHERE amount_captured > 0 ORDER BY 1`,
    );
    const fromFacts = await rows<OrderNet>(
      warehouse.client,
      `SELECT order_id, sum(CASE kind WHEN 'captured' THEN amount ELSE -amount END)::text AS net
       FROM fact_payment WHERE kind IN ('captured', 'refunded') GROUP BY 1 ORDER BY 1`,
    );
    expect(fromEvents.length).toBeGreaterThan(ORDERS * 0.8);
    expect(fromOrders).toEqual(fromEvents);
    expect(fromFacts).toEqual(fromEvents);
  });

  it('counts the same declines, cancellations and refunds everywhere', async () => {
    const [fromEvents] = await events(`
      SELECT count(*) FILTER (WHERE type = 'PaymentDeclined') AS declines,
        count(*) FILTER (WHERE type = 'OrderCancelled' AND data->>'reason' = 'payment_declined') AS declined_orders,
        count(*) FILTER (WHERE type = 'OrderCancelled' AND data->>'reason' = 'customer_request') AS cancellations,
        count(*) FILTER (WHERE type = 'PaymentRefunded') AS refunds,
        count(*) FILTER (WHERE type = 'PaymentRefunded' AND data->>'refundId' LIKE 'cancel-%') AS cancellation_refunds,
        count(DISTINCT data->>'orderId') FILTER (WHERE type = 'PaymentRefunded') AS refunded_orders,
        count(*) FILTER (WHERE type = 'OrderPlaced') AS orders
      FROM events`);
    const [fromOrders] = await rows<Record<string, string>>(
      main.client,
      `SELECT count(*) FILTER (WHERE payment_status = 'declined') AS declines,
         count(*) FILTER (WHERE cancellation_reason = 'payment_declined') AS declined_orders,
         count(*) FILTER (WHERE cancellation_reason = 'customer_request') AS cancellations,
         (SELECT count(*) FROM order_timeline WHERE type = 'PaymentRefunded') AS refunds,
         count(*) FILTER (WHERE cancellation_reason = 'customer_request' AND payment_status = 'refunded')
           AS cancellation_refunds,
         count(*) FILTER (WHERE amount_refunded > 0) AS refunded_orders,
         count(*) AS orders
       FROM orders`,
    );
    const [fromWarehouse] = await rows<Record<string, string>>(
      warehouse.client,
      `SELECT count(*) FILTER (WHERE kind = 'declined') AS declines,
         count(*) FILTER (WHERE kind = 'refunded') AS refunds,
         count(*) FILTER (WHERE kind = 'refunded' AND refund_id LIKE 'cancel-%') AS cancellation_refunds,
         count(DISTINCT order_id) FILTER (WHERE kind = 'refunded') AS refunded_orders,
         (SELECT count(DISTINCT order_id) FROM fact_order_line) AS orders
       FROM fact_payment`,
    );
    expect(fromOrders).toEqual(fromEvents);
    const { declines, refunds, cancellation_refunds, refunded_orders, orders } = fromEvents ?? {};
    expect(fromWarehouse).toEqual({ declines, refunds, cancellation_refunds, refunded_orders, orders });
    // Every customer cancellation of a paid order is refunded in full, under checkout's own refund id.
    expect(fromEvents?.cancellation_refunds).toBe(fromEvents?.cancellations);
  });
});
