import type { SqlExecutor } from '@tally/database';

/** The metrics the dashboard reads, by the name in `GET /api/v1/warehouse/metrics/{metric}`. */
export const WAREHOUSE_METRICS = [
  'revenue',
  'orders',
  'funnel',
  'abandonment',
  'top-products',
  'zero-result-searches',
  'stock-turns',
] as const;

export type WarehouseMetric = (typeof WAREHOUSE_METRICS)[number];

export function isWarehouseMetric(name: string): name is WarehouseMetric {
  return (WAREHOUSE_METRICS as readonly string[]).includes(name);
}

/** Days `from` to `to` (inclusive, UTC, `YYYY-MM-DD`); `limit` caps the ranked metrics' rows. */
export interface MetricRange {
  readonly from: string;
  readonly to: string;
  readonly limit: number;
}

export interface RevenueMetric {
  readonly from: string;
  readonly to: string;
  readonly days: readonly {
    date: string;
    currency: string;
    captured: number;
    refunded: number;
    revenue: number;
  }[];
  /** The range's revenue per category (a numeric; the allocation gives whole minor units). */
  readonly byCategory: readonly { currency: string; category: string; revenue: number }[];
  readonly totals: readonly { currency: string; captured: number; refunded: number; revenue: number }[];
}

export interface OrdersMetric {
  readonly from: string;
  readonly to: string;
  readonly days: readonly {
    date: string;
    currency: string;
    ordersPlaced: number;
    ordersPaid: number;
    revenue: number;
    /** Null on a day without paid orders. */
    averageOrderValue: number | null;
  }[];
}

export const FUNNEL_STEPS = ['cart_opened', 'item_added', 'checkout', 'paid'] as const;

export interface FunnelMetric {
  readonly from: string;
  readonly to: string;
  readonly steps: readonly { step: (typeof FUNNEL_STEPS)[number]; carts: number }[];
}

export interface AbandonmentMetric {
  readonly from: string;
  readonly to: string;
  readonly days: readonly {
    date: string;
    cartsWithItems: number;
    cartsAbandoned: number;
    abandonmentRate: number;
  }[];
  readonly total: { cartsWithItems: number; cartsAbandoned: number; abandonmentRate: number };
}

export interface TopProductsMetric {
  readonly from: string;
  readonly to: string;
  readonly products: readonly {
    sku: string;
    name: string;
    category: string;
    units: number;
    revenue: number;
    orders: number;
  }[];
}

export interface ZeroResultSearchesMetric {
  readonly from: string;
  readonly to: string;
  readonly terms: readonly { query: string; searches: number; lastSearchedAt: string }[];
}

export interface StockTurnsMetric {
  readonly from: string;
  readonly to: string;
  readonly products: readonly {
    sku: string;
    unitsSold: number;
    averageOnHand: number;
    /** Null when the average on hand is not positive. */
    turns: number | null;
  }[];
}

export interface WarehouseMetricAnswers {
  revenue: RevenueMetric;
  orders: OrdersMetric;
  funnel: FunnelMetric;
  abandonment: AbandonmentMetric;
  'top-products': TopProductsMetric;
  'zero-result-searches': ZeroResultSearchesMetric;
  'stock-turns': StockTurnsMetric;
}

/*
 * Every statement reads the metric views only (docs/warehouse.md) and filters on their `date` (or `month`)
 * first, so that PostgreSQL reads only the days asked for. Numbers leave PostgreSQL as text (bigint and
 * numeric differ between drivers) and dates as `YYYY-MM-DD`.
 */
const RANGE = 'date BETWEEN $1::date AND $2::date';

const REVENUE_DAYS_SQL = `SELECT to_char(date, 'YYYY-MM-DD') AS date, currency, captured::text AS captured,
  refunded::text AS refunded, revenue::text AS revenue
FROM metric_revenue_daily WHERE ${RANGE} ORDER BY date, currency`;

const REVENUE_BY_CATEGORY_SQL = `SELECT currency, category, sum(revenue)::text AS revenue
FROM metric_revenue_by_category_daily WHERE ${RANGE}
GROUP BY currency, category ORDER BY currency, sum(revenue) DESC, category`;

const REVENUE_TOTALS_SQL = `SELECT currency, sum(captured)::text AS captured, sum(refunded)::text AS refunded,
  sum(revenue)::text AS revenue
FROM metric_revenue_daily WHERE ${RANGE} GROUP BY currency ORDER BY currency`;

const ORDERS_SQL = `SELECT to_char(date, 'YYYY-MM-DD') AS date, currency, orders_placed::text AS orders_placed,
  orders_paid::text AS orders_paid, revenue::text AS revenue, average_order_value::text AS average_order_value
FROM metric_orders_daily WHERE ${RANGE} ORDER BY date, currency`;

const FUNNEL_SQL = `SELECT coalesce(sum(carts_opened), 0)::text AS cart_opened,
  coalesce(sum(carts_with_items), 0)::text AS item_added, coalesce(sum(carts_checked_out), 0)::text AS checkout,
  coalesce(sum(carts_paid), 0)::text AS paid
FROM metric_funnel_daily WHERE ${RANGE}`;

const ABANDONMENT_SQL = `SELECT to_char(date, 'YYYY-MM-DD') AS date, carts_with_items::text AS carts_with_items,
  carts_abandoned::text AS carts_abandoned, abandonment_rate::text AS abandonment_rate
FROM metric_cart_abandonment_daily WHERE ${RANGE} ORDER BY date`;

// The range's rate is computed as each day's is, from the range's sums.
const ABANDONMENT_TOTAL_SQL = `SELECT coalesce(sum(carts_with_items), 0)::text AS carts_with_items,
  coalesce(sum(carts_abandoned), 0)::text AS carts_abandoned,
  coalesce(round(sum(carts_abandoned) / nullif(sum(carts_with_items), 0), 4), 0)::text AS abandonment_rate
FROM metric_cart_abandonment_daily WHERE ${RANGE}`;

// An order is placed on one day only, so the days' order counts add up to distinct orders.
const TOP_PRODUCTS_SQL = `SELECT sku, name, category, sum(units)::text AS units,
  sum(line_revenue)::text AS revenue, sum(orders)::text AS orders
FROM metric_product_sales_daily WHERE ${RANGE}
GROUP BY sku, name, category ORDER BY sum(units) DESC, sum(line_revenue) DESC, sku LIMIT $3`;

const ZERO_RESULT_SEARCHES_SQL = `SELECT normalized_query AS query, sum(zero_result_searches)::text AS searches,
  max(last_zero_result_at) AS last_searched_at
FROM metric_search_terms_daily WHERE ${RANGE} AND zero_result_searches > 0
GROUP BY normalized_query ORDER BY sum(zero_result_searches) DESC, normalized_query LIMIT $3`;

// The months that overlap the range; a SKU's average on hand is the mean of those months' averages.
const STOCK_TURNS_SQL = `SELECT sku, sum(units_sold)::text AS units_sold,
  round(avg(average_on_hand), 2)::text AS average_on_hand,
  CASE WHEN avg(average_on_hand) > 0 THEN round(sum(units_sold) / avg(average_on_hand), 4) END::text AS turns
FROM metric_stock_turns_monthly
WHERE month BETWEEN date_trunc('month', $1::date)::date AND $2::date
GROUP BY sku ORDER BY 4 DESC NULLS LAST, sku`;

type Row = Record<string, unknown>;
type Reader<M extends WarehouseMetric> = (
  sql: SqlExecutor,
  range: MetricRange,
) => Promise<Omit<WarehouseMetricAnswers[M], 'from' | 'to'>>;

const readers: { readonly [M in WarehouseMetric]: Reader<M> } = {
  async revenue(sql, range) {
    const [days, byCategory, totals] = await Promise.all([
      rows(sql, REVENUE_DAYS_SQL, range),
      rows(sql, REVENUE_BY_CATEGORY_SQL, range),
      rows(sql, REVENUE_TOTALS_SQL, range),
    ]);
    return {
      days: days.map((row) => ({
        date: text(row.date),
        currency: text(row.currency),
        captured: num(row.captured),
        refunded: num(row.refunded),
        revenue: num(row.revenue),
      })),
      byCategory: byCategory.map((row) => ({
        currency: text(row.currency),
        category: text(row.category),
        revenue: num(row.revenue),
      })),
      totals: totals.map((row) => ({
        currency: text(row.currency),
        captured: num(row.captured),
        refunded: num(row.refunded),
        revenue: num(row.revenue),
      })),
    };
  },
  async orders(sql, range) {
    const days = await rows(sql, ORDERS_SQL, range);
    return {
      days: days.map((row) => ({
        date: text(row.date),
        currency: text(row.currency),
        ordersPlaced: num(row.orders_placed),
        ordersPaid: num(row.orders_paid),
        revenue: num(row.revenue),
        averageOrderValue: nullableNum(row.average_order_value),
      })),
    };
  },
  async funnel(sql, range) {
    const [sums] = await rows(sql, FUNNEL_SQL, range);
    return { steps: FUNNEL_STEPS.map((step) => ({ step, carts: num(sums?.[step] ?? '0') })) };
  },
  async abandonment(sql, range) {
    const [days, [total]] = await Promise.all([
      rows(sql, ABANDONMENT_SQL, range),
      rows(sql, ABANDONMENT_TOTAL_SQL, range),
    ]);
    const abandonment = (row: Row | undefined) => ({
      cartsWithItems: num(row?.carts_with_items ?? '0'),
      cartsAbandoned: num(row?.carts_abandoned ?? '0'),
      abandonmentRate: num(row?.abandonment_rate ?? '0'),
    });
    return {
      days: days.map((row) => ({ date: text(row.date), ...abandonment(row) })),
      total: abandonment(total),
    };
  },
  async 'top-products'(sql, range) {
    const products = await rows(sql, TOP_PRODUCTS_SQL, range, [range.limit]);
    return {
      products: products.map((row) => ({
        sku: text(row.sku),
        name: text(row.name),
        category: text(row.category),
        units: num(row.units),
        revenue: num(row.revenue),
        orders: num(row.orders),
      })),
    };
  },
  async 'zero-result-searches'(sql, range) {
    const terms = await rows(sql, ZERO_RESULT_SEARCHES_SQL, range, [range.limit]);
    return {
      terms: terms.map((row) => ({
        query: text(row.query),
        searches: num(row.searches),
        lastSearchedAt: instant(row.last_searched_at),
      })),
    };
  },
  async 'stock-turns'(sql, range) {
    const products = await rows(sql, STOCK_TURNS_SQL, range);
    return {
      products: products.map((row) => ({
        sku: text(row.sku),
        unitsSold: num(row.units_sold),
        averageOnHand: num(row.average_on_hand),
        turns: nullableNum(row.turns),
      })),
    };
  },
};

/**
 * One metric over a range of days, as `GET /api/v1/warehouse/metrics/{metric}` answers it, read from the
 * metric views of `sql`'s warehouse schema. The range is taken as given (the caller validates it).
 */
export async function readMetric<M extends WarehouseMetric>(
  sql: SqlExecutor,
  metric: M,
  range: MetricRange,
): Promise<WarehouseMetricAnswers[M]> {
  const reader = readers[metric] as Reader<M>;
  const answer = await reader(sql, range);
  return { from: range.from, to: range.to, ...answer } as WarehouseMetricAnswers[M];
}

async function rows(
  sql: SqlExecutor,
  statement: string,
  range: MetricRange,
  extra: readonly unknown[] = [],
): Promise<Row[]> {
  return (await sql.query<Row>(statement, [range.from, range.to, ...extra])).rows;
}

/** Text columns (dates leave PostgreSQL through `to_char`). */
function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function num(value: unknown): number {
  return Number(value ?? 0);
}

function nullableNum(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function instant(value: unknown): string {
  return (value instanceof Date ? value : new Date(String(value))).toISOString();
}
