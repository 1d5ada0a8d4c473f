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

/**
 * Result orders. `relevance` = how well the words match, then popularity; `popularity` = units ordered;
 * `name_asc` is the older spelling of `name`.
 */
export const PRODUCT_SORTS = [
  'relevance',
  'popularity',
  'price_asc',
  'price_desc',
  'newest',
  'name',
  'name_asc',
] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface SearchProductsParams {
  /**
   * Shopper's words (web-search syntax: "quoted phrase", -excluded, or). A word no product contains is
   * replaced by the nearest words some product does contain (trigram similarity), so typos still find.
   */
  readonly q?: string;
  /** Category names or slugs; a product in any of them matches. */
  readonly category?: string | readonly string[];
  /** Inclusive lower bound, minor units. */
  readonly minPrice?: number;
  /** Exclusive upper bound, minor units: a price band's `min`/`max` can be passed through as they are. */
  readonly maxPrice?: number;
  /** Only products with `available` > 0. */
  readonly inStock?: boolean;
  /** Default: `relevance` when `q` is given, else `popularity`. */
  readonly sort?: ProductSort;
  /** 1-based. */
  readonly page: number;
  /** 1..100. */
  readonly pageSize: number;
  /** Admin views: every status instead of published only. */
  readonly includeUnpublished?: boolean;
}

/** A category facet entry: the category name (filters also accept its {@link categorySlug}) and its count. */
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
  /**
   * The words actually searched when some were corrected (`"sneker"` -> `"sneaker"`), for a "showing
   * results for" line; null when every word was searched as typed.
   */
  readonly correctedQuery: string | null;
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

/**
 * The URL form of a category name: lowercase, every run of characters other than a-z and 0-9 becomes one
 * dash, no dash at either end (`Home & Garden` -> `home-garden`). Same rule as the `category_slug` column.
 */
export function categorySlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A shopper's query as analysts group it: NFKC, lowercase, single spaces, trimmed. */
export function normalizeSearchQuery(q: string): string {
  return q.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** pg_trgm similarity (0..1) from which a catalog word counts as a correction of a query word. */
export const CORRECTION_SIMILARITY = 0.3;
/** A typo is replaced by at most this many catalog words, the most similar first. */
const MAX_CORRECTIONS_PER_WORD = 3;
/** Words of one query looked up for correction; the rest are searched as typed. */
const MAX_CORRECTED_WORDS = 10;

const ORDER_BY: Record<ProductSort, string> = {
  relevance: 'rank DESC, popularity DESC, name, sku',
  popularity: 'popularity DESC, name, sku',
  price_asc: 'price_amount, name, sku',
  price_desc: 'price_amount DESC, name, sku',
  newest: 'created_at DESC, sku',
  name: 'name, sku',
  name_asc: 'name, sku',
};

/** A query word that no visible product contains, and the catalog words it may have meant. */
interface Correction {
  readonly word: string;
  readonly candidates: readonly string[];
}

/**
 * Faceted, typo-tolerant product search (ADR 0010).
 *
 * Words: the query is parsed as web-search syntax (English stemming). Each word that no visible product
 * contains is rewritten, inside that parsed query, to "the word or its nearest catalog words" (pg_trgm
 * similarity over `catalog_search_terms`): `blu shirt` searches `(blu | blue) & shirt`. A word some
 * product contains is never corrected, so `shirt` does not also find shorts.
 *
 * Facets: filters shared by every count (status, words, stock) narrow one materialised set; the page and
 * total apply category and price on top of it, the category facet applies price only and the price facet
 * applies category only (standard faceted search: a facet never filters itself).
 *
 * Order: `relevance` (ts_rank, then popularity), default with `q`; `popularity` (units ordered), default
 * without. Throws RangeError on an invalid page, page size or price bound.
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
  const visible = params.includeUnpublished ? 'true' : `p.status = 'published'`;
  const corrections = q ? await correctionsFor(sql, q, visible) : [];

  const where: string[] = [visible];
  // A query of stop words only has no lexemes: it filters nothing rather than matching nothing.
  if (q) where.push('(numnode(w.query) = 0 OR p.search @@ w.query)');
  if (params.inStock) where.push('coalesce(s.available, 0) > 0');

  let words = q ? `websearch_to_tsquery('english', ${param(q)})` : 'NULL::tsquery';
  for (const { word, candidates } of corrections) {
    const typed = `plainto_tsquery('english', ${param(word)})`;
    const meant = candidates.map((candidate) => `plainto_tsquery('english', ${param(candidate)})`);
    words = `ts_rewrite(${words}, ${typed}, ${[typed, ...meant].join(' || ')})`;
  }

  const categories = params.category === undefined ? [] : [params.category].flat();
  const inCategory = categories.length
    ? `(p.category = ANY(${param(categories)}::text[]) OR p.category_slug = ANY(${param(categories)}::text[]))`
    : 'true';
  const inPrice =
    [
      params.minPrice === undefined ? undefined : `p.price_amount >= ${param(params.minPrice)}`,
      params.maxPrice === undefined ? undefined : `p.price_amount < ${param(params.maxPrice)}`,
    ]
      .filter((condition) => condition !== undefined)
      .join(' AND ') || 'true';
  const sort =
    params.sort === 'relevance' && !q ? 'popularity' : (params.sort ?? (q ? 'relevance' : 'popularity'));
  const thresholds = PRICE_BANDS.slice(1).map((band) => Math.trunc(band.min));

  const text = `
    WITH words AS (SELECT ${words} AS query),
    matching AS MATERIALIZED (
      SELECT p.sku, p.name, p.description, p.category, p.price_amount, p.price_currency,
        p.status, p.attributes, p.images, p.version, p.created_at, p.updated_at,
        greatest(coalesce(s.available, 0), 0) AS available,
        coalesce(pop.units_ordered, 0) AS popularity,
        ${q ? 'ts_rank(p.search, w.query)' : '0'} AS rank,
        ${inCategory} AS in_category,
        ${inPrice} AS in_price
      FROM catalog_products p
      CROSS JOIN words w
      LEFT JOIN stock_levels s ON s.sku = p.sku
      LEFT JOIN catalog_popularity pop ON pop.sku = p.sku
      WHERE ${where.join(' AND ')}
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
    correctedQuery: q && corrections.length ? correctedText(q, corrections) : null,
    facets: {
      categories: row.categories,
      priceBands: PRICE_BANDS.map((band, index) => ({ ...band, count: row.price_bands[index] ?? 0 })),
    },
  };
}

/**
 * The words of `q` that no product visible under `visible` contains (stop words and words under three
 * letters aside), each with up to three catalog words at least {@link CORRECTION_SIMILARITY} similar;
 * words with no candidate are left out (nothing to rewrite them to).
 */
async function correctionsFor(sql: SqlExecutor, q: string, visible: string): Promise<Correction[]> {
  const words = [...new Set(wordsOf(q))].filter((word) => word.length >= 3).slice(0, MAX_CORRECTED_WORDS);
  if (!words.length) return [];
  // One branch per word with the word as a plain parameter, not a column of a word list: a correlated
  // word hides it from the planner, which then scans every product instead of using the GIN indexes.
  const values: unknown[] = [CORRECTION_SIMILARITY, MAX_CORRECTIONS_PER_WORD];
  const branches = words.map((word) => {
    const w = `$${values.push(word)}::text`;
    return `SELECT ${w} AS word, array(
        SELECT v.term FROM catalog_search_vocabulary v
        WHERE v.term % ${w} AND similarity(v.term, ${w}) >= $1
          AND EXISTS (
            SELECT 1 FROM catalog_search_terms t JOIN catalog_products p ON p.sku = t.sku
            WHERE t.term = v.term AND ${visible}
          )
        ORDER BY similarity(v.term, ${w}) DESC, v.term
        LIMIT $2
      ) AS candidates
      WHERE numnode(plainto_tsquery('english', ${w})) > 0
        AND NOT EXISTS (
          SELECT 1 FROM catalog_products p WHERE ${visible} AND p.search @@ plainto_tsquery('english', ${w})
        )`;
  });
  const { rows } = await sql.query<Correction>(branches.join('\nUNION ALL\n'), values);
  return rows.filter((row) => row.candidates.length > 0);
}

/** `q` with each corrected word replaced by its most similar candidate, spaces collapsed. */
function correctedText(q: string, corrections: readonly Correction[]): string {
  let text = q;
  for (const { word, candidates } of corrections) {
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${word}(?![\\p{L}\\p{N}])`, 'giu');
    text = text.replace(pattern, candidates[0] ?? word);
  }
  return text.replace(/\s+/g, ' ').trim();
}

/** A product offered while the shopper types, with just what a suggestion list shows. */
export interface ProductSuggestion {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly categorySlug: string;
  /** Price in minor units of `currency`. */
  readonly priceMinor: number;
  readonly currency: string;
  /** The first image, if any. */
  readonly image: string | null;
}

export const MAX_SUGGESTIONS = 20;

/** The words of a query as the `simple` text-search configuration splits them: lowercase letters and digits. */
function wordsOf(q: string): string[] {
  return q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * Published products for a search box while the shopper types `q` (at most `limit`, 1..20).
 *
 * A product matches when each word of `q` begins a word of its name or category (`sne` -> "Sneakers"),
 * the fast path on the `words` GIN index. Only when no product matches that way, the fallback: each word
 * begins or resembles (trigram similarity) one of the product's words (`sneker` -> "Sneakers"), closest
 * first. Ties go to the best sellers.
 */
export async function suggestProducts(
  sql: SqlExecutor,
  params: { readonly q: string; readonly limit: number },
): Promise<ProductSuggestion[]> {
  const { limit } = params;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SUGGESTIONS)
    throw new RangeError(`limit must be an integer in 1..${MAX_SUGGESTIONS}, got ${limit}`);
  const words = [...new Set(wordsOf(params.q))].slice(0, 8);
  if (!words.length) return [];
  // Words are letters and digits only, so quoting them as tsquery lexemes needs no escaping.
  const prefix = words.map((word) => `'${word}':*`).join(' & ');
  const suggestion = `jsonb_build_object('sku', p.sku, 'name', p.name, 'category', p.category,
    'categorySlug', p.category_slug, 'priceMinor', p.price_amount, 'currency', p.price_currency,
    'image', p.images->>0) AS suggestion`;
  const byPrefix = await sql.query<{ suggestion: ProductSuggestion }>(
    `SELECT ${suggestion}
     FROM catalog_products p LEFT JOIN catalog_popularity pop ON pop.sku = p.sku
     WHERE p.status = 'published' AND p.words @@ $1::tsquery
     ORDER BY coalesce(pop.units_ordered, 0) DESC, p.name, p.sku
     LIMIT $2`,
    [prefix, limit],
  );
  if (byPrefix.rows.length) return byPrefix.rows.map((row) => row.suggestion);
  const bySimilarity = await sql.query<{ suggestion: ProductSuggestion }>(
    `WITH matched AS (
       ${words.map((_, index) => matchedBranch(`$${index + 3}::text`)).join('\n       UNION ALL\n       ')}
     ),
     fuzzy AS (
       SELECT sku, avg(score) AS score FROM (
         SELECT t.sku, m.word, max(m.score) AS score
         FROM matched m JOIN catalog_search_terms t ON t.term = m.term
         GROUP BY t.sku, m.word
       ) per_word
       GROUP BY sku HAVING count(*) = $1
     )
     SELECT ${suggestion}
     FROM fuzzy f
     JOIN catalog_products p ON p.sku = f.sku
     LEFT JOIN catalog_popularity pop ON pop.sku = p.sku
     WHERE p.status = 'published'
     ORDER BY f.score DESC, coalesce(pop.units_ordered, 0) DESC, p.name, p.sku
     LIMIT $2`,
    [words.length, limit, ...words],
  );
  return bySimilarity.rows.map((row) => row.suggestion);
}

/**
 * The vocabulary words that a typed `word` (an SQL parameter) may mean, each with a score: 1 when it begins
 * the word, else its trigram similarity. Whole-word similarity catches a typo ("sneker"), word similarity
 * a typo in a word still being typed ("snek"); like the prefix, both use the vocabulary's trigram index,
 * which a correlated word list would hide from the planner.
 */
function matchedBranch(word: string): string {
  return `SELECT ${word} AS word, v.term,
         CASE WHEN v.term LIKE ${word} || '%' THEN 1
           ELSE greatest(similarity(v.term, ${word}), word_similarity(${word}, v.term)) END AS score
       FROM catalog_search_vocabulary v
       WHERE v.term LIKE ${word} || '%' OR v.term % ${word} OR ${word} <% v.term`;
}

/** A category with published products, for navigation. */
export interface CategoryView {
  readonly name: string;
  /** See {@link categorySlug}. */
  readonly slug: string;
  /** Published products in it. */
  readonly productCount: number;
}

/**
 * Every category with at least one published product, by name. Names that share a slug (`Home & Garden`,
 * `home-garden`) are one category: a slug filter finds both.
 */
export async function listCategories(sql: SqlExecutor): Promise<CategoryView[]> {
  const { rows } = await sql.query<CategoryView>(
    `SELECT min(category) AS name, category_slug AS slug, count(*)::int AS "productCount"
     FROM catalog_products
     WHERE status = 'published' AND category_slug <> ''
     GROUP BY category_slug
     ORDER BY min(category), category_slug`,
  );
  return rows;
}
