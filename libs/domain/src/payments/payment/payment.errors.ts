import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';
import type { PaymentStatus } from './payment.state';

/** `InitiatePayment` again with other details than the payment already has. */
export class PaymentAlreadyExists extends IllegalStateError {
  readonly code = 'PAYMENT_ALREADY_EXISTS';
  constructor(paymentId: string) {
    super(`Payment ${paymentId} was already initiated with other details`, 'paymentId');
  }
}

/** A provider outcome for a payment that was never initiated. */
export class PaymentNotFound extends AggregateNotFoundError {
  readonly code = 'PAYMENT_NOT_FOUND';
  constructor(paymentId: string) {
    super(`Payment ${paymentId} does not exist`, 'paymentId');
  }
}

/** An amount that is not a positive whole number of minor units in an ISO-4217 currency. */
export class InvalidPaymentAmount extends UnprocessableCommandError {
  readonly code = 'INVALID_PAYMENT_AMOUNT';
  constructor(field: 'amount' | 'amount.currency', rule: string) {
    super(`Payment ${field} ${rule}`, field);
  }
}

/** A provider other than `stripe` or `simulated`. */
export class InvalidPaymentProvider extends UnprocessableCommandError {
  readonly code = 'INVALID_PAYMENT_PROVIDER';
  constructor(provider: string) {
    super(`Payment provider must be stripe or simulated, got "${provider}"`, 'provider');
  }
}

/** An id the command must carry is missing or empty. */
export class IncompletePaymentDetails extends UnprocessableCommandError {
  readonly code = 'INCOMPLETE_PAYMENT_DETAILS';
  constructor(field: string) {
    super(`A payment command needs ${field}`, field);
  }
}

/** A provider-reported amount that does not fit the payment (another currency, more than held). */
export class PaymentAmountMismatch extends UnprocessableCommandError {
  readonly code = 'PAYMENT_AMOUNT_MISMATCH';
  constructor(rule: string) {
    super(`Payment amount ${rule}`, 'amount');
  }
}

/** An authorization for a payment that was declined, voided before it, or authorized under another id. */
export class PaymentNotAuthorizable extends IllegalStateError {
  readonly code = 'PAYMENT_NOT_AUTHORIZABLE';
  constructor(paymentId: string, why: string) {
    super(`Payment ${paymentId} cannot be authorized: ${why}`);
  }
}

/** An outcome about another provider payment than the one this payment is bound to. */
export class PaymentProviderMismatch extends IllegalStateError {
  readonly code = 'PAYMENT_PROVIDER_MISMATCH';
  constructor(paymentId: string, bound: string, reported: string) {
    super(`Payment ${paymentId} is ${bound} at the provider, not ${reported}`, 'providerPaymentId');
  }
}

/** A capture of a payment that is not authorized. */
export class PaymentNotCapturable extends IllegalStateError {
  readonly code = 'PAYMENT_NOT_CAPTURABLE';
  constructor(paymentId: string, status: PaymentStatus) {
    super(`Payment ${paymentId} is ${status}; only an authorized payment can be captured`);
  }
}

/** A void, or a second capture of another amount, after the money was taken. */
export class PaymentAlreadyCaptured extends IllegalStateError {
  readonly code = 'PAYMENT_ALREADY_CAPTURED';
  constructor(paymentId: string) {
    super(`Payment ${paymentId} is already captured`);
  }
}

/** A void of a declined payment: there is nothing to release. */
export class PaymentNotVoidable extends IllegalStateError {
  readonly code = 'PAYMENT_NOT_VOIDABLE';
  constructor(paymentId: string, status: PaymentStatus) {
    super(`Payment ${paymentId} is ${status} and cannot be voided`);
  }
}

/** A refund of a payment whose money was never taken. */
export class PaymentNotRefundable extends IllegalStateError {
  readonly code = 'PAYMENT_NOT_REFUNDABLE';
  constructor(paymentId: string, status: PaymentStatus) {
    super(`Payment ${paymentId} is ${status}; only a captured payment can be refunded`);
  }
}

/** Refunds adding up to more than was captured. */
export class PaymentRefundExceedsCaptured extends UnprocessableCommandError {
  readonly code = 'PAYMENT_REFUND_EXCEEDS_CAPTURED';
  constructor(requested: number, refundable: number) {
    super(`Refund of ${requested} exceeds the ${refundable} still refundable`, 'amount');
  }
}

/** The same provider refund reported again with another amount or refund id. */
export class PaymentRefundConflict extends IllegalStateError {
  readonly code = 'PAYMENT_REFUND_CONFLICT';
  constructor(providerRefundId: string) {
    super(`Provider refund ${providerRefundId} was already recorded with other details`, 'providerRefundId');
  }
}
