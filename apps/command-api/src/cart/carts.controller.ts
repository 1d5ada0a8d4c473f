import { Controller, Delete, Patch, Post, Req, Res } from '@nestjs/common';
import { parseRequest, uuidv7 } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CommandEdge } from '../shared/command-edge';
import { noBody } from '../shared/common.schemas';
import { parseCommandRequest } from '../shared/parse-command-request';
import { CartHandler } from './cart.handler';
import {
  addCartItemBody,
  cartItemPath,
  cartPath,
  changeCartItemQuantityBody,
  openCartBody,
} from './carts.schemas';

/** Cart commands: `/api/v1/carts` (parse -> command -> decide -> 201/200 with ETag). */
@Controller('api/v1/carts')
export class CartsController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly carts: CartHandler,
  ) {}

  @Post()
  open(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { customerId, currency } = parseRequest(openCartBody, request.body, 'body');
      const cartId = uuidv7();
      const outcome = await this.carts.execute(
        {
          type: 'OpenCart',
          data: { cartId, customerId: customerId ?? null, currency },
          metadata: context.metadata,
        },
        context,
      );
      return {
        status: 201,
        body: { cartId, version: outcome.version },
        outcome,
        location: `/api/v1/carts/${cartId}`,
      };
    });
  }

  @Post(':cartId/items')
  addItem(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: cartPath, body: addCartItemBody });
      const { cartId } = path;
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
      const outcome = await this.carts.execute(
        { type: 'ClearCart', data: { cartId }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { cartId, version: outcome.version }, outcome };
    });
  }
}
