import { DomainError } from '../../shared';
import type { CommandMetadata } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { StockItemCommand } from './stock-item.commands';
import { findStockReservation, stockItemDecider, stockLevels } from './stock-item.decider';
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
import type { StockItemState } from './stock-item.state';

const metadata: CommandMetadata = {
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'system', role: 'system' },
  occurredAt: '2025-01-01T10:00:00.000Z',
};

const command = <T extends StockItemCommand['type']>(
  type: T,
  data: Extract<StockItemCommand, { type: T }>['data'],
) => ({ type, data, metadata }) as Extract<StockItemCommand, { type: T }>;

const sku = 'TSHIRT-BLUE-M';

const receiveStock = (quantity: number, reference?: string) =>
  command('ReceiveStock', reference === undefined ? { sku, quantity } : { sku, quantity, reference });
const adjustStock = (delta: number, reason = 'inventory count') =>
  command('AdjustStock', { sku, delta, reason });
const reserveStock = (orderId: string, quantity: number) =>
  command('ReserveStock', { sku, orderId, quantity });
const releaseReservation = (orderId: string) => command('ReleaseStockReservation', { sku, orderId });
const commitReservation = (orderId: string) => command('CommitStockReservation', { sku, orderId });

const received = (quantity: number, reference: string | null = null): StockItemEvent => ({
  type: 'StockReceived',
  data: { sku, quantity, reference },
});
const adjusted = (delta: number, reason = 'inventory count'): StockItemEvent => ({
  type: 'StockAdjusted',
  data: { sku, delta, reason },
});
const reserved = (orderId: string, quantity: number): StockItemEvent => ({
  type: 'StockReserved',
  data: { sku, orderId, quantity },
});
const rejected = (orderId: string, requested: number, available: number): StockItemEvent => ({
  type: 'StockReservationRejected',
  data: { sku, orderId, requested, available },
});
const released = (orderId: string, quantity: number): StockItemEvent => ({
  type: 'StockReservationReleased',
  data: { sku, orderId, quantity },
});
const committed = (orderId: string, quantity: number): StockItemEvent => ({
  type: 'StockReservationCommitted',
  data: { sku, orderId, quantity },
});

const spec = deciderSpec(stockItemDecider);
const fold = (events: readonly StockItemEvent[]): StockItemState =>
  events.reduce(stockItemDecider.evolve, stockItemDecider.initialState);

describe('StockItem', () => {
  describe('when nothing was ever received', () => {
    const given = spec.given([]);

    it('receives stock, with or without a reference', () => {
      given.when(receiveStock(10, 'DN-42')).then([received(10, 'DN-42')]);
      given.when(receiveStock(10)).then([received(10, null)]);
    });

    it('accepts up to 1,000,000 units at once', () => {
      given.when(receiveStock(1_000_000)).then([received(1_000_000)]);
    });

    it.each([0, -1, 1.5, 1_000_001, Number.NaN])('rejects receiving %p units', (quantity) => {
      given.when(receiveStock(quantity)).thenThrows(InvalidStockQuantity, 'quantity');
    });

    it('rejects a reservation as an event, with nothing available', () => {
      given.when(reserveStock('order-1', 1)).then([rejected('order-1', 1, 0)]);
    });

    it('accepts a positive count correction', () => {
      given.when(adjustStock(3, 'found in the back room')).then([adjusted(3, 'found in the back room')]);
    });

    it('rejects a negative count correction', () => {
      given.when(adjustStock(-1)).thenThrows(InsufficientStock, 'delta');
    });

    it('rejects releasing or committing an unknown order', () => {
      given.when(releaseReservation('order-1')).thenThrows(StockReservationNotFound, 'orderId');
      given.when(commitReservation('order-1')).thenThrows(StockReservationNotFound, 'orderId');
    });
  });

  describe('when on hand', () => {
    const given = spec.given([received(10)]);

    it('adds received stock', () => {
      given.when(receiveStock(5)).then([received(5)]);
    });

    it('corrects the count down to zero', () => {
      given.when(adjustStock(-10, 'water damage')).then([adjusted(-10, 'water damage')]);
    });

    it('rejects a correction below zero', () => {
      given.when(adjustStock(-11)).thenThrows(InsufficientStock, 'delta');
    });

    it.each([0, 0.5, -2.5, 1_000_001, -1_000_001, Number.NaN])('rejects the delta %p', (delta) => {
      given.when(adjustStock(delta)).thenThrows(InvalidStockAdjustment, 'delta');
    });

    it.each(['', '   '])('rejects the empty reason "%s"', (reason) => {
      given.when(adjustStock(1, reason)).thenThrows(InvalidStockAdjustment, 'reason');
    });

    it('accepts a reason of 500 characters and rejects one of 501', () => {
      given.when(adjustStock(1, 'r'.repeat(500))).then([adjusted(1, 'r'.repeat(500))]);
      given.when(adjustStock(1, 'r'.repeat(501))).thenThrows(InvalidStockAdjustment, 'reason');
    });

    it('reserves up to what is available', () => {
      given.when(reserveStock('order-1', 10)).then([reserved('order-1', 10)]);
    });

    it('rejects a reservation above what is available as an event', () => {
      given.when(reserveStock('order-1', 11)).then([rejected('order-1', 11, 10)]);
    });

    it.each([0, -1, 2.5, 1_000_001])('rejects reserving %p units', (quantity) => {
      given.when(reserveStock('order-1', quantity)).thenThrows(InvalidStockQuantity, 'quantity');
    });

    it('treats an order id named like an Object.prototype member as unknown', () => {
      given.when(releaseReservation('constructor')).thenThrows(StockReservationNotFound, 'orderId');
      given.when(reserveStock('__proto__', 2)).then([reserved('__proto__', 2)]);
      expect(findStockReservation(fold([received(10), reserved('__proto__', 2)]), '__proto__')).toEqual({
        quantity: 2,
        status: 'active',
      });
    });
  });

  describe('when a reservation is active', () => {
    const history = [received(10), reserved('order-1', 4)];
    const given = spec.given(history);

    it('ignores a retried reservation of the same quantity', () => {
      given.when(reserveStock('order-1', 4)).thenNothingHappens();
    });

    it('rejects a reservation of another quantity for the same order', () => {
      given.when(reserveStock('order-1', 5)).thenThrows(StockReservationConflict, 'quantity');
    });

    it('reserves only what the other orders left available', () => {
      given.when(reserveStock('order-2', 6)).then([reserved('order-2', 6)]);
      given.when(reserveStock('order-2', 7)).then([rejected('order-2', 7, 6)]);
    });

    it('rejects a correction that would take reserved units', () => {
      given.when(adjustStock(-6)).then([adjusted(-6)]);
      given.when(adjustStock(-7)).thenThrows(InsufficientStock, 'delta');
    });

    it('releases it with its quantity', () => {
      given.when(releaseReservation('order-1')).then([released('order-1', 4)]);
    });

    it('commits it with its quantity', () => {
      given.when(commitReservation('order-1')).then([committed('order-1', 4)]);
    });

    it('rejects releasing or committing another order', () => {
      given.when(releaseReservation('order-2')).thenThrows(StockReservationNotFound, 'orderId');
      given.when(commitReservation('order-2')).thenThrows(StockReservationNotFound, 'orderId');
    });
  });

  describe('when several orders hold reservations', () => {
    const given = spec.given([received(10), reserved('order-1', 4), reserved('order-2', 3)]);

    it('releases one order without touching the other', () => {
      given.when(releaseReservation('order-2')).then([released('order-2', 3)]);
      spec
        .given([received(10), reserved('order-1', 4), reserved('order-2', 3), released('order-2', 3)])
        .when(commitReservation('order-1'))
        .then([committed('order-1', 4)]);
    });

    it('counts every active reservation against available stock', () => {
      expect(stockLevels(fold([received(10), reserved('order-1', 4), reserved('order-2', 3)]))).toEqual({
        onHand: 10,
        reserved: 7,
        available: 3,
      });
      given.when(reserveStock('order-3', 4)).then([rejected('order-3', 4, 3)]);
    });
  });

  describe('when a reservation is released', () => {
    const given = spec.given([received(10), reserved('order-1', 4), released('order-1', 4)]);

    it('ignores a repeated release', () => {
      given.when(releaseReservation('order-1')).thenNothingHappens();
    });

    it('rejects committing it', () => {
      given.when(commitReservation('order-1')).thenThrows(StockReservationAlreadyReleased, 'orderId');
    });

    it('rejects a new reservation for the same order', () => {
      given.when(reserveStock('order-1', 4)).thenThrows(StockReservationConflict, 'orderId');
    });

    it('makes its units available again', () => {
      given.when(reserveStock('order-2', 10)).then([reserved('order-2', 10)]);
    });
  });

  describe('when a reservation is committed', () => {
    const given = spec.given([received(10), reserved('order-1', 4), committed('order-1', 4)]);

    it('ignores a repeated commit', () => {
      given.when(commitReservation('order-1')).thenNothingHappens();
    });

    it('rejects releasing it', () => {
      given.when(releaseReservation('order-1')).thenThrows(StockReservationAlreadyCommitted, 'orderId');
    });

    it('rejects a new reservation for the same order', () => {
      given.when(reserveStock('order-1', 4)).thenThrows(StockReservationConflict, 'orderId');
    });

    it('has taken its units off hand, and only those', () => {
      expect(stockLevels(fold([received(10), reserved('order-1', 4), committed('order-1', 4)]))).toEqual({
        onHand: 6,
        reserved: 0,
        available: 6,
      });
      given.when(reserveStock('order-2', 6)).then([reserved('order-2', 6)]);
      given.when(reserveStock('order-2', 7)).then([rejected('order-2', 7, 6)]);
    });
  });

  describe('when a reservation was rejected', () => {
    const given = spec.given([received(2), rejected('order-1', 5, 2)]);

    it('lets the order try again once stock arrived', () => {
      spec
        .given([received(2), rejected('order-1', 5, 2), received(3)])
        .when(reserveStock('order-1', 5))
        .then([reserved('order-1', 5)]);
    });

    it('holds nothing for the order', () => {
      given.when(releaseReservation('order-1')).thenThrows(StockReservationNotFound, 'orderId');
    });
  });

  describe('evolve', () => {
    it('starts with nothing on hand and no reservation', () => {
      spec.given([]).thenState({ onHand: 0, reservations: {} });
    });

    it('folds StockReceived and StockAdjusted into on-hand stock', () => {
      spec.given([received(10), adjusted(-3), adjusted(1)]).thenState({ onHand: 8, reservations: {} });
    });

    it('folds StockReserved into an active reservation', () => {
      spec
        .given([received(10), reserved('order-1', 4)])
        .thenState({ onHand: 10, reservations: { 'order-1': { quantity: 4, status: 'active' } } });
    });

    it('folds StockReservationRejected into nothing', () => {
      spec.given([received(1), rejected('order-1', 4, 1)]).thenState({ onHand: 1, reservations: {} });
    });

    it('folds StockReservationReleased into a released reservation', () => {
      spec
        .given([received(10), reserved('order-1', 4), released('order-1', 4)])
        .thenState({ onHand: 10, reservations: { 'order-1': { quantity: 4, status: 'released' } } });
    });

    it('folds StockReservationCommitted into a committed reservation and fewer units on hand', () => {
      spec
        .given([received(10), reserved('order-1', 4), committed('order-1', 4)])
        .thenState({ onHand: 6, reservations: { 'order-1': { quantity: 4, status: 'committed' } } });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'StockTeleported', data: { sku } } as unknown as StockItemEvent;
      spec.given([received(1), unknown]).thenState({ onHand: 1, reservations: {} });
    });
  });

  describe('invariants, over 300 seeded random histories of 60 commands each', () => {
    const orders = ['order-1', 'order-2', 'order-3', 'order-4', 'order-5'];

    /** A small deterministic generator (LCG), so that a failure reproduces from its seed. */
    function generator(seed: number) {
      let s = seed;
      const next = (): number => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 2 ** 32;
      };
      const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
      const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
      return { int, pick };
    }

    function randomCommand(random: ReturnType<typeof generator>): StockItemCommand {
      const orderId = random.pick(orders);
      switch (random.int(0, 4)) {
        case 0:
          return receiveStock(random.int(0, 8));
        case 1:
          return adjustStock(random.int(-8, 8));
        case 2:
          return reserveStock(orderId, random.int(0, 8));
        case 3:
          return releaseReservation(orderId);
        default:
          return commitReservation(orderId);
      }
    }

    function randomHistory(seed: number) {
      const random = generator(seed);
      const history: StockItemEvent[] = [];
      const errors: string[] = [];
      for (let step = 0; step < 60; step += 1) {
        const cmd = randomCommand(random);
        try {
          history.push(...stockItemDecider.decide(cmd, fold(history)));
        } catch (error) {
          // A broken rule is always a typed domain error, never a crash.
          expect(error).toBeInstanceOf(DomainError);
          errors.push((error as DomainError).code);
        }
        const levels = stockLevels(fold(history));
        // Available stock never goes below zero (hence neither does on-hand stock).
        expect(levels.available).toBeGreaterThanOrEqual(0);
        expect(levels.onHand).toBeGreaterThanOrEqual(levels.available);
      }
      return { history, errors };
    }

    const seeds = Array.from({ length: 300 }, (_, i) => i + 1);

    it('reach every event and every error, so the invariants below are not vacuous', () => {
      const runs = seeds.map(randomHistory);
      const eventTypes = new Set(runs.flatMap((run) => run.history.map((event) => event.type)));
      const errorCodes = new Set(runs.flatMap((run) => run.errors));
      expect([...eventTypes].sort()).toEqual([
        'StockAdjusted',
        'StockReceived',
        'StockReservationCommitted',
        'StockReservationRejected',
        'StockReservationReleased',
        'StockReserved',
      ]);
      expect([...errorCodes].sort()).toEqual([
        'INSUFFICIENT_STOCK',
        'INVALID_STOCK_ADJUSTMENT',
        'INVALID_STOCK_QUANTITY',
        'STOCK_RESERVATION_ALREADY_COMMITTED',
        'STOCK_RESERVATION_ALREADY_RELEASED',
        'STOCK_RESERVATION_CONFLICT',
        'STOCK_RESERVATION_NOT_FOUND',
      ]);
    });

    it.each(seeds)('hold with seed %i', (seed) => {
      const { history } = randomHistory(seed);

      for (const orderId of orders) {
        const ofOrder = history.filter(
          (event) =>
            event.type !== 'StockReceived' &&
            event.type !== 'StockAdjusted' &&
            event.data.orderId === orderId,
        );
        const reservations = ofOrder.filter((event) => event.type === 'StockReserved');
        const endings = ofOrder.filter(
          (event) => event.type === 'StockReservationReleased' || event.type === 'StockReservationCommitted',
        );
        // An order reserves at most once, and its reservation ends (released or committed) at most once...
        expect(reservations.length).toBeLessThanOrEqual(1);
        expect(endings.length).toBeLessThanOrEqual(reservations.length);
        // ...after it was made, with exactly the units that were reserved for that order.
        for (const ending of endings) {
          expect(ofOrder.indexOf(ending)).toBeGreaterThan(ofOrder.indexOf(reservations[0]!));
          expect(ending.data).toHaveProperty('quantity', reservations[0]!.data.quantity);
        }
      }
    });
  });
});
