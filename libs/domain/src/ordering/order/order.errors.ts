import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';
import type { OrderStatus } from './order.state';

/** `PlaceOrder` for an order id already placed from another cart. */
export class OrderAlreadyExists extends IllegalStateError {
  readonly code = 'ORDER_ALREADY_EXISTS';
  constructor(orderId: string, cartId: string) {
    super(`Order ${orderId} was already placed from cart ${cartId}`, 'orderId');
  }
}

/** A command about an order that was never placed. */
export class OrderNotFound extends AggregateNotFoundError {
  readonly code = 'ORDER_NOT_FOUND';
  constructor(orderId: string) {
    super(`Order ${orderId} does not exist`);
  }
}

/** An order without lines. */
export class OrderHasNoLines extends UnprocessableCommandError {
  readonly code = 'ORDER_HAS_NO_LINES';
  constructor() {
    super('An order needs at least one line', 'lines');
  }
}

/**
 * A line that is not a consistent price snapshot: quantity not a positive whole number, unit price not a
 * positive whole number of minor units, or a line total other than unit price times quantity.
 */
export class InvalidOrderLine extends UnprocessableCommandError {
  readonly code = 'INVALID_ORDER_LINE';
  constructor(field: string, rule: string) {
    super(`Invalid order line ${field}: ${rule}`, field);
  }
}

/** Lines, or the shipping method, priced in more than one currency. */
export class OrderCurrencyMismatch extends UnprocessableCommandError {
  readonly code = 'ORDER_CURRENCY_MISMATCH';
  constructor(field: string, expected: string, actual: string) {
    super(`An order is in one currency: ${field} is in ${actual}, the order in ${expected}`, field);
  }
}

/** A shipping price that is not a whole, non-negative number of minor units. */
export class InvalidShippingPrice extends UnprocessableCommandError {
  readonly code = 'INVALID_SHIPPING_PRICE';
  constructor(amount: number) {
    super(
      `Shipping price must be a whole number of minor units, zero or more, got ${amount}`,
      'shippingMethod.price.amount',
    );
  }
}

/** A tax rate that is not a whole number of basis points from 0 to 10000 (0 % to 100 %). */
export class InvalidTaxRate extends UnprocessableCommandError {
  readonly code = 'INVALID_TAX_RATE';
  constructor(rate: number) {
    super(
      `Tax rate must be a whole number of basis points from 0 to 10000, got ${rate}`,
      'taxRateBasisPoints',
    );
  }
}

/** Order details with a part missing or empty (their shape is checked at the edge). */
export class IncompleteOrderDetails extends UnprocessableCommandError {
  readonly code = 'INCOMPLETE_ORDER_DETAILS';
  constructor(field: string) {
    super(`An order needs ${field}`, field);
  }
}

/** An order number that is not a positive whole number. */
export class InvalidOrderNumber extends UnprocessableCommandError {
  readonly code = 'INVALID_ORDER_NUMBER';
  constructor(orderNumber: number) {
    super(`Order number must be a positive whole number, got ${orderNumber}`, 'orderNumber');
  }
}

/** A second, different number for an order that already has one: numbers never change. */
export class OrderNumberAlreadyAssigned extends IllegalStateError {
  readonly code = 'ORDER_NUMBER_ALREADY_ASSIGNED';
  constructor(orderId: string, assigned: number, requested: number) {
    super(`Order ${orderId} already has number ${assigned}, not ${requested}`, 'orderNumber');
  }
}

/** A payment fact whose amount does not fit the order (authorized ≠ total, captured above authorized). */
export class OrderPaymentMismatch extends UnprocessableCommandError {
  readonly code = 'ORDER_PAYMENT_MISMATCH';
  constructor(field: 'amount' | 'amount.currency', rule: string) {
    super(`Payment ${field} ${rule}`, field);
  }
}

/** A payment fact that contradicts the one already recorded (another payment, another captured amount). */
export class OrderPaymentConflict extends IllegalStateError {
  readonly code = 'ORDER_PAYMENT_CONFLICT';
  constructor(field: 'paymentId' | 'amount', rule: string) {
    super(`Payment ${field} conflicts with what the order recorded: ${rule}`, field);
  }
}

/** A capture recorded on an order whose payment was never recorded as authorized. */
export class OrderPaymentNotAuthorized extends IllegalStateError {
  readonly code = 'ORDER_PAYMENT_NOT_AUTHORIZED';
  constructor(orderId: string) {
    super(`Order ${orderId} has no authorized payment`, 'paymentId');
  }
}

/** Confirming an order that is cancelled, or still lacks its stock reservation or payment authorization. */
export class OrderNotConfirmable extends IllegalStateError {
  readonly code = 'ORDER_NOT_CONFIRMABLE';
  constructor(orderId: string, why: string) {
    super(`Order ${orderId} cannot be confirmed: ${why}`);
  }
}

/** A cancellation reason other than the four public ones. */
export class InvalidCancellationReason extends UnprocessableCommandError {
  readonly code = 'INVALID_CANCELLATION_REASON';
  constructor(reason: string) {
    super(
      `Cancellation reason must be out_of_stock, payment_declined, payment_timeout or customer_request, got "${reason}"`,
      'reason',
    );
  }
}

/** Cancelling an order that already shipped or was delivered. */
export class OrderNotCancellable extends IllegalStateError {
  readonly code = 'ORDER_NOT_CANCELLABLE';
  constructor(orderId: string, status: OrderStatus) {
    super(`Order ${orderId} is ${status} and can no longer be cancelled`);
  }
}

/** Shipping an order that is not confirmed (or re-shipping it with other details). */
export class OrderNotShippable extends IllegalStateError {
  readonly code = 'ORDER_NOT_SHIPPABLE';
  constructor(orderId: string, why: string) {
    super(`Order ${orderId} cannot be shipped: ${why}`);
  }
}

/** Delivering an order that has not shipped. */
export class OrderNotDeliverable extends IllegalStateError {
  readonly code = 'ORDER_NOT_DELIVERABLE';
  constructor(orderId: string, status: OrderStatus) {
    super(`Order ${orderId} is ${status}; only a shipped order can be delivered`);
  }
}

/** A refund for an order whose payment was not captured, or that was cancelled (refunded in full then). */
export class OrderNotRefundable extends IllegalStateError {
  readonly code = 'ORDER_NOT_REFUNDABLE';
  constructor(orderId: string, why: string) {
    super(`Order ${orderId} cannot be refunded: ${why}`);
  }
}

/** A refund amount that is not a positive whole number of minor units in the order currency. */
export class InvalidRefundAmount extends UnprocessableCommandError {
  readonly code = 'INVALID_REFUND_AMOUNT';
  constructor(field: 'amount' | 'amount.currency', rule: string) {
    super(`Refund ${field} ${rule}`, field);
  }
}

/** A refund above what is left: captured minus what is already refunded or asked for. */
export class RefundExceedsCaptured extends UnprocessableCommandError {
  readonly code = 'REFUND_EXCEEDS_CAPTURED';
  constructor(requested: number, refundable: number) {
    super(`Refund of ${requested} exceeds the ${refundable} still refundable`, 'amount');
  }
}

/** The same refund id with another amount. */
export class OrderRefundConflict extends IllegalStateError {
  readonly code = 'ORDER_REFUND_CONFLICT';
  constructor(refundId: string, recorded: number, requested: number) {
    super(`Refund ${refundId} is for ${recorded}, not ${requested}`, 'amount');
  }
}

/** Recording a refund the order never asked for. */
export class OrderRefundNotFound extends AggregateNotFoundError {
  readonly code = 'ORDER_REFUND_NOT_FOUND';
  constructor(orderId: string, refundId: string) {
    super(`Order ${orderId} has no refund ${refundId}`, 'refundId');
  }
}
