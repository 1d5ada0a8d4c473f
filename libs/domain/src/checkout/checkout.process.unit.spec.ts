import type { CartLineSnapshot, CheckoutDetails } from '../cart';
import type { CancellationReason } from '../ordering';
import { orderTotals } from '../ordering';
import type { Money } from '../shared';
import { processSpec } from '../testing/decider-spec';
import { cancellationRefundId, checkoutProcess, stockToReserve } from './checkout.process';
import type { CheckoutState } from './checkout.state';
import type { CheckoutAction, CheckoutCommand, CheckoutInputEvent, CheckoutSettings } from './checkout.types';

const settings: CheckoutSettings = { paymentTimeoutMs: 15 * 60_000, taxRateBasisPoints: 2000 };
const manager = checkoutProcess(settings);
const spec = processSpec(manager);

const orderId = '0190d5a8-0000-7000-8000-00000000000a';
const cartId = '0190d5a8-0000-7000-8000-000000000001';
const placedAt = '2025-01-01T10:00:00.000Z';
const timeoutDueAt = '2025-01-01T10:15:00.000Z';
const eur = (amount: number): Money => ({ amount, currency: 'EUR' });

const line = (sku: string, quantity: number, unitPrice = eur(1000)): CartLineSnapshot => ({
  sku,
  name: `Product ${sku}`,
  quantity,
  unitPrice,
  lineTotal: { amount: unitPrice.amount * quantity, currency: unitPrice.currency },
});
const lines = [line('A', 2), line('B', 1, eur(250))];
const details: CheckoutDetails = {
  email: 'ada@example.com',
  shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1 1AA', country: 'GB' },
  shippingMethod: { id: 'standard', name: 'Standard', price: eur(495) },
  paymentMethodId: 'pm_card_visa',
};
const totals = orderTotals(lines, details.shippingMethod, settings.taxRateBasisPoints);
const total = totals.total; // 3294

// ---- input events ----
const cartCheckedOut = (checkout: CheckoutDetails = details, cartLines = lines): CheckoutInputEvent => ({
  type: 'CartCheckedOut',
  data: {
    cartId,
    orderId,
    lines: cartLines,
    total: eur(cartLines.reduce((sum, l) => sum + l.lineTotal.amount, 0)),
    customerId: 'customer-7',
    checkout,
  },
});
const orderPlaced = (orderLines = lines): CheckoutInputEvent => ({
  type: 'OrderPlaced',
  data: {
    orderId,
    cartId,
    customerId: 'customer-7',
    email: details.email,
    lines: orderLines,
    shippingAddress: details.shippingAddress,
    shippingMethod: details.shippingMethod,
    taxRateBasisPoints: 2000,
    totals: orderTotals(orderLines, details.shippingMethod, 2000),
    paymentMethodId: details.paymentMethodId,
    placedAt,
  },
});
const numberAssigned: CheckoutInputEvent = {
  type: 'OrderNumberAssigned',
  data: { orderId, orderNumber: 1, formatted: 'TL-000001' },
};
const stockReserved = (sku: string, quantity: number): CheckoutInputEvent => ({
  type: 'StockReserved',
  data: { sku, orderId, quantity },
});
const stockRejected = (sku: string, requested: number): CheckoutInputEvent => ({
  type: 'StockReservationRejected',
  data: { sku, orderId, requested, available: 0 },
});
const stockReleased = (sku: string, quantity: number): CheckoutInputEvent => ({
  type: 'StockReservationReleased',
  data: { sku, orderId, quantity },
});
const stockCommitted = (sku: string, quantity: number): CheckoutInputEvent => ({
  type: 'StockReservationCommitted',
  data: { sku, orderId, quantity },
});
const orderStockReserved: CheckoutInputEvent = { type: 'OrderStockReserved', data: { orderId } };
const orderConfirmed: CheckoutInputEvent = { type: 'OrderConfirmed', data: { orderId } };
const orderPaymentCaptured = (amount = total): CheckoutInputEvent => ({
  type: 'OrderPaymentCaptured',
  data: { orderId, paymentId: orderId, amount },
});
const orderCancelled = (reason: CancellationReason, detail: string | null = null): CheckoutInputEvent => ({
  type: 'OrderCancelled',
  data: { orderId, reason, detail },
});
const orderShipped: CheckoutInputEvent = {
  type: 'OrderShipped',
  data: { orderId, carrier: 'DHL', trackingNumber: 'JD1' },
};
const orderDelivered: CheckoutInputEvent = { type: 'OrderDelivered', data: { orderId } };
const refundRequested = (refundId: string, amount: Money): CheckoutInputEvent => ({
  type: 'OrderRefundRequested',
  data: { orderId, refundId, amount, reason: 'damaged' },
});
const paymentAuthorized = (amount = total): CheckoutInputEvent => ({
  type: 'PaymentAuthorized',
  data: { paymentId: orderId, orderId, providerPaymentId: 'pi_1', amount },
});
const paymentDeclined = (reason = 'card_declined'): CheckoutInputEvent => ({
  type: 'PaymentDeclined',
  data: { paymentId: orderId, orderId, providerPaymentId: 'pi_1', reason, message: 'Declined' },
});
const paymentCaptured = (amount = total): CheckoutInputEvent => ({
  type: 'PaymentCaptured',
  data: { paymentId: orderId, orderId, providerPaymentId: 'pi_1', amount },
});
const paymentVoided: CheckoutInputEvent = {
  type: 'PaymentVoided',
  data: { paymentId: orderId, orderId, providerPaymentId: 'pi_1' },
};
const paymentRefunded = (refundId: string, amount: Money): CheckoutInputEvent => ({
  type: 'PaymentRefunded',
  data: { paymentId: orderId, orderId, refundId, providerRefundId: `re_${refundId}`, amount },
});
const timedOut: CheckoutInputEvent = { type: 'CheckoutPaymentTimedOut', data: { orderId } };

// ---- expected actions ----
type Sent = { key: string; command: CheckoutCommand };
const sent = (key: string, type: CheckoutCommand['type'], data: CheckoutCommand['data']): Sent => ({
  key,
  command: { type, data },
});
const action = ({ key, command }: Sent): CheckoutAction => ({ kind: 'send', key, command });
const paymentRef = { paymentId: orderId, orderId };

const placeOrder = sent('place-order', 'PlaceOrder', {
  orderId,
  cartId,
  customerId: 'customer-7',
  email: details.email,
  lines,
  shippingAddress: details.shippingAddress,
  shippingMethod: details.shippingMethod,
  taxRateBasisPoints: 2000,
  paymentMethodId: 'pm_card_visa',
});
const reserve = (sku: string, quantity: number) =>
  sent(`reserve:${sku}`, 'ReserveStock', { sku, orderId, quantity });
const release = (sku: string) => sent(`release:${sku}`, 'ReleaseStockReservation', { sku, orderId });
const commit = (sku: string) => sent(`commit:${sku}`, 'CommitStockReservation', { sku, orderId });
const recordStockReserved = sent('record-stock-reserved', 'RecordOrderStockReserved', { orderId });
const authorize = sent('authorize-payment', 'AuthorizePayment', {
  ...paymentRef,
  amount: total,
  paymentMethodId: 'pm_card_visa',
});
const recordAuthorized = sent('record-payment-authorized', 'RecordOrderPaymentAuthorized', {
  orderId,
  paymentId: orderId,
  amount: total,
});
const confirm = sent('confirm-order', 'ConfirmOrder', { orderId });
const capture = sent('capture-payment', 'CapturePayment', paymentRef);
const recordCaptured = (amount = total) =>
  sent('record-payment-captured', 'RecordOrderPaymentCaptured', { orderId, paymentId: orderId, amount });
const cancel = (reason: CancellationReason, detail?: string) =>
  sent('cancel-order', 'CancelOrder', { orderId, reason, ...(detail === undefined ? {} : { detail }) });
const voidPayment = sent('void-payment', 'VoidPayment', paymentRef);
const voidPendingPayment = sent('void-pending-payment', 'VoidPayment', paymentRef);
const refund = (refundId: string, amount: Money) =>
  sent(`refund:${refundId}`, 'RefundPayment', { ...paymentRef, refundId, amount });
const recordRefunded = (refundId: string, amount: Money) =>
  sent(`record-refund:${refundId}`, 'RecordOrderRefunded', { orderId, refundId, amount });
const timeout = {
  key: 'payment-timeout',
  dueAt: timeoutDueAt,
  event: { type: 'CheckoutPaymentTimedOut', data: { orderId } },
} as const;
const scheduleTimeout: CheckoutAction = { kind: 'schedule', ...timeout };

// ---- histories ----
const placing = [cartCheckedOut()];
const reserving = [...placing, orderPlaced(), numberAssigned];
const halfReserved = [...reserving, stockReserved('A', 2)];
const awaitingPayment = [...halfReserved, stockReserved('B', 1)];
const stockRecorded = [...awaitingPayment, orderStockReserved];
const confirming = [...stockRecorded, paymentAuthorized()];
const confirmed = [...confirming, orderConfirmed];
const captured = [...confirmed, paymentCaptured()];
const captureRecorded = [...captured, orderPaymentCaptured()];
const shipped = [...captureRecorded, orderShipped];
const committed = [...shipped, stockCommitted('A', 2), stockCommitted('B', 1)];
const delivered = [...committed, orderDelivered];

describe('checkout process', () => {
  describe('when nothing was seen', () => {
    const given = spec.given([]);

    it('places the order from a cart checked out with details', () => {
      given.when(cartCheckedOut()).thenSends([placeOrder]).thenSchedules([]);
    });

    it('places it for a guest', () => {
      const guest: CheckoutInputEvent = {
        type: 'CartCheckedOut',
        data: { cartId, orderId, lines, total: eur(2250), customerId: null, checkout: details },
      };
      spec
        .given([])
        .when(guest)
        .thenSends([
          {
            ...placeOrder,
            command: { ...placeOrder.command, data: { ...placeOrder.command.data, customerId: null } },
          },
        ]);
    });

    it('does nothing for a cart checked out without details', () => {
      const frozenOnly: CheckoutInputEvent = {
        type: 'CartCheckedOut',
        data: { cartId, orderId, lines, total: eur(2250) },
      };
      given.when(frozenOnly).thenNothingHappens();
      spec.given([frozenOnly]).thenState({ status: 'none' });
    });

    it('starts from OrderPlaced when it never saw the cart', () => {
      given
        .when(orderPlaced())
        .thenSends([reserve('A', 2), reserve('B', 1)])
        .thenSchedules([timeout]);
    });

    it('ignores events of an order it does not track', () => {
      for (const event of [
        stockReserved('A', 2),
        paymentAuthorized(),
        orderCancelled('customer_request'),
        timedOut,
      ]) {
        given.when(event).thenNothingHappens();
      }
    });

    it('has nothing to resume and is not terminal (it has not started)', () => {
      given.thenResumes([]);
      given.thenTerminal(false);
    });
  });

  describe('when placing the order', () => {
    const given = spec.given(placing);

    it('ignores the cart event delivered again', () => {
      given.when(cartCheckedOut()).thenNothingHappens();
    });

    it('resumes by placing the order again (same key)', () => {
      given.thenResumes([action(placeOrder)]);
      given.thenTerminal(false);
    });

    it('reserves each SKU and schedules the payment timeout once the order is placed', () => {
      given.when(orderPlaced()).then([action(reserve('A', 2)), action(reserve('B', 1)), scheduleTimeout]);
    });

    it('(f) reserves the SUM of the lines that share a SKU, in ONE reservation', () => {
      const shared = [line('A', 2), line('B', 1), line('A', 3)];
      spec
        .given([cartCheckedOut(details, shared)])
        .when(orderPlaced(shared))
        .thenSends([reserve('A', 5), reserve('B', 1)])
        .thenSchedules([timeout]);
      expect(stockToReserve(shared)).toEqual([
        { sku: 'A', quantity: 5, status: 'requested' },
        { sku: 'B', quantity: 1, status: 'requested' },
      ]);
    });

    it('uses the configured timeout from placedAt', () => {
      spec.given([cartCheckedOut()]).when(orderPlaced()).thenSchedules([timeout]);
      processSpec(checkoutProcess({ ...settings, paymentTimeoutMs: 24 * 3_600_000 }))
        .given([cartCheckedOut()])
        .when(orderPlaced())
        .thenSchedules([{ ...timeout, dueAt: '2025-01-02T10:00:00.000Z' }]);
    });

    it('places the order with the configured tax rate', () => {
      processSpec(checkoutProcess({ ...settings, taxRateBasisPoints: 700 }))
        .given([])
        .when(cartCheckedOut())
        .thenSends([
          {
            ...placeOrder,
            command: { ...placeOrder.command, data: { ...placeOrder.command.data, taxRateBasisPoints: 700 } },
          },
        ]);
    });
  });

  describe('when reserving stock', () => {
    it('ignores the order placed again, and its number', () => {
      spec.given(reserving).when(orderPlaced()).thenNothingHappens();
      spec.given(reserving).when(numberAssigned).thenNothingHappens();
    });

    it('waits until every SKU is reserved, in any order', () => {
      spec.given(reserving).when(stockReserved('A', 2)).thenNothingHappens();
      spec.given(reserving).when(stockReserved('B', 1)).thenNothingHappens();
      spec
        .given([...reserving, stockReserved('B', 1)])
        .when(stockReserved('A', 2))
        .thenSends([recordStockReserved, authorize])
        .thenSchedules([]);
    });

    it('records the reservation and authorizes the order total once every SKU is reserved', () => {
      spec.given(halfReserved).when(stockReserved('B', 1)).thenSends([recordStockReserved, authorize]);
    });

    it('ignores a reservation delivered twice', () => {
      spec.given(halfReserved).when(stockReserved('A', 2)).thenNothingHappens();
      spec.given(awaitingPayment).when(stockReserved('B', 1)).thenNothingHappens();
    });

    it('resumes the reservations not yet answered, and the timeout', () => {
      spec.given(reserving).thenResumes([action(reserve('A', 2)), action(reserve('B', 1)), scheduleTimeout]);
      spec.given(halfReserved).thenResumes([action(reserve('B', 1)), scheduleTimeout]);
      spec.given(halfReserved).thenTerminal(false);
    });

    it('cancels for out_of_stock when a SKU is rejected, releasing nothing while nothing is held', () => {
      spec
        .given(reserving)
        .when(stockRejected('A', 2))
        .then([action(cancel('out_of_stock', 'A'))]);
    });

    it('cancels and releases what was already reserved when another SKU is rejected', () => {
      spec
        .given(halfReserved)
        .when(stockRejected('B', 1))
        .then([action(cancel('out_of_stock', 'B')), action(release('A'))]);
    });

    it('releases a reservation that arrives after the rejection', () => {
      const rejectedFirst = [...reserving, stockRejected('B', 1)];
      spec
        .given(rejectedFirst)
        .when(stockReserved('A', 2))
        .then([action(release('A'))]);
      // Delivered again: nothing new to do.
      spec
        .given([...rejectedFirst, stockReserved('A', 2)])
        .when(stockReserved('A', 2))
        .thenNothingHappens();
    });

    it('cancels for payment_timeout, releasing what is held, without a payment to void', () => {
      spec
        .given(halfReserved)
        .when(timedOut)
        .then([action(cancel('payment_timeout')), action(release('A'))]);
    });
  });

  describe('when out of stock', () => {
    const rejected = [...halfReserved, stockRejected('B', 1)];

    it('resumes the cancel and the releases until they are done', () => {
      spec.given(rejected).thenResumes([action(cancel('out_of_stock', 'B')), action(release('A'))]);
      spec.given([...rejected, orderCancelled('out_of_stock', 'B')]).thenResumes([action(release('A'))]);
      spec.given([...rejected, stockReleased('A', 2)]).thenResumes([action(cancel('out_of_stock', 'B'))]);
    });

    it('is terminal once the order is cancelled and every reservation released', () => {
      spec.given(rejected).thenTerminal(false);
      spec.given([...rejected, orderCancelled('out_of_stock', 'B')]).thenTerminal(false);
      spec
        .given([...rejected, orderCancelled('out_of_stock', 'B'), stockReleased('A', 2)])
        .thenTerminal(true);
    });

    it('is not terminal while a reservation is unanswered: it may still be granted', () => {
      const first = [...reserving, stockRejected('A', 2), orderCancelled('out_of_stock', 'A')];
      spec.given(first).thenResumes([]);
      spec.given(first).thenTerminal(false);
      spec.given([...first, stockRejected('B', 1)]).thenTerminal(true);
      spec.given([...first, stockReserved('B', 1)]).thenResumes([action(release('B'))]);
      spec.given([...first, stockReserved('B', 1), stockReleased('B', 1)]).thenTerminal(true);
    });

    it('ignores a second rejection, the timeout and a late decline', () => {
      spec.given(rejected).when(stockRejected('B', 1)).thenNothingHappens();
      spec.given(rejected).when(timedOut).thenNothingHappens();
      spec.given(rejected).when(paymentDeclined()).thenNothingHappens();
    });

    it('records the cancellation without reacting again when the order reports it', () => {
      spec.given(rejected).when(orderCancelled('out_of_stock', 'B')).thenNothingHappens();
    });
  });

  describe('when awaiting payment', () => {
    it('resumes the reservation record, the authorization and the timeout', () => {
      spec
        .given(awaitingPayment)
        .thenResumes([action(recordStockReserved), action(authorize), scheduleTimeout]);
      spec.given(stockRecorded).thenResumes([action(authorize), scheduleTimeout]);
    });

    it('records the authorization, confirms the order and captures on PaymentAuthorized', () => {
      spec.given(stockRecorded).when(paymentAuthorized()).thenSends([recordAuthorized, confirm, capture]);
    });

    it('does not send the reservation record again when the authorization comes before it was seen', () => {
      spec.given(awaitingPayment).when(paymentAuthorized()).thenSends([recordAuthorized, confirm, capture]);
      spec
        .given([...awaitingPayment, paymentAuthorized()])
        .thenResumes([
          action(recordStockReserved),
          action(recordAuthorized),
          action(confirm),
          action(capture),
        ]);
    });

    it('cancels for payment_declined and releases every reservation', () => {
      spec
        .given(stockRecorded)
        .when(paymentDeclined('insufficient_funds'))
        .then([
          action(cancel('payment_declined', 'insufficient_funds')),
          action(release('A')),
          action(release('B')),
        ]);
    });

    it('cancels for payment_timeout, releases every reservation and voids the pending attempt', () => {
      spec
        .given(stockRecorded)
        .when(timedOut)
        .then([
          action(cancel('payment_timeout')),
          action(release('A')),
          action(release('B')),
          action(voidPendingPayment),
        ]);
    });
  });

  describe('when the payment was declined', () => {
    const declined = [...stockRecorded, paymentDeclined()];

    it('ignores the decline delivered again, and the timeout', () => {
      spec.given(declined).when(paymentDeclined()).thenNothingHappens();
      spec.given(declined).when(timedOut).thenNothingHappens();
    });

    it('resumes the cancel and the releases, and is terminal once they are done', () => {
      spec
        .given(declined)
        .thenResumes([
          action(cancel('payment_declined', 'card_declined')),
          action(release('A')),
          action(release('B')),
        ]);
      const done = [
        ...declined,
        orderCancelled('payment_declined', 'card_declined'),
        stockReleased('B', 1),
        stockReleased('A', 2),
      ];
      spec.given(done).thenResumes([]);
      spec.given(done).thenTerminal(true);
    });
  });

  describe('when the payment timed out', () => {
    const timedOutHistory = [...stockRecorded, timedOut];
    const compensated = [
      ...timedOutHistory,
      orderCancelled('payment_timeout'),
      stockReleased('A', 2),
      stockReleased('B', 1),
    ];

    it('ignores the timeout delivered again', () => {
      spec.given(timedOutHistory).when(timedOut).thenNothingHappens();
    });

    it('does not resume the void of the pending attempt: it is best effort', () => {
      spec
        .given(timedOutHistory)
        .thenResumes([action(cancel('payment_timeout')), action(release('A')), action(release('B'))]);
    });

    it('is terminal once cancelled and released, the payment never authorized', () => {
      spec.given(compensated).thenTerminal(true);
    });

    it('voids an authorization that arrives after the cancellation, until it is voided', () => {
      spec
        .given(compensated)
        .when(paymentAuthorized())
        .then([action(voidPayment)]);
      spec
        .given(timedOutHistory)
        .when(paymentAuthorized())
        .then([action(voidPayment)]);
      spec.given([...compensated, paymentAuthorized()]).thenResumes([action(voidPayment)]);
      spec.given([...compensated, paymentAuthorized()]).thenTerminal(false);
      spec.given([...compensated, paymentAuthorized(), paymentVoided]).thenTerminal(true);
      spec
        .given([...compensated, paymentAuthorized()])
        .when(paymentAuthorized())
        .thenNothingHappens();
    });

    it('refunds the full amount when the late authorization was captured anyway', () => {
      const capturedLate = [...compensated, paymentAuthorized(), paymentCaptured()];
      spec
        .given([...compensated, paymentAuthorized()])
        .when(paymentCaptured())
        .then([
          action(recordAuthorized),
          action(recordCaptured()),
          action(refund(cancellationRefundId(orderId), total)),
        ]);
      spec.given(capturedLate).when(paymentAuthorized()).thenNothingHappens();
      spec
        .given([
          ...capturedLate,
          orderPaymentCaptured(),
          paymentRefunded(cancellationRefundId(orderId), total),
        ])
        .thenTerminal(true);
    });

    it('sends nothing more when the order later records a customer cancel instead', () => {
      spec.given(timedOutHistory).when(orderCancelled('customer_request')).thenNothingHappens();
    });

    it('is a no-op once the payment is authorized', () => {
      spec.given(confirming).when(timedOut).thenNothingHappens();
      spec.given(captureRecorded).when(timedOut).thenNothingHappens();
      spec.given(shipped).when(timedOut).thenNothingHappens();
    });
  });

  describe('when confirming', () => {
    it('ignores the authorization delivered again', () => {
      spec.given(confirming).when(paymentAuthorized()).thenNothingHappens();
    });

    it('resumes the authorization record, the confirmation and the capture', () => {
      spec.given(confirming).thenResumes([action(recordAuthorized), action(confirm), action(capture)]);
    });

    it('records the capture on the order', () => {
      spec.given(confirming).when(paymentCaptured()).thenSends([recordCaptured()]);
      spec.given(confirmed).when(paymentCaptured()).thenSends([recordCaptured()]);
    });

    it('records a partial capture as captured', () => {
      spec
        .given(confirmed)
        .when(paymentCaptured(eur(3000)))
        .thenSends([recordCaptured(eur(3000))]);
    });
  });

  describe('when confirmed', () => {
    it('resumes the capture, then its record, then nothing', () => {
      spec.given(confirmed).thenResumes([action(capture)]);
      spec.given(captured).thenResumes([action(recordCaptured())]);
      spec.given(captureRecorded).thenResumes([]);
      spec.given(captureRecorded).thenTerminal(false);
    });

    it('ignores the capture and its record delivered again', () => {
      spec.given(captured).when(paymentCaptured()).thenNothingHappens();
      spec.given(captureRecorded).when(orderPaymentCaptured()).thenNothingHappens();
      spec.given(captureRecorded).when(orderConfirmed).thenNothingHappens();
    });
  });

  describe('when the customer cancels', () => {
    it('while the payment is only authorized: releases everything and voids the hold', () => {
      spec
        .given(confirmed)
        .when(orderCancelled('customer_request'))
        .then([action(release('A')), action(release('B')), action(voidPayment)]);
      spec.given([...confirmed, orderCancelled('customer_request')]).thenTerminal(false);
      spec
        .given([
          ...confirmed,
          orderCancelled('customer_request'),
          stockReleased('A', 2),
          stockReleased('B', 1),
          paymentVoided,
        ])
        .thenTerminal(true);
    });

    it('while the payment is captured: releases everything and refunds the full amount', () => {
      spec
        .given(captureRecorded)
        .when(orderCancelled('customer_request'))
        .then([action(release('A')), action(release('B')), action(refund(`cancel-${orderId}`, total))]);
      const refunded = [
        ...captureRecorded,
        orderCancelled('customer_request'),
        stockReleased('A', 2),
        stockReleased('B', 1),
        paymentRefunded(`cancel-${orderId}`, total),
      ];
      spec.given(refunded).thenResumes([]);
      spec.given(refunded).thenTerminal(true);
    });

    it('refunds only what an earlier partial refund left', () => {
      const partly = [...captureRecorded, refundRequested('r-1', eur(1000))];
      spec
        .given(partly)
        .when(orderCancelled('customer_request'))
        .then([action(release('A')), action(release('B')), action(refund(`cancel-${orderId}`, eur(2294)))]);
    });

    it('while the capture is in flight: voids, then refunds if the capture lands anyway', () => {
      const cancelledAuthorized = [...confirmed, orderCancelled('customer_request')];
      spec
        .given(cancelledAuthorized)
        .thenResumes([action(release('A')), action(release('B')), action(voidPayment)]);
      spec
        .given(cancelledAuthorized)
        .when(paymentCaptured())
        .then([
          action(recordAuthorized),
          action(recordCaptured()),
          action(refund(`cancel-${orderId}`, total)),
        ]);
    });

    it('while waiting for the payment: releases everything and voids the pending attempt', () => {
      spec
        .given(stockRecorded)
        .when(orderCancelled('customer_request'))
        .then([action(release('A')), action(release('B')), action(voidPendingPayment)]);
    });

    it('while reserving: releases what is held, and what is granted later', () => {
      spec
        .given(halfReserved)
        .when(orderCancelled('customer_request'))
        .then([action(release('A'))]);
      spec
        .given([...halfReserved, orderCancelled('customer_request')])
        .when(stockReserved('B', 1))
        .then([action(release('B'))]);
    });

    it('ignores the cancellation delivered again, and a timeout after it', () => {
      const cancelledOnce = [...confirmed, orderCancelled('customer_request')];
      spec.given(cancelledOnce).when(orderCancelled('customer_request')).thenNothingHappens();
      spec.given(cancelledOnce).when(timedOut).thenNothingHappens();
    });
  });

  describe('when shipped and delivered', () => {
    it('commits every reservation when the order ships', () => {
      spec
        .given(captureRecorded)
        .when(orderShipped)
        .then([action(commit('A')), action(commit('B'))]);
      spec.given(shipped).when(orderShipped).thenNothingHappens();
    });

    it('resumes the commits not yet done', () => {
      spec.given(shipped).thenResumes([action(commit('A')), action(commit('B'))]);
      spec.given([...shipped, stockCommitted('B', 1)]).thenResumes([action(commit('A'))]);
      spec.given(committed).thenResumes([]);
    });

    it('is terminal once delivered with every reservation committed', () => {
      spec.given(committed).thenTerminal(false);
      spec.given(delivered).thenTerminal(true);
      spec.given([...shipped, stockCommitted('A', 2), orderDelivered]).thenTerminal(false);
    });

    it('a customer cancel can no longer happen; the process ignores a stray one', () => {
      spec.given(shipped).when(orderCancelled('customer_request')).thenNothingHappens();
    });
  });

  describe('refunds', () => {
    it('pays out a refund asked for on the order, then records it back on the order', () => {
      spec
        .given(delivered)
        .when(refundRequested('r-1', eur(500)))
        .then([action(refund('r-1', eur(500)))]);
      spec
        .given([...delivered, refundRequested('r-1', eur(500))])
        .when(paymentRefunded('r-1', eur(500)))
        .then([action(recordRefunded('r-1', eur(500)))]);
    });

    it('ignores the request and the payout delivered again', () => {
      const asked = [...delivered, refundRequested('r-1', eur(500))];
      spec
        .given(asked)
        .when(refundRequested('r-1', eur(500)))
        .thenNothingHappens();
      spec
        .given([...asked, paymentRefunded('r-1', eur(500))])
        .when(paymentRefunded('r-1', eur(500)))
        .thenNothingHappens();
    });

    it('keeps a delivered order open while a refund is unpaid, and resumes it', () => {
      const asked = [...delivered, refundRequested('r-1', eur(500))];
      spec.given(asked).thenResumes([action(refund('r-1', eur(500)))]);
      spec.given(asked).thenTerminal(false);
    });

    it('resumes recording a paid refund (the order ignores a repeat) without keeping the process open', () => {
      const paid = [...delivered, refundRequested('r-1', eur(500)), paymentRefunded('r-1', eur(500))];
      spec.given(paid).thenResumes([action(recordRefunded('r-1', eur(500)))]);
      spec.given(paid).thenTerminal(true);
    });

    it('handles several refunds independently', () => {
      const two = [
        ...captureRecorded,
        refundRequested('r-1', eur(500)),
        refundRequested('r-2', eur(700)),
        paymentRefunded('r-2', eur(700)),
      ];
      spec.given(two).thenResumes([action(refund('r-1', eur(500))), action(recordRefunded('r-2', eur(700)))]);
    });

    it('ignores a payout of a refund it does not know', () => {
      spec
        .given(captureRecorded)
        .when(paymentRefunded('unknown', eur(1)))
        .thenNothingHappens();
    });
  });

  describe('evolve', () => {
    it('tracks the order, its stock and its payment', () => {
      spec.given(confirming).thenState({
        status: 'confirming',
        orderId,
        total,
        paymentMethodId: 'pm_card_visa',
        placedAt,
        stock: [
          { sku: 'A', quantity: 2, status: 'reserved' },
          { sku: 'B', quantity: 1, status: 'reserved' },
        ],
        stockRecorded: true,
        payment: { status: 'authorized', authorized: total },
        captureRecorded: false,
        refunds: [],
      });
    });

    it('keeps the reason and detail of a cancellation, and whether the order recorded it', () => {
      const state = fold([...halfReserved, stockRejected('B', 1)]);
      expect(state).toMatchObject({
        status: 'cancelled',
        cancellation: { reason: 'out_of_stock', detail: 'B', recorded: false },
      });
      expect(
        fold([...halfReserved, stockRejected('B', 1), orderCancelled('customer_request')]),
      ).toMatchObject({
        cancellation: { reason: 'customer_request', detail: null, recorded: true },
      });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'OrderTeleported', data: { orderId } } as unknown as CheckoutInputEvent;
      expect(fold([...confirming, unknown])).toEqual(fold(confirming));
    });
  });

  describe('over whole histories', () => {
    const scenarios: [string, CheckoutInputEvent[]][] = [
      [
        'happy path to a refund after delivery',
        [...delivered, refundRequested('r-1', eur(500)), paymentRefunded('r-1', eur(500))],
      ],
      [
        'out of stock',
        [...halfReserved, stockRejected('B', 1), orderCancelled('out_of_stock', 'B'), stockReleased('A', 2)],
      ],
      [
        'declined',
        [
          ...stockRecorded,
          paymentDeclined(),
          orderCancelled('payment_declined', 'card_declined'),
          stockReleased('A', 2),
          stockReleased('B', 1),
        ],
      ],
      [
        'timed out, then authorized and captured late',
        [
          ...stockRecorded,
          timedOut,
          orderCancelled('payment_timeout'),
          stockReleased('A', 2),
          stockReleased('B', 1),
          paymentAuthorized(),
          paymentCaptured(),
          orderPaymentCaptured(),
          paymentRefunded(`cancel-${orderId}`, total),
        ],
      ],
      [
        'cancelled by the customer after capture',
        [
          ...captureRecorded,
          orderCancelled('customer_request'),
          stockReleased('B', 1),
          stockReleased('A', 2),
          paymentRefunded(`cancel-${orderId}`, total),
        ],
      ],
    ];

    it.each(scenarios)(
      '%s: every reaction is outstanding right after it, under the same keys as resume',
      (_, history) => {
        for (let i = 0; i < history.length; i += 1) {
          const before = fold(history.slice(0, i));
          const event = history[i]!;
          const after = manager.evolve(before, event);
          const resumed = new Map(manager.resume(after).map((a) => [a.key, a]));
          for (const reacted of manager.react(before, event)) {
            // The best-effort void of a pending attempt is the one reaction `resume` does not repeat.
            if (reacted.key === 'void-pending-payment') continue;
            expect(resumed.get(reacted.key)).toEqual(reacted);
          }
        }
      },
    );

    it.each(scenarios)('%s: any event delivered again later sends nothing new', (_, history) => {
      const keysSoFar = new Set<string>();
      for (let i = 0; i < history.length; i += 1) {
        const state = fold(history.slice(0, i));
        for (const reacted of manager.react(state, history[i]!)) keysSoFar.add(reacted.key);
        const after = fold(history.slice(0, i + 1));
        for (const earlier of history.slice(0, i + 1)) {
          for (const again of manager.react(after, earlier)) expect(keysSoFar).toContain(again.key);
        }
      }
    });

    it.each(scenarios)('%s: ends terminal with nothing outstanding', (_, history) => {
      const end = fold(history);
      expect(manager.isTerminal(end)).toBe(true);
      expect(manager.resume(end).filter((a) => !a.key.startsWith('record-refund:'))).toEqual([]);
    });
  });
});

function fold(events: readonly CheckoutInputEvent[]): CheckoutState {
  return events.reduce(manager.evolve, manager.initialState);
}
