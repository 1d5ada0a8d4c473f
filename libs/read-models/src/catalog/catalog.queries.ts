import type { SqlExecutor } from '@tally/database';
import type { Money } from '@tally/domain';
import { isoTime } from '../sql-json';

export type ProductStatus = 'draft' | 'published' | 'unpublished' | 'discontinued';

/** A product as listing, search and detail pages show it. `available` comes from the stock read model. */
export interface ProductView {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: Money;
  /** Units that can still be sold (never negative; 0 when no stock was ever recorded). */
  readonly available: number;
  readonly status: ProductStatus;
  readonly attributes: Readonly<Record<string, string>>;
  readonly images: readonly string[];
  /** The product stream's version of the last applied event. */
  readonly version: number;
  /** ISO-8601 business times of the first and the last applied event. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ProductSort = 'relevance' | 'price_asc' | 'price_desc' | 'name_asc' | 'newest';

export interface SearchProductsParams {
  /** Shopper's words (web-search syntax: "quoted phrase", -excluded, or). */
  readonly q?: string;
  readonly category?: string;
  /** Inclusive lower bound, minor units. */
  readonly minPrice?: number;
  /** Exclusive upper bound, minor units: a price band's `min`/`max` can be passed through as they are. */
  readonly maxPrice?: number;
  /** Only products with `available` > 0. */
  readonly inStock?: boolean;
  /** Default: `relevance` when `q` is given, else `name_asc`. */
  readonly sort?: ProductSort;
  /** 1-based. */
  readonly page: number;
  /** 1..100. */
  readonly pageSize: number;
  /** Admin views: every status instead of published only. */
  readonly includeUnpublished?: boolean;
}

export interface FacetValue {
  readonly value: string;
  readonly count: number;
}

export interface PriceBandFacet {
  readonly label: string;
  /** Inclusive, minor units. */
  readonly min: number;
  /** Exclusive, minor units; null = open. */
  readonly max: number | null;
  readonly count: number;
}

export interface SearchProductsResult {
  readonly items: readonly ProductView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly facets: {
    /** Counted with every filter except `category`, most frequent first. */
    readonly categories: readonly FacetValue[];
    /** Counted with every filter except the price bounds; every band, in price order. */
    readonly priceBands: readonly PriceBandFacet[];
  };
}

/** Fixed price bands in minor units; products are assumed to share one currency. */
export const PRICE_BANDS: readonly Omit<PriceBandFacet, 'count'>[] = [
  { label: 'Under 20', min: 0, max: 2000 },
  { label: '20 to 50', min: 2000, max: 5000 },
  { label: '50 to 100', min: 5000, max: 10000 },
  { label: '100 to 200', min: 10000, max: 20000 },
  { label: '200 and above', min: 20000, max: null },
];

export const MAX_PAGE_SIZE = 100;

/**
 * One product as JSON, built in SQL so that both queries return the same shape and int8 amounts arrive
 * as plain numbers under every driver.
 */
const productJson = (p: string, available: string) => `jsonb_build_object(
  'sku', ${p}.sku, 'name', ${p}.name, 'description', ${p}.description, 'category', ${p}.category,
  'price', jsonb_build_object('amount', ${p}.price_amount, 'currency', ${p}.price_currency),
  'available', ${available}, 'status', ${p}.status, 'attributes', ${p}.attributes, 'images', ${p}.images,
  'version', ${p}.version, 'createdAt', ${isoTime(`${p}.created_at`)}, 'updatedAt', ${isoTime(`${p}.updated_at`)}
)`;

/** The product `sku` in any status (the caller decides who may see drafts), or null. */
export async function getProduct(sql: SqlExecutor, sku: string): Promise<ProductView | null> {
  const { rows } = await sql.query<{ product: ProductView }>(
    `SELECT ${productJson('p', 'greatest(coalesce(s.available, 0), 0)')} AS product
     FROM catalog_products p LEFT JOIN stock_levels s ON s.sku = p.sku
     WHERE p.sku = $1`,
    [sku],
  );
  return rows[0]?.product ?? null;
}

const ORDER_BY: Record<ProductSort, string> = {
  relevance: 'rank DESC, name, sku',
  price_asc: 'price_amount, name, sku',
  price_desc: 'price_amount DESC, name, sku',
  name_asc: 'name, sku',
  newest: 'created_at DESC, sku',
};

/**
 * Faceted product search. Filters shared by every count (status, words, stock) narrow one materialised
 * set; the page and total apply category and price on top of it, the category facet applies price only
 * and the price facet applies category only (standard faceted search: a facet never filters itself).
 * Throws RangeError on an invalid page, page size or price bound.
 */
export async function searchProducts(
  sql: SqlExecutor,
  params: SearchProductsParams,
): Promise<SearchProductsResult> {
  const { page, pageSize } = params;
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw new RangeError(`pageSize must be an integer in 1..${MAX_PAGE_SIZE}, got ${pageSize}`);
  for (const bound of [params.minPrice, params.maxPrice])
    if (bound !== undefined && (!Number.isSafeInteger(bound) || bound < 0))
      throw new RangeError(`price bounds must be integers >= 0 (minor units), got ${bound}`);

  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const q = params.q?.trim() ? params.q.trim() : undefined;

  const where: string[] = [];
  if (!params.includeUnpublished) where.push(`p.status = 'published'`);
  // A query of stop words only has no lexemes: it filters nothing rather than matching nothing.
  if (q) where.push('(numnode(w.query) = 0 OR p.search @@ w.query)');
  if (params.inStock) where.push('coalesce(s.available, 0) > 0');

  const inCategory = params.category === undefined ? 'true' : `p.category = ${param(params.category)}`;
  const inPrice =
    [
      params.minPrice === undefined ? undefined : `p.price_amount >= ${param(params.minPrice)}`,
      params.maxPrice === undefined ? undefined : `p.price_amount < ${param(params.maxPrice)}`,
    ]
      .filter((condition) => condition !== undefined)
      .join(' AND ') || 'true';
  const sort =
    params.sort === 'relevance' && !q ? 'name_asc' : (params.sort ?? (q ? 'relevance' : 'name_asc'));
  const thresholds = PRICE_BANDS.slice(1).map((band) => Math.trunc(band.min));

  const text = `
    WITH words AS (SELECT ${q ? `websearch_to_tsquery('english', ${param(q)})` : 'NULL::tsquery'} AS query),
    matching AS MATERIALIZED (
      SELECT p.sku, p.name, p.description, p.category, p.price_amount, p.price_currency, p.status,
        p.attributes, p.images, p.version, p.created_at, p.updated_at,
        greatest(coalesce(s.available, 0), 0) AS available,
        ${q ? 'ts_rank(p.search, w.query)' : '0'} AS rank,
        ${inCategory} AS in_category,
        ${inPrice} AS in_price
      FROM catalog_products p
      CROSS JOIN words w
      LEFT JOIN stock_levels s ON s.sku = p.sku
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ),
    page AS (
      SELECT m.*, row_number() OVER (ORDER BY ${ORDER_BY[sort]}) AS ord
      FROM matching m WHERE in_category AND in_price
      ORDER BY ${ORDER_BY[sort]}
      LIMIT ${param(pageSize)} OFFSET ${param((page - 1) * pageSize)}
    )
    SELECT
      (SELECT count(*)::int FROM matching WHERE in_category AND in_price) AS total,
      (SELECT coalesce(jsonb_agg(${productJson('page', 'page.available')} ORDER BY ord), '[]'::jsonb)
         FROM page) AS items,
      (SELECT coalesce(jsonb_agg(jsonb_build_object('value', category, 'count', n)
           ORDER BY n DESC, category), '[]'::jsonb)
         FROM (SELECT category, count(*)::int AS n FROM matching WHERE in_price GROUP BY category) c
      ) AS categories,
      (SELECT coalesce(jsonb_object_agg(band, n), '{}'::jsonb)
         FROM (SELECT width_bucket(price_amount, ARRAY[${thresholds.join(', ')}]::bigint[]) AS band,
                 count(*)::int AS n
               FROM matching WHERE in_category GROUP BY 1) b
      ) AS price_bands`;

  const { rows } = await sql.query<{
    total: number;
    items: ProductView[];
    categories: FacetValue[];
    price_bands: Record<string, number>;
  }>(text, values);
  const row = rows[0];
  if (!row) throw new Error('searchProducts: the aggregate query returned no row');
  return {
    items: row.items,
    total: row.total,
    page,
    pageSize,
    facets: {
      categories: row.categories,
      priceBands: PRICE_BANDS.map((band, index) => ({ ...band, count: row.price_bands[index] ?? 0 })),
    },
  };
}
