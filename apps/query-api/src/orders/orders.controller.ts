import { Controller, Get, Headers, Inject, Param, Query, Req, Res } from '@nestjs/common';
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
import { getOrder, listOrders, type ListOrdersResult, type OrderView } from '@tally/read-models';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { listOrdersQuery, orderPathParams } from './orders.schemas';

/**
 * Order reads from the orders read model. The ETag is the order stream version, for `If-Match` on commands.
 * A customer sees their own orders, a guest the order of the cart whose token they hold, an admin every
 * order; anyone else is told the order does not exist.
 */
@Controller('api/v1/orders')
export class OrdersController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(AUTH_SECRET) private readonly secret: string,
    private readonly consistency: ConsistencyGate,
  ) {}

  /** Signed-in accounts only: a customer lists their own orders, an admin any (optionally one customer's). */
  @Get()
  @Roles('customer', 'admin', 'auditor', 'analyst')
  async list(
    @Req() request: FastifyRequest,
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<ListOrdersResult> {
    const query = parseRequest(listOrdersQuery, rawQuery, 'query');
    const principal = principalOf(request);
    await this.consistency.waitFor(token, ['orders']);
    if (principal.kind === 'account' && principal.role === 'admin') return listOrders(this.sql, query);
    // Anyone but an admin lists their own orders only; asking for another customer's finds none.
    const own = principal.kind === 'account' ? principal.id : '';
    if (query.customerId !== undefined && query.customerId !== own) {
      return { items: [], total: 0, page: query.page, pageSize: query.pageSize };
    }
    return listOrders(this.sql, { ...query, customerId: own });
  }

  @Get(':orderId')
  @Roles('guest')
  async get(
    @Req() request: FastifyRequest,
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const { orderId } = parseRequest(orderPathParams, rawParams, 'path');
    // A tampered token is refused before anything is read.
    const cartToken = cartTokenFromRequest(request, this.secret);
    await this.consistency.waitFor(token, ['orders']);
    const order = await getOrder(this.sql, orderId);
    if (!order || !mayUseCart(order, principalOf(request), cartToken)) {
      throw new HttpProblem(404, 'ORDER_NOT_FOUND', 'Not found', `No order ${orderId}.`);
    }
    void reply.header('etag', `"${order.version}"`);
    return order;
  }
}
