import type { DomainEvent, Money } from '../../shared';
import type { PaymentFailureReason, PaymentProviderName } from './payment.commands';

/** A payment was started for an order. */
export type PaymentInitiated = DomainEvent<
  'PaymentInitiated',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly amount: Money;
    readonly provider: PaymentProviderName;
    readonly paymentMethodId: string;
  }
>;

/** Funds are held by the provider. */
export type PaymentAuthorized = DomainEvent<
  'PaymentAuthorized',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly providerPaymentId: string;
    readonly amount: Money;
  }
>;

/** The provider refused the payment; checkout reacts by cancelling the order. */
export type PaymentDeclined = DomainEvent<
  'PaymentDeclined',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly providerPaymentId: string | null;
    readonly reason: PaymentFailureReason;
    readonly message: string;
  }
>;

/** The held funds were taken. */
export type PaymentCaptured = DomainEvent<
  'PaymentCaptured',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly providerPaymentId: string;
    readonly amount: Money;
  }
>;

/** The hold was released; no money moved. */
export type PaymentVoided = DomainEvent<
  'PaymentVoided',
  { readonly paymentId: string; readonly orderId: string; readonly providerPaymentId: string }
>;

/** Money went back to the shopper. */
export type PaymentRefunded = DomainEvent<
  'PaymentRefunded',
  {
    readonly paymentId: string;
    readonly orderId: string;
    readonly refundId: string;
    readonly providerRefundId: string;
    readonly amount: Money;
  }
>;

export type PaymentEvent =
  PaymentInitiated | PaymentAuthorized | PaymentDeclined | PaymentCaptured | PaymentVoided | PaymentRefunded;

export const paymentStreamId = (paymentId: string): string => `payment-${paymentId}`;
