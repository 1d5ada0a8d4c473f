import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, parseRequest, SQL_CLIENT } from '@tally/platform';
import { getOrder, listOrders, type ListOrdersResult, type OrderView } from '@tally/read-models';
import type { FastifyReply } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { listOrdersQuery, orderPathParams } from './orders.schemas';

/** Order reads from the orders read model. The ETag is the order stream version, for `If-Match` on commands. */
@Controller('api/v1/orders')
export class OrdersController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get()
  async list(
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<ListOrdersResult> {
    const query = parseRequest(listOrdersQuery, rawQuery, 'query');
    await this.consistency.waitFor(token, ['orders']);
    return listOrders(this.sql, query);
  }

  @Get(':orderId')
  async get(
    @Param() rawParams: unknown,
    @Headers('tally-consistency') token: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderView> {
    const { orderId } = parseRequest(orderPathParams, rawParams, 'path');
    await this.consistency.waitFor(token, ['orders']);
    const order = await getOrder(this.sql, orderId);
    if (!order) throw new HttpProblem(404, 'ORDER_NOT_FOUND', 'Not found', `No order ${orderId}.`);
    void reply.header('etag', `"${order.version}"`);
    return order;
  }
}
