import type { CartLineSnapshot } from '../../cart';
import type { DomainCommand, Money, ShippingAddress, ShippingMethodSnapshot } from '../../shared';

export type { ShippingAddress, ShippingMethodSnapshot } from '../../shared';

/** Why an order was cancelled (public contract: these exact strings). */
export type CancellationReason = 'out_of_stock' | 'payment_declined' | 'payment_timeout' | 'customer_request';

/**
 * Place the order for a checked-out cart. Lines are the cart's price snapshot; the shipping method's price
 * and the tax rate (basis points, 2000 = 20 %) come in on the command, resolved from configuration at the edge.
 */
export type PlaceOrder = DomainCommand<
  'PlaceOrder',
  {
    readonly orderId: string;
    readonly cartId: string;
    readonly customerId: string | null;
    readonly email: string;
    readonly lines: readonly CartLineSnapshot[];
    readonly shippingAddress: ShippingAddress;
    readonly shippingMethod: ShippingMethodSnapshot;
    readonly taxRateBasisPoints: number;
    readonly paymentMethodId: string;
  }
>;

/** Give the order its human-friendly, gap-free number (allocated from the order-number sequence). */
export type AssignOrderNumber = DomainCommand<
  'AssignOrderNumber',
  { readonly orderId: string; readonly orderNumber: number }
>;

/** Every line of the order is reserved in stock. */
export type RecordOrderStockReserved = DomainCommand<
  'RecordOrderStockReserved',
  { readonly orderId: string }
>;

/** The payment for the order was authorized. */
export type RecordOrderPaymentAuthorized = DomainCommand<
  'RecordOrderPaymentAuthorized',
  { readonly orderId: string; readonly paymentId: string; readonly amount: Money }
>;

/** Confirm the order: stock reserved and payment authorized. */
export type ConfirmOrder = DomainCommand<'ConfirmOrder', { readonly orderId: string }>;

/** The authorized payment was captured; refunds can now be made up to this amount. */
export type RecordOrderPaymentCaptured = DomainCommand<
  'RecordOrderPaymentCaptured',
  { readonly orderId: string; readonly paymentId: string; readonly amount: Money }
>;

/** Cancel the order (not once shipped). */
export type CancelOrder = DomainCommand<
  'CancelOrder',
  { readonly orderId: string; readonly reason: CancellationReason; readonly detail?: string }
>;

/** The order left the warehouse. */
export type ShipOrder = DomainCommand<
  'ShipOrder',
  { readonly orderId: string; readonly carrier?: string; readonly trackingNumber?: string }
>;

/** The order reached the customer. */
export type DeliverOrder = DomainCommand<'DeliverOrder', { readonly orderId: string }>;

/** Ask for money back (full or partial); never more than captured minus what is already refunded or asked. */
export type RequestOrderRefund = DomainCommand<
  'RequestOrderRefund',
  { readonly orderId: string; readonly refundId: string; readonly amount: Money; readonly reason: string }
>;

/** The provider refunded `refundId`. */
export type RecordOrderRefunded = DomainCommand<
  'RecordOrderRefunded',
  { readonly orderId: string; readonly refundId: string; readonly amount: Money }
>;

export type OrderCommand =
  | PlaceOrder
  | AssignOrderNumber
  | RecordOrderStockReserved
  | RecordOrderPaymentAuthorized
  | ConfirmOrder
  | RecordOrderPaymentCaptured
  | CancelOrder
  | ShipOrder
  | DeliverOrder
  | RequestOrderRefund
  | RecordOrderRefunded;
