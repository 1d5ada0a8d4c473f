import type { CartLineSnapshot } from '../../cart';
import type { Money } from '../../shared';
import type { CancellationReason, ShippingAddress, ShippingMethodSnapshot } from './order.commands';
import type { OrderTotals } from './order.events';

/** The order's payment as recorded on the order: authorized, then (maybe) captured. */
export interface OrderPayment {
  readonly paymentId: string;
  readonly authorized: Money;
  /** Null until the provider captured the held funds. */
  readonly captured: Money | null;
}

/** A refund asked for on the order; `refunded` once the provider paid it out. */
export interface OrderRefund {
  readonly refundId: string;
  readonly amount: Money;
  readonly reason: string;
  readonly status: 'requested' | 'refunded';
}

/** Where an order went: the carrier and tracking number given when it shipped, when any. */
export interface OrderShipment {
  readonly carrier: string | null;
  readonly trackingNumber: string | null;
}

/** Why and how an order was cancelled. */
export interface OrderCancellation {
  readonly reason: CancellationReason;
  readonly detail: string | null;
}

/** No `OrderPlaced` yet. */
export interface NoOrder {
  readonly status: 'none';
}

/** What every placed order carries, whatever its status. */
export interface OrderData {
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
  readonly placedAt: string;
  /** The gap-free number, once assigned; null before. */
  readonly orderNumber: number | null;
  /** Every line is reserved in stock. */
  readonly stockReserved: boolean;
  /** Null until the payment was authorized. */
  readonly payment: OrderPayment | null;
  /** In the order they were asked for. */
  readonly refunds: readonly OrderRefund[];
}

/** Placed; waiting for stock and payment. */
export interface PendingOrder extends OrderData {
  readonly status: 'pending';
}

/** Stock reserved and payment authorized: the shop will ship it. */
export interface ConfirmedOrder extends OrderData {
  readonly status: 'confirmed';
}

/** Left the warehouse. */
export interface ShippedOrder extends OrderData {
  readonly status: 'shipped';
  readonly shipment: OrderShipment;
}

/** Reached the customer. */
export interface DeliveredOrder extends OrderData {
  readonly status: 'delivered';
  readonly shipment: OrderShipment;
}

/** Cancelled before it shipped; its stock and payment are given back by checkout. */
export interface CancelledOrder extends OrderData {
  readonly status: 'cancelled';
  readonly cancellation: OrderCancellation;
}

/** An order, as a union by status. */
export type OrderState =
  NoOrder | PendingOrder | ConfirmedOrder | ShippedOrder | DeliveredOrder | CancelledOrder;

/** An order that exists. */
export type PlacedOrder = Exclude<OrderState, NoOrder>;

/** The status shown to shoppers and admins (public contract: these exact strings). */
export type OrderStatus = PlacedOrder['status'];
