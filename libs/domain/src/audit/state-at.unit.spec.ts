import type { DomainEvent, Money } from '../shared';
import { StreamNotFoldable } from './audit.errors';
import { stateAt } from './state-at';
import { toJsonState } from './state-json';
import { streamKindOf } from './stream-kinds';

const eur = (amount: number): Money => ({ amount, currency: 'EUR' });
const event = (type: string, data: unknown): DomainEvent => ({ type, data });

describe('stateAt', () => {
  describe('cart streams', () => {
    const cartId = '0190d5a8-0000-7000-8000-0000000000c1';
    const history = [
      event('CartOpened', { cartId, customerId: null, currency: 'EUR' }),
      event('CartItemAdded', { cartId, sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: eur(900) }),
      event('CartItemAdded', { cartId, sku: 'TEA', name: 'Tea', quantity: 2, unitPrice: eur(450) }),
      event('CartItemQuantityChanged', { cartId, sku: 'MUG', quantity: 3, previousQuantity: 1 }),
      event('CartItemRemoved', { cartId, sku: 'TEA' }),
    ];

    it('is the initial state before the first event', () => {
      expect(stateAt(`cart-${cartId}`, [])).toEqual({
        kind: 'cart',
        aggregate: 'cart',
        state: { status: 'none' },
      });
    });

    it("folds each prefix of the history with the cart decider's evolve", () => {
      expect(stateAt(`cart-${cartId}`, history.slice(0, 3)).state).toEqual({
        status: 'open',
        cartId,
        customerId: null,
        currency: 'EUR',
        lines: [
          { sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: eur(900) },
          { sku: 'TEA', name: 'Tea', quantity: 2, unitPrice: eur(450) },
        ],
      });
      expect(stateAt(`cart-${cartId}`, history).state).toEqual({
        status: 'open',
        cartId,
        customerId: null,
        currency: 'EUR',
        lines: [{ sku: 'MUG', name: 'Mug', quantity: 3, unitPrice: eur(900) }],
      });
    });
  });

  describe('stock streams', () => {
    it('keeps every reservation by order, released ones included', () => {
      const history = [
        event('StockReceived', { sku: 'MUG', quantity: 10, reference: null }),
        event('StockReserved', { sku: 'MUG', orderId: 'o-2', quantity: 2 }),
        event('StockReserved', { sku: 'MUG', orderId: 'o-1', quantity: 3 }),
        event('StockReservationReleased', { sku: 'MUG', orderId: 'o-2', quantity: 2 }),
      ];
      const folded = stateAt('stock-MUG', history);
      expect(folded).toMatchObject({ kind: 'stock', aggregate: 'stock-item' });
      expect(toJsonState(folded.state)).toEqual({
        onHand: 10,
        reservations: {
          'o-1': { quantity: 3, status: 'active' },
          'o-2': { quantity: 2, status: 'released' },
        },
      });
    });
  });

  describe('product streams', () => {
    it('follows the lifecycle and the price', () => {
      const history = [
        event('ProductCreated', {
          sku: 'MUG',
          price: eur(900),
          name: 'Mug',
          description: '',
          category: 'kitchen',
        }),
        event('ProductPublished', { sku: 'MUG' }),
        event('ProductPriceChanged', { sku: 'MUG', price: eur(1200), previousPrice: eur(900) }),
      ];
      expect(stateAt('product-MUG', history).state).toMatchObject({ status: 'published', price: eur(1200) });
      expect(stateAt('product-MUG', history.slice(0, 1)).state).toMatchObject({
        status: 'draft',
        price: eur(900),
      });
    });
  });

  describe('checkout streams', () => {
    it('folds the inputs the process recorded and ignores other records', () => {
      const orderId = '0190d5a8-0000-7000-8000-0000000000d1';
      const lines = [{ sku: 'MUG', name: 'Mug', quantity: 2, unitPrice: eur(900), lineTotal: eur(1800) }];
      const checkout = {
        email: 'ada@example.com',
        shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' },
        shippingMethod: { id: 'standard', name: 'Standard', price: eur(495) },
        paymentMethodId: 'pm_card_visa',
      };
      const cartCheckedOut = {
        type: 'CartCheckedOut',
        data: { cartId: 'c-1', orderId, lines, total: eur(1800), customerId: null, checkout },
      };
      const history = [
        event('CheckoutEventObserved', {
          ...cartCheckedOut,
          eventId: 'e-1',
          streamId: 'cart-c-1',
          version: 3,
        }),
        event('SomethingElseRecorded', { type: 'OrderPlaced', data: {} }),
      ];
      const folded = stateAt(`checkout-${orderId}`, history);
      expect(folded).toMatchObject({ kind: 'checkout', aggregate: 'checkout' });
      expect(folded.state).toMatchObject({ status: 'placing', orderId, cartId: 'c-1', lines });
    });
  });

  describe('streams without a decider', () => {
    it.each([
      ['order-numbers', 'order-numbers'],
      ['customer-email-5f2b', 'customer-email'],
      ['search-2026-01-01', 'search'],
      ['widget-1', 'widget'],
    ])('refuses %s as a %s stream, naming the kind', (streamId, kind) => {
      expect(streamKindOf(streamId)).toBe(kind);
      expect(() => stateAt(streamId, [])).toThrow(StreamNotFoldable);
      expect(() => stateAt(streamId, [])).toThrow(`"${kind}"`);
    });

    it('tells an order stream from the order-number sequence', () => {
      expect(streamKindOf('order-0190d5a8-0000-7000-8000-0000000000d1')).toBe('order');
      expect(streamKindOf('customer-0190d5a8-0000-7000-8000-0000000000d1')).toBe('customer');
    });
  });
});

describe('toJsonState', () => {
  it('gives equal states the same JSON whatever order their fields were set in', () => {
    const a = { b: 1, a: { y: [1, 2], x: 'x' } };
    const b = { a: { x: 'x', y: [1, 2] }, b: 1 };
    expect(JSON.stringify(toJsonState(a))).toBe(JSON.stringify(toJsonState(b)));
    expect(JSON.stringify(toJsonState(a))).toBe('{"a":{"x":"x","y":[1,2]},"b":1}');
  });

  it('turns Maps, Sets, Dates and bigints into plain JSON and leaves out undefined', () => {
    const state = {
      // A state may carry a Date even though the domain never makes one.
      // eslint-disable-next-line no-restricted-globals
      at: new Date('2026-01-02T03:04:05.006Z'),
      byOrder: new Map([
        ['o-2', 2],
        ['o-1', 1],
      ]),
      tags: new Set(['b', 'a']),
      big: 12n,
      gone: undefined,
      list: [undefined, Number.NaN],
    };
    expect(JSON.stringify(toJsonState(state))).toBe(
      '{"at":"2026-01-02T03:04:05.006Z","big":"12","byOrder":{"o-1":1,"o-2":2},"list":[null,null],"tags":["b","a"]}',
    );
  });

  it('keeps a "__proto__" key as data', () => {
    const json = toJsonState(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.hasOwn(json, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
