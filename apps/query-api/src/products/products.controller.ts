import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, parseRequest, SQL_CLIENT } from '@tally/platform';
import { getProduct, type ProductView, searchProducts, type SearchProductsResult } from '@tally/read-models';
import type { FastifyReply } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { productPathParams, searchProductsQuery } from './products.schemas';

/** Catalog reads: the catalog read model joined with stock levels. */
@Controller('api/v1/products')
export class ProductsController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get()
  async search(
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<SearchProductsResult> {
    const query = parseRequest(searchProductsQuery, rawQuery, 'query');
    await this.consistency.waitFor(token, ['catalog', 'stock']);
    return searchProducts(this.sql, query);
  }

  @Get(':sku')
  async get(
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProductView> {
    const { sku } = parseRequest(productPathParams, rawParams, 'path');
    await this.consistency.waitFor(token, ['catalog', 'stock']);
    const product = await getProduct(this.sql, sku);
    if (!product) throw new HttpProblem(404, 'PRODUCT_NOT_FOUND', 'Not found', `No product with SKU ${sku}.`);
    void reply.header('etag', `"${product.version}"`);
    return product;
  }
}
