import { MAX_PAGE_SIZE, MAX_SUGGESTIONS, PRODUCT_SORTS } from '@tally/read-models';
import { z } from 'zod';
import { booleanParam, intParam, moneySchema, skuSchema } from '../shared.schemas';

const MAX_PRICE = Number.MAX_SAFE_INTEGER;

/** `GET /api/v1/products`: every parameter optional, unknown ones rejected. */
export const searchProductsQuery = z
  .strictObject({
    q: z
      .string()
      .trim()
      .max(200)
      .optional()
      .describe('Words to search in name, category, description and attributes; typos are corrected'),
    category: z
      .union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).min(1).max(20)])
      .optional()
      .describe('Category name or slug; repeat the parameter for several (any of them matches)'),
    minPrice: intParam(0, MAX_PRICE).optional().describe('Inclusive lower bound, minor units'),
    maxPrice: intParam(1, MAX_PRICE).optional().describe('Exclusive upper bound, minor units'),
    inStock: booleanParam.optional().describe('Only products with available stock'),
    sort: z
      .enum(PRODUCT_SORTS)
      .optional()
      .describe(
        'relevance (words, then popularity; default with `q`), popularity (units ordered; default ' +
          'without `q`), price_asc, price_desc, newest, name (`name_asc` is an alias)',
      ),
    page: intParam(1, 10_000).default(1).describe('1-based'),
    pageSize: intParam(1, MAX_PAGE_SIZE).default(20),
    includeUnpublished: booleanParam
      .optional()
      .describe('Admins only: drafts, unpublished and discontinued products too'),
  })
  .refine(
    (query) =>
      query.minPrice === undefined || query.maxPrice === undefined || query.minPrice < query.maxPrice,
    { path: ['maxPrice'], message: 'must be greater than minPrice' },
  );

export const productPathParams = z.object({ sku: skuSchema });

export const productSchema = z.object({
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  price: moneySchema,
  available: z.number().int().min(0).describe('Units that can still be sold'),
  status: z.enum(['draft', 'published', 'unpublished', 'discontinued']),
  attributes: z.record(z.string(), z.string()),
  images: z.array(z.string()),
  version: z.number().int().describe('Version of the product stream (also the ETag)'),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const productSearchResultSchema = z.object({
  items: z.array(productSchema),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
  correctedQuery: z
    .string()
    .nullable()
    .describe('The words searched when some were corrected (e.g. "sneaker" for "sneker"), else null'),
  facets: z.object({
    categories: z
      .array(z.object({ value: z.string(), count: z.number().int() }))
      .describe('Counted with every filter but category'),
    priceBands: z
      .array(
        z.object({
          label: z.string(),
          min: z.number().int().describe('Inclusive, minor units'),
          max: z.number().int().nullable().describe('Exclusive, minor units; null = open'),
          count: z.number().int(),
        }),
      )
      .describe('Counted with every filter but the price bounds'),
  }),
});

/** `GET /api/v1/products/suggestions`. */
export const suggestProductsQuery = z.strictObject({
  q: z.string().trim().min(1).max(100).describe('What the shopper has typed so far'),
  limit: intParam(1, MAX_SUGGESTIONS).default(8),
});

export const productSuggestionsSchema = z.object({
  query: z.string().describe('The query as received (trimmed)'),
  suggestions: z.array(
    z.object({
      sku: z.string(),
      name: z.string(),
      category: z.string(),
      categorySlug: z.string(),
      priceMinor: z.number().int().describe('Minor units of `currency`'),
      currency: z.string().length(3),
      image: z.string().nullable().describe('The first image, if any'),
    }),
  ),
});
