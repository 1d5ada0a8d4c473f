import type { DomainEvent } from '../../shared';

/** Goods arrived: on-hand stock rose by `quantity`. */
export type StockReceived = DomainEvent<
  'StockReceived',
  { readonly sku: string; readonly quantity: number; readonly reference: string | null }
>;

/** On-hand stock was corrected by `delta` for `reason`. */
export type StockAdjusted = DomainEvent<
  'StockAdjusted',
  { readonly sku: string; readonly delta: number; readonly reason: string }
>;

/** `quantity` units are held for `orderId`. */
export type StockReserved = DomainEvent<
  'StockReserved',
  { readonly sku: string; readonly orderId: string; readonly quantity: number }
>;

/**
 * A reservation could not be made because too few units were available. Checkout reacts to it, so it is
 * an event rather than an error.
 */
export type StockReservationRejected = DomainEvent<
  'StockReservationRejected',
  { readonly sku: string; readonly orderId: string; readonly requested: number; readonly available: number }
>;

/** The order's held units went back to available stock. */
export type StockReservationReleased = DomainEvent<
  'StockReservationReleased',
  { readonly sku: string; readonly orderId: string; readonly quantity: number }
>;

/** The order's held units shipped: they left on-hand stock. */
export type StockReservationCommitted = DomainEvent<
  'StockReservationCommitted',
  { readonly sku: string; readonly orderId: string; readonly quantity: number }
>;

/** Every event of a stock stream. */
export type StockItemEvent =
  | StockReceived
  | StockAdjusted
  | StockReserved
  | StockReservationRejected
  | StockReservationReleased
  | StockReservationCommitted;

/** The stream of a SKU's stock: `stock-<sku>`. */
export const stockStreamId = (sku: string): string => `stock-${sku}`;
