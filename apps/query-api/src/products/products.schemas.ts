import { MAX_PAGE_SIZE } from '@tally/read-models';
import { z } from 'zod';
import { booleanParam, intParam, moneySchema, skuSchema } from '../shared.schemas';

const MAX_PRICE = Number.MAX_SAFE_INTEGER;

/** `GET /api/v1/products`: every parameter optional, unknown ones rejected. */
export const searchProductsQuery = z
  .strictObject({
    q: z.string().trim().max(200).optional().describe('Words to search in name, description and category'),
    category: z.string().min(1).max(100).optional().describe('Exact category'),
    minPrice: intParam(0, MAX_PRICE).optional().describe('Inclusive lower bound, minor units'),
    maxPrice: intParam(1, MAX_PRICE).optional().describe('Exclusive upper bound, minor units'),
    inStock: booleanParam.optional().describe('Only products with available stock'),
    sort: z
      .enum(['relevance', 'price_asc', 'price_desc', 'name_asc', 'newest'])
      .optional()
      .describe('Default: relevance with `q`, else name_asc'),
    page: intParam(1, 10_000).default(1).describe('1-based'),
    pageSize: intParam(1, MAX_PAGE_SIZE).default(20),
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
