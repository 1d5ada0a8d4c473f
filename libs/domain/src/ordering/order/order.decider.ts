import type { CartLineSnapshot } from '../../cart';
import {
  assertNever,
  copyShippingAddress,
  copyShippingMethod,
  isCurrencyCode,
  isUnitPriceAmount,
  sameMoney,
} from '../../shared';
import type { Decider, Money, ShippingMethodSnapshot } from '../../shared';
import type {
  AssignOrderNumber,
  CancellationReason,
  CancelOrder,
  OrderCommand,
  PlaceOrder,
  RecordOrderPaymentAuthorized,
  RecordOrderPaymentCaptured,
  RecordOrderRefunded,
  RequestOrderRefund,
  ShipOrder,
} from './order.commands';
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
import type { OrderEvent, OrderTotals } from './order.events';
import type {
  OrderData,
  OrderPayment,
  OrderRefund,
  OrderShipment,
  OrderState,
  OrderStatus,
  PlacedOrder,
} from './order.state';

/** The four public cancellation reasons. */
export const CANCELLATION_REASONS: readonly CancellationReason[] = [
  'out_of_stock',
  'payment_declined',
  'payment_timeout',
  'customer_request',
];

/** Largest tax rate in basis points: 100 %. */
export const MAX_TAX_RATE_BASIS_POINTS = 10_000;

const initialState: OrderState = { status: 'none' };

/**
 * The number as shoppers see it: `TL-` and the number padded to six digits (`TL-001042`); numbers past
 * 999999 simply grow (`TL-1000000`).
 */
export function formatOrderNumber(orderNumber: number): string {
  return `TL-${String(orderNumber).padStart(6, '0')}`;
}

/**
 * Tax on `base` at `rateBasisPoints`, rounded half up to a whole minor unit. BigInt because `base × rate`
 * can pass 2^53 for the largest carts, where a float would round the product before we do.
 */
export function taxOn(base: number, rateBasisPoints: number): number {
  return Number((BigInt(base) * BigInt(rateBasisPoints) + 5_000n) / 10_000n);
}

/**
 * An order's totals: subtotal = sum of the line totals, shipping = the method's price,
 * tax = (subtotal + shipping) × rate, rounded half up, and total = subtotal + shipping + tax.
 */
export function orderTotals(
  lines: readonly CartLineSnapshot[],
  shippingMethod: ShippingMethodSnapshot,
  taxRateBasisPoints: number,
): OrderTotals {
  const currency = shippingMethod.price.currency;
  const subtotal = lines.reduce((sum, line) => sum + line.lineTotal.amount, 0);
  const shipping = shippingMethod.price.amount;
  const tax = taxOn(subtotal + shipping, taxRateBasisPoints);
  return {
    subtotal: { amount: subtotal, currency },
    shipping: { amount: shipping, currency },
    tax: { amount: tax, currency },
    total: { amount: subtotal + shipping + tax, currency },
  };
}

/** The public status of an order, or null when it was never placed. */
export function orderStatus(state: OrderState): OrderStatus | null {
  return state.status === 'none' ? null : state.status;
}

/** Captured minus every refund asked for or paid; zero when nothing was captured. */
export function refundableAmount(order: PlacedOrder): Money {
  const currency = order.totals.total.currency;
  const captured = order.payment?.captured?.amount ?? 0;
  const committed = order.refunds.reduce((sum, refund) => sum + refund.amount.amount, 0);
  return { amount: captured - committed, currency };
}

/** What a shopper or admin sees of an order. */
export interface OrderView {
  readonly orderId: string;
  readonly orderNumber: number | null;
  /** `TL-001042`, or null before a number was assigned. */
  readonly formattedOrderNumber: string | null;
  readonly status: OrderStatus;
  readonly cancellationReason: CancellationReason | null;
  readonly cancellationDetail: string | null;
  readonly cartId: string;
  readonly customerId: string | null;
  readonly email: string;
  readonly lines: readonly CartLineSnapshot[];
  readonly shippingAddress: PlacedOrder['shippingAddress'];
  readonly shippingMethod: ShippingMethodSnapshot;
  readonly taxRateBasisPoints: number;
  readonly totals: OrderTotals;
  readonly placedAt: string;
  readonly stockReserved: boolean;
  readonly payment: OrderPayment | null;
  readonly refunds: readonly OrderRefund[];
  /** Sum of the refunds paid out. */
  readonly refunded: Money;
  /** What a new refund may still take. */
  readonly refundable: Money;
  readonly shipment: OrderShipment | null;
}

/** The order as shown by the APIs, or null when it was never placed. */
export function orderView(state: OrderState): OrderView | null {
  if (state.status === 'none') return null;
  const currency = state.totals.total.currency;
  const refunded = state.refunds
    .filter((refund) => refund.status === 'refunded')
    .reduce((sum, refund) => sum + refund.amount.amount, 0);
  return {
    orderId: state.orderId,
    orderNumber: state.orderNumber,
    formattedOrderNumber: state.orderNumber === null ? null : formatOrderNumber(state.orderNumber),
    status: state.status,
    cancellationReason: state.status === 'cancelled' ? state.cancellation.reason : null,
    cancellationDetail: state.status === 'cancelled' ? state.cancellation.detail : null,
    cartId: state.cartId,
    customerId: state.customerId,
    email: state.email,
    lines: state.lines,
    shippingAddress: state.shippingAddress,
    shippingMethod: state.shippingMethod,
    taxRateBasisPoints: state.taxRateBasisPoints,
    totals: state.totals,
    placedAt: state.placedAt,
    stockReserved: state.stockReserved,
    payment: state.payment,
    refunds: state.refunds,
    refunded: { amount: refunded, currency },
    refundable: refundableAmount(state),
    shipment: state.status === 'shipped' || state.status === 'delivered' ? state.shipment : null,
  };
}

const isPresentText = (value: unknown): boolean => typeof value === 'string' && value.trim() !== '';
const isPresentObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
const isMinorUnits = (amount: number): boolean => Number.isSafeInteger(amount) && amount >= 0;

/** The order, or OrderNotFound. */
function existing(state: OrderState, orderId: string): PlacedOrder {
  if (state.status === 'none') throw new OrderNotFound(orderId);
  return state;
}

function assertValidLines(lines: readonly CartLineSnapshot[]): string {
  const [first] = lines;
  if (first === undefined) throw new OrderHasNoLines();
  const currency = first.unitPrice.currency;
  if (!isCurrencyCode(currency)) {
    throw new InvalidOrderLine('lines[0].unitPrice.currency', `must be an ISO-4217 code, got "${currency}"`);
  }
  lines.forEach((line, i) => {
    const at = `lines[${i}]`;
    if (!isPresentText(line.sku)) throw new InvalidOrderLine(`${at}.sku`, 'must not be empty');
    if (!Number.isSafeInteger(line.quantity) || line.quantity <= 0) {
      throw new InvalidOrderLine(`${at}.quantity`, `must be a positive whole number, got ${line.quantity}`);
    }
    if (!isUnitPriceAmount(line.unitPrice.amount)) {
      throw new InvalidOrderLine(
        `${at}.unitPrice.amount`,
        `must be a positive whole number of minor units, got ${line.unitPrice.amount}`,
      );
    }
    if (line.unitPrice.currency !== currency) {
      throw new OrderCurrencyMismatch(`${at}.unitPrice.currency`, currency, line.unitPrice.currency);
    }
    // The snapshot's own total is what the shopper saw; it must agree with its price and quantity.
    if (!sameMoney(line.lineTotal, { amount: line.unitPrice.amount * line.quantity, currency })) {
      throw new InvalidOrderLine(`${at}.lineTotal`, 'must be the unit price times the quantity');
    }
  });
  return currency;
}

function placeOrder({ data, metadata }: PlaceOrder, state: OrderState): OrderEvent[] {
  if (state.status !== 'none') {
    // The checkout process placing the order again after a redelivery: already done.
    if (state.cartId === data.cartId) return [];
    throw new OrderAlreadyExists(state.orderId, state.cartId);
  }
  const currency = assertValidLines(data.lines);
  if (!isPresentObject(data.shippingMethod) || !isPresentObject(data.shippingMethod.price)) {
    throw new IncompleteOrderDetails('shippingMethod');
  }
  const shippingPrice = data.shippingMethod.price;
  if (!isMinorUnits(shippingPrice.amount)) throw new InvalidShippingPrice(shippingPrice.amount);
  if (shippingPrice.currency !== currency) {
    throw new OrderCurrencyMismatch('shippingMethod.price.currency', currency, shippingPrice.currency);
  }
  const rate = data.taxRateBasisPoints;
  if (!Number.isSafeInteger(rate) || rate < 0 || rate > MAX_TAX_RATE_BASIS_POINTS)
    throw new InvalidTaxRate(rate);
  if (!isPresentText(data.email)) throw new IncompleteOrderDetails('email');
  if (!isPresentObject(data.shippingAddress)) throw new IncompleteOrderDetails('shippingAddress');
  if (!isPresentText(data.paymentMethodId)) throw new IncompleteOrderDetails('paymentMethodId');
  return [
    {
      type: 'OrderPlaced',
      data: {
        orderId: data.orderId,
        cartId: data.cartId,
        customerId: data.customerId,
        email: data.email,
        lines: data.lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({
          sku,
          name,
          quantity,
          unitPrice: { amount: unitPrice.amount, currency: unitPrice.currency },
          lineTotal: { amount: lineTotal.amount, currency: lineTotal.currency },
        })),
        shippingAddress: copyShippingAddress(data.shippingAddress),
        shippingMethod: copyShippingMethod(data.shippingMethod),
        taxRateBasisPoints: rate,
        totals: orderTotals(data.lines, data.shippingMethod, rate),
        paymentMethodId: data.paymentMethodId,
        placedAt: metadata.occurredAt,
      },
    },
  ];
}

function assignNumber({ data }: AssignOrderNumber, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const { orderNumber } = data;
  if (!Number.isSafeInteger(orderNumber) || orderNumber <= 0) throw new InvalidOrderNumber(orderNumber);
  if (order.orderNumber === orderNumber) return [];
  if (order.orderNumber !== null)
    throw new OrderNumberAlreadyAssigned(order.orderId, order.orderNumber, orderNumber);
  return [
    {
      type: 'OrderNumberAssigned',
      data: { orderId: order.orderId, orderNumber, formatted: formatOrderNumber(orderNumber) },
    },
  ];
}

/** A payment amount must be in the order currency. */
function assertOrderCurrency(order: PlacedOrder, amount: Money): void {
  const currency = order.totals.total.currency;
  if (amount.currency !== currency) {
    throw new OrderPaymentMismatch('amount.currency', `must be ${currency}, got ${amount.currency}`);
  }
}

function recordAuthorized({ data }: RecordOrderPaymentAuthorized, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const { payment } = order;
  if (payment !== null) {
    if (payment.paymentId !== data.paymentId) {
      throw new OrderPaymentConflict('paymentId', `payment ${payment.paymentId} is already authorized`);
    }
    if (!sameMoney(payment.authorized, data.amount)) {
      throw new OrderPaymentConflict(
        'amount',
        `${payment.authorized.amount} was authorized, not ${data.amount.amount}`,
      );
    }
    return [];
  }
  assertOrderCurrency(order, data.amount);
  // The payment is initiated for the order total; any other authorized amount is a provider or wiring bug.
  if (data.amount.amount !== order.totals.total.amount) {
    throw new OrderPaymentMismatch(
      'amount',
      `must be the order total ${order.totals.total.amount}, got ${data.amount.amount}`,
    );
  }
  return [
    {
      type: 'OrderPaymentAuthorized',
      data: {
        orderId: order.orderId,
        paymentId: data.paymentId,
        amount: { amount: data.amount.amount, currency: data.amount.currency },
      },
    },
  ];
}

function confirm(orderId: string, state: OrderState): OrderEvent[] {
  const order = existing(state, orderId);
  switch (order.status) {
    case 'pending':
      if (!order.stockReserved) throw new OrderNotConfirmable(order.orderId, 'its stock is not reserved');
      if (order.payment === null)
        throw new OrderNotConfirmable(order.orderId, 'its payment is not authorized');
      return [{ type: 'OrderConfirmed', data: { orderId: order.orderId } }];
    case 'confirmed':
    case 'shipped':
    case 'delivered':
      return [];
    case 'cancelled':
      throw new OrderNotConfirmable(order.orderId, 'it is cancelled');
    default:
      return assertNever(order);
  }
}

function recordCaptured({ data }: RecordOrderPaymentCaptured, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const { payment } = order;
  if (payment === null) throw new OrderPaymentNotAuthorized(order.orderId);
  if (payment.paymentId !== data.paymentId) {
    throw new OrderPaymentConflict('paymentId', `the order's payment is ${payment.paymentId}`);
  }
  if (payment.captured !== null) {
    if (sameMoney(payment.captured, data.amount)) return [];
    throw new OrderPaymentConflict(
      'amount',
      `${payment.captured.amount} was captured, not ${data.amount.amount}`,
    );
  }
  assertOrderCurrency(order, data.amount);
  if (
    !isMinorUnits(data.amount.amount) ||
    data.amount.amount === 0 ||
    data.amount.amount > payment.authorized.amount
  ) {
    throw new OrderPaymentMismatch(
      'amount',
      `must be a whole number from 1 to the ${payment.authorized.amount} authorized, got ${data.amount.amount}`,
    );
  }
  return [
    {
      type: 'OrderPaymentCaptured',
      data: {
        orderId: order.orderId,
        paymentId: data.paymentId,
        amount: { amount: data.amount.amount, currency: data.amount.currency },
      },
    },
  ];
}

function cancel({ data }: CancelOrder, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  if (!CANCELLATION_REASONS.includes(data.reason)) throw new InvalidCancellationReason(data.reason);
  switch (order.status) {
    case 'pending':
    case 'confirmed':
      return [
        {
          type: 'OrderCancelled',
          data: { orderId: order.orderId, reason: data.reason, detail: data.detail ?? null },
        },
      ];
    case 'cancelled':
      // Cancelled once, for the first reason; a later cancel (a race between timeout and decline) is moot.
      return [];
    case 'shipped':
    case 'delivered':
      throw new OrderNotCancellable(order.orderId, order.status);
    default:
      return assertNever(order);
  }
}

function ship({ data }: ShipOrder, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const shipment: OrderShipment = {
    carrier: data.carrier ?? null,
    trackingNumber: data.trackingNumber ?? null,
  };
  switch (order.status) {
    case 'confirmed':
      return [{ type: 'OrderShipped', data: { orderId: order.orderId, ...shipment } }];
    case 'shipped':
    case 'delivered':
      if (
        order.shipment.carrier === shipment.carrier &&
        order.shipment.trackingNumber === shipment.trackingNumber
      ) {
        return [];
      }
      throw new OrderNotShippable(order.orderId, 'it already shipped with other carrier or tracking details');
    case 'pending':
      throw new OrderNotShippable(order.orderId, 'it is not confirmed yet');
    case 'cancelled':
      throw new OrderNotShippable(order.orderId, 'it is cancelled');
    default:
      return assertNever(order);
  }
}

function deliver(orderId: string, state: OrderState): OrderEvent[] {
  const order = existing(state, orderId);
  switch (order.status) {
    case 'shipped':
      return [{ type: 'OrderDelivered', data: { orderId: order.orderId } }];
    case 'delivered':
      return [];
    case 'pending':
    case 'confirmed':
    case 'cancelled':
      throw new OrderNotDeliverable(order.orderId, order.status);
    default:
      return assertNever(order);
  }
}

function findRefund(order: PlacedOrder, refundId: string): OrderRefund | undefined {
  return order.refunds.find((refund) => refund.refundId === refundId);
}

function requestRefund({ data }: RequestOrderRefund, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const { refundId, amount, reason } = data;
  const known = findRefund(order, refundId);
  if (known !== undefined) {
    // The same request again (a retried admin click): already asked for.
    if (sameMoney(known.amount, amount)) return [];
    throw new OrderRefundConflict(refundId, known.amount.amount, amount.amount);
  }
  if ((order.payment?.captured ?? null) === null)
    throw new OrderNotRefundable(order.orderId, 'its payment was not captured');
  // Checkout refunds a cancelled order in full by itself; a manual refund on top would pay out twice.
  if (order.status === 'cancelled')
    throw new OrderNotRefundable(order.orderId, 'it is cancelled and refunded in full');
  const currency = order.totals.total.currency;
  if (amount.currency !== currency)
    throw new InvalidRefundAmount('amount.currency', `must be ${currency}, got ${amount.currency}`);
  if (!Number.isSafeInteger(amount.amount) || amount.amount <= 0) {
    throw new InvalidRefundAmount(
      'amount',
      `must be a positive whole number of minor units, got ${amount.amount}`,
    );
  }
  const refundable = refundableAmount(order).amount;
  if (amount.amount > refundable) throw new RefundExceedsCaptured(amount.amount, refundable);
  return [
    {
      type: 'OrderRefundRequested',
      data: { orderId: order.orderId, refundId, amount: { amount: amount.amount, currency }, reason },
    },
  ];
}

function recordRefunded({ data }: RecordOrderRefunded, state: OrderState): OrderEvent[] {
  const order = existing(state, data.orderId);
  const refund = findRefund(order, data.refundId);
  if (refund === undefined) throw new OrderRefundNotFound(order.orderId, data.refundId);
  if (!sameMoney(refund.amount, data.amount)) {
    throw new OrderRefundConflict(refund.refundId, refund.amount.amount, data.amount.amount);
  }
  if (refund.status === 'refunded') return [];
  return [
    {
      type: 'OrderRefunded',
      data: { orderId: order.orderId, refundId: refund.refundId, amount: refund.amount },
    },
  ];
}

function decide(command: OrderCommand, state: OrderState): OrderEvent[] {
  switch (command.type) {
    case 'PlaceOrder':
      return placeOrder(command, state);
    case 'AssignOrderNumber':
      return assignNumber(command, state);
    case 'RecordOrderStockReserved': {
      const order = existing(state, command.data.orderId);
      return order.stockReserved ? [] : [{ type: 'OrderStockReserved', data: { orderId: order.orderId } }];
    }
    case 'RecordOrderPaymentAuthorized':
      return recordAuthorized(command, state);
    case 'ConfirmOrder':
      return confirm(command.data.orderId, state);
    case 'RecordOrderPaymentCaptured':
      return recordCaptured(command, state);
    case 'CancelOrder':
      return cancel(command, state);
    case 'ShipOrder':
      return ship(command, state);
    case 'DeliverOrder':
      return deliver(command.data.orderId, state);
    case 'RequestOrderRefund':
      return requestRefund(command, state);
    case 'RecordOrderRefunded':
      return recordRefunded(command, state);
    default:
      return assertNever(command);
  }
}

/** What every placed order carries, without its status and the fields only some statuses have. */
function placed(order: PlacedOrder): OrderData {
  const { orderId, cartId, customerId, email, lines, shippingAddress, shippingMethod, taxRateBasisPoints } =
    order;
  const { totals, paymentMethodId, placedAt, orderNumber, stockReserved, payment, refunds } = order;
  return {
    orderId,
    cartId,
    customerId,
    email,
    lines,
    shippingAddress,
    shippingMethod,
    taxRateBasisPoints,
    totals,
    paymentMethodId,
    placedAt,
    orderNumber,
    stockReserved,
    payment,
    refunds,
  };
}

function evolve(state: OrderState, event: OrderEvent): OrderState {
  if (event.type === 'OrderPlaced') {
    return {
      status: 'pending',
      ...event.data,
      orderNumber: null,
      stockReserved: false,
      payment: null,
      refunds: [],
    };
  }
  // Every other event changes a placed order; before OrderPlaced (an inconsistent history) it changes nothing.
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'OrderNumberAssigned':
      return { ...state, orderNumber: event.data.orderNumber };
    case 'OrderStockReserved':
      return { ...state, stockReserved: true };
    case 'OrderPaymentAuthorized':
      return {
        ...state,
        payment: { paymentId: event.data.paymentId, authorized: event.data.amount, captured: null },
      };
    case 'OrderPaymentCaptured': {
      const { paymentId, amount } = event.data;
      return {
        ...state,
        payment: { paymentId, authorized: state.payment?.authorized ?? amount, captured: amount },
      };
    }
    case 'OrderConfirmed':
      return { ...placed(state), status: 'confirmed' };
    case 'OrderCancelled':
      return {
        ...placed(state),
        status: 'cancelled',
        cancellation: { reason: event.data.reason, detail: event.data.detail },
      };
    case 'OrderShipped':
      return {
        ...placed(state),
        status: 'shipped',
        shipment: { carrier: event.data.carrier, trackingNumber: event.data.trackingNumber },
      };
    case 'OrderDelivered':
      return {
        ...placed(state),
        status: 'delivered',
        shipment: state.status === 'shipped' ? state.shipment : { carrier: null, trackingNumber: null },
      };
    case 'OrderRefundRequested': {
      const { refundId, amount, reason } = event.data;
      return { ...state, refunds: [...state.refunds, { refundId, amount, reason, status: 'requested' }] };
    }
    case 'OrderRefunded':
      return {
        ...state,
        refunds: state.refunds.map((refund) =>
          refund.refundId === event.data.refundId ? { ...refund, status: 'refunded' } : refund,
        ),
      };
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

/**
 * An order as a pure decider over stream `order-<orderId>`.
 *
 * Placed once from a checked-out cart (lines, address, shipping method, tax rate; totals computed here), it
 * gets a gap-free number, records its stock reservation and payment authorization, and is confirmed once it
 * has both. It ships only when confirmed and is delivered only once shipped; it can be cancelled (with a
 * reason) until it ships. Refunds, full or partial, never exceed what was captured. Every `Record*` command
 * records a fact from elsewhere and is idempotent: the same fact again changes nothing.
 */
export const orderDecider = {
  initialState,
  decide,
  evolve,
} satisfies Decider<OrderCommand, OrderEvent, OrderState>;
