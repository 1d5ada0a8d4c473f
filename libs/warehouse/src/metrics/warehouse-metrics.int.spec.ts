import { randomUUID } from 'node:crypto';
import { migrate, type SqlExecutor } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { refreshWarehouseAggregates } from '../aggregates/warehouse-aggregates';
import { warehouseTableMigrations } from '../warehouse.schema';
import { createWarehouseViews, WAREHOUSE_VIEWS, warehouseViewMigrations } from '../views/warehouse.views';
import { readMetric } from './warehouse-metrics';

/*
 * A small shop built by hand in the star schema, each number below worked out on paper:
 *
 * Days D1 = 2026-03-01, D2 = 2026-03-02, D3 = 2026-04-10 (UTC).
 * Products: MUG version 1 in `kitchen` until D2, then version 2 in `home` (current, "Mug"); TEA in `food`;
 * PEN has no dim_product row.
 * O1 (D1): 2 MUG v1 = 2000 + 1 TEA = 1000; captured 3600 on D1, 600 refunded on D2.
 * O2 (D2): 1 MUG v2 = 1000; captured 1200 on D2.
 * O3 (D2): 3 TEA = 1500; declined on D2.
 * O4: no lines in the warehouse; captured 500 USD on D2.
 * O5 (D3): TEA 100, MUG v2 100, PEN 100; captured 1000 on D3.
 */
const D1 = '2026-03-01';
const D2 = '2026-03-02';
const D3 = '2026-04-10';

const dateKey = (at: string) => Number(at.slice(0, 10).replaceAll('-', ''));

describe('warehouse metrics', () => {
  let db: TestSchema;
  let sql: SqlExecutor;
  const keys = { mug1: randomUUID(), mug2: randomUUID(), tea: randomUUID() };

  beforeAll(async () => {
    db = await createTestSchema('warehouse_metrics');
    sql = db.client;
    await migrate(db.client, [
      { module: 'warehouse', migrations: [...warehouseTableMigrations, ...warehouseViewMigrations] },
    ]);
    await seedShop(sql, keys);
    // The shop is written straight into the facts, not by the projection: fill the aggregates from them.
    await refreshWarehouseAggregates(sql);
  });

  afterAll(() => db.drop());

  const range = (from: string, to: string, limit = 10) => ({ from, to, limit });

  describe('revenue', () => {
    it('is captured minus refunded by payment day and currency, with totals', async () => {
      const answer = await readMetric(sql, 'revenue', range(D1, D2));

      expect(answer.from).toBe(D1);
      expect(answer.to).toBe(D2);
      expect(answer.days).toEqual([
        { date: D1, currency: 'EUR', captured: 3600, refunded: 0, revenue: 3600 },
        { date: D2, currency: 'EUR', captured: 1200, refunded: 600, revenue: 600 },
        { date: D2, currency: 'USD', captured: 500, refunded: 0, revenue: 500 },
      ]);
      expect(answer.totals).toEqual([
        { currency: 'EUR', captured: 4800, refunded: 600, revenue: 4200 },
        { currency: 'USD', captured: 500, refunded: 0, revenue: 500 },
      ]);
    });

    it('allocates each order’s net payments of a day to the categories of the versions its lines point to', async () => {
      const answer = await readMetric(sql, 'revenue', range(D1, D2));

      // D1: 3600 over 2000/1000 = 2400 kitchen + 1200 food; D2: -600 = -400 kitchen - 200 food, O2 1200 home.
      expect(answer.byCategory).toEqual([
        { currency: 'EUR', category: 'kitchen', revenue: 2000 },
        { currency: 'EUR', category: 'home', revenue: 1200 },
        { currency: 'EUR', category: 'food', revenue: 1000 },
        { currency: 'USD', category: 'uncategorized', revenue: 500 },
      ]);
    });

    it('rounds cumulatively so that a day’s categories add up to its revenue exactly', async () => {
      const { rows } = await sql.query<{ category: string; revenue: string }>(
        `SELECT category, revenue::text AS revenue FROM metric_revenue_by_category_daily
         WHERE date = $1 ORDER BY category`,
        [D3],
      );
      // 1000 over three lines of 100: round(333.3) = 333, round(666.7) - 333 = 334, 1000 - 667 = 333.
      expect(rows).toEqual([
        { category: 'food', revenue: '333' },
        { category: 'home', revenue: '334' },
        { category: 'uncategorized', revenue: '333' },
      ]);
      const answer = await readMetric(sql, 'revenue', range(D3, D3));
      expect(answer.totals).toEqual([{ currency: 'EUR', captured: 1000, refunded: 0, revenue: 1000 }]);
    });

    it('answers empty lists for a range without payments', async () => {
      const answer = await readMetric(sql, 'revenue', range('2026-05-01', '2026-05-31'));
      expect(answer).toEqual({ from: '2026-05-01', to: '2026-05-31', days: [], byCategory: [], totals: [] });
    });
  });

  it('orders: placed by placing day, paid and revenue by payment day, average order value', async () => {
    const answer = await readMetric(sql, 'orders', range(D1, D3));

    expect(answer.days).toEqual([
      { date: D1, currency: 'EUR', ordersPlaced: 1, ordersPaid: 1, revenue: 3600, averageOrderValue: 3600 },
      { date: D2, currency: 'EUR', ordersPlaced: 2, ordersPaid: 1, revenue: 600, averageOrderValue: 600 },
      { date: D2, currency: 'USD', ordersPlaced: 0, ordersPaid: 1, revenue: 500, averageOrderValue: 500 },
      { date: D3, currency: 'EUR', ordersPlaced: 1, ordersPaid: 1, revenue: 1000, averageOrderValue: 1000 },
    ]);
  });

  it('funnel: carts opened in the range, then with items, checked out and paid', async () => {
    expect((await readMetric(sql, 'funnel', range(D1, D2))).steps).toEqual([
      { step: 'cart_opened', carts: 6 },
      { step: 'item_added', carts: 5 },
      { step: 'checkout', carts: 3 },
      { step: 'paid', carts: 2 },
    ]);
    expect((await readMetric(sql, 'funnel', range(D1, D1))).steps.map((s) => s.carts)).toEqual([3, 2, 1, 1]);
    expect((await readMetric(sql, 'funnel', range(D3, D3))).steps.map((s) => s.carts)).toEqual([0, 0, 0, 0]);
  });

  it('abandonment: carts abandoned over carts with items, by opening day and over the range', async () => {
    const answer = await readMetric(sql, 'abandonment', range(D1, D2));

    expect(answer.days).toEqual([
      { date: D1, cartsWithItems: 2, cartsAbandoned: 1, abandonmentRate: 0.5 },
      { date: D2, cartsWithItems: 3, cartsAbandoned: 1, abandonmentRate: 0.3333 },
    ]);
    expect(answer.total).toEqual({ cartsWithItems: 5, cartsAbandoned: 2, abandonmentRate: 0.4 });
    expect((await readMetric(sql, 'abandonment', range(D3, D3))).total).toEqual({
      cartsWithItems: 0,
      cartsAbandoned: 0,
      abandonmentRate: 0,
    });
  });

  it('top products: units, line value and orders in the range, with current names, ranked and limited', async () => {
    expect((await readMetric(sql, 'top-products', range(D1, D2))).products).toEqual([
      { sku: 'TEA', name: 'Tea', category: 'food', units: 4, revenue: 2500, orders: 2 },
      { sku: 'MUG', name: 'Mug', category: 'home', units: 3, revenue: 3000, orders: 2 },
    ]);
    expect((await readMetric(sql, 'top-products', range(D1, D3, 1))).products).toEqual([
      { sku: 'TEA', name: 'Tea', category: 'food', units: 5, revenue: 2600, orders: 3 },
    ]);
    const { rows } = await sql.query<{ rank: string; sku: string; name: string; category: string }>(
      'SELECT rank::text AS rank, sku, name, category FROM metric_top_products ORDER BY rank',
    );
    expect(rows).toEqual([
      { rank: '1', sku: 'TEA', name: 'Tea', category: 'food' },
      { rank: '2', sku: 'MUG', name: 'Mug', category: 'home' },
      { rank: '3', sku: 'PEN', name: 'PEN', category: 'uncategorized' },
    ]);
  });

  it('zero-result searches: how often each query found nothing in the range, and when last', async () => {
    expect((await readMetric(sql, 'zero-result-searches', range(D1, D2))).terms).toEqual([
      { query: 'blue mug', searches: 2, lastSearchedAt: `${D2}T10:00:00.000Z` },
      { query: 'teapot', searches: 1, lastSearchedAt: `${D1}T09:00:00.000Z` },
    ]);
    expect((await readMetric(sql, 'zero-result-searches', range(D1, D1, 1))).terms).toEqual([
      { query: 'blue mug', searches: 1, lastSearchedAt: `${D1}T08:00:00.000Z` },
    ]);
    const { rows } = await sql.query(
      `SELECT normalized_query, searches::int AS searches, zero_result_searches::int AS zero
       FROM metric_search_terms_daily WHERE date = $1 ORDER BY normalized_query`,
      [D2],
    );
    expect(rows).toEqual([{ normalized_query: 'blue mug', searches: 2, zero: 1 }]);
  });

  it('stock turns: units committed over the time-weighted average on hand, per month and over the range', async () => {
    const { rows } = await sql.query(
      `SELECT to_char(month, 'YYYY-MM-DD') AS month, sku, units_sold::int AS units_sold,
         average_on_hand::text AS average_on_hand, turns::text AS turns
       FROM metric_stock_turns_monthly ORDER BY month`,
    );
    // March: 100 received on the 1st, 31 committed on the 21st (11 of 31 days left): 100 - 11 = 89.
    // April: 69 at the start, 10 committed on the 1st for the whole month: 59.
    expect(rows).toEqual([
      { month: '2026-03-01', sku: 'MUG', units_sold: 31, average_on_hand: '89.00', turns: '0.3483' },
      { month: '2026-04-01', sku: 'MUG', units_sold: 10, average_on_hand: '59.00', turns: '0.1695' },
    ]);
    expect((await readMetric(sql, 'stock-turns', range('2026-03-05', D3))).products).toEqual([
      { sku: 'MUG', unitsSold: 41, averageOnHand: 74, turns: 0.5541 },
    ]);
  });

  it('re-creates every view with the same definitions (after a blue/green switch)', async () => {
    const before = await readMetric(sql, 'revenue', range(D1, D3));
    await db.client.transaction(async (tx) => {
      for (const view of WAREHOUSE_VIEWS) await tx.query(`DROP VIEW ${view}`);
      await createWarehouseViews(tx);
    });
    expect(await readMetric(sql, 'revenue', range(D1, D3))).toEqual(before);
    const { rows } = await sql.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.views WHERE table_schema = $1 ORDER BY 1`,
      [db.schema],
    );
    expect(rows.map((row) => row.name)).toEqual([...WAREHOUSE_VIEWS].sort());
  });
});

/** Inserts the shop described at the top of this file. */
async function seedShop(
  sql: SqlExecutor,
  keys: { readonly mug1: string; readonly mug2: string; readonly tea: string },
): Promise<void> {
  const product = (
    key: string,
    sku: string,
    version: number,
    name: string,
    category: string,
    validFrom: string,
    validTo: string | null,
  ) =>
    sql.query(`INSERT INTO dim_product VALUES ($1, $2, $3, $4, $5, 1000, 'EUR', 'published', $6, $7, $8)`, [
      key,
      sku,
      version,
      name,
      category,
      validFrom,
      validTo,
      validTo === null,
    ]);
  await product(keys.mug1, 'MUG', 1, 'Mug (old)', 'kitchen', '2026-01-01T00:00:00Z', `${D2}T00:00:00Z`);
  await product(keys.mug2, 'MUG', 2, 'Mug', 'home', `${D2}T00:00:00Z`, null);
  await product(keys.tea, 'TEA', 1, 'Tea', 'food', '2026-01-01T00:00:00Z', null);

  const order = async (
    orderId: string,
    placedAt: string,
    total: number,
    lines: [sku: string, key: string | null, quantity: number, unitPrice: number][],
  ) => {
    for (const [index, [sku, key, quantity, unitPrice]] of lines.entries()) {
      await sql.query(
        `INSERT INTO fact_order_line VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8, $9, $10, $11, 'EUR')`,
        [
          orderId,
          index + 1,
          randomUUID(),
          placedAt,
          dateKey(placedAt),
          key,
          sku,
          quantity,
          unitPrice,
          quantity * unitPrice,
          total,
        ],
      );
    }
  };
  await order('O1', `${D1}T10:00:00Z`, 3600, [
    ['MUG', keys.mug1, 2, 1000],
    ['TEA', keys.tea, 1, 1000],
  ]);
  await order('O2', `${D2}T09:00:00Z`, 1200, [['MUG', keys.mug2, 1, 1000]]);
  await order('O3', `${D2}T11:00:00Z`, 1800, [['TEA', keys.tea, 3, 500]]);
  await order('O5', `${D3}T12:00:00Z`, 1000, [
    ['TEA', keys.tea, 1, 100],
    ['MUG', keys.mug2, 1, 100],
    ['PEN', null, 1, 100],
  ]);

  const payment = (orderId: string, kind: string, amount: number, at: string, currency = 'EUR') =>
    sql.query(
      `INSERT INTO fact_payment (event_id, order_id, payment_id, kind, amount, currency, occurred_at, date_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), orderId, `pay-${orderId}`, kind, amount, currency, at, dateKey(at)],
    );
  await payment('O1', 'initiated', 3600, `${D1}T10:01:00Z`);
  await payment('O1', 'authorized', 3600, `${D1}T10:02:00Z`);
  await payment('O1', 'captured', 3600, `${D1}T10:03:00Z`);
  await payment('O1', 'refunded', 600, `${D2}T15:00:00Z`);
  await payment('O2', 'captured', 1200, `${D2}T09:05:00Z`);
  await payment('O3', 'declined', 0, `${D2}T11:05:00Z`);
  await payment('O4', 'captured', 500, `${D2}T12:00:00Z`, 'USD');
  await payment('O5', 'captured', 1000, `${D3}T12:05:00Z`);

  const cart = async (cartId: string, openedAt: string, activities: [string, string | null][]) => {
    const at = (minutes: number) => new Date(Date.parse(openedAt) + minutes * 60_000).toISOString();
    const rows: [string, string, string | null][] = [
      ['open', openedAt, null],
      ...activities.map(([activity, orderId], i): [string, string, string | null] => [
        activity,
        at(i + 1),
        orderId,
      ]),
    ];
    for (const [activity, occurredAt, orderId] of rows) {
      await sql.query(
        `INSERT INTO fact_cart_activity (activity_id, cart_id, activity, order_id, occurred_at, date_key)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [randomUUID(), cartId, activity, orderId, occurredAt, dateKey(occurredAt)],
      );
    }
  };
  await cart('C1', `${D1}T09:00:00Z`, [
    ['add', null],
    ['checkout', 'O1'],
  ]);
  await cart('C2', `${D1}T09:30:00Z`, [
    ['add', null],
    ['abandon', null],
  ]);
  await cart('C3', `${D1}T23:59:00Z`, []);
  await cart('C4', `${D2}T10:00:00Z`, [
    ['add', null],
    ['checkout', 'O3'],
  ]);
  // Checked out without an add of its own: it had items all the same.
  await cart('C5', `${D2}T08:00:00Z`, [['checkout', 'O2']]);
  await cart('C6', `${D2}T13:00:00Z`, [
    ['add', null],
    ['remove', null],
    ['abandon', null],
  ]);

  const search = (query: string, results: number, at: string) =>
    sql.query(
      `INSERT INTO fact_search (event_id, query, normalized_query, results, zero_result, occurred_at, date_key)
       VALUES ($1, $2, $2, $3, $4, $5, $6)`,
      [randomUUID(), query, results, results === 0, at, dateKey(at)],
    );
  await search('blue mug', 0, `${D1}T08:00:00Z`);
  await search('teapot', 0, `${D1}T09:00:00Z`);
  await search('tea', 4, `${D1}T09:30:00Z`);
  await search('blue mug', 0, `${D2}T10:00:00Z`);
  await search('blue mug', 2, `${D2}T11:00:00Z`);

  const stock = (
    sku: string,
    movement: string,
    onHand: number,
    reserved: number,
    quantity: number,
    at: string,
  ) =>
    sql.query(
      `INSERT INTO fact_stock_movement (event_id, sku, movement, on_hand_delta, reserved_delta, quantity,
         occurred_at, date_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [randomUUID(), sku, movement, onHand, reserved, quantity, at, dateKey(at)],
    );
  await stock('MUG', 'received', 100, 0, 100, '2026-03-01T00:00:00Z');
  await stock('MUG', 'reserved', 0, 31, 31, '2026-03-20T00:00:00Z');
  await stock('MUG', 'committed', -31, -31, 31, '2026-03-21T00:00:00Z');
  await stock('MUG', 'committed', -10, -10, 10, '2026-04-01T00:00:00Z');
  await stock('TEA', 'reserved', 0, 2, 2, '2026-03-20T00:00:00Z');
}
