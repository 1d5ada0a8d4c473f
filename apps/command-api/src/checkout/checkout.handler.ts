import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { cartDecider, cartStreamId, type CheckOutCart, type CheckoutDetails } from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import {
  APP_CONFIG,
  type AppConfig,
  EVENT_STORE,
  findShippingMethod,
  HttpProblem,
  uuidv7,
} from '@tally/platform';
import type { CommandContext } from '../shared/command-edge';
import { type CommandOutcome, Decide } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';
import { mintedId } from '../shared/minted-id';
import type { CheckoutBody } from './checkout.schemas';

/** A cart checked out for an order. */
export interface CheckedOut {
  readonly orderId: string;
  readonly outcome: CommandOutcome;
}

/**
 * Checkout: one `CheckOutCart` on the cart's stream. The cart is the single writer that guarantees one
 * order per cart: of concurrent checkouts, one appends `CartCheckedOut` at the version it read, the others
 * lose the race (409) or find the cart checked out (409). The checkout process places the order from that
 * event; nothing else is written here (docs/adr/0008-checkout-edge.md).
 */
@Injectable()
export class CheckoutHandler {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async checkOut(cartId: string, body: CheckoutBody, context: CommandContext): Promise<CheckedOut> {
    const method = findShippingMethod(body.shippingMethod, this.config);
    if (!method) {
      throw new HttpProblem(
        422,
        'UNKNOWN_SHIPPING_METHOD',
        'Unknown shipping method',
        `No shipping method "${body.shippingMethod}" exists; see GET /api/v1/shipping-methods.`,
        [{ field: 'shippingMethod', message: 'is not a shipping method' }],
      );
    }
    const checkout: CheckoutDetails = {
      email: body.email,
      shippingAddress: body.shippingAddress,
      shippingMethod: { id: method.id, name: method.name, price: method.price },
      paymentMethodId: body.payment.paymentMethodId,
    };
    const command: CheckOutCart = {
      type: 'CheckOutCart',
      data: { cartId, orderId: uuidv7(), checkout },
      metadata: context.metadata,
    };
    let outcome: CommandOutcome;
    try {
      // Never retried on a lost race: the winner checked the cart out, so a retry could only be refused.
      outcome = await this.commandBus.execute(
        new Decide(cartDecider, cartStreamId(cartId), command, { expectedVersion: context.expectedVersion }),
      );
    } catch (error) {
      throw inRequestTerms(error, {
        byCode: {
          CART_NOT_FOUND: 'path.cartId',
          CART_ALREADY_CHECKED_OUT: 'path.cartId',
          CART_ALREADY_MERGED: 'path.cartId',
          CART_EMPTY: 'path.cartId',
        },
        byField: {
          'checkout.email': 'email',
          'checkout.shippingAddress': 'shippingAddress',
          // The method's currency must be the cart's (the decider's rule).
          'checkout.shippingMethod': 'shippingMethod',
          'checkout.paymentMethodId': 'payment.paymentMethodId',
        },
      });
    }
    const orderId = await mintedId(this.store, outcome, {
      commandId: command.metadata.commandId,
      eventType: 'CartCheckedOut',
      field: 'orderId',
      id: command.data.orderId,
    });
    return { orderId, outcome };
  }
}
