import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, parseRequest, Roles, SQL_CLIENT } from '@tally/platform';
import { getProduct, getStock, type StockView } from '@tally/read-models';
import type { FastifyReply } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { stockPathParams } from './inventory.schemas';

/** Stock levels from the stock read model. */
@Controller('api/v1/inventory')
@Roles('guest')
export class InventoryController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get(':sku')
  async get(
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StockView> {
    const { sku } = parseRequest(stockPathParams, rawParams, 'path');
    await this.consistency.waitFor(token, ['catalog', 'stock']);
    const stock = (await getStock(this.sql, sku)) ?? (await noStockYet(this.sql, sku));
    if (!stock)
      throw new HttpProblem(404, 'STOCK_NOT_FOUND', 'Not found', `No product or stock with SKU ${sku}.`);
    void reply.header('etag', `"${stock.version}"`);
    return stock;
  }
}

/** A catalog product that never received stock has none, rather than being unknown. */
async function noStockYet(sql: SqlClient, sku: string): Promise<StockView | null> {
  const product = await getProduct(sql, sku);
  return product ? { sku, onHand: 0, reserved: 0, available: 0, version: 0 } : null;
}
