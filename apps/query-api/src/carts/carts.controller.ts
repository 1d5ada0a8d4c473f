import { Controller, Get, Headers, Inject, Param, Req, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { mayUseCart } from '@tally/domain';
import {
  AUTH_SECRET,
  cartTokenFromRequest,
  HttpProblem,
  parseRequest,
  principalOf,
  Roles,
  SQL_CLIENT,
} from '@tally/platform';
import { type CartView, getCart } from '@tally/read-models';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { cartPathParams } from './carts.schemas';

/**
 * Cart reads from the carts read model. The ETag is the cart stream version, for `If-Match` on commands.
 * A cart is shown only to whoever may use it (`mayUseCart`: an admin, its customer, or for a guest cart
 * the holder of its signed cart token); anyone else is told it does not exist.
 */
@Controller('api/v1/carts')
@Roles('guest')
export class CartsController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(AUTH_SECRET) private readonly secret: string,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get(':cartId')
  async get(
    @Req() request: FastifyRequest,
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CartView> {
    const { cartId } = parseRequest(cartPathParams, rawParams, 'path');
    // A tampered token is refused before anything is read.
    const cartToken = cartTokenFromRequest(request, this.secret);
    await this.consistency.waitFor(token, ['carts']);
    const cart = await getCart(this.sql, cartId);
    if (!cart || !mayUseCart(cart, principalOf(request), cartToken)) {
      throw new HttpProblem(404, 'CART_NOT_FOUND', 'Not found', `No cart ${cartId}.`);
    }
    void reply.header('etag', `"${cart.version}"`);
    return cart;
  }
}
