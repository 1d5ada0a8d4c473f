import type { CartLineSnapshot } from '../cart';
import type { CommitStockReservation, ReleaseStockReservation, ReserveStock } from '../inventory';
import type {
  CancelOrder,
  CancellationReason,
  ConfirmOrder,
  OrderPlaced,
  PlaceOrder,
  RecordOrderPaymentAuthorized,
  RecordOrderPaymentCaptured,
  RecordOrderRefunded,
  RecordOrderStockReserved,
} from '../ordering';
import { addMilliseconds } from '../shared';
import type { Money, ProcessManager } from '../shared';
import type {
  AuthorizePayment,
  CapturePayment,
  CheckoutAction,
  CheckoutCommand,
  CheckoutInputEvent,
  CheckoutPaymentTimedOut,
  CheckoutSettings,
  RefundPayment,
  VoidPayment,
} from './checkout.types';
import type {
  CancelledCheckout,
  CheckoutOrder,
  CheckoutPayment,
  CheckoutRefund,
  CheckoutState,
  CheckoutStockLine,
  CheckoutStockStatus,
  PlacedCheckout,
} from './checkout.state';

/**
 * The refund checkout pays out itself when an order is cancelled after its money was taken. Derived from
 * the order id so that every delivery and every resume names the same refund.
 */
export const cancellationRefundId = (orderId: string): string => `cancel-${orderId}`;

/**
 * The order's stock, one entry per SKU: two lines of the same SKU reserve their sum in one reservation,
 * since a stock item holds at most one reservation per order.
 */
export function stockToReserve(lines: readonly CartLineSnapshot[]): CheckoutStockLine[] {
  const stock: CheckoutStockLine[] = [];
  for (const { sku, quantity } of lines) {
    const index = stock.findIndex((line) => line.sku === sku);
    const existing = stock[index];
    if (existing === undefined) stock.push({ sku, quantity, status: 'requested' });
    else stock[index] = { ...existing, quantity: existing.quantity + quantity };
  }
  return stock;
}

// ---------------------------------------------------------------------------------------------------------
// evolve: what checkout knows and has decided. Every decision (cancel on a rejection, a decline or the
// timeout) is a state change here, so that `resume` can derive from the state alone what is outstanding.
// ---------------------------------------------------------------------------------------------------------

const initialState: CheckoutState = { status: 'none' };

function placedFrom({ data }: OrderPlaced): PlacedCheckout {
  const order: CheckoutOrder = {
    orderId: data.orderId,
    total: data.totals.total,
    paymentMethodId: data.paymentMethodId,
    placedAt: data.placedAt,
    stock: stockToReserve(data.lines),
    stockRecorded: false,
    payment: { status: 'not_requested' },
    captureRecorded: false,
    refunds: [],
  };
  return afterReservation({ ...order, status: 'reserving' });
}

/** Once every SKU is held, the payment is asked for (or, were it somehow authorized already, confirmed). */
function afterReservation(state: PlacedCheckout): PlacedCheckout {
  if (state.status !== 'reserving' || !state.stock.every((line) => line.status === 'reserved')) return state;
  switch (state.payment.status) {
    case 'not_requested':
      return { ...state, status: 'awaiting_payment', payment: { status: 'authorizing' } };
    case 'authorized':
    case 'captured':
      return { ...state, status: 'confirming' };
    default:
      return { ...state, status: 'awaiting_payment' };
  }
}

function withStock(
  state: PlacedCheckout,
  sku: string,
  from: readonly CheckoutStockStatus[],
  to: CheckoutStockStatus,
): PlacedCheckout {
  return {
    ...state,
    stock: state.stock.map((line) =>
      line.sku === sku && from.includes(line.status) ? { ...line, status: to } : line,
    ),
  };
}

function cancelled(
  state: PlacedCheckout,
  reason: CancellationReason,
  detail: string | null,
): CancelledCheckout {
  return { ...state, status: 'cancelled', cancellation: { reason, detail, recorded: false } };
}

/** Still waiting for the money: the payment timeout applies, and a decline cancels. */
const isAwaitingPayment = (state: PlacedCheckout): boolean =>
  state.status === 'reserving' || state.status === 'awaiting_payment';

/** The payment has no outcome yet. */
const isPaymentOpen = (payment: CheckoutPayment): boolean =>
  payment.status === 'not_requested' || payment.status === 'authorizing';

function evolveOrder(state: PlacedCheckout, event: CheckoutInputEvent): PlacedCheckout {
  switch (event.type) {
    case 'CartCheckedOut':
    case 'OrderPlaced':
    case 'OrderNumberAssigned':
      return state;
    case 'OrderStockReserved':
      return { ...state, stockRecorded: true };
    case 'OrderConfirmed':
      return state.status === 'reserving' ||
        state.status === 'awaiting_payment' ||
        state.status === 'confirming'
        ? { ...state, status: 'confirmed' }
        : state;
    case 'OrderPaymentCaptured':
      return { ...state, captureRecorded: true };
    case 'OrderCancelled': {
      const { reason, detail } = event.data;
      if (state.status === 'shipped' || state.status === 'delivered') return state;
      // The order's own record is the truth: a customer's cancel may have won the race against checkout's.
      return { ...state, status: 'cancelled', cancellation: { reason, detail, recorded: true } };
    }
    case 'OrderShipped':
      return state.status === 'confirmed' || state.status === 'confirming'
        ? { ...state, status: 'shipped' }
        : state;
    case 'OrderDelivered':
      return state.status === 'shipped' ? { ...state, status: 'delivered' } : state;
    case 'OrderRefundRequested': {
      const { refundId, amount } = event.data;
      if (state.refunds.some((refund) => refund.refundId === refundId)) return state;
      return {
        ...state,
        refunds: [...state.refunds, { refundId, amount, origin: 'order', status: 'requested' }],
      };
    }
    case 'StockReserved':
      return afterReservation(withStock(state, event.data.sku, ['requested'], 'reserved'));
    case 'StockReservationRejected': {
      const next = withStock(state, event.data.sku, ['requested'], 'rejected');
      return next.status === 'reserving' ? cancelled(next, 'out_of_stock', event.data.sku) : next;
    }
    case 'StockReservationReleased':
      return withStock(state, event.data.sku, ['requested', 'reserved'], 'released');
    case 'StockReservationCommitted':
      return withStock(state, event.data.sku, ['requested', 'reserved'], 'committed');
    case 'PaymentAuthorized': {
      if (!isPaymentOpen(state.payment)) return state;
      const next = { ...state, payment: { status: 'authorized', authorized: event.data.amount } } as const;
      return next.status === 'awaiting_payment' ? { ...next, status: 'confirming' } : next;
    }
    case 'PaymentDeclined': {
      if (!isPaymentOpen(state.payment)) return state;
      const next = { ...state, payment: { status: 'declined' } } as const;
      return isAwaitingPayment(next) ? cancelled(next, 'payment_declined', event.data.reason) : next;
    }
    case 'PaymentCaptured': {
      const { payment } = state;
      if (payment.status !== 'authorizing' && payment.status !== 'authorized') return state;
      const authorized = payment.status === 'authorized' ? payment.authorized : event.data.amount;
      return { ...state, payment: { status: 'captured', authorized, captured: event.data.amount } };
    }
    case 'PaymentVoided':
      return state.payment.status === 'authorizing' || state.payment.status === 'authorized'
        ? { ...state, payment: { status: 'voided' } }
        : state;
    case 'PaymentRefunded': {
      const { refundId, amount } = event.data;
      const known = state.refunds.find((refund) => refund.refundId === refundId);
      if (known === undefined) {
        if (refundId !== cancellationRefundId(state.orderId)) return state;
        const refund: CheckoutRefund = { refundId, amount, origin: 'cancellation', status: 'refunded' };
        return { ...state, refunds: [...state.refunds, refund] };
      }
      return withRefundStatus(state, refundId, ['requested'], 'refunded');
    }
    case 'CheckoutPaymentTimedOut':
      return isAwaitingPayment(state) ? cancelled(state, 'payment_timeout', null) : state;
    default: {
      // Compile-time exhaustiveness only: an event type this code does not know leaves the state as it is.
      const _unknown: never = event;
      return state;
    }
  }
}

function withRefundStatus(
  state: PlacedCheckout,
  refundId: string,
  from: readonly CheckoutRefund['status'][],
  to: CheckoutRefund['status'],
): PlacedCheckout {
  return {
    ...state,
    refunds: state.refunds.map((refund) =>
      refund.refundId === refundId && from.includes(refund.status) ? { ...refund, status: to } : refund,
    ),
  };
}

function evolve(state: CheckoutState, event: CheckoutInputEvent): CheckoutState {
  switch (state.status) {
    case 'none':
      if (event.type === 'CartCheckedOut') {
        const { orderId, cartId, customerId, lines, checkout } = event.data;
        // A cart frozen without the shopper's details places no order: nothing for checkout to do.
        if (checkout === undefined) return state;
        return { status: 'placing', orderId, cartId, customerId: customerId ?? null, lines, checkout };
      }
      // Seeing the order first (the cart's event came before this process subscribed) is as good.
      return event.type === 'OrderPlaced' ? placedFrom(event) : state;
    case 'placing':
      return event.type === 'OrderPlaced' ? placedFrom(event) : state;
    default:
      return evolveOrder(state, event);
  }
}

// ---------------------------------------------------------------------------------------------------------
// resume: every action still outstanding in a state, in the order it must be carried out. An action stops
// being outstanding when checkout sees its effect (an event), or when the state no longer needs it.
// ---------------------------------------------------------------------------------------------------------

const send = (key: string, command: CheckoutCommand): CheckoutAction => ({ kind: 'send', key, command });

// Typed builders: each command carries exactly the data its decider (or the payment handler) expects.
const placeOrder = (data: PlaceOrder['data']): CheckoutCommand => ({ type: 'PlaceOrder', data });
const reserveStock = (data: ReserveStock['data']): CheckoutCommand => ({ type: 'ReserveStock', data });
const releaseStock = (data: ReleaseStockReservation['data']): CheckoutCommand => ({
  type: 'ReleaseStockReservation',
  data,
});
const commitStock = (data: CommitStockReservation['data']): CheckoutCommand => ({
  type: 'CommitStockReservation',
  data,
});
const recordStockReserved = (data: RecordOrderStockReserved['data']): CheckoutCommand => ({
  type: 'RecordOrderStockReserved',
  data,
});
const recordPaymentAuthorized = (data: RecordOrderPaymentAuthorized['data']): CheckoutCommand => ({
  type: 'RecordOrderPaymentAuthorized',
  data,
});
const confirmOrder = (data: ConfirmOrder['data']): CheckoutCommand => ({ type: 'ConfirmOrder', data });
const recordPaymentCaptured = (data: RecordOrderPaymentCaptured['data']): CheckoutCommand => ({
  type: 'RecordOrderPaymentCaptured',
  data,
});
const cancelOrder = (data: CancelOrder['data']): CheckoutCommand => ({ type: 'CancelOrder', data });
const recordRefunded = (data: RecordOrderRefunded['data']): CheckoutCommand => ({
  type: 'RecordOrderRefunded',
  data,
});
const authorizePayment = (data: AuthorizePayment['data']): CheckoutCommand => ({
  type: 'AuthorizePayment',
  data,
});
const capturePayment = (data: CapturePayment['data']): CheckoutCommand => ({ type: 'CapturePayment', data });
const voidPayment = (data: VoidPayment['data']): CheckoutCommand => ({ type: 'VoidPayment', data });
const refundPayment = (data: RefundPayment['data']): CheckoutCommand => ({ type: 'RefundPayment', data });

function paymentTimeout(state: PlacedCheckout, settings: CheckoutSettings): CheckoutAction {
  const event: CheckoutPaymentTimedOut = {
    type: 'CheckoutPaymentTimedOut',
    data: { orderId: state.orderId },
  };
  return {
    kind: 'schedule',
    key: 'payment-timeout',
    // An unreadable placedAt (never written by the order decider) falls due at once rather than never.
    dueAt: addMilliseconds(state.placedAt, settings.paymentTimeoutMs) ?? state.placedAt,
    event,
  };
}

function stockActions(
  state: PlacedCheckout,
  status: CheckoutStockStatus,
  act: 'reserve' | 'release' | 'commit',
) {
  const { orderId } = state;
  return state.stock
    .filter((line) => line.status === status)
    .map(({ sku, quantity }) => {
      switch (act) {
        case 'reserve':
          return send(`reserve:${sku}`, reserveStock({ sku, orderId, quantity }));
        case 'release':
          return send(`release:${sku}`, releaseStock({ sku, orderId }));
        case 'commit':
          return send(`commit:${sku}`, commitStock({ sku, orderId }));
      }
    });
}

/** Checkout uses the order id as the payment id: one payment per order. */
const paymentRef = (state: PlacedCheckout) => ({ paymentId: state.orderId, orderId: state.orderId });

/** Recording the capture on the order, until the order has it. */
function captureRecord(state: PlacedCheckout): CheckoutAction[] {
  const { payment } = state;
  if (payment.status !== 'captured' || state.captureRecorded) return [];
  const data = { orderId: state.orderId, paymentId: state.orderId, amount: payment.captured };
  return [send('record-payment-captured', recordPaymentCaptured(data))];
}

/**
 * Money taken from a cancelled order is recorded on the order before it is given back. The authorization
 * is recorded again with it: a payment that authorized only after the cancellation was never recorded on
 * the order, and the order refuses a capture it has no authorization for (a repeat changes nothing).
 */
function cancelledCaptureRecord(state: CancelledCheckout): CheckoutAction[] {
  const { payment, orderId } = state;
  if (payment.status !== 'captured' || state.captureRecorded) return [];
  const authorized = { orderId, paymentId: orderId, amount: payment.authorized };
  return [send('record-payment-authorized', recordPaymentAuthorized(authorized)), ...captureRecord(state)];
}

/** What a cancelled order's payment still needs: a void of the hold, or a refund of the money taken. */
function paymentCompensation(state: CancelledCheckout): CheckoutAction[] {
  const { payment } = state;
  switch (payment.status) {
    case 'authorized':
      return [send('void-payment', voidPayment(paymentRef(state)))];
    case 'captured': {
      const refundId = cancellationRefundId(state.orderId);
      const records = cancelledCaptureRecord(state);
      if (state.refunds.some((refund) => refund.refundId === refundId)) return records;
      // Refunds asked for on the order before it was cancelled pay out on their own; refund the rest.
      const alreadyRefunding = state.refunds
        .filter((refund) => refund.origin === 'order')
        .reduce((sum, refund) => sum + refund.amount.amount, 0);
      const amount: Money = {
        amount: payment.captured.amount - alreadyRefunding,
        currency: payment.captured.currency,
      };
      if (amount.amount <= 0) return records;
      return [
        ...records,
        send(`refund:${refundId}`, refundPayment({ ...paymentRef(state), refundId, amount })),
      ];
    }
    default:
      // Never authorized (or already voided, or declined): there is nothing to give back. An authorization
      // that shows up later makes the payment `authorized`, and the void outstanding.
      return [];
  }
}

/** Refunds asked for on the order: paid out by the provider, then recorded back on the order. */
function refundActions(state: PlacedCheckout): CheckoutAction[] {
  return state.refunds.flatMap((refund): CheckoutAction[] => {
    const { refundId, amount } = refund;
    if (refund.status === 'requested') {
      return [send(`refund:${refundId}`, refundPayment({ ...paymentRef(state), refundId, amount }))];
    }
    if (refund.status === 'refunded' && refund.origin === 'order') {
      return [
        send(`record-refund:${refundId}`, recordRefunded({ orderId: state.orderId, refundId, amount })),
      ];
    }
    return [];
  });
}

function outstanding(state: CheckoutState, settings: CheckoutSettings): CheckoutAction[] {
  switch (state.status) {
    case 'none':
      return [];
    case 'placing': {
      const { orderId, cartId, customerId, lines, checkout } = state;
      const data: PlaceOrder['data'] = {
        orderId,
        cartId,
        customerId,
        email: checkout.email,
        lines,
        shippingAddress: checkout.shippingAddress,
        shippingMethod: checkout.shippingMethod,
        taxRateBasisPoints: settings.taxRateBasisPoints,
        paymentMethodId: checkout.paymentMethodId,
      };
      return [send('place-order', placeOrder(data))];
    }
    default:
      return [...orderActions(state, settings), ...refundActions(state)];
  }
}

function orderActions(state: PlacedCheckout, settings: CheckoutSettings): CheckoutAction[] {
  const { orderId } = state;
  const stockRecord = state.stockRecorded
    ? []
    : [send('record-stock-reserved', recordStockReserved({ orderId }))];
  switch (state.status) {
    case 'reserving':
      return [...stockActions(state, 'requested', 'reserve'), paymentTimeout(state, settings)];
    case 'awaiting_payment': {
      const authorize = authorizePayment({
        ...paymentRef(state),
        amount: state.total,
        paymentMethodId: state.paymentMethodId,
      });
      return [...stockRecord, send('authorize-payment', authorize), paymentTimeout(state, settings)];
    }
    case 'confirming': {
      const { payment } = state;
      const authorized =
        payment.status === 'authorized' || payment.status === 'captured' ? payment.authorized : state.total;
      return [
        ...stockRecord,
        send(
          'record-payment-authorized',
          recordPaymentAuthorized({ orderId, paymentId: orderId, amount: authorized }),
        ),
        send('confirm-order', confirmOrder({ orderId })),
        ...captureActions(state),
      ];
    }
    case 'confirmed':
      return captureActions(state);
    case 'shipped':
    case 'delivered':
      return [...captureActions(state), ...stockActions(state, 'reserved', 'commit')];
    case 'cancelled':
      return [
        ...(state.cancellation.recorded ? [] : [send('cancel-order', cancelOrderCommand(state))]),
        ...stockActions(state, 'reserved', 'release'),
        ...paymentCompensation(state),
      ];
    default: {
      const _exhaustive: never = state;
      return [];
    }
  }
}

function cancelOrderCommand(state: CancelledCheckout): CheckoutCommand {
  const { reason, detail } = state.cancellation;
  return cancelOrder({ orderId: state.orderId, reason, ...(detail === null ? {} : { detail }) });
}

/** Taking the authorized money, then recording that on the order. */
function captureActions(state: PlacedCheckout): CheckoutAction[] {
  if (state.payment.status === 'authorized')
    return [send('capture-payment', capturePayment(paymentRef(state)))];
  return captureRecord(state);
}

// ---------------------------------------------------------------------------------------------------------
// react and isTerminal
// ---------------------------------------------------------------------------------------------------------

/**
 * Outstanding actions that can never be seen done: the order's `OrderRefunded` is not among checkout's
 * inputs, so recording a paid refund back on the order is re-sent by `resume` (the order ignores a refund
 * it already recorded) without keeping the process open.
 */
const isUnconfirmable = (action: CheckoutAction): boolean => action.key.startsWith('record-refund:');

/**
 * The checkout process manager (DESIGN.md §7): from a cart checked out with the shopper's details to a
 * confirmed order, or a cancelled one whose stock and money are all given back.
 *
 * - CartCheckedOut (with details) → PlaceOrder.
 * - OrderPlaced → ReserveStock once per SKU, for the sum of its lines, and the payment timeout at
 *   `placedAt + paymentTimeoutMs`.
 * - every SKU StockReserved → RecordOrderStockReserved, AuthorizePayment (payment id = order id, the order
 *   total). Any StockReservationRejected → CancelOrder `out_of_stock` and release what was reserved (also
 *   what is reserved afterwards).
 * - PaymentAuthorized → RecordOrderPaymentAuthorized, ConfirmOrder, CapturePayment; PaymentCaptured →
 *   RecordOrderPaymentCaptured. PaymentDeclined or the timeout while the payment is open → CancelOrder
 *   (`payment_declined` / `payment_timeout`), release everything, and for the timeout a VoidPayment of the
 *   pending attempt. An authorization that arrives after a cancellation is voided (refunded if captured).
 * - OrderCancelled from elsewhere (the customer) → release everything, void the hold or refund the money.
 * - OrderShipped → CommitStockReservation per SKU. OrderRefundRequested → RefundPayment; PaymentRefunded →
 *   RecordOrderRefunded.
 *
 * How: `evolve` records facts and checkout's decisions; `resume(state)` lists what is outstanding in a
 * state; `react(state, event)` is exactly what became outstanding through the event (what `resume` lists
 * after it and did not list before), plus the void of a pending payment attempt on cancellation. So `react`
 * and `resume` can never disagree on what to send or on its key, and an event delivered twice reacts
 * with nothing the second time. Keys are stable and unique within one order's process.
 */
export function checkoutProcess(
  settings: CheckoutSettings,
): ProcessManager<CheckoutInputEvent, CheckoutAction, CheckoutState> {
  const resume = (state: CheckoutState): CheckoutAction[] => outstanding(state, settings);
  return {
    initialState,
    evolve,
    resume,
    react(state, event) {
      const next = evolve(state, event);
      const before = new Set(resume(state).map((action) => action.key));
      const actions = resume(next).filter((action) => !before.has(action.key));
      // Cancelled while the authorization is still open: ask the provider to drop the attempt. Best effort,
      // so not outstanding: should the authorization arrive anyway, the void of that hold is.
      const cancelledNow = next.status === 'cancelled' && state.status !== 'cancelled';
      if (cancelledNow && next.payment.status === 'authorizing') {
        actions.push(send('void-pending-payment', voidPayment(paymentRef(next))));
      }
      return actions;
    },
    isTerminal(state) {
      if (state.status === 'delivered') return resume(state).every(isUnconfirmable);
      if (state.status !== 'cancelled') return false;
      // A reservation still unanswered may yet be granted, and would then need releasing.
      const unanswered = state.stock.some((line) => line.status === 'requested');
      return !unanswered && resume(state).every(isUnconfirmable);
    },
  };
}
