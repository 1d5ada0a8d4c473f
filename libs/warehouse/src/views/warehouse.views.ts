import { type Migration, splitStatements, type SqlExecutor } from '@tally/database';

/*
 * The metric views analysts and the dashboard read (docs/warehouse.md has each definition with an example
 * query). Rules every view keeps:
 *
 * - A day is a UTC day, taken from a `date_key` through `dim_date`, and every view that has a `date`
 *   column groups by it. A `WHERE date BETWEEN …` on the view is then pushed by PostgreSQL down to
 *   `dim_date` and the `date_key` of what it reads, so it reads only the days asked for.
 * - A view reads tables only, never another view: a blue/green rebuild drops and re-creates them in any
 *   order (`WAREHOUSE_VIEWS`), and each can be understood on its own.
 * - Amounts are minor units of `currency`; counts and sums of integers are `bigint`; ratios are `numeric`
 *   rounded to 4 places.
 *
 * The views of money, orders, carts, sales and stock read the aggregates the projection keeps beside the
 * facts (aggregates/warehouse-aggregates.ts, where each is defined from the facts): a few rows per day, so
 * a year answers as fast as a day. The search views read `fact_search`.
 */

/** Money taken and given back per payment day: the figure that reconciles with the event store. */
const REVENUE_DAILY = `
CREATE OR REPLACE VIEW metric_revenue_daily AS
SELECT d.date, a.currency, a.captured, a.refunded, a.captured - a.refunded AS revenue
FROM agg_sales_daily a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.payments > 0;
`;

/*
 * Each order's net payments of a day spread over its lines by line value (by line count when every line
 * is free), with cumulative rounding, so that the categories of a day add up to the day's revenue to the
 * cent; the category is that of the `dim_product` version each line points to (valid when the order was
 * placed), `uncategorized` for payments of an order without lines in the warehouse. The projection moves
 * the shares when payments, lines or a line's version arrive.
 */
const REVENUE_BY_CATEGORY_DAILY = `
CREATE OR REPLACE VIEW metric_revenue_by_category_daily AS
SELECT d.date, a.currency, a.category, a.revenue
FROM agg_category_revenue_daily a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.allocations > 0;
`;

/*
 * Orders placed by the day they were placed (their currency), orders paid and revenue by payment day.
 * An order counts as paid on each day a payment of it was captured (one capture per order in Tally).
 * The average order value is the day's revenue over the day's paid orders, in whole minor units.
 */
const ORDERS_DAILY = `
CREATE OR REPLACE VIEW metric_orders_daily AS
SELECT d.date, a.currency, a.orders_placed, a.orders_paid, a.captured - a.refunded AS revenue,
  CASE WHEN a.orders_paid > 0 THEN round((a.captured - a.refunded)::numeric / a.orders_paid)::bigint END
    AS average_order_value
FROM agg_sales_daily a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.orders_placed > 0 OR a.payments > 0;
`;

/*
 * Carts by the day they were opened, then what became of each (whenever it happened). A cart "has items"
 * once an item was added to it (lines merged in at sign-in are adds too) or it was checked out, so that
 * every step is a subset of the one before; it is "paid" when a payment of its checkout's order was
 * captured.
 */
const FUNNEL_DAILY = `
CREATE OR REPLACE VIEW metric_funnel_daily AS
SELECT d.date, a.carts_opened, a.carts_with_items, a.carts_checked_out, a.carts_paid
FROM agg_cart_funnel_daily a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.carts_opened > 0;
`;

/*
 * Carts with items by the day they were opened (as in the funnel), and how many of them were abandoned:
 * left idle for the configured time without a checkout (an `abandon` activity), even if the shopper came
 * back later. The rate is 0 on a day without carts with items.
 */
const CART_ABANDONMENT_DAILY = `
CREATE OR REPLACE VIEW metric_cart_abandonment_daily AS
SELECT d.date, a.carts_with_items, a.carts_abandoned,
  coalesce(round(a.carts_abandoned::numeric / nullif(a.carts_with_items, 0), 4), 0) AS abandonment_rate
FROM agg_cart_funnel_daily a
JOIN dim_date d ON d.date_key = a.date_key
WHERE a.carts_opened > 0;
`;

/*
 * Units, line value and orders of each SKU by the day orders were placed. Name and category are the
 * product's current ones (its open `dim_product` version), so that a SKU keeps one label over time; the
 * category a sale happened under is what metric_revenue_by_category_daily uses.
 */
const PRODUCT_SALES_DAILY = `
CREATE OR REPLACE VIEW metric_product_sales_daily AS
SELECT d.date, s.sku, coalesce(p.name, s.sku) AS name, coalesce(p.category, 'uncategorized') AS category,
  s.units, s.line_revenue, s.orders
FROM agg_product_sales_daily s
JOIN dim_date d ON d.date_key = s.date_key
LEFT JOIN dim_product p ON p.sku = s.sku AND p.is_current;
`;

/**
 * metric_product_sales_daily over all time, ranked by units, then line value, then SKU (an order is
 * placed on one day, so the days' order counts add up to its distinct orders).
 */
const TOP_PRODUCTS = `
CREATE OR REPLACE VIEW metric_top_products AS
SELECT row_number() OVER (ORDER BY s.units DESC, s.line_revenue DESC, s.sku) AS rank,
  s.sku, coalesce(p.name, s.sku) AS name, coalesce(p.category, 'uncategorized') AS category,
  s.units, s.line_revenue, s.orders
FROM (
  SELECT sku, sum(units)::bigint AS units, sum(line_revenue)::bigint AS line_revenue,
    sum(orders)::bigint AS orders
  FROM agg_product_sales_daily
  GROUP BY sku
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
  SELECT month, sku, units_sold,
    round(coalesce(sum(on_hand_change) OVER (PARTITION BY sku ORDER BY month
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)
      + on_hand_weighted / extract(epoch FROM (month + interval '1 month') - month), 2) AS average_on_hand
  FROM agg_stock_monthly
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

/**
 * The views as migrations of the `warehouse` set, after the tables (`0001_…`, `0002_…`). `0101_…`
 * re-creates them over the aggregates in a warehouse whose views were created over the facts.
 */
export const warehouseViewMigrations: readonly Migration[] = [
  { id: '0100_warehouse_metric_views', sql: VIEWS_SQL },
  { id: '0101_warehouse_metric_views_on_aggregates', sql: VIEWS_SQL },
];

/**
 * Creates (or replaces) every metric view in the first schema of `tx`'s search path, with the statements of
 * {@link warehouseViewMigrations}: a blue/green rebuild calls it after moving the new tables in, since views
 * stay bound to the tables they were created on.
 */
export async function createWarehouseViews(tx: SqlExecutor): Promise<void> {
  for (const statement of splitStatements(VIEWS_SQL)) await tx.query(statement);
}
