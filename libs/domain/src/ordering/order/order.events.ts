import type { CartLineSnapshot } from '../../cart';
import type { DomainEvent, Money } from '../../shared';
import type { CancellationReason, ShippingAddress, ShippingMethodSnapshot } from './order.commands';

/** Money totals of an order: subtotal (lines) + shipping + tax = total. Tax is on subtotal + shipping. */
export interface OrderTotals {
  readonly subtotal: Money;
  readonly shipping: Money;
  readonly tax: Money;
  readonly total: Money;
}

/** An order was placed from a checked-out cart (status `pending`). */
export type OrderPlaced = DomainEvent<
  'OrderPlaced',
  {
    readonly orderId: string;
    readonly cartId: string;
    readonly customerId: string | null;
    readonly email: string;
    readonly lines: readonly CartLineSnapshot[];
    readonly shippingAddress: ShippingAddress;
    readonly shippingMethod: ShippingMethodSnapshot;
    readonly taxRateBasisPoints: number;
    readonly totals: OrderTotals;
    readonly paymentMethodId: string;
    /** When the order was placed (from the command), start of the payment timeout. */
    readonly placedAt: string;
  }
>;

/** The order got its number (`formatted` is what shoppers see, e.g. `TL-001042`). */
export type OrderNumberAssigned = DomainEvent<
  'OrderNumberAssigned',
  { readonly orderId: string; readonly orderNumber: number; readonly formatted: string }
>;

/** Every line is reserved in stock. */
export type OrderStockReserved = DomainEvent<'OrderStockReserved', { readonly orderId: string }>;

/** The order's payment was authorized. */
export type OrderPaymentAuthorized = DomainEvent<
  'OrderPaymentAuthorized',
  { readonly orderId: string; readonly paymentId: string; readonly amount: Money }
>;

/** The order is confirmed (status `confirmed`). */
export type OrderConfirmed = DomainEvent<'OrderConfirmed', { readonly orderId: string }>;

/** The order's payment was captured. */
export type OrderPaymentCaptured = DomainEvent<
  'OrderPaymentCaptured',
  { readonly orderId: string; readonly paymentId: string; readonly amount: Money }
>;

/** The order was cancelled (status `cancelled`) for `reason`. */
export type OrderCancelled = DomainEvent<
  'OrderCancelled',
  { readonly orderId: string; readonly reason: CancellationReason; readonly detail: string | null }
>;

/** The order shipped (status `shipped`). */
export type OrderShipped = DomainEvent<
  'OrderShipped',
  { readonly orderId: string; readonly carrier: string | null; readonly trackingNumber: string | null }
>;

/** The order was delivered (status `delivered`). */
export type OrderDelivered = DomainEvent<'OrderDelivered', { readonly orderId: string }>;

/** A refund was asked for; the money moves when the payment reports it. */
export type OrderRefundRequested = DomainEvent<
  'OrderRefundRequested',
  { readonly orderId: string; readonly refundId: string; readonly amount: Money; readonly reason: string }
>;

/** A refund was paid out. */
export type OrderRefunded = DomainEvent<
  'OrderRefunded',
  { readonly orderId: string; readonly refundId: string; readonly amount: Money }
>;

export type OrderEvent =
  | OrderPlaced
  | OrderNumberAssigned
  | OrderStockReserved
  | OrderPaymentAuthorized
  | OrderConfirmed
  | OrderPaymentCaptured
  | OrderCancelled
  | OrderShipped
  | OrderDelivered
  | OrderRefundRequested
  | OrderRefunded;

export const orderStreamId = (orderId: string): string => `order-${orderId}`;

/** The stream whose versions are the order numbers: version n is the allocation of number n. */
export const ORDER_NUMBER_STREAM = 'order-numbers';

/** An allocation in {@link ORDER_NUMBER_STREAM}: its stream version is the number. */
export type OrderNumberAllocated = DomainEvent<'OrderNumberAllocated', { readonly orderId: string }>;
