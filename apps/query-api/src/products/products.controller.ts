import { Controller, Get, Headers, Inject, Param, Query, Req, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import {
  actorOf,
  HttpProblem,
  parseRequest,
  principalOf,
  type Principal,
  Roles,
  SQL_CLIENT,
} from '@tally/platform';
import {
  getProduct,
  type ProductSuggestion,
  type ProductView,
  searchProducts,
  type SearchProductsResult,
  suggestProducts,
} from '@tally/read-models';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { productPathParams, searchProductsQuery, suggestProductsQuery } from './products.schemas';
import { ZeroResultSearches } from './zero-result-searches';

/** Catalog reads: the catalog read model joined with stock levels. Open to everyone. */
@Controller('api/v1/products')
@Roles('guest')
export class ProductsController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
    private readonly searches: ZeroResultSearches,
  ) {}

  @Get()
  async search(
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Req() request: FastifyRequest,
  ): Promise<SearchProductsResult> {
    const query = parseRequest(searchProductsQuery, rawQuery, 'query');
    const principal = principalOf(request);
    if (query.includeUnpublished && !isAdmin(principal)) {
      throw new HttpProblem(403, 'FORBIDDEN', 'Forbidden', 'Only admins may list unpublished products.', [
        { field: 'query.includeUnpublished', message: 'admins only' },
      ]);
    }
    await this.consistency.waitFor(token, ['catalog', 'stock']);
    const result = await searchProducts(this.sql, query);
    // A shopper's own search (words, first page) is demand to record, found or not; paging on or
    // browsing by filters without words is not.
    if (query.q && query.page === 1) {
      this.searches.record({
        query: query.q,
        results: result.total,
        correctedQuery: result.correctedQuery,
        filters: {
          category: query.category === undefined ? [] : [query.category].flat(),
          minPrice: query.minPrice ?? null,
          maxPrice: query.maxPrice ?? null,
          inStock: query.inStock ?? false,
        },
        actor: actorOf(principal),
        correlationId: request.id,
        at: new Date(),
      });
    }
    return result;
  }

  // Declared before `:sku` so that "suggestions" is never taken for a SKU.
  @Get('suggestions')
  async suggestions(
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<{ query: string; suggestions: ProductSuggestion[] }> {
    const { q, limit } = parseRequest(suggestProductsQuery, rawQuery, 'query');
    await this.consistency.waitFor(token, ['catalog']);
    return { query: q, suggestions: await suggestProducts(this.sql, { q, limit }) };
  }

  @Get(':sku')
  async get(
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const { sku } = parseRequest(productPathParams, rawParams, 'path');
    await this.consistency.waitFor(token, ['catalog', 'stock']);
    const product = await getProduct(this.sql, sku);
    // Drafts and unpublished products are the merchant's business: to anyone else they do not exist.
    // Discontinued ones stay readable, for the links in past orders.
    const hidden = product?.status === 'draft' || product?.status === 'unpublished';
    if (!product || (hidden && !isAdmin(principalOf(request)))) {
      throw new HttpProblem(404, 'PRODUCT_NOT_FOUND', 'Not found', `No product with SKU ${sku}.`);
    }
    void reply.header('etag', `"${product.version}"`);
    return product;
  }
}

function isAdmin(principal: Principal): boolean {
  return principal.kind === 'account' && principal.role === 'admin';
}
