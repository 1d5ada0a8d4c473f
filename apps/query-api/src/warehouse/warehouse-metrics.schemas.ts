import { FUNNEL_STEPS, WAREHOUSE_METRICS } from '@tally/warehouse';
import { z } from 'zod';
import { intParam } from '../shared.schemas';

/** Longest range of days one metric request may cover (about ten years). */
export const MAX_METRIC_RANGE_DAYS = 3660;
/** Days the default range covers, ending today (UTC). */
export const DEFAULT_METRIC_RANGE_DAYS = 30;
/** Most rows a ranked metric (top products, zero-result searches) returns. */
export const MAX_METRIC_LIMIT = 100;

/** A calendar day `YYYY-MM-DD` that exists (no 2026-02-30). */
const day = z.string().refine((value) => {
  const parsed = Date.parse(`${value}T00:00:00Z`);
  return (
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    !Number.isNaN(parsed) &&
    new Date(parsed).toISOString().startsWith(value)
  );
}, 'must be a date YYYY-MM-DD that exists');

/** Documents the path; the controller answers 404, not 400, for a metric it does not know. */
export const metricPathParams = z.object({
  metric: z.enum(WAREHOUSE_METRICS).describe('The metric to read'),
});

/** Only the shape: the defaults and the order and length of the range need today (see the controller). */
export const metricQuery = z.strictObject({
  from: day
    .optional()
    .describe(`First day, UTC, inclusive (default: ${DEFAULT_METRIC_RANGE_DAYS - 1} days before to)`),
  to: day.optional().describe('Last day, UTC, inclusive (default: today)'),
  limit: intParam(1, MAX_METRIC_LIMIT)
    .default(10)
    .describe(`Rows of top-products and zero-result-searches, 1..${MAX_METRIC_LIMIT} (others ignore it)`),
});

export type MetricQuery = z.infer<typeof metricQuery>;

const dayString = z.string().describe('YYYY-MM-DD (UTC)');
const minor = z.number().int().describe('Minor units (cents)');
const range = { from: dayString, to: dayString };

export const revenueMetricSchema = z.object({
  ...range,
  days: z
    .array(
      z.object({ date: dayString, currency: z.string(), captured: minor, refunded: minor, revenue: minor }),
    )
    .describe('Per payment day and currency: captured, refunded, revenue = captured - refunded'),
  byCategory: z
    .array(
      z.object({
        currency: z.string(),
        category: z.string(),
        revenue: z.number().describe('Minor units; may be fractional'),
      }),
    )
    .describe("The range's revenue allocated to product categories; adds up to totals' revenue"),
  totals: z.array(z.object({ currency: z.string(), captured: minor, refunded: minor, revenue: minor })),
});

export const ordersMetricSchema = z.object({
  ...range,
  days: z.array(
    z.object({
      date: dayString,
      currency: z.string(),
      ordersPlaced: z.number().int(),
      ordersPaid: z.number().int(),
      revenue: minor,
      averageOrderValue: minor.nullable().describe('revenue / ordersPaid; null without paid orders'),
    }),
  ),
});

export const funnelMetricSchema = z.object({
  ...range,
  steps: z
    .array(z.object({ step: z.enum(FUNNEL_STEPS), carts: z.number().int() }))
    .describe('Carts opened in the range, and how many of them reached each step'),
});

const abandonment = {
  cartsWithItems: z.number().int(),
  cartsAbandoned: z.number().int(),
  abandonmentRate: z.number().describe('cartsAbandoned / cartsWithItems, 4 decimals; 0 without carts'),
};

export const abandonmentMetricSchema = z.object({
  ...range,
  days: z.array(z.object({ date: dayString, ...abandonment })).describe('By the day carts were opened'),
  total: z.object(abandonment),
});

export const topProductsMetricSchema = z.object({
  ...range,
  products: z
    .array(
      z.object({
        sku: z.string(),
        name: z.string(),
        category: z.string(),
        units: z.number().int(),
        revenue: minor.describe('Value of the order lines, minor units'),
        orders: z.number().int(),
      }),
    )
    .describe('By units, then revenue, then SKU'),
});

export const zeroResultSearchesMetricSchema = z.object({
  ...range,
  terms: z
    .array(
      z.object({
        query: z.string().describe('The normalized query'),
        searches: z.number().int().describe('Searches for it that found nothing'),
        lastSearchedAt: z.string().describe('The last of them (ISO-8601)'),
      }),
    )
    .describe('Most frequent first'),
});

export const stockTurnsMetricSchema = z.object({
  ...range,
  products: z
    .array(
      z.object({
        sku: z.string(),
        unitsSold: z.number().int().describe('Units committed to orders in the months of the range'),
        averageOnHand: z.number().describe('Mean of the months’ time-weighted average on hand'),
        turns: z.number().nullable().describe('unitsSold / averageOnHand; null when that is not positive'),
      }),
    )
    .describe('SKUs whose stock moved in the months the range overlaps, most turns first'),
});

/** One of the metric answers, according to the metric asked for. */
export const warehouseMetricSchema = z.union([
  revenueMetricSchema,
  ordersMetricSchema,
  funnelMetricSchema,
  abandonmentMetricSchema,
  topProductsMetricSchema,
  zeroResultSearchesMetricSchema,
  stockTurnsMetricSchema,
]);
