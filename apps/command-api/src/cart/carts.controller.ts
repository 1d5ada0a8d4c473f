import { Controller, Delete, Inject, Patch, Post, Req, Res } from '@nestjs/common';
import {
  APP_CONFIG,
  type AppConfig,
  AUTH_SECRET,
  GUEST,
  HttpProblem,
  parseRequest,
  type Principal,
  Roles,
  uuidv7,
} from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { noBody } from '../shared/common.schemas';
import { parseCommandRequest } from '../shared/parse-command-request';
import { cartTokenCookie } from './cart-cookie';
import { CartHandler } from './cart.handler';
import {
  addCartItemBody,
  cartItemPath,
  cartPath,
  changeCartItemQuantityBody,
  openCartBody,
} from './carts.schemas';

/**
 * Cart commands: `/api/v1/carts` (parse -> authorize -> command -> decide -> 201/200 with ETag). Anyone may
 * open a cart; every other command is for whoever may use that cart (`CartHandler.authorize`).
 */
@Controller('api/v1/carts')
@Roles('guest')
export class CartsController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly carts: CartHandler,
    @Inject(AUTH_SECRET) private readonly secret: string,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A guest gets a guest cart and the signed token that proves they hold it (in the body and as the
   * `tally_cart` cookie); a signed-in customer gets a cart of their own; an admin may open one for anyone.
   */
  @Post()
  open(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const body = parseRequest(openCartBody, request.body, 'body');
      const customerId = ownerOfNewCart(context.principal ?? GUEST, body.customerId);
      const cartId = uuidv7();
      const outcome = await this.carts.execute(
        {
          type: 'OpenCart',
          data: { cartId, customerId, currency: body.currency },
          metadata: context.metadata,
        },
        context,
      );
      const response = {
        status: 201 as const,
        body: { cartId, version: outcome.version },
        outcome,
        location: `/api/v1/carts/${cartId}`,
      };
      if (customerId !== null) return response;
      const { cartToken, setCookie } = cartTokenCookie(cartId, this.secret, this.config);
      return {
        ...response,
        body: { ...response.body, cartToken },
        headers: { 'set-cookie': setCookie },
      };
    });
  }

  @Post(':cartId/items')
  addItem(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: cartPath, body: addCartItemBody });
      const { cartId } = path;
      await this.carts.authorize(request, cartId, context);
      const outcome = await this.carts.addItem({ cartId, sku: body.sku, quantity: body.quantity }, context);
      return { status: 200, body: { cartId, version: outcome.version }, outcome };
    });
  }

  @Patch(':cartId/items/:sku')
  changeQuantity(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, {
        path: cartItemPath,
        body: changeCartItemQuantityBody,
      });
      const { cartId, sku } = path;
      await this.carts.authorize(request, cartId, context);
      const outcome = await this.carts.execute(
        {
          type: 'ChangeCartItemQuantity',
          data: { cartId, sku, quantity: body.quantity },
          metadata: context.metadata,
        },
        context,
      );
      return { status: 200, body: { cartId, version: outcome.version }, outcome };
    });
  }

  @Delete(':cartId/items/:sku')
  removeItem(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { cartId, sku } = parseCommandRequest(request, { path: cartItemPath, body: noBody }).path;
      await this.carts.authorize(request, cartId, context);
      const outcome = await this.carts.execute(
        { type: 'RemoveCartItem', data: { cartId, sku }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { cartId, version: outcome.version }, outcome };
    });
  }

  @Delete(':cartId/items')
  clear(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { cartId } = parseCommandRequest(request, { path: cartPath, body: noBody }).path;
      await this.carts.authorize(request, cartId, context);
      const outcome = await this.carts.execute(
        { type: 'ClearCart', data: { cartId }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { cartId, version: outcome.version }, outcome };
    });
  }
}

/**
 * Whose cart `POST /carts` opens: a guest's is a guest cart; a customer's is their own (naming another
 * customer is refused); an admin may open one for any customer, or a guest cart.
 */
function ownerOfNewCart(principal: Principal, requested: string | undefined): string | null {
  if (principal.kind === 'account' && principal.role === 'admin') return requested ?? null;
  const self = principal.kind === 'account' ? principal.id : null;
  if (requested !== undefined && requested !== self) {
    throw new HttpProblem(403, 'FORBIDDEN', 'Forbidden', 'A cart can only be opened for yourself.', [
      { field: 'customerId', message: 'is not you' },
    ]);
  }
  return self;
}
