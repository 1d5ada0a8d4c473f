import type { CartLineSnapshot } from '../../cart';
import type { CommandMetadata, Money, ShippingMethodSnapshot } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { CancellationReason, OrderCommand } from './order.commands';
import { formatOrderNumber, orderDecider, orderStatus, orderTotals, orderView, taxOn } from './order.decider';
import {
  IncompleteOrderDetails,
  InvalidCancellationReason,
  InvalidOrderLine,
  InvalidOrderNumber,
  InvalidRefundAmount,
  InvalidShippingPrice,
  InvalidTaxRate,
  OrderAlreadyExists,
  OrderCurrencyMismatch,
  OrderHasNoLines,
  OrderNotCancellable,
  OrderNotConfirmable,
  OrderNotDeliverable,
  OrderNotFound,
  OrderNotRefundable,
  OrderNotShippable,
  OrderNumberAlreadyAssigned,
  OrderPaymentConflict,
  OrderPaymentMismatch,
  OrderPaymentNotAuthorized,
  OrderRefundConflict,
  OrderRefundNotFound,
  RefundExceedsCaptured,
} from './order.errors';
import type { OrderEvent } from './order.events';
import type { OrderState } from './order.state';

const placedAt = '2025-01-01T10:00:00.000Z';
const metadata: CommandMetadata = {
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'checkout', role: 'system' },
  occurredAt: placedAt,
};

const command = <T extends OrderCommand['type']>(type: T, data: Extract<OrderCommand, { type: T }>['data']) =>
  ({ type, data, metadata }) as Extract<OrderCommand, { type: T }>;

const orderId = '0190d5a8-0000-7000-8000-00000000000a';
const cartId = '0190d5a8-0000-7000-8000-000000000001';
const paymentId = orderId;
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

const line = (sku: string, quantity: number, unitPrice: Money): CartLineSnapshot => ({
  sku,
  name: `Product ${sku}`,
  quantity,
  unitPrice,
  lineTotal: { amount: unitPrice.amount * quantity, currency: unitPrice.currency },
});
const lines = [line('A', 2, eur(1000)), line('B', 1, eur(250))];
const shippingAddress = {
  name: 'Ada Lovelace',
  line1: '12 St James Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
};
const standard: ShippingMethodSnapshot = { id: 'standard', name: 'Standard', price: eur(495) };
// 2 × 10.00 + 2.50 = 22.50 subtotal, 4.95 shipping; 20 % of 27.45 = 5.49; total 32.94.
const totals = { subtotal: eur(2250), shipping: eur(495), tax: eur(549), total: eur(3294) };

type PlaceOrderData = Extract<OrderCommand, { type: 'PlaceOrder' }>['data'];
const placeData: PlaceOrderData = {
  orderId,
  cartId,
  customerId: null,
  email: 'ada@example.com',
  lines,
  shippingAddress,
  shippingMethod: standard,
  taxRateBasisPoints: 2000,
  paymentMethodId: 'pm_card_visa',
};
const placeOrder = (overrides: Partial<PlaceOrderData> = {}) =>
  command('PlaceOrder', { ...placeData, ...overrides });
const assignNumber = (orderNumber: number) => command('AssignOrderNumber', { orderId, orderNumber });
const recordStockReserved = command('RecordOrderStockReserved', { orderId });
const recordAuthorized = (amount = eur(3294), id = paymentId) =>
  command('RecordOrderPaymentAuthorized', { orderId, paymentId: id, amount });
const confirm = command('ConfirmOrder', { orderId });
const recordCaptured = (amount = eur(3294), id = paymentId) =>
  command('RecordOrderPaymentCaptured', { orderId, paymentId: id, amount });
const cancel = (reason: CancellationReason = 'customer_request', detail?: string) =>
  command('CancelOrder', detail === undefined ? { orderId, reason } : { orderId, reason, detail });
const ship = (carrier?: string, trackingNumber?: string) =>
  command('ShipOrder', {
    orderId,
    ...(carrier === undefined ? {} : { carrier }),
    ...(trackingNumber === undefined ? {} : { trackingNumber }),
  });
const deliver = command('DeliverOrder', { orderId });
const requestRefund = (refundId: string, amount: Money, reason = 'damaged') =>
  command('RequestOrderRefund', { orderId, refundId, amount, reason });
const recordRefunded = (refundId: string, amount: Money) =>
  command('RecordOrderRefunded', { orderId, refundId, amount });

const placed: OrderEvent = {
  type: 'OrderPlaced',
  data: { ...placeData, totals, placedAt },
};
const numberAssigned = (orderNumber: number): OrderEvent => ({
  type: 'OrderNumberAssigned',
  data: { orderId, orderNumber, formatted: formatOrderNumber(orderNumber) },
});
const stockReserved: OrderEvent = { type: 'OrderStockReserved', data: { orderId } };
const authorized = (amount = eur(3294)): OrderEvent => ({
  type: 'OrderPaymentAuthorized',
  data: { orderId, paymentId, amount },
});
const confirmed: OrderEvent = { type: 'OrderConfirmed', data: { orderId } };
const captured = (amount = eur(3294)): OrderEvent => ({
  type: 'OrderPaymentCaptured',
  data: { orderId, paymentId, amount },
});
const cancelled = (
  reason: CancellationReason = 'customer_request',
  detail: string | null = null,
): OrderEvent => ({
  type: 'OrderCancelled',
  data: { orderId, reason, detail },
});
const shipped = (carrier: string | null = null, trackingNumber: string | null = null): OrderEvent => ({
  type: 'OrderShipped',
  data: { orderId, carrier, trackingNumber },
});
const delivered: OrderEvent = { type: 'OrderDelivered', data: { orderId } };
const refundRequested = (refundId: string, amount: Money, reason = 'damaged'): OrderEvent => ({
  type: 'OrderRefundRequested',
  data: { orderId, refundId, amount, reason },
});
const refunded = (refundId: string, amount: Money): OrderEvent => ({
  type: 'OrderRefunded',
  data: { orderId, refundId, amount },
});

const spec = deciderSpec(orderDecider);
const fold = (events: readonly OrderEvent[]): OrderState =>
  events.reduce(orderDecider.evolve, orderDecider.initialState);

const pending = [placed];
const readyToConfirm = [placed, numberAssigned(1042), stockReserved, authorized()];
const confirmedHistory = [...readyToConfirm, confirmed];
const capturedHistory = [...confirmedHistory, captured()];
const shippedHistory = [...capturedHistory, shipped('DHL', 'JD0001')];
const deliveredHistory = [...shippedHistory, delivered];

describe('Order', () => {
  describe('when never placed', () => {
    const given = spec.given([]);

    it('places it with totals, the tax rate and the command time as placedAt', () => {
      given.when(placeOrder()).then([placed]);
    });

    it('places it for a customer, with two lines of the same SKU kept apart', () => {
      const twice = [line('A', 2, eur(1000)), line('A', 1, eur(1000))];
      given.when(placeOrder({ customerId: 'customer-7', lines: twice, taxRateBasisPoints: 0 })).then([
        {
          type: 'OrderPlaced',
          data: {
            ...placeData,
            customerId: 'customer-7',
            lines: twice,
            taxRateBasisPoints: 0,
            totals: { subtotal: eur(3000), shipping: eur(495), tax: eur(0), total: eur(3495) },
            placedAt,
          },
        },
      ]);
    });

    it('stores only the documented fields of lines, address and shipping method', () => {
      const noisy = {
        lines: [{ ...lines[0]!, discount: 5 }, lines[1]!],
        shippingAddress: { ...shippingAddress, line2: 'Flat 3', phone: '555' },
        shippingMethod: { ...standard, carrierCode: 'X' },
      } as unknown as Partial<PlaceOrderData>;
      given.when(placeOrder(noisy)).then([
        {
          type: 'OrderPlaced',
          data: { ...placeData, shippingAddress: { ...shippingAddress, line2: 'Flat 3' }, totals, placedAt },
        },
      ]);
    });

    it('accepts free shipping', () => {
      const free = { id: 'pickup', name: 'Pick-up', price: eur(0) };
      given.when(placeOrder({ shippingMethod: free, taxRateBasisPoints: 1000 })).then([
        {
          type: 'OrderPlaced',
          data: {
            ...placeData,
            shippingMethod: free,
            taxRateBasisPoints: 1000,
            totals: { subtotal: eur(2250), shipping: eur(0), tax: eur(225), total: eur(2475) },
            placedAt,
          },
        },
      ]);
    });

    it('rejects an order without lines', () => {
      given.when(placeOrder({ lines: [] })).thenThrows(OrderHasNoLines, 'lines');
    });

    it('rejects lines in more than one currency', () => {
      given
        .when(
          placeOrder({ lines: [line('A', 1, eur(1000)), line('B', 1, { amount: 1000, currency: 'USD' })] }),
        )
        .thenThrows(OrderCurrencyMismatch, 'lines[1].unitPrice.currency');
    });

    it('rejects a shipping method priced in another currency than the lines', () => {
      given
        .when(placeOrder({ shippingMethod: { ...standard, price: { amount: 495, currency: 'GBP' } } }))
        .thenThrows(OrderCurrencyMismatch, 'shippingMethod.price.currency');
    });

    it.each([
      [
        'lines[0].unitPrice.currency',
        [{ ...line('A', 1, eur(10)), unitPrice: { amount: 10, currency: 'eur' } }],
      ],
      ['lines[1].sku', [line('A', 1, eur(10)), line('', 1, eur(10))]],
      ['lines[0].quantity', [{ ...line('A', 1, eur(10)), quantity: 0 }]],
      ['lines[0].quantity', [{ ...line('A', 1, eur(10)), quantity: 1.5 }]],
      ['lines[0].unitPrice.amount', [line('A', 1, eur(0))]],
      ['lines[0].unitPrice.amount', [line('A', 1, eur(9.99))]],
      ['lines[0].lineTotal', [{ ...line('A', 2, eur(10)), lineTotal: eur(10) }]],
      ['lines[0].lineTotal', [{ ...line('A', 2, eur(10)), lineTotal: { amount: 20, currency: 'USD' } }]],
    ])('rejects an inconsistent line snapshot at %s', (field, badLines) => {
      given.when(placeOrder({ lines: badLines })).thenThrows(InvalidOrderLine, field);
    });

    it.each([-1, 4.5, Number.NaN])('rejects a shipping price of %p', (amount) => {
      given
        .when(placeOrder({ shippingMethod: { ...standard, price: eur(amount) } }))
        .thenThrows(InvalidShippingPrice, 'shippingMethod.price.amount');
    });

    it.each([-1, 10_001, 20.5])('rejects a tax rate of %p basis points', (rate) => {
      given.when(placeOrder({ taxRateBasisPoints: rate })).thenThrows(InvalidTaxRate, 'taxRateBasisPoints');
    });

    it.each([
      ['email', { email: ' ' }],
      ['shippingAddress', { shippingAddress: null }],
      ['shippingMethod', { shippingMethod: undefined }],
      ['paymentMethodId', { paymentMethodId: '' }],
    ])('rejects an order without %s', (field, overrides) => {
      given
        .when(placeOrder(overrides as unknown as Partial<PlaceOrderData>))
        .thenThrows(IncompleteOrderDetails, field);
    });

    it.each<[string, OrderCommand]>([
      ['AssignOrderNumber', assignNumber(1)],
      ['RecordOrderStockReserved', recordStockReserved],
      ['RecordOrderPaymentAuthorized', recordAuthorized()],
      ['ConfirmOrder', confirm],
      ['RecordOrderPaymentCaptured', recordCaptured()],
      ['CancelOrder', cancel()],
      ['ShipOrder', ship()],
      ['DeliverOrder', deliver],
      ['RequestOrderRefund', requestRefund('r-1', eur(100))],
      ['RecordOrderRefunded', recordRefunded('r-1', eur(100))],
    ])('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(OrderNotFound);
    });
  });

  describe('totals', () => {
    const withShipping = (amount: number): ShippingMethodSnapshot => ({ ...standard, price: eur(amount) });

    it.each([
      // [subtotal + shipping, rate, tax]: exact halves round up, anything below half rounds down.
      [5, 1000, 1], // 0.5
      [15, 1000, 2], // 1.5
      [14, 1000, 1], // 1.4
      [1, 5000, 1], // 0.5
      [1, 4999, 0], // 0.4999
      [3, 1667, 1], // 0.5001
      [2745, 2000, 549], // 549.0
      [1999, 1900, 380], // 379.81
      [1234, 825, 102], // 101.805
      [1235, 825, 102], // 101.8875
      [10, 0, 0],
      [10, 10_000, 10],
    ])('taxes %i at %i basis points as %i', (base, rate, tax) => {
      expect(taxOn(base, rate)).toBe(tax);
      expect(orderTotals([line('A', 1, eur(base))], withShipping(0), rate).tax).toEqual(eur(tax));
    });

    it('taxes shipping as well as the lines', () => {
      // (5 + 5) × 5 % = 0.5, which rounds up; the lines alone would round to 0.25 → 0.
      expect(orderTotals([line('A', 1, eur(5))], withShipping(5), 500)).toEqual({
        subtotal: eur(5),
        shipping: eur(5),
        tax: eur(1),
        total: eur(11),
      });
    });

    it('is exact where base × rate passes 2^53 (100 lines of 99 units at the highest price)', () => {
      const big = Array.from({ length: 100 }, (_, i) => line(`SKU-${i}`, 99, eur(100_000_000_00)));
      // 99,000,000,000,005 × 10 % = 9,900,000,000,000.5, which rounds up. The product 9.9e16 is beyond 2^53,
      // so floating point `Math.floor((base × rate + 5000) / 10000)` gets 9,900,000,000,000 here.
      const result = orderTotals(big, withShipping(5), 1000);
      expect(result).toEqual({
        subtotal: eur(99_000_000_000_000),
        shipping: eur(5),
        tax: eur(9_900_000_000_001),
        total: eur(108_900_000_000_006),
      });
      expect(Number.isSafeInteger(result.total.amount)).toBe(true);
    });
  });

  describe('formatOrderNumber', () => {
    it.each([
      [1, 'TL-000001'],
      [1042, 'TL-001042'],
      [999_999, 'TL-999999'],
      [1_000_000, 'TL-1000000'],
      [12_345_678, 'TL-12345678'],
    ])('formats %i as %s', (n, formatted) => {
      expect(formatOrderNumber(n)).toBe(formatted);
    });
  });

  describe('when pending', () => {
    const given = spec.given(pending);

    it('ignores placing it again from the same cart', () => {
      given.when(placeOrder()).thenNothingHappens();
      given.when(placeOrder({ taxRateBasisPoints: 1000 })).thenNothingHappens();
    });

    it('rejects placing it again from another cart', () => {
      given.when(placeOrder({ cartId: 'another-cart' })).thenThrows(OrderAlreadyExists, 'orderId');
    });

    it('assigns a number once', () => {
      given.when(assignNumber(1042)).then([numberAssigned(1042)]);
      spec
        .given([placed, numberAssigned(1042)])
        .when(assignNumber(1042))
        .thenNothingHappens();
      spec
        .given([placed, numberAssigned(1042)])
        .when(assignNumber(1043))
        .thenThrows(OrderNumberAlreadyAssigned, 'orderNumber');
    });

    it.each([0, -1, 1.5])('rejects the order number %p', (n) => {
      given.when(assignNumber(n)).thenThrows(InvalidOrderNumber, 'orderNumber');
    });

    it('records its stock reservation once', () => {
      given.when(recordStockReserved).then([stockReserved]);
      spec.given([placed, stockReserved]).when(recordStockReserved).thenNothingHappens();
    });

    it('records its payment authorization for the order total, once', () => {
      given.when(recordAuthorized()).then([authorized()]);
      spec.given([placed, authorized()]).when(recordAuthorized()).thenNothingHappens();
    });

    it('rejects an authorization of another amount or currency', () => {
      given.when(recordAuthorized(eur(3293))).thenThrows(OrderPaymentMismatch, 'amount');
      given
        .when(recordAuthorized({ amount: 3294, currency: 'USD' }))
        .thenThrows(OrderPaymentMismatch, 'amount.currency');
    });

    it('rejects an authorization of another payment, or another amount, once one is recorded', () => {
      spec
        .given([placed, authorized()])
        .when(recordAuthorized(eur(3294), 'other'))
        .thenThrows(OrderPaymentConflict, 'paymentId');
      spec
        .given([placed, authorized()])
        .when(recordAuthorized(eur(100)))
        .thenThrows(OrderPaymentConflict, 'amount');
    });

    it('confirms only with stock reserved AND payment authorized', () => {
      given.when(confirm).thenThrows(OrderNotConfirmable);
      spec.given([placed, stockReserved]).when(confirm).thenThrows(OrderNotConfirmable);
      spec.given([placed, authorized()]).when(confirm).thenThrows(OrderNotConfirmable);
      spec.given(readyToConfirm).when(confirm).then([confirmed]);
      spec.given([placed, authorized(), stockReserved]).when(confirm).then([confirmed]);
    });

    it('rejects recording a capture before an authorization', () => {
      given.when(recordCaptured()).thenThrows(OrderPaymentNotAuthorized, 'paymentId');
    });

    it.each<CancellationReason>(['out_of_stock', 'payment_declined', 'payment_timeout', 'customer_request'])(
      'cancels it for %s',
      (reason) => {
        given.when(cancel(reason)).then([cancelled(reason)]);
      },
    );

    it('keeps the detail of a cancellation', () => {
      given
        .when(cancel('payment_declined', 'card_declined'))
        .then([cancelled('payment_declined', 'card_declined')]);
    });

    it('rejects an unknown cancellation reason', () => {
      given
        .when(cancel('changed_my_mind' as CancellationReason))
        .thenThrows(InvalidCancellationReason, 'reason');
    });

    it('rejects shipping or delivering it', () => {
      given.when(ship()).thenThrows(OrderNotShippable);
      given.when(deliver).thenThrows(OrderNotDeliverable);
    });

    it('rejects a refund before the payment was captured', () => {
      given.when(requestRefund('r-1', eur(100))).thenThrows(OrderNotRefundable);
      spec
        .given(readyToConfirm)
        .when(requestRefund('r-1', eur(100)))
        .thenThrows(OrderNotRefundable);
    });

    it('rejects recording a refund it never asked for', () => {
      given.when(recordRefunded('r-1', eur(100))).thenThrows(OrderRefundNotFound, 'refundId');
    });
  });

  describe('when confirmed', () => {
    const given = spec.given(confirmedHistory);

    it('ignores a repeated confirmation', () => {
      given.when(confirm).thenNothingHappens();
    });

    it('ignores the same facts again', () => {
      given.when(recordStockReserved).thenNothingHappens();
      given.when(recordAuthorized()).thenNothingHappens();
      given.when(assignNumber(1042)).thenNothingHappens();
      given.when(placeOrder()).thenNothingHappens();
    });

    it('records the capture, up to the authorized amount, once', () => {
      given.when(recordCaptured()).then([captured()]);
      given.when(recordCaptured(eur(3000))).then([captured(eur(3000))]);
      spec.given(capturedHistory).when(recordCaptured()).thenNothingHappens();
    });

    it('rejects a capture above the authorized amount, of nothing, in another currency or of another payment', () => {
      given.when(recordCaptured(eur(3295))).thenThrows(OrderPaymentMismatch, 'amount');
      given.when(recordCaptured(eur(0))).thenThrows(OrderPaymentMismatch, 'amount');
      given
        .when(recordCaptured({ amount: 3294, currency: 'USD' }))
        .thenThrows(OrderPaymentMismatch, 'amount.currency');
      given.when(recordCaptured(eur(3294), 'other')).thenThrows(OrderPaymentConflict, 'paymentId');
    });

    it('rejects another capture amount once captured', () => {
      spec
        .given(capturedHistory)
        .when(recordCaptured(eur(100)))
        .thenThrows(OrderPaymentConflict, 'amount');
    });

    it('ships it, with or without carrier and tracking number', () => {
      given.when(ship('DHL', 'JD0001')).then([shipped('DHL', 'JD0001')]);
      given.when(ship()).then([shipped()]);
    });

    it('is cancelled on request', () => {
      given.when(cancel('customer_request')).then([cancelled('customer_request')]);
    });

    it('rejects delivering it before it shipped', () => {
      given.when(deliver).thenThrows(OrderNotDeliverable);
    });
  });

  describe('when captured (refunds)', () => {
    const given = spec.given(capturedHistory);

    it('asks for a partial refund, and for the rest', () => {
      given.when(requestRefund('r-1', eur(1000))).then([refundRequested('r-1', eur(1000))]);
      spec
        .given([...capturedHistory, refundRequested('r-1', eur(1000))])
        .when(requestRefund('r-2', eur(2294)))
        .then([refundRequested('r-2', eur(2294))]);
    });

    it('asks for a full refund', () => {
      given.when(requestRefund('r-1', eur(3294))).then([refundRequested('r-1', eur(3294))]);
    });

    it('rejects a refund above what was captured', () => {
      given.when(requestRefund('r-1', eur(3295))).thenThrows(RefundExceedsCaptured, 'amount');
    });

    it('counts refunds asked for but not paid yet, and paid ones, against what was captured', () => {
      const asked = [...capturedHistory, refundRequested('r-1', eur(3000))];
      spec
        .given(asked)
        .when(requestRefund('r-2', eur(295)))
        .thenThrows(RefundExceedsCaptured, 'amount');
      spec
        .given(asked)
        .when(requestRefund('r-2', eur(294)))
        .then([refundRequested('r-2', eur(294))]);
      spec
        .given([...asked, refunded('r-1', eur(3000))])
        .when(requestRefund('r-2', eur(295)))
        .thenThrows(RefundExceedsCaptured, 'amount');
    });

    it('counts only the captured amount, not the authorized one', () => {
      spec
        .given([...confirmedHistory, captured(eur(3000))])
        .when(requestRefund('r-1', eur(3001)))
        .thenThrows(RefundExceedsCaptured, 'amount');
    });

    it.each([0, -5, 1.5])('rejects a refund of %p', (amount) => {
      given.when(requestRefund('r-1', eur(amount))).thenThrows(InvalidRefundAmount, 'amount');
    });

    it('rejects a refund in another currency', () => {
      given
        .when(requestRefund('r-1', { amount: 100, currency: 'USD' }))
        .thenThrows(InvalidRefundAmount, 'amount.currency');
    });

    it('ignores the same refund id again, and rejects it with another amount', () => {
      const asked = [...capturedHistory, refundRequested('r-1', eur(1000))];
      spec
        .given(asked)
        .when(requestRefund('r-1', eur(1000)))
        .thenNothingHappens();
      spec
        .given(asked)
        .when(requestRefund('r-1', eur(1000), 'another reason'))
        .thenNothingHappens();
      spec
        .given(asked)
        .when(requestRefund('r-1', eur(999)))
        .thenThrows(OrderRefundConflict, 'amount');
    });

    it('records a requested refund as refunded, once', () => {
      const asked = [...capturedHistory, refundRequested('r-1', eur(1000))];
      spec
        .given(asked)
        .when(recordRefunded('r-1', eur(1000)))
        .then([refunded('r-1', eur(1000))]);
      spec
        .given([...asked, refunded('r-1', eur(1000))])
        .when(recordRefunded('r-1', eur(1000)))
        .thenNothingHappens();
    });

    it('rejects recording an unknown refund, or another amount than asked for', () => {
      const asked = [...capturedHistory, refundRequested('r-1', eur(1000))];
      spec
        .given(asked)
        .when(recordRefunded('r-2', eur(1000)))
        .thenThrows(OrderRefundNotFound, 'refundId');
      spec
        .given(asked)
        .when(recordRefunded('r-1', eur(900)))
        .thenThrows(OrderRefundConflict, 'amount');
    });
  });

  describe('when cancelled', () => {
    const given = spec.given([...pending, cancelled('payment_timeout')]);

    it('ignores a repeated cancel, whatever its reason', () => {
      given.when(cancel('payment_timeout')).thenNothingHappens();
      given.when(cancel('payment_declined')).thenNothingHappens();
      given.when(cancel('customer_request')).thenNothingHappens();
    });

    it('rejects confirming, shipping or delivering it', () => {
      spec
        .given([...readyToConfirm, cancelled()])
        .when(confirm)
        .thenThrows(OrderNotConfirmable);
      given.when(ship()).thenThrows(OrderNotShippable);
      given.when(deliver).thenThrows(OrderNotDeliverable);
    });

    it('still records facts that arrive late (a capture that raced the cancel)', () => {
      given.when(recordStockReserved).then([stockReserved]);
      given.when(assignNumber(7)).then([numberAssigned(7)]);
      spec
        .given([...confirmedHistory, cancelled()])
        .when(recordCaptured())
        .then([captured()]);
    });

    it('rejects a manual refund: checkout refunds a cancelled order in full', () => {
      spec
        .given([...capturedHistory, cancelled()])
        .when(requestRefund('r-1', eur(100)))
        .thenThrows(OrderNotRefundable);
    });

    it('still records a refund asked for before the cancellation', () => {
      spec
        .given([...capturedHistory, refundRequested('r-1', eur(100)), cancelled()])
        .when(recordRefunded('r-1', eur(100)))
        .then([refunded('r-1', eur(100))]);
    });

    it('ignores the same refund request again after the cancellation', () => {
      spec
        .given([...capturedHistory, refundRequested('r-1', eur(100)), cancelled()])
        .when(requestRefund('r-1', eur(100)))
        .thenNothingHappens();
    });
  });

  describe('when shipped', () => {
    const given = spec.given(shippedHistory);

    it('rejects cancelling it', () => {
      given.when(cancel()).thenThrows(OrderNotCancellable);
    });

    it('ignores shipping it again with the same details, and rejects other details', () => {
      given.when(ship('DHL', 'JD0001')).thenNothingHappens();
      given.when(ship('UPS', 'JD0001')).thenThrows(OrderNotShippable);
      given.when(ship()).thenThrows(OrderNotShippable);
    });

    it('delivers it', () => {
      given.when(deliver).then([delivered]);
    });

    it('accepts refunds', () => {
      given.when(requestRefund('r-1', eur(500))).then([refundRequested('r-1', eur(500))]);
    });
  });

  describe('when delivered', () => {
    const given = spec.given(deliveredHistory);

    it('ignores a repeated delivery and the same shipment again', () => {
      given.when(deliver).thenNothingHappens();
      given.when(ship('DHL', 'JD0001')).thenNothingHappens();
    });

    it('rejects cancelling it', () => {
      given.when(cancel('customer_request')).thenThrows(OrderNotCancellable);
    });

    it('accepts refunds', () => {
      given.when(requestRefund('r-1', eur(3294))).then([refundRequested('r-1', eur(3294))]);
    });
  });

  describe('evolve', () => {
    const base = {
      ...placeData,
      totals,
      placedAt,
      orderNumber: null,
      stockReserved: false,
      payment: null,
      refunds: [],
    };

    it('starts with no order', () => {
      spec.given([]).thenState({ status: 'none' });
    });

    it('folds OrderPlaced into a pending order', () => {
      spec.given([placed]).thenState({ status: 'pending', ...base });
    });

    it('folds the number, the reservation and the authorization into the order', () => {
      spec.given(readyToConfirm).thenState({
        status: 'pending',
        ...base,
        orderNumber: 1042,
        stockReserved: true,
        payment: { paymentId, authorized: eur(3294), captured: null },
      });
    });

    it('folds the lifecycle into confirmed, shipped and delivered, keeping the shipment', () => {
      const data = {
        ...base,
        orderNumber: 1042,
        stockReserved: true,
        payment: { paymentId, authorized: eur(3294), captured: eur(3294) },
      };
      spec.given(capturedHistory).thenState({ status: 'confirmed', ...data });
      spec
        .given(shippedHistory)
        .thenState({ status: 'shipped', ...data, shipment: { carrier: 'DHL', trackingNumber: 'JD0001' } });
      spec
        .given(deliveredHistory)
        .thenState({ status: 'delivered', ...data, shipment: { carrier: 'DHL', trackingNumber: 'JD0001' } });
    });

    it('folds OrderCancelled with its reason and detail', () => {
      spec.given([placed, cancelled('payment_declined', 'insufficient_funds')]).thenState({
        status: 'cancelled',
        ...base,
        cancellation: { reason: 'payment_declined', detail: 'insufficient_funds' },
      });
    });

    it('folds refunds in the order asked, and marks paid ones', () => {
      spec
        .given([
          placed,
          refundRequested('r-1', eur(10)),
          refundRequested('r-2', eur(20)),
          refunded('r-2', eur(20)),
        ])
        .thenState({
          status: 'pending',
          ...base,
          refunds: [
            { refundId: 'r-1', amount: eur(10), reason: 'damaged', status: 'requested' },
            { refundId: 'r-2', amount: eur(20), reason: 'damaged', status: 'refunded' },
          ],
        });
    });

    it('never throws, even on a history without OrderPlaced', () => {
      spec.given([stockReserved, confirmed, cancelled(), delivered]).thenState({ status: 'none' });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'OrderTeleported', data: { orderId } } as unknown as OrderEvent;
      spec.given([placed, unknown]).thenState({ status: 'pending', ...base });
    });
  });

  describe('orderStatus and orderView', () => {
    it.each<[string, OrderEvent[], string | null]>([
      ['never placed', [], null],
      ['placed', pending, 'pending'],
      ['ready but not confirmed', readyToConfirm, 'pending'],
      ['confirmed', confirmedHistory, 'confirmed'],
      ['cancelled', [...confirmedHistory, cancelled()], 'cancelled'],
      ['shipped', shippedHistory, 'shipped'],
      ['delivered', deliveredHistory, 'delivered'],
    ])('shows an order %s as %p', (_, history, status) => {
      expect(orderStatus(fold(history))).toBe(status);
    });

    it('is null for an order never placed', () => {
      expect(orderView(fold([]))).toBeNull();
    });

    it('shows the number, payment, refunds and what is still refundable', () => {
      const history = [
        ...shippedHistory,
        refundRequested('r-1', eur(1000)),
        refunded('r-1', eur(1000)),
        refundRequested('r-2', eur(500)),
      ];
      expect(orderView(fold(history))).toMatchObject({
        orderId,
        orderNumber: 1042,
        formattedOrderNumber: 'TL-001042',
        status: 'shipped',
        cancellationReason: null,
        totals,
        placedAt,
        payment: { paymentId, authorized: eur(3294), captured: eur(3294) },
        refunded: eur(1000),
        refundable: eur(1794),
        shipment: { carrier: 'DHL', trackingNumber: 'JD0001' },
      });
    });

    it('shows a pending order without number, payment or shipment', () => {
      expect(orderView(fold(pending))).toMatchObject({
        formattedOrderNumber: null,
        payment: null,
        refunded: eur(0),
        refundable: eur(0),
        shipment: null,
      });
    });

    it('shows why a cancelled order was cancelled', () => {
      expect(orderView(fold([...pending, cancelled('out_of_stock', 'SKU A')]))).toMatchObject({
        status: 'cancelled',
        cancellationReason: 'out_of_stock',
        cancellationDetail: 'SKU A',
      });
    });
  });
});
