import type { CartCheckedOut } from '../cart';
import type {
  StockReserved,
  StockReservationCommitted,
  StockReservationRejected,
  StockReservationReleased,
} from '../inventory';
import type {
  OrderCancelled,
  OrderConfirmed,
  OrderDelivered,
  OrderNumberAssigned,
  OrderPaymentCaptured,
  OrderPlaced,
  OrderRefundRequested,
  OrderShipped,
  OrderStockReserved,
} from '../ordering';
import type {
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentVoided,
} from '../payments';
import type { DomainEvent, Money, ScheduleTimeout, SendCommand } from '../shared';

/** The payment did not complete in time (delivered by the runtime's durable timer). */
export type CheckoutPaymentTimedOut = DomainEvent<'CheckoutPaymentTimedOut', { readonly orderId: string }>;

/** Every event the checkout process observes; each carries the order id. */
export type CheckoutInputEvent =
  | CartCheckedOut
  | OrderPlaced
  | OrderNumberAssigned
  | OrderStockReserved
  | OrderConfirmed
  | OrderPaymentCaptured
  | OrderCancelled
  | OrderShipped
  | OrderDelivered
  | OrderRefundRequested
  | StockReserved
  | StockReservationRejected
  | StockReservationReleased
  | StockReservationCommitted
  | PaymentAuthorized
  | PaymentDeclined
  | PaymentCaptured
  | PaymentVoided
  | PaymentRefunded
  | CheckoutPaymentTimedOut;

/**
 * Commands the checkout process sends. Order/stock/payment-record commands are the deciders' own; the payment
 * ACTIONS below are carried out by the command side against the payment provider, which then records the
 * outcome on the payment stream.
 */
export type AuthorizePayment = {
  readonly type: 'AuthorizePayment';
  readonly data: {
    readonly paymentId: string;
    readonly orderId: string;
    readonly amount: Money;
    readonly paymentMethodId: string;
  };
};
export type CapturePayment = {
  readonly type: 'CapturePayment';
  readonly data: { readonly paymentId: string; readonly orderId: string };
};
export type VoidPayment = {
  readonly type: 'VoidPayment';
  readonly data: { readonly paymentId: string; readonly orderId: string };
};
export type RefundPayment = {
  readonly type: 'RefundPayment';
  readonly data: {
    readonly paymentId: string;
    readonly orderId: string;
    readonly refundId: string;
    readonly amount: Money;
  };
};

/** A command as the process emits it: type and data; the runtime adds metadata and a deterministic id. */
export interface CheckoutCommand {
  readonly type:
    | 'PlaceOrder'
    | 'AssignOrderNumber'
    | 'RecordOrderStockReserved'
    | 'RecordOrderPaymentAuthorized'
    | 'ConfirmOrder'
    | 'RecordOrderPaymentCaptured'
    | 'CancelOrder'
    | 'RecordOrderRefunded'
    | 'ReserveStock'
    | 'ReleaseStockReservation'
    | 'CommitStockReservation'
    | AuthorizePayment['type']
    | CapturePayment['type']
    | VoidPayment['type']
    | RefundPayment['type'];
  readonly data: Readonly<Record<string, unknown>>;
}

export type CheckoutAction = SendCommand<CheckoutCommand> | ScheduleTimeout<CheckoutPaymentTimedOut>;

/** Settings of the checkout process (from configuration). */
export interface CheckoutSettings {
  /** How long a payment may take before the order is cancelled (default 15 min). */
  readonly paymentTimeoutMs: number;
  /** The tax rate applied to orders, in basis points (2000 = 20 %). */
  readonly taxRateBasisPoints: number;
}

export const checkoutStreamId = (orderId: string): string => `checkout-${orderId}`;
