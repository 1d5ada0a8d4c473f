/**
 * Who is asking, as far as cart access cares: a guest, or a signed-in account with its role. The
 * platform's `Principal` fits this shape; the domain does not depend on it.
 */
export type CartCaller =
  { readonly kind: 'guest' } | { readonly kind: 'account'; readonly id: string; readonly role: string };

/** What decides who may use a cart (or an order placed from one): the cart and its owner. */
export interface CartOwnership {
  readonly cartId: string;
  /** The customer the cart belongs to; null for a guest cart. */
  readonly customerId: string | null;
}

/**
 * The one rule for who may read or change a cart, and read or cancel the order placed from it: an admin
 * always; a customer's cart only that customer; a guest cart whoever proves they hold it with its signed
 * cart token (`cartTokenCartId` is the cart id that token was verified for). Anyone else is told the cart
 * does not exist, so that ids cannot be probed.
 */
export function mayUseCart(
  cart: CartOwnership,
  caller: CartCaller,
  cartTokenCartId: string | undefined,
): boolean {
  if (caller.kind === 'account' && caller.role === 'admin') return true;
  if (cart.customerId !== null) return caller.kind === 'account' && caller.id === cart.customerId;
  return cartTokenCartId !== undefined && cartTokenCartId === cart.cartId;
}
