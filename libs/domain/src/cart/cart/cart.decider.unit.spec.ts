import type { CommandMetadata, Money } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { CartCommand, CheckoutDetails } from './cart.commands';
import { cartDecider, cartView } from './cart.decider';
import { mayUseCart } from './cart.access';
import {
  CartAlreadyCheckedOut,
  CartAlreadyExists,
  CartAlreadyMerged,
  CartMergeIntoItself,
  CartNotGuestCart,
  CartCurrencyMismatch,
  CartEmpty,
  CartItemQuantityOutOfRange,
  CartLineLimitReached,
  CartLineNotFound,
  CartLineQuantityExceeded,
  CartNotFound,
  IncompleteCheckoutDetails,
  ShippingMethodCurrencyMismatch,
  InvalidCartCurrency,
  InvalidCartItemPrice,
} from './cart.errors';
import type { CartEvent } from './cart.events';
import type { CartState } from './cart.state';

const metadata: CommandMetadata = {
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'guest-1', role: 'guest' },
  occurredAt: '2025-01-01T10:00:00.000Z',
};

const command = <T extends CartCommand['type']>(type: T, data: Extract<CartCommand, { type: T }>['data']) =>
  ({ type, data, metadata }) as Extract<CartCommand, { type: T }>;

const cartId = '0190d5a8-0000-7000-8000-000000000001';
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

const openCart = (currency = 'EUR', customerId: string | null = null) =>
  command('OpenCart', { cartId, customerId, currency });
const addItem = (sku: string, quantity: number, unitPrice = eur(1000), name = `Product ${sku}`) =>
  command('AddCartItem', { cartId, sku, name, quantity, unitPrice });
const changeQuantity = (sku: string, quantity: number) =>
  command('ChangeCartItemQuantity', { cartId, sku, quantity });
const removeItem = (sku: string) => command('RemoveCartItem', { cartId, sku });
const clearCart = command('ClearCart', { cartId });
const checkOut = (orderId = 'order-1') => command('CheckOutCart', { cartId, orderId });
const details: CheckoutDetails = {
  email: 'ada@example.com',
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: '12 St James Square',
    city: 'London',
    postalCode: 'SW1Y 4JH',
    country: 'GB',
  },
  shippingMethod: { id: 'standard', name: 'Standard', price: eur(495) },
  paymentMethodId: 'pm_card_visa',
};
const checkOutWith = (checkout: CheckoutDetails, orderId = 'order-1') =>
  command('CheckOutCart', { cartId, orderId, checkout });

const opened: CartEvent = { type: 'CartOpened', data: { cartId, customerId: null, currency: 'EUR' } };
const added = (sku: string, quantity: number, unitPrice = eur(1000), name = `Product ${sku}`): CartEvent => ({
  type: 'CartItemAdded',
  data: { cartId, sku, name, quantity, unitPrice },
});
const quantityChanged = (sku: string, quantity: number, previousQuantity: number): CartEvent => ({
  type: 'CartItemQuantityChanged',
  data: { cartId, sku, quantity, previousQuantity },
});
const removed = (sku: string): CartEvent => ({ type: 'CartItemRemoved', data: { cartId, sku } });
const cleared: CartEvent = { type: 'CartCleared', data: { cartId } };
const checkedOut = (
  lines: { sku: string; quantity: number; unitPrice: Money; name?: string }[],
  orderId = 'order-1',
): CartEvent => {
  const snapshots = lines.map(({ sku, quantity, unitPrice, name }) => ({
    sku,
    name: name ?? `Product ${sku}`,
    quantity,
    unitPrice,
    lineTotal: { amount: unitPrice.amount * quantity, currency: unitPrice.currency },
  }));
  const total = eur(snapshots.reduce((sum, line) => sum + line.lineTotal.amount, 0));
  return { type: 'CartCheckedOut', data: { cartId, orderId, lines: snapshots, total } };
};

const spec = deciderSpec(cartDecider);
const fold = (events: readonly CartEvent[]): CartState =>
  events.reduce(cartDecider.evolve, cartDecider.initialState);

const allCommandsButOpen: [string, CartCommand][] = [
  ['AddCartItem', addItem('A', 1)],
  ['ChangeCartItemQuantity', changeQuantity('A', 2)],
  ['RemoveCartItem', removeItem('A')],
  ['ClearCart', clearCart],
  ['CheckOutCart', checkOut()],
];

describe('Cart', () => {
  describe('when never opened', () => {
    const given = spec.given([]);

    it('opens it for a guest', () => {
      given.when(openCart()).then([opened]);
    });

    it('opens it for a customer', () => {
      given
        .when(openCart('USD', 'customer-7'))
        .then([{ type: 'CartOpened', data: { cartId, customerId: 'customer-7', currency: 'USD' } }]);
    });

    it.each(['eur', 'EU', 'EURO', '', '€€€'])('rejects the currency "%s"', (currency) => {
      given.when(openCart(currency)).thenThrows(InvalidCartCurrency, 'currency');
    });

    it.each(allCommandsButOpen)('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(CartNotFound);
    });
  });

  describe('when open and empty', () => {
    const given = spec.given([opened]);

    it('rejects opening it again', () => {
      given.when(openCart()).thenThrows(CartAlreadyExists);
    });

    it('adds a line of 1 to 99 units', () => {
      given.when(addItem('A', 1)).then([added('A', 1)]);
      given.when(addItem('A', 99)).then([added('A', 99)]);
    });

    it.each([0, -1, 100, 1.5, Number.NaN])('rejects adding %p units', (quantity) => {
      given.when(addItem('A', quantity)).thenThrows(CartItemQuantityOutOfRange, 'quantity');
    });

    it('rejects an item priced in another currency', () => {
      given
        .when(addItem('A', 1, { amount: 1000, currency: 'USD' }))
        .thenThrows(CartCurrencyMismatch, 'unitPrice.currency');
    });

    it.each([0, -100, 9.99, 100_000_000_01])('rejects the unit price amount %p', (amount) => {
      given.when(addItem('A', 1, eur(amount))).thenThrows(InvalidCartItemPrice, 'unitPrice.amount');
    });

    it('rejects changing or removing a line that is not there', () => {
      given.when(changeQuantity('A', 2)).thenThrows(CartLineNotFound, 'sku');
      given.when(removeItem('A')).thenThrows(CartLineNotFound, 'sku');
    });

    it('ignores clearing it', () => {
      given.when(clearCart).thenNothingHappens();
    });

    it('rejects checking it out', () => {
      given.when(checkOut()).thenThrows(CartEmpty);
    });
  });

  describe('when open with lines', () => {
    const history = [opened, added('A', 2, eur(1000)), added('B', 1, eur(250))];
    const given = spec.given(history);

    it('adds to the line of a SKU already in the cart, at its latest price and name', () => {
      given
        .when(addItem('A', 3, eur(900), 'Product A (new)'))
        .then([added('A', 3, eur(900), 'Product A (new)')]);
      spec
        .given([...history, added('A', 3, eur(900), 'Product A (new)')])
        .when(checkOut())
        .then([
          checkedOut([
            { sku: 'A', quantity: 5, unitPrice: eur(900), name: 'Product A (new)' },
            { sku: 'B', quantity: 1, unitPrice: eur(250) },
          ]),
        ]);
    });

    it('lets a line reach 99 units but not 100', () => {
      given.when(addItem('A', 97)).then([added('A', 97)]);
      given.when(addItem('A', 98)).thenThrows(CartLineQuantityExceeded, 'quantity');
    });

    it('checks the quantity range before the line sum', () => {
      given.when(addItem('A', 100)).thenThrows(CartItemQuantityOutOfRange, 'quantity');
    });

    it('sets a line quantity and records the previous one', () => {
      given.when(changeQuantity('A', 5)).then([quantityChanged('A', 5, 2)]);
      given.when(changeQuantity('A', 99)).then([quantityChanged('A', 99, 2)]);
    });

    it('ignores setting the same quantity', () => {
      given.when(changeQuantity('A', 2)).thenNothingHappens();
    });

    it.each([0, 100, 2.5])('rejects setting a quantity of %p', (quantity) => {
      given.when(changeQuantity('A', quantity)).thenThrows(CartItemQuantityOutOfRange, 'quantity');
    });

    it('rejects changing or removing another SKU', () => {
      given.when(changeQuantity('C', 1)).thenThrows(CartLineNotFound, 'sku');
      given.when(removeItem('C')).thenThrows(CartLineNotFound, 'sku');
    });

    it('removes a line', () => {
      given.when(removeItem('A')).then([removed('A')]);
    });

    it('clears it', () => {
      given.when(clearCart).then([cleared]);
    });

    it('checks it out with line snapshots in the order first added, and the total', () => {
      given.when(checkOut('order-9')).then([
        {
          type: 'CartCheckedOut',
          data: {
            cartId,
            orderId: 'order-9',
            lines: [
              { sku: 'A', name: 'Product A', quantity: 2, unitPrice: eur(1000), lineTotal: eur(2000) },
              { sku: 'B', name: 'Product B', quantity: 1, unitPrice: eur(250), lineTotal: eur(250) },
            ],
            total: eur(2250),
          },
        },
      ]);
    });

    it('keeps a line in place when its quantity changes, and puts a removed then re-added SKU last', () => {
      spec
        .given([...history, quantityChanged('A', 4, 2), removed('B'), added('C', 1), added('B', 2)])
        .when(checkOut())
        .then([
          checkedOut([
            { sku: 'A', quantity: 4, unitPrice: eur(1000) },
            { sku: 'C', quantity: 1, unitPrice: eur(1000) },
            { sku: 'B', quantity: 2, unitPrice: eur(1000) },
          ]),
        ]);
    });

    it('rejects checking it out once removed down to nothing or cleared', () => {
      spec
        .given([...history, removed('A'), removed('B')])
        .when(checkOut())
        .thenThrows(CartEmpty);
      spec
        .given([...history, cleared])
        .when(checkOut())
        .thenThrows(CartEmpty);
    });

    describe('with checkout details', () => {
      const frozen = {
        cartId,
        orderId: 'order-9',
        lines: [
          { sku: 'A', name: 'Product A', quantity: 2, unitPrice: eur(1000), lineTotal: eur(2000) },
          { sku: 'B', name: 'Product B', quantity: 1, unitPrice: eur(250), lineTotal: eur(250) },
        ],
        total: eur(2250),
      };

      it('records the details and the guest owner with the frozen lines', () => {
        given
          .when(checkOutWith(details, 'order-9'))
          .then([{ type: 'CartCheckedOut', data: { ...frozen, customerId: null, checkout: details } }]);
      });

      it("records the customer's id for a signed-in cart", () => {
        spec
          .given([
            { type: 'CartOpened', data: { cartId, customerId: 'customer-7', currency: 'EUR' } },
            added('A', 2, eur(1000)),
            added('B', 1, eur(250)),
          ])
          .when(checkOutWith(details, 'order-9'))
          .then([
            { type: 'CartCheckedOut', data: { ...frozen, customerId: 'customer-7', checkout: details } },
          ]);
      });

      it('keeps the optional second address line, and nothing the caller added beyond the documented fields', () => {
        const withExtras = {
          ...details,
          shippingAddress: { ...details.shippingAddress, line2: 'Flat 3', floor: 2 },
          shippingMethod: { ...details.shippingMethod, internalCode: 'X' },
          cardNumber: '4242424242424242',
        } as CheckoutDetails;
        given.when(checkOutWith(withExtras, 'order-9')).then([
          {
            type: 'CartCheckedOut',
            data: {
              ...frozen,
              customerId: null,
              checkout: { ...details, shippingAddress: { ...details.shippingAddress, line2: 'Flat 3' } },
            },
          },
        ]);
      });

      it.each([
        ['checkout.email', { ...details, email: ' ' }],
        ['checkout.email', { ...details, email: undefined }],
        ['checkout.shippingAddress', { ...details, shippingAddress: null }],
        ['checkout.shippingMethod', { ...details, shippingMethod: undefined }],
        ['checkout.paymentMethodId', { ...details, paymentMethodId: '' }],
      ])('rejects details without %s', (field, checkout) => {
        given
          .when(checkOutWith(checkout as unknown as CheckoutDetails))
          .thenThrows(IncompleteCheckoutDetails, field);
      });

      it('rejects a shipping method priced in another currency than the cart, before looking at its lines', () => {
        const inDollars = {
          ...details,
          shippingMethod: { ...details.shippingMethod, price: { amount: 500, currency: 'USD' } },
        };
        given
          .when(checkOutWith(inDollars))
          .thenThrows(ShippingMethodCurrencyMismatch, 'checkout.shippingMethod');
        spec
          .given([opened])
          .when(checkOutWith(inDollars))
          .thenThrows(ShippingMethodCurrencyMismatch, 'checkout.shippingMethod');
      });

      it('still rejects an empty cart first', () => {
        spec.given([opened]).when(checkOutWith(details)).thenThrows(CartEmpty);
      });
    });
  });

  describe('when open with 100 lines', () => {
    const history = [opened, ...Array.from({ length: 100 }, (_, i) => added(`SKU-${i}`, 1))];
    const given = spec.given(history);

    it('rejects a new line', () => {
      given.when(addItem('SKU-NEW', 1)).thenThrows(CartLineLimitReached);
    });

    it('still adds to an existing line', () => {
      given.when(addItem('SKU-42', 1)).then([added('SKU-42', 1)]);
    });

    it('accepts a new line once one was removed', () => {
      spec
        .given([...history, removed('SKU-0')])
        .when(addItem('SKU-NEW', 1))
        .then([added('SKU-NEW', 1)]);
    });
  });

  describe('when checked out', () => {
    const history = [opened, added('A', 2), checkedOut([{ sku: 'A', quantity: 2, unitPrice: eur(1000) }])];
    const given = spec.given(history);

    it('ignores a checkout retried for the same order, with or without details', () => {
      given.when(checkOut('order-1')).thenNothingHappens();
      given.when(checkOutWith(details, 'order-1')).thenNothingHappens();
    });

    it('rejects a checkout for another order', () => {
      given.when(checkOut('order-2')).thenThrows(CartAlreadyCheckedOut);
      given.when(checkOutWith(details, 'order-2')).thenThrows(CartAlreadyCheckedOut);
    });

    it.each(allCommandsButOpen.filter(([name]) => name !== 'CheckOutCart'))('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(CartAlreadyCheckedOut);
    });

    it('rejects a change even when its fields are invalid: the cart is frozen', () => {
      given.when(addItem('A', 0)).thenThrows(CartAlreadyCheckedOut);
    });

    it('rejects opening it again', () => {
      given.when(openCart()).thenThrows(CartAlreadyExists);
    });

    it('is terminal', () => {
      expect(cartDecider.isTerminal(fold(history))).toBe(true);
      expect(cartDecider.isTerminal(fold([opened]))).toBe(false);
    });
  });

  describe('evolve', () => {
    const openState = { status: 'open', cartId, customerId: null, currency: 'EUR' } as const;
    const line = (sku: string, quantity: number, unitPrice = eur(1000), name = `Product ${sku}`) => ({
      sku,
      name,
      quantity,
      unitPrice,
    });

    it('starts with no cart', () => {
      spec.given([]).thenState({ status: 'none' });
    });

    it('folds CartOpened into an open, empty cart', () => {
      spec.given([opened]).thenState({ ...openState, lines: [] });
    });

    it('folds CartItemAdded into a new line, or into the existing line of its SKU', () => {
      spec.given([opened, added('A', 2)]).thenState({ ...openState, lines: [line('A', 2)] });
      spec
        .given([opened, added('A', 2), added('B', 1), added('A', 3, eur(5), 'New A')])
        .thenState({ ...openState, lines: [line('A', 5, eur(5), 'New A'), line('B', 1)] });
    });

    it('folds CartItemQuantityChanged into the line quantity', () => {
      spec
        .given([opened, added('A', 2), added('B', 1), quantityChanged('A', 7, 2)])
        .thenState({ ...openState, lines: [line('A', 7), line('B', 1)] });
    });

    it('folds CartItemRemoved and CartCleared into fewer lines', () => {
      spec
        .given([opened, added('A', 2), added('B', 1), removed('A')])
        .thenState({ ...openState, lines: [line('B', 1)] });
      spec.given([opened, added('A', 2), added('B', 1), cleared]).thenState({ ...openState, lines: [] });
    });

    it('folds CartCheckedOut into a checked-out cart that keeps its lines', () => {
      spec
        .given([
          opened,
          added('A', 2),
          checkedOut([{ sku: 'A', quantity: 2, unitPrice: eur(1000) }], 'order-3'),
        ])
        .thenState({ ...openState, status: 'checked_out', orderId: 'order-3', lines: [line('A', 2)] });
    });

    it('never throws, even on a history without CartOpened', () => {
      spec.given([added('A', 1), removed('A'), cleared]).thenState({ status: 'none' });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'CartTeleported', data: { cartId } } as unknown as CartEvent;
      spec.given([opened, unknown]).thenState({ ...openState, lines: [] });
    });
  });

  describe('cartView', () => {
    it('is null for a cart never opened', () => {
      expect(cartView(fold([]))).toBeNull();
    });

    it('gives an empty open cart a zero total in its currency', () => {
      expect(cartView(fold([opened]))).toEqual({
        cartId,
        customerId: null,
        status: 'open',
        orderId: null,
        currency: 'EUR',
        lines: [],
        itemCount: 0,
        total: eur(0),
      });
    });

    it('computes line totals, item count and total, the same as checkout freezes', () => {
      const history = [opened, added('A', 3, eur(199)), added('B', 2, eur(1000))];
      const view = cartView(fold(history));
      expect(view).toMatchObject({
        itemCount: 5,
        total: eur(2597),
        lines: [
          { sku: 'A', quantity: 3, unitPrice: eur(199), lineTotal: eur(597) },
          { sku: 'B', quantity: 2, unitPrice: eur(1000), lineTotal: eur(2000) },
        ],
      });
      const [event] = cartDecider.decide(checkOut(), fold(history));
      expect(event?.data).toMatchObject({ lines: view?.lines, total: view?.total });
    });

    it('shows the order of a checked-out cart', () => {
      const history = [opened, added('A', 1), checkedOut([{ sku: 'A', quantity: 1, unitPrice: eur(1000) }])];
      expect(cartView(fold(history))).toMatchObject({ status: 'checked_out', orderId: 'order-1' });
    });

    it('keeps every total a safe integer at the limits (100 lines of 99 units at the highest price)', () => {
      const history = [
        opened,
        ...Array.from({ length: 100 }, (_, i) => added(`SKU-${i}`, 99, eur(100_000_000_00))),
      ];
      const total = cartView(fold(history))?.total.amount;
      expect(total).toBe(100 * 99 * 100_000_000_00);
      expect(Number.isSafeInteger(total)).toBe(true);
    });
  });

  describe("merging a guest cart into a customer's cart", () => {
    const target = '0190d5a8-0000-7000-8000-0000000000aa';
    const source = '0190d5a8-0000-7000-8000-0000000000bb';
    const line = (sku: string, quantity: number, unitPrice = eur(1000), name = `Product ${sku}`) => ({
      sku,
      name,
      quantity,
      unitPrice,
    });
    const close = (targetCartId = target) => command('CloseCartForMerge', { cartId, targetCartId });
    const merge = (lines: ReturnType<typeof line>[], sourceCartId = source) =>
      command('MergeCarts', { cartId, sourceCartId, lines });
    const mergedInto = (targetCartId = target): CartEvent => ({
      type: 'CartMergedInto',
      data: { cartId, targetCartId },
    });
    const merged = (lines: ReturnType<typeof line>[], sourceCartId = source): CartEvent => ({
      type: 'CartsMerged',
      data: { cartId, sourceCartId, lines },
    });

    describe('closing the guest cart (the first half)', () => {
      it('closes an open guest cart, naming the cart its lines go to', () => {
        spec
          .given([opened, added('A', 2)])
          .when(close())
          .then([mergedInto()]);
      });

      it('changes nothing when retried for the same target', () => {
        spec.given([opened, mergedInto()]).when(close()).thenNothingHappens();
      });

      it('refuses to close it for another target once merged', () => {
        spec.given([opened, mergedInto()]).when(close(source)).thenThrows(CartAlreadyMerged);
      });

      it("refuses a customer's cart: it is not a guest cart (409)", () => {
        spec
          .given([{ type: 'CartOpened', data: { cartId, customerId: 'customer-7', currency: 'EUR' } }])
          .when(close())
          .thenThrows(CartNotGuestCart);
      });

      it('refuses a checked-out cart, an unknown cart and a merge into itself', () => {
        spec
          .given([opened, added('A', 1), checkedOut([{ sku: 'A', quantity: 1, unitPrice: eur(1000) }])])
          .when(close())
          .thenThrows(CartAlreadyCheckedOut);
        spec.given([]).when(close()).thenThrows(CartNotFound);
        spec.given([opened]).when(close(cartId)).thenThrows(CartMergeIntoItself, 'targetCartId');
      });

      it.each(allCommandsButOpen)(
        'refuses %s on a merged cart: it can no longer change or check out',
        (_, cmd) => {
          spec
            .given([opened, added('A', 1), mergedInto()])
            .when(cmd)
            .thenThrows(CartAlreadyMerged);
        },
      );

      it('is terminal once merged', () => {
        expect(cartDecider.isTerminal(fold([opened, mergedInto()]))).toBe(true);
        expect(cartView(fold([opened, added('A', 1), mergedInto()]))).toMatchObject({
          status: 'merged',
          mergedInto: target,
          itemCount: 1,
        });
      });
    });

    describe('taking the lines (the second half)', () => {
      it('sums quantities per SKU and adds new lines with their price', () => {
        spec
          .given([opened, added('A', 2, eur(1000))])
          .when(merge([line('A', 3, eur(900)), line('B', 1, eur(500))]))
          .then([merged([line('A', 3, eur(1000)), line('B', 1, eur(500))])]);
      });

      it('keeps the name and price of a SKU already in the cart; only its quantity grows', () => {
        const state = fold([
          opened,
          added('A', 2, eur(1000)),
          merged([line('A', 3, eur(1000)), line('B', 1, eur(500))]),
        ]);
        expect(cartView(state)?.lines).toEqual([
          { sku: 'A', name: 'Product A', quantity: 5, unitPrice: eur(1000), lineTotal: eur(5000) },
          { sku: 'B', name: 'Product B', quantity: 1, unitPrice: eur(500), lineTotal: eur(500) },
        ]);
      });

      it('caps a line at 99 units instead of refusing, and leaves out a line that cannot grow', () => {
        spec
          .given([opened, added('A', 90), added('B', 99)])
          .when(merge([line('A', 50), line('B', 5), line('C', 99)]))
          .then([merged([line('A', 9), line('C', 99)])]);
      });

      it('stops adding new lines at 100 lines, still summing the ones already there', () => {
        const full = Array.from({ length: 100 }, (_, i) => added(`SKU-${i}`, 1));
        spec
          .given([opened, ...full])
          .when(merge([line('NEW', 1), line('SKU-3', 2)]))
          .then([merged([line('SKU-3', 2)])]);
      });

      it('leaves out lines in another currency', () => {
        spec
          .given([opened])
          .when(merge([line('A', 1, { amount: 100, currency: 'USD' }), line('B', 1)]))
          .then([merged([line('B', 1)])]);
      });

      it('records an empty merge, so that it is not repeated', () => {
        spec
          .given([opened])
          .when(merge([]))
          .then([merged([])]);
      });

      it('changes nothing when the same guest cart is merged again (a retried sign-in)', () => {
        spec
          .given([opened, merged([line('A', 1)])])
          .when(merge([line('A', 1)]))
          .thenNothingHappens();
      });

      it('refuses a checked-out, merged or unknown target, and a cart merged into itself', () => {
        spec
          .given([opened, added('A', 1), checkedOut([{ sku: 'A', quantity: 1, unitPrice: eur(1000) }])])
          .when(merge([line('B', 1)]))
          .thenThrows(CartAlreadyCheckedOut);
        spec
          .given([opened, mergedInto(source)])
          .when(merge([line('B', 1)], target))
          .thenThrows(CartAlreadyMerged);
        spec
          .given([])
          .when(merge([line('B', 1)]))
          .thenThrows(CartNotFound);
        spec
          .given([opened])
          .when(merge([line('B', 1)], cartId))
          .thenThrows(CartMergeIntoItself, 'sourceCartId');
      });
    });
  });

  describe('who may use it (mayUseCart)', () => {
    const guestCart = { cartId, customerId: null };
    const customerCart = { cartId, customerId: 'customer-7' };
    const customer = (id: string) => ({ kind: 'account' as const, id, role: 'customer' });
    const guest = { kind: 'guest' as const };

    it('lets an admin use any cart', () => {
      const admin = { kind: 'account' as const, id: 'admin-1', role: 'admin' };
      expect(mayUseCart(guestCart, admin, undefined)).toBe(true);
      expect(mayUseCart(customerCart, admin, undefined)).toBe(true);
    });

    it("lets only the customer use a customer's cart, token or not", () => {
      expect(mayUseCart(customerCart, customer('customer-7'), undefined)).toBe(true);
      expect(mayUseCart(customerCart, customer('customer-8'), cartId)).toBe(false);
      expect(mayUseCart(customerCart, guest, cartId)).toBe(false);
      expect(
        mayUseCart(customerCart, { kind: 'account', id: 'customer-7', role: 'auditor' }, undefined),
      ).toBe(true);
    });

    it("lets whoever holds a guest cart's token use it, and nobody else", () => {
      expect(mayUseCart(guestCart, guest, cartId)).toBe(true);
      expect(mayUseCart(guestCart, customer('customer-7'), cartId)).toBe(true);
      expect(mayUseCart(guestCart, guest, undefined)).toBe(false);
      expect(mayUseCart(guestCart, guest, 'another-cart')).toBe(false);
      expect(mayUseCart(guestCart, customer('customer-7'), undefined)).toBe(false);
    });
  });
});
