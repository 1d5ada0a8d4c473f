import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, parseRequest, SQL_CLIENT } from '@tally/platform';
import { type CartView, getCart } from '@tally/read-models';
import type { FastifyReply } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { cartPathParams } from './carts.schemas';

/** Cart reads from the carts read model. The ETag is the cart stream version, for `If-Match` on commands. */
@Controller('api/v1/carts')
export class CartsController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get(':cartId')
  async get(
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CartView> {
    const { cartId } = parseRequest(cartPathParams, rawParams, 'path');
    await this.consistency.waitFor(token, ['carts']);
    const cart = await getCart(this.sql, cartId);
    if (!cart) throw new HttpProblem(404, 'CART_NOT_FOUND', 'Not found', `No cart ${cartId}.`);
    void reply.header('etag', `"${cart.version}"`);
    return cart;
  }
}
