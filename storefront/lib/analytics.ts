import { queryApi, type ApiResult } from './api';
import type { DateRange } from './analytics-params';
import { requireAccount, type Session } from './session';

/**
 * The analytics page's reads: the shapes query-api's `/api/v1/warehouse/metrics/{metric}` returns (computed
 * from the warehouse's metric views; amounts in minor units, dates `YYYY-MM-DD` UTC) and the role check.
 */

export interface RevenueDay {
  readonly date: string;
  readonly currency: string;
  readonly captured: number;
  readonly refunded: number;
  /** Captured minus refunded. */
  readonly revenue: number;
}

export interface CategoryRevenue {
  readonly currency: string;
  readonly category: string;
  /** Minor units; may be fractional (an order's payments are shared among its lines by value). */
  readonly revenue: number;
}

export interface RevenueMetric {
  readonly from: string;
  readonly to: string;
  readonly days: readonly RevenueDay[];
  readonly byCategory: readonly CategoryRevenue[];
  readonly totals: readonly Omit<RevenueDay, 'date'>[];
}

export type FunnelStep = 'cart_opened' | 'item_added' | 'checkout' | 'paid';

export interface FunnelMetric {
  readonly from: string;
  readonly to: string;
  readonly steps: readonly { readonly step: FunnelStep; readonly carts: number }[];
}

export interface AbandonmentFigures {
  readonly cartsWithItems: number;
  readonly cartsAbandoned: number;
  /** Abandoned / with items, 0..1 (0 when no cart had items). */
  readonly abandonmentRate: number;
}

export interface AbandonmentMetric {
  readonly from: string;
  readonly to: string;
  readonly days: readonly (AbandonmentFigures & { readonly date: string })[];
  readonly total: AbandonmentFigures;
}

export interface TopProduct {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly units: number;
  /** Line revenue, minor units. */
  readonly revenue: number;
  readonly orders: number;
}

export interface TopProductsMetric {
  readonly from: string;
  readonly to: string;
  readonly products: readonly TopProduct[];
}

export interface ZeroResultTerm {
  readonly query: string;
  readonly searches: number;
  readonly lastSearchedAt: string;
}

export interface ZeroResultSearchesMetric {
  readonly from: string;
  readonly to: string;
  readonly terms: readonly ZeroResultTerm[];
}

/** The role the analytics page and query-api's warehouse endpoints require. */
export const ANALYST_ROLE = 'analyst';

/** How many products and search terms the page lists. */
export const TOP_LIMIT = 10;

/**
 * The signed-in analyst, or `'forbidden'` for an account without the role (the page then says so: a 403,
 * not a silent redirect, because an analyst who was just given the role must learn to sign in again);
 * a guest is sent to sign in and comes back to `path`. query-api checks the role again on every call.
 */
export async function analystOrForbidden(
  path: string,
): Promise<Extract<Session, { kind: 'account' }> | 'forbidden'> {
  const session = await requireAccount(path);
  return session.role === ANALYST_ROLE ? session : 'forbidden';
}

/**
 * One metric over a range. The warehouse is a projection, but no shopper's command is waited for here: an
 * analyst reads what has been projected so far.
 */
function readMetric<T>(metric: string, range: DateRange, limit?: number): Promise<ApiResult<T>> {
  const query = new URLSearchParams({ from: range.from, to: range.to });
  if (limit !== undefined) query.set('limit', String(limit));
  return queryApi<T>(`/api/v1/warehouse/metrics/${metric}?${query.toString()}`, { consistency: null });
}

/** Everything the analytics page shows, read in parallel; each metric fails (and says so) on its own. */
export async function readDashboard(range: DateRange) {
  const [revenue, funnel, abandonment, topProducts, zeroResultSearches] = await Promise.all([
    readMetric<RevenueMetric>('revenue', range),
    readMetric<FunnelMetric>('funnel', range),
    readMetric<AbandonmentMetric>('abandonment', range),
    readMetric<TopProductsMetric>('top-products', range, TOP_LIMIT),
    readMetric<ZeroResultSearchesMetric>('zero-result-searches', range, TOP_LIMIT),
  ]);
  return { revenue, funnel, abandonment, topProducts, zeroResultSearches };
}
