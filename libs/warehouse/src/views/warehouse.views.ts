import { type Migration, splitStatements, type SqlExecutor } from '@tally/database';

/*
 * The metric views analysts and the dashboard read (docs/warehouse.md has each definition with an example
 * query). Rules every view keeps:
 *
 * - A day is a UTC day, taken from the fact's `date_key` through `dim_date`, and every view that has a
 *   `date` column groups by it. A `WHERE date BETWEEN …` on the view is then pushed by PostgreSQL below the
 *   grouping down to `dim_date` and, through the facts' `date_key` indexes, reads only the days asked for.
 * - A view reads tables only, never another view: a blue/green rebuild drops and re-creates them in any
 *   order (`WAREHOUSE_VIEWS`), and each can be understood on its own.
 * - Amounts are minor units of `currency`; counts and sums of integers are `bigint`; ratios are `numeric`
 *   rounded to 4 places.
 */

/** Money taken and given back per payment day: the figure that reconciles with the event store. */
const REVENUE_DAILY = `
CREATE OR REPLACE VIEW metric_revenue_daily AS
SELECT d.date, p.currency,
  coalesce(sum(p.amount) FILTER (WHERE p.kind = 'captured'), 0)::bigint AS captured,
  coalesce(sum(p.amount) FILTER (WHERE p.kind = 'refunded'), 0)::bigint AS refunded,
  sum(CASE WHEN p.kind = 'captured' THEN p.amount ELSE -p.amount END)::bigint AS revenue
FROM fact_payment p
JOIN dim_date d ON d.date_key = p.date_key
WHERE p.kind IN ('captured', 'refunded')
GROUP BY d.date, p.currency;
`;

/*
 * Each order's net payments of a day are spread over its lines by line value (by line count when every
 * line is free), with cumulative rounding: line k gets round(net × value of lines 1..k / value of all
 * lines) minus the same for lines 1..k-1. Every share is a whole number of minor units and the shares of
 * an order telescope to exactly its net, so the categories of a day add up to the day's revenue to the
 * cent. The category is that of the `dim_product` version the line points to (valid when the order was
 * placed); payments of an order without lines in the warehouse count as `uncategorized`. The windows
 * are partitioned by the day, so a filter on `date` still reaches the payments' `date_key` first.
 */
const REVENUE_BY_CATEGORY_DAILY = `
CREATE OR REPLACE VIEW metric_revenue_by_category_daily AS
SELECT date, currency, category,
  sum(CASE
    WHEN line_count = 0 THEN net
    WHEN value_total > 0
      THEN round(net * value_upto / value_total) - round(net * (value_upto - line_value) / value_total)
    ELSE round(net * lines_upto / line_count) - round(net * (lines_upto - 1) / line_count)
  END) AS revenue
FROM (
  SELECT n.date, n.currency, n.net::numeric AS net, coalesce(dp.category, 'uncategorized') AS category,
    coalesce(l.line_total, 0) AS line_value,
    sum(l.line_total) OVER (PARTITION BY n.date, n.currency, n.order_id ORDER BY l.line_no) AS value_upto,
    sum(l.line_total) OVER (PARTITION BY n.date, n.currency, n.order_id) AS value_total,
    count(l.line_no) OVER (PARTITION BY n.date, n.currency, n.order_id ORDER BY l.line_no) AS lines_upto,
    count(l.line_no) OVER (PARTITION BY n.date, n.currency, n.order_id) AS line_count
  FROM (
    SELECT d.date, p.currency, p.order_id,
      sum(CASE WHEN p.kind = 'captured' THEN p.amount ELSE -p.amount END) AS net
    FROM fact_payment p
    JOIN dim_date d ON d.date_key = p.date_key
    WHERE p.kind IN ('captured', 'refunded')
    GROUP BY d.date, p.currency, p.order_id
  ) n
  LEFT JOIN fact_order_line l ON l.order_id = n.order_id
  LEFT JOIN dim_product dp ON dp.product_key = l.product_key
) line
GROUP BY date, currency, category;
`;

/*
 * Orders placed by the day they were placed (their currency), orders paid and revenue by payment day.
 * An order counts as paid on each day a payment of it was captured (one capture per order in Tally).
 * The average order value is the day's revenue over the day's paid orders, in whole minor units.
 */
const ORDERS_DAILY = `
CREATE OR REPLACE VIEW metric_orders_daily AS
SELECT date, currency,
  sum(orders_placed)::bigint AS orders_placed,
  sum(orders_paid)::bigint AS orders_paid,
  sum(revenue)::bigint AS revenue,
  CASE WHEN sum(orders_paid) > 0 THEN round(sum(revenue) / sum(orders_paid))::bigint END AS average_order_value
FROM (
  SELECT d.date, l.currency, count(DISTINCT l.order_id) AS orders_placed, 0 AS orders_paid, 0 AS revenue
  FROM fact_order_line l
  JOIN dim_date d ON d.date_key = l.date_key
  GROUP BY d.date, l.currency
  UNION ALL
  SELECT d.date, p.currency, 0, count(DISTINCT p.order_id) FILTER (WHERE p.kind = 'captured'),
    sum(CASE WHEN p.kind = 'captured' THEN p.amount ELSE -p.amount END)
  FROM fact_payment p
  JOIN dim_date d ON d.date_key = p.date_key
  WHERE p.kind IN ('captured', 'refunded')
  GROUP BY d.date, p.currency
) day
GROUP BY date, currency;
`;

/*
 * Carts by the day they were opened, then what became of each (whenever it happened). A cart "has items"
 * once an item was added to it (lines merged in at sign-in are adds too) or it was checked out, so that
 * every step is a subset of the one before; it is "paid" when a payment of its checkout's order was
 * captured.
 */
const FUNNEL_DAILY = `
CREATE OR REPLACE VIEW metric_funnel_daily AS
SELECT date,
  count(*) AS carts_opened,
  count(*) FILTER (WHERE with_items) AS carts_with_items,
  count(*) FILTER (WHERE checked_out) AS carts_checked_out,
  count(*) FILTER (WHERE paid) AS carts_paid
FROM (
  SELECT d.date, o.cart_id,
    coalesce(bool_or(a.activity IN ('add', 'checkout')), false) AS with_items,
    coalesce(bool_or(a.activity = 'checkout'), false) AS checked_out,
    coalesce(bool_or(p.event_id IS NOT NULL), false) AS paid
  FROM fact_cart_activity o
  JOIN dim_date d ON d.date_key = o.date_key
  LEFT JOIN fact_cart_activity a ON a.cart_id = o.cart_id AND a.activity IN ('add', 'checkout')
  LEFT JOIN fact_payment p ON a.activity = 'checkout' AND p.order_id = a.order_id AND p.kind = 'captured'
  WHERE o.activity = 'open'
  GROUP BY d.date, o.cart_id
) cart
GROUP BY date;
`;

/*
 * Carts with items by the day they were opened (as in the funnel), and how many of them were abandoned:
 * left idle for the configured time without a checkout (an `abandon` activity), even if the shopper came
 * back later. The rate is 0 on a day without carts with items.
 */
const CART_ABANDONMENT_DAILY = `
CREATE OR REPLACE VIEW metric_cart_abandonment_daily AS
SELECT date,
  count(*) FILTER (WHERE with_items) AS carts_with_items,
  count(*) FILTER (WHERE with_items AND abandoned) AS carts_abandoned,
  coalesce(round(count(*) FILTER (WHERE with_items AND abandoned)::numeric
    / nullif(count(*) FILTER (WHERE with_items), 0), 4), 0) AS abandonment_rate
FROM (
  SELECT d.date, o.cart_id,
    coalesce(bool_or(a.activity IN ('add', 'checkout')), false) AS with_items,
    coalesce(bool_or(a.activity = 'abandon'), false) AS abandoned
  FROM fact_cart_activity o
  JOIN dim_date d ON d.date_key = o.date_key
  LEFT JOIN fact_cart_activity a ON a.cart_id = o.cart_id AND a.activity IN ('add', 'checkout', 'abandon')
  WHERE o.activity = 'open'
  GROUP BY d.date, o.cart_id
) cart
GROUP BY date;
`;

/*
 * Units, line value and orders of each SKU by the day orders were placed. Name and category are the
 * product's current ones (its open `dim_product` version), so that a SKU keeps one label over time; the
 * category a sale happened under is what metric_revenue_by_category_daily uses.
 */
const PRODUCT_SALES_DAILY = `
CREATE OR REPLACE VIEW metric_product_sales_daily AS
SELECT s.date, s.sku, coalesce(p.name, s.sku) AS name, coalesce(p.category, 'uncategorized') AS category,
  s.units, s.line_revenue, s.orders
FROM (
  SELECT d.date, l.sku, sum(l.quantity)::bigint AS units, sum(l.line_total)::bigint AS line_revenue,
    count(DISTINCT l.order_id) AS orders
  FROM fact_order_line l
  JOIN dim_date d ON d.date_key = l.date_key
  GROUP BY d.date, l.sku
) s
LEFT JOIN dim_product p ON p.sku = s.sku AND p.is_current;
`;

/** metric_product_sales_daily over all time, ranked by units, then line value, then SKU. */
const TOP_PRODUCTS = `
CREATE OR REPLACE VIEW metric_top_products AS
SELECT row_number() OVER (ORDER BY s.units DESC, s.line_revenue DESC, s.sku) AS rank,
  s.sku, coalesce(p.name, s.sku) AS name, coalesce(p.category, 'uncategorized') AS category,
  s.units, s.line_revenue, s.orders
FROM (
  SELECT l.sku, sum(l.quantity)::bigint AS units, sum(l.line_total)::bigint AS line_revenue,
    count(DISTINCT l.order_id) AS orders
  FROM fact_order_line l
  GROUP BY l.sku
) s
LEFT JOIN dim_product p ON p.sku = s.sku AND p.is_current;
`;

/*
 * Stock turns of each SKU in each UTC month in which its on-hand stock moved: units committed to orders
 * over the average on hand. The average is time-weighted and exact: the on hand at the month's start (the
 * sum of every earlier on-hand change), plus each change of the month weighted by the share of the month
 * still to run after it (the level a month ends on is taken to hold until its end). Turns are null when the
 * average on hand is not positive.
 */
const STOCK_TURNS_MONTHLY = `
CREATE OR REPLACE VIEW metric_stock_turns_monthly AS
SELECT month, sku, units_sold, average_on_hand,
  CASE WHEN average_on_hand > 0 THEN round(units_sold / average_on_hand, 4) END AS turns
FROM (
  SELECT month::date AS month, sku, units_sold::bigint AS units_sold,
    round(coalesce(sum(net) OVER (PARTITION BY sku ORDER BY month
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
      + weighted / extract(epoch FROM (month + interval '1 month') - month), 2) AS average_on_hand
  FROM (
    SELECT m.month, m.sku,
      coalesce(sum(m.quantity) FILTER (WHERE m.movement = 'committed'), 0) AS units_sold,
      sum(m.on_hand_delta) AS net,
      sum(m.on_hand_delta * extract(epoch FROM (m.month + interval '1 month') - m.at)) AS weighted
    FROM (
      SELECT sku, movement, quantity, on_hand_delta, occurred_at AT TIME ZONE 'UTC' AS at,
        date_trunc('month', occurred_at AT TIME ZONE 'UTC') AS month
      FROM fact_stock_movement
      WHERE on_hand_delta <> 0
    ) m
    GROUP BY m.month, m.sku
  ) monthly
) averaged;
`;

/** Searches per normalized query and day; `last_zero_result_at` feeds the zero-result terms of a range. */
const SEARCH_TERMS_DAILY = `
CREATE OR REPLACE VIEW metric_search_terms_daily AS
SELECT d.date, s.normalized_query,
  count(*) AS searches,
  count(*) FILTER (WHERE s.zero_result) AS zero_result_searches,
  max(s.occurred_at) FILTER (WHERE s.zero_result) AS last_zero_result_at
FROM fact_search s
JOIN dim_date d ON d.date_key = s.date_key
GROUP BY d.date, s.normalized_query;
`;

/** Every query that ever found nothing: how often, and when last. */
const ZERO_RESULT_SEARCHES = `
CREATE OR REPLACE VIEW metric_zero_result_searches AS
SELECT normalized_query, count(*) AS searches, max(occurred_at) AS last_searched_at
FROM fact_search
WHERE zero_result
GROUP BY normalized_query;
`;

const VIEWS_SQL = [
  REVENUE_DAILY,
  REVENUE_BY_CATEGORY_DAILY,
  ORDERS_DAILY,
  FUNNEL_DAILY,
  CART_ABANDONMENT_DAILY,
  PRODUCT_SALES_DAILY,
  TOP_PRODUCTS,
  STOCK_TURNS_MONTHLY,
  SEARCH_TERMS_DAILY,
  ZERO_RESULT_SEARCHES,
].join('');

/**
 * The metric views, in the order they are created. No view reads another, so they can also be dropped in
 * any order.
 */
export const WAREHOUSE_VIEWS = [
  'metric_revenue_daily',
  'metric_revenue_by_category_daily',
  'metric_orders_daily',
  'metric_funnel_daily',
  'metric_cart_abandonment_daily',
  'metric_product_sales_daily',
  'metric_top_products',
  'metric_stock_turns_monthly',
  'metric_search_terms_daily',
  'metric_zero_result_searches',
] as const;

/** The views as migrations of the `warehouse` set, after the star schema (`0001_…`). */
export const warehouseViewMigrations: readonly Migration[] = [
  { id: '0100_warehouse_metric_views', sql: VIEWS_SQL },
];

/**
 * Creates (or replaces) every metric view in the first schema of `tx`'s search path, with the statements of
 * {@link warehouseViewMigrations}: a blue/green rebuild calls it after moving the new tables in, since views
 * stay bound to the tables they were created on.
 */
export async function createWarehouseViews(tx: SqlExecutor): Promise<void> {
  for (const statement of splitStatements(VIEWS_SQL)) await tx.query(statement);
}
