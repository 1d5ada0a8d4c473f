import { Inject, Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { SqlClient } from '@tally/database';
import {
  type AddCartItem,
  type CartCommand,
  cartDecider,
  CartNotFound,
  type CartOwnership,
  cartStreamId,
  isProductPurchasable,
  mayUseCart,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import {
  APP_CONFIG,
  type AppConfig,
  AUTH_SECRET,
  cartTokenFromRequest,
  ConsistencyTimeout,
  EVENT_STORE,
  HttpProblem,
  type RequestHeaders,
  SQL_CLIENT,
  GUEST,
} from '@tally/platform';
import { getProduct, waitForProjections } from '@tally/read-models';
import type { CommandContext } from '../shared/command-edge';
import { Decide, type CommandOutcome } from '../shared/decide.command';
import { inRequestTerms } from '../shared/domain-error-fields';
import { COMMUTING_RETRY } from '../shared/retry-policy';

/** Adding units commutes with other additions; setting a quantity or removing a line does not. */
const COMMUTING: ReadonlySet<CartCommand['type']> = new Set(['AddCartItem']);

/**
 * Cart writes: cart commands are decided by `cartDecider` against stream `cart-<cartId>`. Adding an item
 * first prices it from the catalog read model (DESIGN.md §5: prices come in on the command).
 */
@Injectable()
export class CartHandler {
  constructor(
    private readonly commandBus: CommandBus,
    @Inject(SQL_CLIENT) private readonly sql: SqlClient,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUTH_SECRET) private readonly secret: string,
  ) {}

  /**
   * Lets the request through only if its caller may use the cart (`mayUseCart`: an admin, the cart's
   * customer, or for a guest cart whoever holds its signed cart token); otherwise CART_NOT_FOUND, exactly
   * the answer for a cart that does not exist, so that cart ids cannot be probed. A tampered cart token is
   * a 403 whatever the cart. Ownership comes from the cart's own stream, never from a read model that may
   * lag: a cart's owner is fixed when it is opened.
   */
  async authorize(request: RequestHeaders, cartId: string, context: CommandContext): Promise<void> {
    const cartToken = cartTokenFromRequest(request, this.secret);
    const owner = await this.ownerOf(cartId);
    if (owner === null || !mayUseCart(owner, context.principal ?? GUEST, cartToken)) {
      throw inRequestTerms(new CartNotFound(cartId), { byCode: { CART_NOT_FOUND: 'path.cartId' } });
    }
  }

  /** Who a cart belongs to, from its `CartOpened`; null when it was never opened. */
  async ownerOf(cartId: string): Promise<CartOwnership | null> {
    const [first] = await this.store.readStream(cartStreamId(cartId), { fromVersion: 1, toVersion: 1 });
    if (first?.type !== 'CartOpened') return null;
    const { customerId } = first.data as { customerId?: unknown };
    return { cartId, customerId: typeof customerId === 'string' ? customerId : null };
  }

  /** Prices `quantity` units of `sku` from the catalog, then adds them. */
  async addItem(
    item: { readonly cartId: string; readonly sku: string; readonly quantity: number },
    context: CommandContext,
  ): Promise<CommandOutcome> {
    if (context.consistencyToken !== undefined) {
      const caughtUp = await waitForProjections(this.sql, ['catalog'], context.consistencyToken, {
        timeoutMs: this.config.CONSISTENCY_TIMEOUT_MS,
      });
      if (!caughtUp) {
        throw new ConsistencyTimeout(['catalog'], this.config.CONSISTENCY_TIMEOUT_MS);
      }
    }
    const product = await getProduct(this.sql, item.sku);
    if (!product) {
      throw new HttpProblem(422, 'UNKNOWN_SKU', 'Unknown SKU', `No product with SKU ${item.sku} exists.`, [
        { field: 'sku', message: 'is not a product in the catalog' },
      ]);
    }
    if (!isProductPurchasable(product)) {
      throw new HttpProblem(
        409,
        'PRODUCT_NOT_AVAILABLE',
        'Product not available',
        `Product ${item.sku} is ${product.status} and cannot be added to a cart.`,
        [{ field: 'sku', message: `is ${product.status}, not published` }],
      );
    }
    const command: AddCartItem = {
      type: 'AddCartItem',
      data: { ...item, name: product.name, unitPrice: product.price },
      metadata: context.metadata,
    };
    return this.execute(command, context);
  }

  async execute(command: CartCommand, context: CommandContext): Promise<CommandOutcome> {
    try {
      return await this.commandBus.execute(
        new Decide(cartDecider, cartStreamId(command.data.cartId), command, {
          expectedVersion: context.expectedVersion,
          retry: COMMUTING.has(command.type) ? COMMUTING_RETRY : undefined,
        }),
      );
    } catch (error) {
      throw inRequestTerms(error, {
        byCode: {
          CART_NOT_FOUND: 'path.cartId',
          CART_ALREADY_CHECKED_OUT: 'path.cartId',
          CART_ALREADY_MERGED: 'path.cartId',
        },
        byField: {
          // The SKU is in the body when adding and in the path otherwise.
          sku: command.type === 'AddCartItem' ? 'sku' : 'path.sku',
          // The price comes from the product the client named.
          'unitPrice.currency': 'sku',
          'unitPrice.amount': 'sku',
        },
      });
    }
  }
}
