import { Inject, Injectable } from '@nestjs/common';
import type { SqlClient } from '@tally/database';
import {
  type CartCommand,
  type CartEvent,
  cartDecider,
  type CartState,
  cartStreamId,
  type CloseCartForMerge,
  type MergeCarts,
  type OpenCart,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { deterministicCommandId } from '@tally/messaging';
import { EVENT_STORE, SQL_CLIENT, uuidv7 } from '@tally/platform';
import { newestOpenCartOf } from '@tally/read-models';
import type { CommandContext } from '../shared/command-edge';
import { CartHandler } from './cart.handler';

/** The cart a shopper continues with after signing in, and a checkpoint that covers its last change. */
export interface MergeResult {
  readonly cartId: string;
  readonly checkpoint: string;
}

/**
 * Merges a guest cart into the customer's cart when the guest signs in or signs up (event `CartsMerged`).
 *
 * Two streams change, so the order makes it crash-safe: first the guest cart is closed and names the cart
 * it goes into (`CartMergedInto`), then that cart takes its lines (`CartsMerged`). Each command has an id
 * derived from the carts involved, and both halves are no-ops when repeated, so a merge interrupted in
 * between is completed by the next sign-in with the same guest cart, into the same cart, never twice.
 * The customer's cart is the newest open cart they own; when they have none, one is opened with an id
 * derived from the guest cart (so a retry finds it rather than opening another).
 *
 * Nothing is merged, and the customer simply continues with their own cart, when the "guest" cart is not
 * one: it is theirs already (it is returned as is), it belongs to someone else, was checked out, or does
 * not exist. Signing in never fails because of a cart.
 */
@Injectable()
export class CartMerger {
  constructor(
    private readonly carts: CartHandler,
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  async merge(
    input: { guestCartId: string; customerId: string },
    context: CommandContext,
  ): Promise<MergeResult> {
    const { guestCartId, customerId } = input;
    const source = await this.load(guestCartId);

    if (source.status === 'merged') {
      // Closed by an earlier merge: finish it into the cart it names, if that is this customer's.
      const target = await this.load(source.targetCartId);
      if (target.status === 'open' && target.customerId === customerId) {
        return this.takeLines(source.targetCartId, guestCartId, source.lines, context);
      }
      return this.customerCart(customerId, source.currency, undefined, context);
    }
    if (source.status === 'open' && source.customerId === customerId) {
      return { cartId: guestCartId, checkpoint: await this.store.headCheckpoint() };
    }
    if (source.status !== 'open' || source.customerId !== null) {
      return this.customerCart(
        customerId,
        source.status === 'none' ? 'EUR' : source.currency,
        undefined,
        context,
      );
    }

    const target = await this.customerCart(customerId, source.currency, guestCartId, context);
    const close: CloseCartForMerge = {
      type: 'CloseCartForMerge',
      data: { cartId: guestCartId, targetCartId: target.cartId },
      metadata: { ...context.metadata, commandId: mergeCommandId(guestCartId, 'close') },
    };
    await this.execute(close, context);
    return this.takeLines(target.cartId, guestCartId, source.lines, context);
  }

  private async takeLines(
    cartId: string,
    sourceCartId: string,
    lines: Extract<CartState, { status: 'open' }>['lines'],
    context: CommandContext,
  ): Promise<MergeResult> {
    const command: MergeCarts = {
      type: 'MergeCarts',
      data: { cartId, sourceCartId, lines },
      metadata: { ...context.metadata, commandId: mergeCommandId(sourceCartId, `into-${cartId}`) },
    };
    const outcome = await this.execute(command, context);
    return { cartId, checkpoint: outcome.checkpoint };
  }

  /**
   * The customer's newest open cart, checked against its own stream (the read model may lag); otherwise
   * a new cart of theirs, whose id derives from the guest cart being merged when there is one.
   */
  private async customerCart(
    customerId: string,
    currency: string,
    guestCartId: string | undefined,
    context: CommandContext,
  ): Promise<MergeResult> {
    const candidates = [
      ...(guestCartId === undefined ? [] : [customerCartIdFor(guestCartId)]),
      await newestOpenCartOf(this.sql, customerId),
    ];
    for (const cartId of candidates) {
      if (cartId === null) continue;
      const cart = await this.load(cartId);
      if (cart.status === 'open' && cart.customerId === customerId) {
        return { cartId, checkpoint: await this.store.headCheckpoint() };
      }
    }
    const cartId = guestCartId === undefined ? uuidv7() : customerCartIdFor(guestCartId);
    const open: OpenCart = {
      type: 'OpenCart',
      data: { cartId, customerId, currency },
      metadata: { ...context.metadata, commandId: mergeCommandId(cartId, 'open') },
    };
    const outcome = await this.execute(open, context);
    return { cartId, checkpoint: outcome.checkpoint };
  }

  private execute(command: CartCommand, context: CommandContext) {
    // No client version applies to the carts a merge touches.
    return this.carts.execute(command, { ...context, expectedVersion: undefined });
  }

  private async load(cartId: string): Promise<CartState> {
    const history = await this.store.readStream(cartStreamId(cartId));
    let state: CartState = cartDecider.initialState;
    for (const event of history)
      state = cartDecider.evolve(state, { type: event.type, data: event.data } as CartEvent);
    return state;
  }
}

/** The command ids of one merge: derived from the guest cart, so a retried merge repeats them exactly. */
function mergeCommandId(cartId: string, step: string): string {
  return deterministicCommandId(`cart-merge-${cartId}`, step);
}

/** The id of the cart opened for a customer who had none when `guestCartId` was merged. */
function customerCartIdFor(guestCartId: string): string {
  return deterministicCommandId(`cart-merge-${guestCartId}`, 'customer-cart');
}
