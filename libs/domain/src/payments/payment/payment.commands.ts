import type { DomainCommand, Money } from '../../shared';

/** Which payment provider moves the money. */
export type PaymentProviderName = 'stripe' | 'simulated';

/**
 * Why a provider refused a payment, in Stripe's vocabulary (`card_declined`, `insufficient_funds`,
 * `authentication_required`, `expired_card`, `processing_error`, ...). Kept as the provider said it.
 */
export type PaymentFailureReason = string;

/** Start a payment of `amount` for an order with the shopper's payment method (a provider token, never card data). */
export type InitiatePayment = DomainCommand<
  'InitiatePayment',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly amount: Money;
    readonly provider: PaymentProviderName;
    readonly paymentMethodId: string;
  }
>;

/** The provider authorized the payment (funds held). Keyed by the provider's payment id. */
export type RecordPaymentAuthorized = DomainCommand<
  'RecordPaymentAuthorized',
  { readonly paymentId: string; readonly providerPaymentId: string; readonly amount: Money }
>;

/** The provider declined the payment. */
export type RecordPaymentDeclined = DomainCommand<
  'RecordPaymentDeclined',
  {
    readonly paymentId: string;
    readonly providerPaymentId: string | null;
    readonly reason: PaymentFailureReason;
    readonly message: string;
  }
>;

/** The provider captured the authorized funds. */
export type RecordPaymentCaptured = DomainCommand<
  'RecordPaymentCaptured',
  { readonly paymentId: string; readonly providerPaymentId: string; readonly amount: Money }
>;

/** The provider released the authorization (nothing was taken). */
export type RecordPaymentVoided = DomainCommand<
  'RecordPaymentVoided',
  { readonly paymentId: string; readonly providerPaymentId: string }
>;

/** The provider refunded part or all of the captured amount. Keyed by the provider's refund id. */
export type RecordPaymentRefunded = DomainCommand<
  'RecordPaymentRefunded',
  {
    readonly paymentId: string;
    readonly refundId: string;
    readonly providerRefundId: string;
    readonly amount: Money;
  }
>;

export type PaymentCommand =
  | InitiatePayment
  | RecordPaymentAuthorized
  | RecordPaymentDeclined
  | RecordPaymentCaptured
  | RecordPaymentVoided
  | RecordPaymentRefunded;
