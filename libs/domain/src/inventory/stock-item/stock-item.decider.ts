import { assertNever } from '../../shared';
import type { Decider } from '../../shared';
import type {
  AdjustStock,
  CommitStockReservation,
  ReceiveStock,
  ReleaseStockReservation,
  ReserveStock,
  StockItemCommand,
} from './stock-item.commands';
import {
  InsufficientStock,
  InvalidStockAdjustment,
  InvalidStockQuantity,
  StockReservationAlreadyCommitted,
  StockReservationAlreadyReleased,
  StockReservationConflict,
  StockReservationNotFound,
} from './stock-item.errors';
import type { StockItemEvent } from './stock-item.events';
import type { StockItemState, StockLevels, StockReservation } from './stock-item.state';

/** Business limits of a stock item. */
export const STOCK_LIMITS = { maxQuantity: 1_000_000, maxReasonLength: 500 } as const;

const initialState: StockItemState = { onHand: 0, reservations: {} };

/**
 * On-hand, reserved and available units of a stock item. Available is what a new reservation or a
 * negative correction may take; the decider keeps it from ever going below zero.
 */
export function stockLevels(state: StockItemState): StockLevels {
  let reserved = 0;
  for (const reservation of Object.values(state.reservations)) {
    if (reservation.status === 'active') reserved += reservation.quantity;
  }
  return { onHand: state.onHand, reserved, available: state.onHand - reserved };
}

/** The order's reservation of this SKU, if it ever made one. */
export function findStockReservation(state: StockItemState, orderId: string): StockReservation | undefined {
  // `hasOwn`, not `in` or a bare lookup: an order id such as "constructor" must not find Object.prototype.
  return Object.hasOwn(state.reservations, orderId) ? state.reservations[orderId] : undefined;
}

const isQuantity = (quantity: number): boolean =>
  Number.isSafeInteger(quantity) && quantity > 0 && quantity <= STOCK_LIMITS.maxQuantity;

function receive({ data }: ReceiveStock): StockItemEvent[] {
  if (!isQuantity(data.quantity)) throw new InvalidStockQuantity(data.quantity);
  return [
    {
      type: 'StockReceived',
      data: { sku: data.sku, quantity: data.quantity, reference: data.reference ?? null },
    },
  ];
}

function adjust({ data }: AdjustStock, state: StockItemState): StockItemEvent[] {
  const { sku, delta, reason } = data;
  if (!Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > STOCK_LIMITS.maxQuantity) {
    throw new InvalidStockAdjustment(
      'delta',
      `must be a non-zero whole number from -${STOCK_LIMITS.maxQuantity} to ${STOCK_LIMITS.maxQuantity}, got ${delta}`,
    );
  }
  if (reason.trim() === '') throw new InvalidStockAdjustment('reason', 'must not be empty');
  if (reason.length > STOCK_LIMITS.maxReasonLength) {
    throw new InvalidStockAdjustment('reason', `must be at most ${STOCK_LIMITS.maxReasonLength} characters`);
  }
  // Reserved units are promised to orders: a correction may only take what is available.
  const { available } = stockLevels(state);
  if (available + delta < 0) throw new InsufficientStock(sku, available, delta);
  return [{ type: 'StockAdjusted', data: { sku, delta, reason } }];
}

function reserve({ data }: ReserveStock, state: StockItemState): StockItemEvent[] {
  const { sku, orderId, quantity } = data;
  if (!isQuantity(quantity)) throw new InvalidStockQuantity(quantity);
  const existing = findStockReservation(state, orderId);
  if (existing?.status === 'active') {
    if (existing.quantity === quantity) return []; // a retried command
    throw new StockReservationConflict(
      orderId,
      `it already holds ${existing.quantity} units, not ${quantity}`,
      'quantity',
    );
  }
  if (existing !== undefined) {
    throw new StockReservationConflict(orderId, `its reservation was already ${existing.status}`, 'orderId');
  }
  const { available } = stockLevels(state);
  if (quantity > available) {
    return [{ type: 'StockReservationRejected', data: { sku, orderId, requested: quantity, available } }];
  }
  return [{ type: 'StockReserved', data: { sku, orderId, quantity } }];
}

function release({ data }: ReleaseStockReservation, state: StockItemState): StockItemEvent[] {
  const { sku, orderId } = data;
  const reservation = findStockReservation(state, orderId);
  switch (reservation?.status) {
    case undefined:
      throw new StockReservationNotFound(sku, orderId);
    case 'active':
      return [{ type: 'StockReservationReleased', data: { sku, orderId, quantity: reservation.quantity } }];
    case 'released':
      return [];
    case 'committed':
      throw new StockReservationAlreadyCommitted(orderId);
  }
}

function commit({ data }: CommitStockReservation, state: StockItemState): StockItemEvent[] {
  const { sku, orderId } = data;
  const reservation = findStockReservation(state, orderId);
  switch (reservation?.status) {
    case undefined:
      throw new StockReservationNotFound(sku, orderId);
    case 'active':
      return [{ type: 'StockReservationCommitted', data: { sku, orderId, quantity: reservation.quantity } }];
    case 'committed':
      return [];
    case 'released':
      throw new StockReservationAlreadyReleased(orderId);
  }
}

function decide(command: StockItemCommand, state: StockItemState): StockItemEvent[] {
  switch (command.type) {
    case 'ReceiveStock':
      return receive(command);
    case 'AdjustStock':
      return adjust(command, state);
    case 'ReserveStock':
      return reserve(command, state);
    case 'ReleaseStockReservation':
      return release(command, state);
    case 'CommitStockReservation':
      return commit(command, state);
    default:
      return assertNever(command);
  }
}

function withReservation(
  state: StockItemState,
  orderId: string,
  reservation: StockReservation,
): StockItemState['reservations'] {
  // A computed key defines an own property, even for "__proto__".
  return { ...state.reservations, [orderId]: reservation };
}

function evolve(state: StockItemState, event: StockItemEvent): StockItemState {
  switch (event.type) {
    case 'StockReceived':
      return { ...state, onHand: state.onHand + event.data.quantity };
    case 'StockAdjusted':
      return { ...state, onHand: state.onHand + event.data.delta };
    case 'StockReserved':
      return {
        ...state,
        reservations: withReservation(state, event.data.orderId, {
          quantity: event.data.quantity,
          status: 'active',
        }),
      };
    case 'StockReservationRejected':
      return state;
    case 'StockReservationReleased':
      return {
        ...state,
        reservations: withReservation(state, event.data.orderId, {
          quantity: event.data.quantity,
          status: 'released',
        }),
      };
    case 'StockReservationCommitted':
      return {
        onHand: state.onHand - event.data.quantity,
        reservations: withReservation(state, event.data.orderId, {
          quantity: event.data.quantity,
          status: 'committed',
        }),
      };
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

/**
 * The stock of one SKU as a pure decider over stream `stock-<sku>`.
 *
 * Units are received, corrected, reserved for orders, and then either released (order cancelled) or
 * committed (order shipped, the units leave on-hand stock). Available stock never goes below zero; each
 * order holds at most one reservation, which is released or committed exactly once. A reservation larger
 * than what is available is recorded as `StockReservationRejected`, for checkout to react to.
 */
export const stockItemDecider = {
  initialState,
  decide,
  evolve,
} satisfies Decider<StockItemCommand, StockItemEvent, StockItemState>;
