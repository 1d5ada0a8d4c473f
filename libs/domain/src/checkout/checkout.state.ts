import type { CartLineSnapshot, CheckoutDetails } from '../cart';
import type { CancellationReason } from '../ordering';
import type { Money } from '../shared';

/**
 * Where the reservation of one SKU stands, for the summed quantity of every order line of that SKU:
 * asked for, held, refused, given back (order cancelled) or shipped.
 */
export type CheckoutStockStatus = 'requested' | 'reserved' | 'rejected' | 'released' | 'committed';

/** One SKU of the order: the units to reserve (all its lines together) and its reservation. */
export interface CheckoutStockLine {
  readonly sku: string;
  readonly quantity: number;
  readonly status: CheckoutStockStatus;
}

/** The order's payment as checkout has seen it, by status. */
export type CheckoutPayment =
  | { readonly status: 'not_requested' }
  /** `AuthorizePayment` sent; no answer seen yet. */
  | { readonly status: 'authorizing' }
  | { readonly status: 'authorized'; readonly authorized: Money }
  | { readonly status: 'captured'; readonly authorized: Money; readonly captured: Money }
  | { readonly status: 'voided' }
  | { readonly status: 'declined' };

/**
 * A refund checkout pays out: asked for on the order (`order`, recorded back on it once paid), or its own
 * full refund of a cancelled order whose money was already taken (`cancellation`).
 */
export interface CheckoutRefund {
  readonly refundId: string;
  readonly amount: Money;
  readonly origin: 'order' | 'cancellation';
  readonly status: 'requested' | 'refunded' | 'recorded';
}

/** Nothing seen yet for this order. */
export interface NoCheckout {
  readonly status: 'none';
}

/** The cart was checked out with the shopper's details; the order is being placed. */
export interface PlacingOrder {
  readonly status: 'placing';
  readonly orderId: string;
  readonly cartId: string;
  readonly customerId: string | null;
  readonly lines: readonly CartLineSnapshot[];
  readonly checkout: CheckoutDetails;
}

/** What checkout tracks once the order exists. */
export interface CheckoutOrder {
  readonly orderId: string;
  /** The order total: what the payment authorizes. */
  readonly total: Money;
  readonly paymentMethodId: string;
  /** When the order was placed: the payment timeout runs from here. */
  readonly placedAt: string;
  /** One entry per SKU, in the order the SKU first appears in the lines. */
  readonly stock: readonly CheckoutStockLine[];
  /** `OrderStockReserved` seen. */
  readonly stockRecorded: boolean;
  readonly payment: CheckoutPayment;
  /** `OrderPaymentCaptured` seen. */
  readonly captureRecorded: boolean;
  readonly refunds: readonly CheckoutRefund[];
}

/** Reserving every SKU; the payment timeout runs. */
export interface ReservingStock extends CheckoutOrder {
  readonly status: 'reserving';
}

/** Every SKU held; the payment is being authorized; the payment timeout runs. */
export interface AwaitingPayment extends CheckoutOrder {
  readonly status: 'awaiting_payment';
}

/** Payment authorized: recording it, confirming the order, capturing the money. */
export interface ConfirmingOrder extends CheckoutOrder {
  readonly status: 'confirming';
}

/** The order is confirmed; capture completes, then it waits for shipping. */
export interface ConfirmedCheckout extends CheckoutOrder {
  readonly status: 'confirmed';
}

/** Shipped: the reservations are committed. */
export interface ShippedCheckout extends CheckoutOrder {
  readonly status: 'shipped';
}

/** Delivered: nothing left but refunds an admin may still ask for. */
export interface DeliveredCheckout extends CheckoutOrder {
  readonly status: 'delivered';
}

/** Why the order is cancelled, and whether the order has recorded it yet. */
export interface CheckoutCancellation {
  readonly reason: CancellationReason;
  /** The rejected SKU, the provider's decline reason, or null. */
  readonly detail: string | null;
  /** `OrderCancelled` seen. */
  readonly recorded: boolean;
}

/** Cancelled: every reservation is released and the payment voided or refunded. */
export interface CancelledCheckout extends CheckoutOrder {
  readonly status: 'cancelled';
  readonly cancellation: CheckoutCancellation;
}

/** The checkout process of one order, as a union by status. */
export type CheckoutState =
  | NoCheckout
  | PlacingOrder
  | ReservingStock
  | AwaitingPayment
  | ConfirmingOrder
  | ConfirmedCheckout
  | ShippedCheckout
  | DeliveredCheckout
  | CancelledCheckout;

/** A checkout whose order exists. */
export type PlacedCheckout = Exclude<CheckoutState, NoCheckout | PlacingOrder>;
