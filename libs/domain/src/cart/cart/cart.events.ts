import type { DomainEvent, Money } from '../../shared';
import type { CheckoutDetails, MergedLine } from './cart.commands';

/** A line of a cart as frozen at checkout: the price snapshot the order is placed with. */
export interface CartLineSnapshot {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/** A cart was opened, for a guest (`customerId` null) or a customer. */
export type CartOpened = DomainEvent<
  'CartOpened',
  { readonly cartId: string; readonly customerId: string | null; readonly currency: string }
>;

/** `quantity` units of `sku` went into the cart at `unitPrice` (the line's price from now on). */
export type CartItemAdded = DomainEvent<
  'CartItemAdded',
  {
    readonly cartId: string;
    readonly sku: string;
    readonly name: string;
    readonly quantity: number;
    readonly unitPrice: Money;
  }
>;

/** A line's quantity was set. */
export type CartItemQuantityChanged = DomainEvent<
  'CartItemQuantityChanged',
  {
    readonly cartId: string;
    readonly sku: string;
    readonly quantity: number;
    readonly previousQuantity: number;
  }
>;

/** A line was taken out. */
export type CartItemRemoved = DomainEvent<
  'CartItemRemoved',
  { readonly cartId: string; readonly sku: string }
>;

/** Every line was taken out. */
export type CartCleared = DomainEvent<'CartCleared', { readonly cartId: string }>;

/** The cart was frozen for `orderId` with these lines and total. */
export type CartCheckedOut = DomainEvent<
  'CartCheckedOut',
  {
    readonly cartId: string;
    readonly orderId: string;
    readonly lines: readonly CartLineSnapshot[];
    readonly total: Money;
    /** The cart's owner (null for a guest), repeated so the order can be placed from this event alone. */
    readonly customerId?: string | null;
    /** What the shopper gave at checkout, when the cart was checked out to place an order. */
    readonly checkout?: CheckoutDetails;
  }
>;

/**
 * The guest cart was closed because its lines moved to `targetCartId` (its shopper signed in). It accepts
 * no change and cannot be checked out any more.
 */
export type CartMergedInto = DomainEvent<
  'CartMergedInto',
  { readonly cartId: string; readonly targetCartId: string }
>;

/**
 * The lines of the closed cart `sourceCartId` came into this cart. `lines` are the units actually added
 * per SKU (after capping at the line limits; a SKU that did not fit is absent); a SKU already in the cart
 * keeps its name and price, a new one takes the source cart's.
 */
export type CartsMerged = DomainEvent<
  'CartsMerged',
  { readonly cartId: string; readonly sourceCartId: string; readonly lines: readonly MergedLine[] }
>;

/** Every event of a cart stream. */
export type CartEvent =
  | CartOpened
  | CartItemAdded
  | CartItemQuantityChanged
  | CartItemRemoved
  | CartCleared
  | CartCheckedOut
  | CartMergedInto
  | CartsMerged;

/** The stream of a cart: `cart-<cartId>`. */
export const cartStreamId = (cartId: string): string => `cart-${cartId}`;

/** Business limits of a cart. */
export const CART_LIMITS = { minQuantity: 1, maxQuantity: 99, maxLines: 100 } as const;
