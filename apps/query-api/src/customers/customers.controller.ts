import { Controller, Get, Headers, Inject, Query, Req } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import { HttpProblem, parseRequest, principalOf, Roles, SQL_CLIENT } from '@tally/platform';
import {
  type CustomerView,
  getCustomer,
  listCustomers,
  type ListCustomersResult,
  newestOpenCartOf,
} from '@tally/read-models';
import type { FastifyRequest } from 'fastify';
import { ConsistencyGate } from '../consistency/consistency-gate';
import { listCustomersQuery } from './customers.schemas';

/** Account reads from the customers read model; `me` is whoever the access token names. */
@Controller('api/v1/customers')
export class CustomersController {
  constructor(
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    private readonly consistency: ConsistencyGate,
  ) {}

  @Get()
  @Roles('admin')
  async list(
    @Query() rawQuery: unknown,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<ListCustomersResult> {
    const query = parseRequest(listCustomersQuery, rawQuery, 'query');
    await this.consistency.waitFor(token, ['customers']);
    return listCustomers(this.sql, query);
  }

  /** 404 until the projection has the account: right after sign-up, send the sign-up's Tally-Consistency. */
  @Get('me')
  @Roles('customer', 'admin', 'auditor', 'analyst')
  async me(
    @Req() request: FastifyRequest,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<CustomerView> {
    const customerId = accountId(request);
    await this.consistency.waitFor(token, ['customers']);
    const customer = await getCustomer(this.sql, customerId);
    if (!customer) {
      throw new HttpProblem(404, 'CUSTOMER_NOT_FOUND', 'Not found', 'No account for this access token yet.');
    }
    return customer;
  }

  /** The caller's newest open cart (the one a sign-in merged the guest cart into), or 404. */
  @Get('me/cart')
  @Roles('customer', 'admin', 'auditor', 'analyst')
  async myCart(
    @Req() request: FastifyRequest,
    @Headers('tally-consistency') token: string | undefined,
  ): Promise<{ cartId: string }> {
    const customerId = accountId(request);
    await this.consistency.waitFor(token, ['carts']);
    const cartId = await newestOpenCartOf(this.sql, customerId);
    if (cartId === null) {
      throw new HttpProblem(404, 'CART_NOT_FOUND', 'Not found', 'This account has no open cart.');
    }
    return { cartId };
  }
}

/** The signed-in account's id (the route admits accounts only, so the guard has verified one). */
function accountId(request: FastifyRequest): string {
  const principal = principalOf(request);
  if (principal.kind !== 'account') {
    throw new HttpProblem(401, 'AUTHENTICATION_REQUIRED', 'Unauthorized', 'Sign in to do this.');
  }
  return principal.id;
}
