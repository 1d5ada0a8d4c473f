import type { Money } from '../../shared';
import type { PaymentFailureReason, PaymentProviderName } from './payment.commands';

/** A refund the provider paid out, keyed by the provider's refund id. */
export interface PaymentRefund {
  readonly refundId: string;
  readonly providerRefundId: string;
  readonly amount: Money;
}

/** No `PaymentInitiated` yet. */
export interface NoPayment {
  readonly status: 'none';
}

/** What every initiated payment carries. */
export interface PaymentData {
  readonly paymentId: string;
  readonly orderId: string;
  /** The amount asked for (the order total). */
  readonly amount: Money;
  readonly provider: PaymentProviderName;
  readonly paymentMethodId: string;
}

/** Sent to the provider; no outcome yet. */
export interface InitiatedPayment extends PaymentData {
  readonly status: 'initiated';
}

/** Funds held by the provider under `providerPaymentId`. */
export interface AuthorizedPayment extends PaymentData {
  readonly status: 'authorized';
  readonly providerPaymentId: string;
  readonly authorized: Money;
}

/** Held funds taken; refunds may give some or all of them back. */
export interface CapturedPayment extends PaymentData {
  readonly status: 'captured';
  readonly providerPaymentId: string;
  readonly authorized: Money;
  readonly captured: Money;
  /** In the order the provider reported them. */
  readonly refunds: readonly PaymentRefund[];
}

/** Released without taking money: after an authorization, or before one (cancelled at the provider). */
export interface VoidedPayment extends PaymentData {
  readonly status: 'voided';
  readonly providerPaymentId: string;
  /** What was held before the void; null when the payment was voided before it was authorized. */
  readonly authorized: Money | null;
}

/** Refused by the provider. Final: this payment never moves money. */
export interface DeclinedPayment extends PaymentData {
  readonly status: 'declined';
  readonly providerPaymentId: string | null;
  readonly reason: PaymentFailureReason;
  readonly message: string;
}

/** A payment, as a union by status. */
export type PaymentState =
  NoPayment | InitiatedPayment | AuthorizedPayment | CapturedPayment | VoidedPayment | DeclinedPayment;

/** A payment that exists. */
export type InitiatedOrLaterPayment = Exclude<PaymentState, NoPayment>;

/** Where a payment stands (public contract: these exact strings). */
export type PaymentStatus = InitiatedOrLaterPayment['status'];
