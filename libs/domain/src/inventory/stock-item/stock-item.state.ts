/** Where a reservation stands: holding units, given back, or shipped. Only `active` holds stock. */
export type StockReservationStatus = 'active' | 'released' | 'committed';

/** Units held for one order. */
export interface StockReservation {
  readonly quantity: number;
  readonly status: StockReservationStatus;
}

/**
 * A stock item: units on hand and every reservation ever made, keyed by order id.
 *
 * Unlike products and carts this is one shape, not a union by status: an item nobody has received yet
 * behaves exactly like one with zero units on hand (a reservation against it is rejected, a count
 * correction may add to it), so a separate "none" status would only add cases that decide the same way.
 * Released and committed reservations are kept so that each order is released or committed once only.
 */
export interface StockItemState {
  readonly onHand: number;
  readonly reservations: Readonly<Record<string, StockReservation>>;
}

/** On-hand units, units held by active reservations, and what is left to promise. */
export interface StockLevels {
  readonly onHand: number;
  readonly reserved: number;
  /** `onHand - reserved`: what a new reservation may take. Never below zero. */
  readonly available: number;
}
