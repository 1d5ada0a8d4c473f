import { splitStatements, type SqlExecutor } from '@tally/database';

/*
 * The aggregates the metric views read (docs/warehouse.md, "Aggregates"): a few rows per day (or month)
 * instead of every cart, order, line and movement of the range. The warehouse projection keeps them in the
 * same transaction as the facts, from the rows its statements actually wrote (`INSERT … RETURNING` of an
 * `ON CONFLICT DO NOTHING`, `UPDATE` or `DELETE … RETURNING`), so that a replayed event adds nothing and
 * the tables come out the same however the log was cut into batches. Each is also defined from the facts
 * alone (`AGGREGATES_FROM_FACTS_SQL`): what the migration fills them with, and what the tests compare the
 * kept ones with.
 *
 * - `agg_sales_daily` (day, currency): money captured and refunded (by payment day), the number of those
 *   payment facts, orders placed (by placing day, in their lines' currency) and orders paid (orders with a
 *   capture that day).
 * - `agg_category_revenue_daily` (day, currency, category): each order's net payments of a day spread over
 *   its lines (`allocationSql`), and how many allocations (lines, or the order when it has none) make it up.
 *   A row whose allocations all moved away is deleted.
 * - `agg_product_sales_daily` (day, SKU): units, line value and orders placed.
 * - `agg_cart_funnel_daily` (day a cart was opened): carts opened, with items, checked out, paid, and with
 *   items and abandoned, counted from each cart's flags in `warehouse_cart_state` as they turn on, and
 *   a cart paid at the first capture of its checkout's order (or at its checkout, if that came later).
 * - `agg_stock_monthly` (SKU, UTC month in which its on-hand moved): units committed, the net on-hand
 *   change, and the changes weighted by the seconds from each to the month's end.
 */

/** The aggregate tables, in the order they are filled from the facts. */
export const WAREHOUSE_AGGREGATES = [
  'agg_sales_daily',
  'agg_category_revenue_daily',
  'agg_product_sales_daily',
  'agg_cart_funnel_daily',
  'agg_stock_monthly',
] as const;

/** Signed money of a `captured` or `refunded` payment fact `p` (the only kinds revenue counts). */
export const NET_PAYMENT_SQL = `CASE WHEN p.kind = 'captured' THEN p.amount ELSE -p.amount END`;

/**
 * A query of allocation rows `(date_key, currency, category, revenue, allocations)`: each net of `nets`
 * (relation with `date_key, currency, order_id, net numeric, sign int`) spread over the order's lines in
 * `lines` (relation with `order_id, line_no, line_total, category`, a null category being `uncategorized`),
 * times `sign`. Line k gets round(net × value of lines 1..k / value of all lines) minus the same for lines
 * 1..k-1 (by line count when every line is free); an order without lines puts its whole net on
 * `uncategorized`. The shares are whole minor units and add up to the net exactly, so subtracting an old
 * allocation and adding a new one moves money between categories without losing a cent. `lines` must hold
 * every line of each order it holds (the running sums are over the order).
 */
export function allocationSql(nets: string, lines: string): string {
  return `SELECT n.date_key, n.currency, coalesce(l.category, 'uncategorized') AS category,
    n.sign * CASE
      WHEN l.order_id IS NULL THEN n.net
      WHEN l.value_total > 0
        THEN round(n.net * l.value_upto / l.value_total) - round(n.net * (l.value_upto - l.line_total) / l.value_total)
      ELSE round(n.net * l.lines_upto / l.line_count) - round(n.net * (l.lines_upto - 1) / l.line_count)
    END AS revenue,
    n.sign AS allocations
  FROM ${nets} n
  LEFT JOIN (
    SELECT order_id, line_total, category,
      sum(line_total) OVER (PARTITION BY order_id ORDER BY line_no) AS value_upto,
      sum(line_total) OVER (PARTITION BY order_id) AS value_total,
      count(*) OVER (PARTITION BY order_id ORDER BY line_no) AS lines_upto,
      count(*) OVER (PARTITION BY order_id) AS line_count
    FROM ${lines} line
  ) l ON l.order_id = n.order_id`;
}

/**
 * Adds allocation rows (the columns of {@link allocationSql}) to `agg_category_revenue_daily`, returning
 * each changed row's allocations (0: nothing is left in it, see {@link dropEmptyCategories}).
 */
export function addCategoryRevenueSql(allocations: string): string {
  return `INSERT INTO agg_category_revenue_daily AS t (date_key, currency, category, revenue, allocations)
    SELECT date_key, currency, category, sum(revenue), sum(allocations)
    FROM (${allocations}) a
    GROUP BY date_key, currency, category
    HAVING sum(revenue) <> 0 OR sum(allocations) <> 0
    ON CONFLICT (date_key, currency, category) DO UPDATE
    SET revenue = t.revenue + excluded.revenue, allocations = t.allocations + excluded.allocations
    RETURNING t.allocations`;
}

// The category rows whose allocations all moved to other categories (lines that arrived after their
// order's payments, or moved to another product version).
const EMPTY_CATEGORIES_SQL = 'DELETE FROM agg_category_revenue_daily WHERE allocations = 0';

/**
 * Deletes the category rows left without allocations when a statement of {@link addCategoryRevenueSql}
 * reported any (`emptied`): a build that never had them must give the same table.
 */
export function dropEmptyCategories(tx: SqlExecutor, emptied: number): Promise<unknown> {
  return emptied > 0 ? tx.query(EMPTY_CATEGORIES_SQL) : Promise.resolve();
}

/**
 * Every aggregate (and each cart's flags) from the facts alone, as the metric views defined them before
 * the aggregates existed. Replaces what the tables hold.
 */
export const AGGREGATES_FROM_FACTS_SQL = `
DELETE FROM agg_sales_daily;
DELETE FROM agg_category_revenue_daily;
DELETE FROM agg_product_sales_daily;
DELETE FROM agg_cart_funnel_daily;
DELETE FROM agg_stock_monthly;

INSERT INTO agg_sales_daily (date_key, currency, captured, refunded, payments, orders_placed, orders_paid)
SELECT date_key, currency, sum(captured), sum(refunded), sum(payments), sum(orders_placed), sum(orders_paid)
FROM (
  SELECT p.date_key, p.currency,
    coalesce(sum(p.amount) FILTER (WHERE p.kind = 'captured'), 0) AS captured,
    coalesce(sum(p.amount) FILTER (WHERE p.kind = 'refunded'), 0) AS refunded,
    count(*) AS payments, 0 AS orders_placed,
    count(DISTINCT p.order_id) FILTER (WHERE p.kind = 'captured') AS orders_paid
  FROM fact_payment p WHERE p.kind IN ('captured', 'refunded')
  GROUP BY p.date_key, p.currency
  UNION ALL
  SELECT l.date_key, l.currency, 0, 0, 0, count(DISTINCT l.order_id), 0
  FROM fact_order_line l GROUP BY l.date_key, l.currency
) s
GROUP BY date_key, currency;

INSERT INTO agg_category_revenue_daily (date_key, currency, category, revenue, allocations)
SELECT date_key, currency, category, sum(revenue), sum(allocations)
FROM (
${allocationSql(
  `(SELECT p.date_key, p.currency, p.order_id, sum(${NET_PAYMENT_SQL}) AS net, 1 AS sign
    FROM fact_payment p WHERE p.kind IN ('captured', 'refunded')
    GROUP BY p.date_key, p.currency, p.order_id)`,
  `(SELECT l.order_id, l.line_no, l.line_total, dp.category
    FROM fact_order_line l LEFT JOIN dim_product dp ON dp.product_key = l.product_key)`,
)}
) a
GROUP BY date_key, currency, category;

INSERT INTO agg_product_sales_daily (date_key, sku, units, line_revenue, orders)
SELECT date_key, sku, sum(quantity), sum(line_total), count(DISTINCT order_id)
FROM fact_order_line GROUP BY date_key, sku;

INSERT INTO agg_cart_funnel_daily (date_key, carts_opened, carts_with_items, carts_checked_out, carts_paid,
  carts_abandoned)
SELECT date_key, count(*), count(*) FILTER (WHERE with_items), count(*) FILTER (WHERE checked_out),
  count(*) FILTER (WHERE paid), count(*) FILTER (WHERE with_items AND abandoned)
FROM (
  SELECT o.date_key, o.cart_id,
    coalesce(bool_or(a.activity IN ('add', 'checkout')), false) AS with_items,
    coalesce(bool_or(a.activity = 'checkout'), false) AS checked_out,
    coalesce(bool_or(p.event_id IS NOT NULL), false) AS paid,
    coalesce(bool_or(a.activity = 'abandon'), false) AS abandoned
  FROM fact_cart_activity o
  LEFT JOIN fact_cart_activity a ON a.cart_id = o.cart_id AND a.activity IN ('add', 'checkout', 'abandon')
  LEFT JOIN fact_payment p ON a.activity = 'checkout' AND p.order_id = a.order_id AND p.kind = 'captured'
  WHERE o.activity = 'open'
  GROUP BY o.date_key, o.cart_id
) cart
GROUP BY date_key;

UPDATE warehouse_cart_state s
SET opened_date_key = f.opened_date_key, with_items = f.with_items, abandonments = f.abandonments
FROM (
  SELECT c.cart_id, min(a.date_key) FILTER (WHERE a.activity = 'open') AS opened_date_key,
    coalesce(bool_or(a.activity IN ('add', 'checkout')), false) AS with_items,
    count(*) FILTER (WHERE a.activity = 'abandon')::int AS abandonments
  FROM warehouse_cart_state c LEFT JOIN fact_cart_activity a ON a.cart_id = c.cart_id
  GROUP BY c.cart_id
) f
WHERE s.cart_id = f.cart_id
  AND (s.opened_date_key, s.with_items, s.abandonments)
    IS DISTINCT FROM (f.opened_date_key, f.with_items, f.abandonments);

INSERT INTO agg_stock_monthly (sku, month, units_sold, on_hand_change, on_hand_weighted)
${stockMonthlySql('fact_stock_movement')};
`;

/**
 * The monthly stock rows of the movements in `movements` (a relation with the columns of
 * `fact_stock_movement`): only movements that changed the on-hand count, as the turns need.
 */
export function stockMonthlySql(movements: string): string {
  return `SELECT sku, month::date, coalesce(sum(quantity) FILTER (WHERE movement = 'committed'), 0),
    sum(on_hand_delta), sum(on_hand_delta * extract(epoch FROM (month + interval '1 month') - at))
  FROM (
    SELECT sku, movement, quantity, on_hand_delta, occurred_at AT TIME ZONE 'UTC' AS at,
      date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS month
    FROM ${movements}
    WHERE on_hand_delta <> 0
  ) m
  GROUP BY sku, month`;
}

/**
 * Replaces every aggregate (and each cart's flags) with what the facts say, in `tx`. The projection keeps
 * them current by itself; this is for facts written by other means (and how the tests check the kept
 * ones).
 */
export async function refreshWarehouseAggregates(tx: SqlExecutor): Promise<void> {
  for (const statement of splitStatements(AGGREGATES_FROM_FACTS_SQL)) await tx.query(statement);
}
