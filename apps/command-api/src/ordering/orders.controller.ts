import { Controller, Inject, Post, Req, Res } from '@nestjs/common';
import { mayUseCart, type OrderCommand, OrderNotFound, orderStreamId } from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { AUTH_SECRET, cartTokenFromRequest, EVENT_STORE, GUEST, Roles, uuidv7 } from '@tally/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type CommandContext, CommandEdge } from '../shared/command-edge';
import { noBody } from '../shared/common.schemas';
import type { CommandOutcome } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';
import { mintedId } from '../shared/minted-id';
import { parseCommandRequest } from '../shared/parse-command-request';
import { OrderHandler } from './order.handler';
import { orderPath, requestRefundBody, shipOrderBody } from './orders.schemas';

/**
 * Order commands from people: `/api/v1/orders/{orderId}/...` (parse -> command -> decide -> 200/202 with
 * ETag). Cancelling is the customer's (or an admin's); shipping, delivering and refunding are the
 * merchant's. The actor is recorded on every event.
 */
@Controller('api/v1/orders')
@Roles('admin')
export class OrdersController {
  constructor(
    private readonly edge: CommandEdge,
    private readonly orders: OrderHandler,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTH_SECRET) private readonly secret: string,
  ) {}

  /** Whoever may use the order's cart may cancel it: its customer, a guest with its cart token, an admin. */
  @Post(':orderId/cancel')
  @Roles('guest')
  cancel(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { orderId } = parseCommandRequest(request, { path: orderPath, body: noBody }).path;
      await this.authorize(request, orderId, context);
      const outcome = await this.execute(
        { type: 'CancelOrder', data: { orderId, reason: 'customer_request' }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { orderId, version: outcome.version }, outcome };
    });
  }

  @Post(':orderId/ship')
  ship(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: orderPath, body: shipOrderBody });
      const { orderId } = path;
      const outcome = await this.execute(
        { type: 'ShipOrder', data: { orderId, ...body }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { orderId, version: outcome.version }, outcome };
    });
  }

  @Post(':orderId/deliver')
  deliver(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { orderId } = parseCommandRequest(request, { path: orderPath, body: noBody }).path;
      const outcome = await this.execute(
        { type: 'DeliverOrder', data: { orderId }, metadata: context.metadata },
        context,
      );
      return { status: 200, body: { orderId, version: outcome.version }, outcome };
    });
  }

  @Post(':orderId/refunds')
  refund(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.edge.run(request, reply, async (context) => {
      const { path, body } = parseCommandRequest(request, { path: orderPath, body: requestRefundBody });
      const { orderId } = path;
      const refundId = uuidv7();
      const outcome = await this.execute(
        {
          type: 'RequestOrderRefund',
          data: { orderId, refundId, amount: body.amount, reason: body.reason },
          metadata: context.metadata,
        },
        context,
      );
      const stored = await mintedId(this.store, outcome, {
        commandId: context.metadata.commandId,
        eventType: 'OrderRefundRequested',
        field: 'refundId',
        id: refundId,
      });
      return { status: 202, body: { orderId, refundId: stored, version: outcome.version }, outcome };
    });
  }

  /**
   * The order exists and the caller may use the cart it was placed from (`mayUseCart`); otherwise
   * ORDER_NOT_FOUND, the answer for an unknown order. The owner comes from the order's `OrderPlaced`.
   */
  private async authorize(request: FastifyRequest, orderId: string, context: CommandContext): Promise<void> {
    const cartToken = cartTokenFromRequest(request, this.secret);
    const [placed] = await this.store.readStream(orderStreamId(orderId), { fromVersion: 1, toVersion: 1 });
    const data = (placed?.type === 'OrderPlaced' ? placed.data : null) as {
      cartId?: unknown;
      customerId?: unknown;
    } | null;
    const owner =
      data && typeof data.cartId === 'string'
        ? { cartId: data.cartId, customerId: typeof data.customerId === 'string' ? data.customerId : null }
        : null;
    if (owner === null || !mayUseCart(owner, context.principal ?? GUEST, cartToken)) {
      throw inRequestTerms(new OrderNotFound(orderId), { byCode: { ORDER_NOT_FOUND: 'path.orderId' } });
    }
  }

  private async execute(command: OrderCommand, context: CommandContext): Promise<CommandOutcome> {
    try {
      // Status changes made by people do not commute: a lost race is reported, never silently re-decided.
      return await this.orders.execute(command, { expectedVersion: context.expectedVersion });
    } catch (error) {
      throw inRequestTerms(error, {
        byCode: {
          ORDER_NOT_FOUND: 'path.orderId',
          ORDER_NOT_CANCELLABLE: 'path.orderId',
          ORDER_NOT_SHIPPABLE: 'path.orderId',
          ORDER_NOT_DELIVERABLE: 'path.orderId',
          ORDER_NOT_REFUNDABLE: 'path.orderId',
        },
        byField: { 'amount.amount': 'amount', 'amount.currency': 'amount.currency' },
      });
    }
  }
}
