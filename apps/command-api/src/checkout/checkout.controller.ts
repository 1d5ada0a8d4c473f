import { Controller, Post, Req, Res } from '@nestjs/common';
import { Roles } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CartHandler } from '../cart/cart.handler';
import { CommandEdge } from '../shared/command-edge';
import { parseCommandRequest } from '../shared/parse-command-request';
import { CheckoutHandler } from './checkout.handler';
import { checkoutBody, checkoutPath } from './checkout.schemas';

/**
 * Checkout: `POST /api/v1/carts/{cartId}/checkout` (parse -> authorize -> CheckOutCart -> 202 with the
 * order id). Whoever may use the cart may check it out (`CartHandler.authorize`).
 */
@Controller('api/v1/carts')
export class CheckoutController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly checkout: CheckoutHandler,
    private readonly carts: CartHandler,
  ) {}

  @Post(':cartId/checkout')
  @Roles('guest')
  checkOut(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: checkoutPath, body: checkoutBody });
      const { cartId } = path;
      await this.carts.authorize(request, cartId, context);
      const { orderId, outcome } = await this.checkout.checkOut(cartId, body, context);
      return {
        status: 202,
        body: { orderId, cartId, version: outcome.version },
        outcome,
        location: `/api/v1/orders/${orderId}`,
      };
    });
  }
}
