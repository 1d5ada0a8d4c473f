import { AggregateNotFoundError, IllegalStateError, UnprocessableCommandError } from '../../shared';

/** A quantity to receive or reserve that is not a whole number from 1 to 1,000,000. */
export class InvalidStockQuantity extends UnprocessableCommandError {
  readonly code = 'INVALID_STOCK_QUANTITY';
  constructor(quantity: number) {
    super(`Quantity must be a whole number from 1 to 1000000, got ${quantity}`, 'quantity');
  }
}

/** A stock correction whose `delta` is zero or not whole, or whose `reason` is empty or too long. */
export class InvalidStockAdjustment extends UnprocessableCommandError {
  readonly code = 'INVALID_STOCK_ADJUSTMENT';
  constructor(field: 'delta' | 'reason', rule: string) {
    super(`Invalid stock adjustment ${field}: ${rule}`, field);
  }
}

/** A correction that would take away units that are not available (on hand and not reserved). */
export class InsufficientStock extends IllegalStateError {
  readonly code = 'INSUFFICIENT_STOCK';
  constructor(sku: string, available: number, delta: number) {
    super(`Cannot adjust ${sku} by ${delta}: only ${available} available`, 'delta');
  }
}

/**
 * A reservation for an order that already has a different one: another quantity while active, or any
 * quantity once released or committed. One order holds at most one reservation per SKU, for its life.
 */
export class StockReservationConflict extends IllegalStateError {
  readonly code = 'STOCK_RESERVATION_CONFLICT';
  constructor(orderId: string, reason: string, field: 'quantity' | 'orderId') {
    super(`Order ${orderId} cannot reserve: ${reason}`, field);
  }
}

/** Releasing or committing for an order that holds no reservation of this SKU. */
export class StockReservationNotFound extends AggregateNotFoundError {
  readonly code = 'STOCK_RESERVATION_NOT_FOUND';
  constructor(sku: string, orderId: string) {
    super(`Order ${orderId} holds no reservation of ${sku}`, 'orderId');
  }
}

/** Releasing a reservation whose units already shipped. */
export class StockReservationAlreadyCommitted extends IllegalStateError {
  readonly code = 'STOCK_RESERVATION_ALREADY_COMMITTED';
  constructor(orderId: string) {
    super(`The reservation of order ${orderId} is already committed`, 'orderId');
  }
}

/** Committing a reservation whose units were already given back. */
export class StockReservationAlreadyReleased extends IllegalStateError {
  readonly code = 'STOCK_RESERVATION_ALREADY_RELEASED';
  constructor(orderId: string) {
    super(`The reservation of order ${orderId} is already released`, 'orderId');
  }
}
