import type { Money } from '../../shared';

/** One product in a cart: the latest name and unit price added for its SKU, and how many units. */
export interface CartLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
}

/** No `CartOpened` yet. */
export interface NoCart {
  readonly status: 'none';
}

/** What every opened cart carries. `lines` are in the order their SKU was first added. */
export interface CartData {
  readonly cartId: string;
  readonly customerId: string | null;
  readonly currency: string;
  readonly lines: readonly CartLine[];
  /** Guest carts whose lines were merged into this one (a repeated merge changes nothing). */
  readonly mergedFrom?: readonly string[];
}

/** Open: the shopper may add, change and remove lines. */
export interface ActiveCart extends CartData {
  readonly status: 'open';
}

/** Frozen for an order: accepts no change. */
export interface CheckedOutCart extends CartData {
  readonly status: 'checked_out';
  readonly orderId: string;
}

/** Closed because its lines moved to `targetCartId` (a guest cart merged at sign-in): accepts no change. */
export interface MergedCart extends CartData {
  readonly status: 'merged';
  readonly targetCartId: string;
}

/** A cart, as a union by status. */
export type CartState = NoCart | ActiveCart | CheckedOutCart | MergedCart;
