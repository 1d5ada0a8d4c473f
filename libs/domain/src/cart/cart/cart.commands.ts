import type { DomainCommand, Money, ShippingAddress, ShippingMethodSnapshot } from '../../shared';

/** What the shopper gave at checkout; the order is placed from it. */
export interface CheckoutDetails {
  readonly email: string;
  readonly shippingAddress: ShippingAddress;
  /** Resolved from configuration at the edge when the shopper checks out. */
  readonly shippingMethod: ShippingMethodSnapshot;
  /** The provider's payment-method token (Stripe `pm_...`); never card data. */
  readonly paymentMethodId: string;
}

/** A shopper starts a cart, as a guest (`customerId` null) or signed in. */
export type OpenCart = DomainCommand<
  'OpenCart',
  { readonly cartId: string; readonly customerId: string | null; readonly currency: string }
>;

/**
 * Put `quantity` units of a product in the cart (added to an existing line of the same SKU).
 * `name` and `unitPrice` come from the catalog read model at the edge, never from inside `decide`.
 */
export type AddCartItem = DomainCommand<
  'AddCartItem',
  {
    readonly cartId: string;
    readonly sku: string;
    readonly name: string;
    readonly quantity: number;
    readonly unitPrice: Money;
  }
>;

/** Set a line's quantity (1..99). */
export type ChangeCartItemQuantity = DomainCommand<
  'ChangeCartItemQuantity',
  { readonly cartId: string; readonly sku: string; readonly quantity: number }
>;

/** Take a line out of the cart. */
export type RemoveCartItem = DomainCommand<
  'RemoveCartItem',
  { readonly cartId: string; readonly sku: string }
>;

/** Empty the cart. */
export type ClearCart = DomainCommand<'ClearCart', { readonly cartId: string }>;

/**
 * Freeze the cart for an order; it accepts no change afterwards. With `checkout` (what the shopper gave at
 * checkout), the frozen cart carries everything needed to place the order.
 */
export type CheckOutCart = DomainCommand<
  'CheckOutCart',
  { readonly cartId: string; readonly orderId: string; readonly checkout?: CheckoutDetails }
>;

/** A line handed from one cart to another when carts are merged: what the source cart held. */
export interface MergedLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/**
 * Close a guest cart because its lines move to `targetCartId` (the shopper signed in). The first half of
 * a merge: once closed, the guest cart can no longer be changed or checked out, so nothing is bought twice.
 */
export type CloseCartForMerge = DomainCommand<
  'CloseCartForMerge',
  { readonly cartId: string; readonly targetCartId: string }
>;

/**
 * Take the lines of the closed cart `sourceCartId` into this cart: quantities are summed per SKU, capped
 * at the cart's line limits rather than refused (a sign-in never fails because of a full cart).
 */
export type MergeCarts = DomainCommand<
  'MergeCarts',
  { readonly cartId: string; readonly sourceCartId: string; readonly lines: readonly MergedLine[] }
>;

/** Every command the cart decider accepts. */
export type CartCommand =
  | OpenCart
  | AddCartItem
  | ChangeCartItemQuantity
  | RemoveCartItem
  | ClearCart
  | CheckOutCart
  | CloseCartForMerge
  | MergeCarts;
