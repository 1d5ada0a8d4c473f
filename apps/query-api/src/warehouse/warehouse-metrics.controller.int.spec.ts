import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate, PgSqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type AppConfig, loadConfig, type ProblemDetails } from '@tally/platform';
import {
  authHeader,
  createTestSchema,
  routesWithoutRoles,
  testInfrastructure,
  type TestSchema,
  type TestWarehouse,
  testWarehouse,
} from '@tally/testing';
import { readMetric, refreshWarehouseAggregates, WAREHOUSE_METRICS } from '@tally/warehouse';
import { createQueryApi, queryApiMigrations } from '../query-api.app';
import { metricRange } from './warehouse-metrics.controller';
import {
  abandonmentMetricSchema,
  funnelMetricSchema,
  ordersMetricSchema,
  revenueMetricSchema,
  stockTurnsMetricSchema,
  topProductsMetricSchema,
  zeroResultSearchesMetricSchema,
} from './warehouse-metrics.schemas';

const D1 = '2026-03-01';
const D2 = '2026-03-02';
const dateKey = (at: string) => Number(at.slice(0, 10).replaceAll('-', ''));

describe('query-api warehouse metrics', () => {
  let db: TestSchema;
  let config: AppConfig;
  let store: PostgresEventStore;
  let app: NestFastifyApplication;
  let warehouse: PgSqlClient;
  let testWh: TestWarehouse;

  beforeAll(async () => {
    db = await createTestSchema('query_warehouse', 2);
    testWh = testWarehouse(db.schema, db.url);
    await migrate(db.client, [eventStoreMigrations, ...queryApiMigrations]);
    config = loadConfig({
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '2',
      ...testWh.settings,
    });
    store = new PostgresEventStore(db.client);
    app = await createQueryApi(testInfrastructure({ config, sql: db.client, eventStore: store }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    // The app migrated the warehouse at start; the facts are written as the warehouse projection would,
    // and the aggregates the views read filled from them.
    warehouse = new PgSqlClient({
      connectionString: db.url,
      schema: config.TALLY_WAREHOUSE_SCHEMA,
      maxConnections: 1,
    });
    await seed(warehouse);
    await refreshWarehouseAggregates(warehouse);
  });

  afterAll(async () => {
    await app.close();
    await warehouse.close();
    await store.close();
    await testWh.drop();
    await db.drop();
  });

  const get = (url: string, headers: Record<string, string> = authHeader('analyst')) =>
    app.inject({ method: 'GET', url, headers });
  const problemOf = (body: string) => JSON.parse(body) as ProblemDetails;
  const range = `from=${D1}&to=${D2}`;

  it('answers each metric with what the views hold for the range', async () => {
    const revenue = revenueMetricSchema.parse(
      (await get(`/api/v1/warehouse/metrics/revenue?${range}`)).json(),
    );
    expect(revenue).toEqual({
      from: D1,
      to: D2,
      days: [
        { date: D1, currency: 'EUR', captured: 2500, refunded: 0, revenue: 2500 },
        { date: D2, currency: 'EUR', captured: 0, refunded: 500, revenue: -500 },
      ],
      byCategory: [{ currency: 'EUR', category: 'kitchen', revenue: 2000 }],
      totals: [{ currency: 'EUR', captured: 2500, refunded: 500, revenue: 2000 }],
    });

    const orders = ordersMetricSchema.parse((await get(`/api/v1/warehouse/metrics/orders?${range}`)).json());
    expect(orders.days).toEqual([
      { date: D1, currency: 'EUR', ordersPlaced: 1, ordersPaid: 1, revenue: 2500, averageOrderValue: 2500 },
      { date: D2, currency: 'EUR', ordersPlaced: 0, ordersPaid: 0, revenue: -500, averageOrderValue: null },
    ]);

    const funnel = funnelMetricSchema.parse((await get(`/api/v1/warehouse/metrics/funnel?${range}`)).json());
    expect(funnel.steps).toEqual([
      { step: 'cart_opened', carts: 2 },
      { step: 'item_added', carts: 2 },
      { step: 'checkout', carts: 1 },
      { step: 'paid', carts: 1 },
    ]);

    const abandonment = abandonmentMetricSchema.parse(
      (await get(`/api/v1/warehouse/metrics/abandonment?${range}`)).json(),
    );
    expect(abandonment.days).toEqual([
      { date: D1, cartsWithItems: 2, cartsAbandoned: 1, abandonmentRate: 0.5 },
    ]);
    expect(abandonment.total).toEqual({ cartsWithItems: 2, cartsAbandoned: 1, abandonmentRate: 0.5 });

    const top = topProductsMetricSchema.parse(
      (await get(`/api/v1/warehouse/metrics/top-products?${range}&limit=5`)).json(),
    );
    expect(top.products).toEqual([
      { sku: 'MUG', name: 'Mug', category: 'kitchen', units: 2, revenue: 2000, orders: 1 },
    ]);

    const searches = zeroResultSearchesMetricSchema.parse(
      (await get(`/api/v1/warehouse/metrics/zero-result-searches?${range}`)).json(),
    );
    expect(searches.terms).toEqual([{ query: 'teapot', searches: 1, lastSearchedAt: `${D2}T08:00:00.000Z` }]);

    const turns = stockTurnsMetricSchema.parse(
      (await get(`/api/v1/warehouse/metrics/stock-turns?${range}`)).json(),
    );
    // 62 on hand all March, 2 committed on the 1st: 60 for the whole month; 2 / 60.
    expect(turns.products).toEqual([{ sku: 'MUG', unitsSold: 2, averageOnHand: 60, turns: 0.0333 }]);

    for (const metric of WAREHOUSE_METRICS) {
      const answer = (await get(`/api/v1/warehouse/metrics/${metric}?${range}`)).json<unknown>();
      expect([metric, answer]).toEqual([
        metric,
        await readMetric(warehouse, metric, { from: D1, to: D2, limit: 10 }),
      ]);
    }
  });

  it('reads the 30 days ending today (UTC) by default', async () => {
    const before = new Date().toISOString().slice(0, 10);
    const body = revenueMetricSchema.parse((await get('/api/v1/warehouse/metrics/revenue')).json());
    const after = new Date().toISOString().slice(0, 10);

    expect([before, after]).toContain(body.to);
    expect((Date.parse(body.to) - Date.parse(body.from)) / 86_400_000).toBe(29);
    expect(metricRange({ to: D2, limit: 10 }, new Date())).toEqual({ from: '2026-02-01', to: D2, limit: 10 });
  });

  it('answers 400 naming the field for a bad date, a backwards or too long range, or a bad limit', async () => {
    const fields = async (query: string) => {
      const response = await get(`/api/v1/warehouse/metrics/revenue?${query}`);
      expect([query, response.statusCode]).toEqual([query, 400]);
      return problemOf(response.body)
        .errors?.map((error) => error.field)
        .sort();
    };
    expect(await fields('from=2026-02-30&to=2026-03-01')).toEqual(['query.from']);
    expect(await fields('from=2026-03-01&to=March')).toEqual(['query.to']);
    expect(await fields('from=2026-13-01&to=2026-13-02')).toEqual(['query.from', 'query.to']);
    expect(await fields(`from=${D2}&to=${D1}`)).toEqual(['query.from']);
    expect(await fields('from=2016-01-01&to=2026-12-31')).toEqual(['query.from']);
    expect(await fields(`${range}&limit=0&colour=red`)).toEqual(['query.colour', 'query.limit']);
    expect(await fields(`${range}&limit=101`)).toEqual(['query.limit']);
    expect((await get(`/api/v1/warehouse/metrics/revenue?from=2016-01-07&to=2026-01-01`)).statusCode).toBe(
      200,
    );
  });

  it('answers 404 for a metric it does not know', async () => {
    const response = await get(`/api/v1/warehouse/metrics/profit?${range}`);

    expect(response.statusCode).toBe(404);
    expect(problemOf(response.body).code).toBe('METRIC_NOT_FOUND');
  });

  it('is for analysts only', async () => {
    const url = `/api/v1/warehouse/metrics/revenue?${range}`;
    for (const role of ['customer', 'admin', 'auditor'] as const) {
      expect([role, (await get(url, authHeader(role))).statusCode]).toEqual([role, 403]);
    }
    expect((await get(url, {})).statusCode).toBe(401);
    expect(routesWithoutRoles(app)).toEqual([]);
  });
});

/**
 * One order O1 on D1: 2 mugs (kitchen) = 2000 of a 2500 total, paid on D1, 500 refunded on D2. Carts on D1:
 * C1 checked out into O1, C2 abandoned. A zero-result search for "teapot" on D2. 62 mugs received in
 * February, 2 committed on March 1st.
 */
async function seed(sql: PgSqlClient): Promise<void> {
  const mug = randomUUID();
  await sql.query(
    `INSERT INTO dim_product VALUES ($1, 'MUG', 1, 'Mug', 'kitchen', 1000, 'EUR', 'published', '2026-01-01', NULL, true)`,
    [mug],
  );
  await sql.query(
    `INSERT INTO fact_order_line VALUES ('O1', 1, $1, $2, $3, NULL, $4, 'MUG', 2, 1000, 2000, 2500, 'EUR')`,
    [randomUUID(), `${D1}T10:00:00Z`, dateKey(D1), mug],
  );
  for (const [kind, amount, at] of [
    ['authorized', 2500, `${D1}T10:01:00Z`],
    ['captured', 2500, `${D1}T10:02:00Z`],
    ['refunded', 500, `${D2}T12:00:00Z`],
  ] as const) {
    await sql.query(
      `INSERT INTO fact_payment (event_id, order_id, payment_id, kind, amount, currency, occurred_at, date_key)
       VALUES ($1, 'O1', 'P1', $2, $3, 'EUR', $4, $5)`,
      [randomUUID(), kind, amount, at, dateKey(at)],
    );
  }
  for (const [cartId, activity, orderId, at] of [
    ['C1', 'open', null, `${D1}T09:00:00Z`],
    ['C1', 'add', null, `${D1}T09:01:00Z`],
    ['C1', 'checkout', 'O1', `${D1}T09:59:00Z`],
    ['C2', 'open', null, `${D1}T11:00:00Z`],
    ['C2', 'add', null, `${D1}T11:01:00Z`],
    ['C2', 'abandon', null, `${D1}T12:01:00Z`],
  ] as const) {
    await sql.query(
      `INSERT INTO fact_cart_activity (activity_id, cart_id, activity, order_id, occurred_at, date_key)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [randomUUID(), cartId, activity, orderId, at, dateKey(at)],
    );
  }
  await sql.query(
    `INSERT INTO fact_search (event_id, query, normalized_query, results, zero_result, occurred_at, date_key)
     VALUES ($1, 'Teapot', 'teapot', 0, true, $2, $3)`,
    [randomUUID(), `${D2}T08:00:00Z`, dateKey(D2)],
  );
  for (const [movement, delta, at] of [
    ['received', 62, '2026-02-10T00:00:00Z'],
    ['committed', -2, `${D1}T00:00:00Z`],
  ] as const) {
    await sql.query(
      `INSERT INTO fact_stock_movement (event_id, sku, movement, on_hand_delta, reserved_delta, quantity,
         occurred_at, date_key) VALUES ($1, 'MUG', $2, $3, 0, $4, $5, $6)`,
      [randomUUID(), movement, delta, Math.abs(delta), at, dateKey(at)],
    );
  }
}
