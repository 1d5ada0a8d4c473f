import type { SqlExecutor } from '@tally/database';
import type { OrderEvent, PaymentEvent } from '@tally/domain';
import { defineProjection, occurredAt, type ProjectedEvent, type ProjectionHandlers } from '../projection';
import { type OrderTimelineEvent, timelineSummary } from './order-timeline';
import { ordersStorage } from './orders.schema';

const ordersHandlers: ProjectionHandlers<OrderTimelineEvent> = {
  async OrderPlaced(tx, event) {
    const { data } = event;
    const { rowCount } = await tx.query(
      `INSERT INTO orders (order_id, cart_id, customer_id, email, status, currency, lines,
         subtotal_amount, shipping_amount, tax_amount, total_amount, shipping_address, shipping_method,
         placed_at, updated_at, version)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6::jsonb, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14, $15)
       ON CONFLICT (order_id) DO NOTHING`,
      [
        data.orderId,
        data.cartId,
        data.customerId,
        data.email,
        data.totals.total.currency,
        JSON.stringify(data.lines),
        data.totals.subtotal.amount,
        data.totals.shipping.amount,
        data.totals.tax.amount,
        data.totals.total.amount,
        JSON.stringify(data.shippingAddress),
        JSON.stringify(data.shippingMethod),
        isIsoTime(data.placedAt) ? data.placedAt : occurredAt(event),
        occurredAt(event),
        event.version,
      ],
    );
    if (rowCount > 0) await recordInTimeline(tx, event, data.orderId);
  },
  OrderNumberAssigned: (tx, event) => changeOrder(tx, event, 'order_number = $4', [event.data.formatted]),
  OrderStockReserved: (tx, event) => changeOrder(tx, event),
  OrderPaymentAuthorized: (tx, event) => changeOrder(tx, event),
  OrderConfirmed: (tx, event) => changeOrder(tx, event, `status = 'confirmed'`),
  OrderPaymentCaptured: (tx, event) => changeOrder(tx, event),
  OrderCancelled: (tx, event) =>
    changeOrder(tx, event, `status = 'cancelled', cancellation_reason = $4`, [event.data.reason]),
  OrderShipped: (tx, event) =>
    changeOrder(tx, event, `status = 'shipped', shipped = true, carrier = $4, tracking_number = $5`, [
      event.data.carrier,
      event.data.trackingNumber,
    ]),
  OrderDelivered: (tx, event) => changeOrder(tx, event, `status = 'delivered'`),
  OrderRefundRequested: (tx, event) => changeOrder(tx, event),
  OrderRefunded: (tx, event) => changeOrder(tx, event),

  // A new payment for the order (a retry after a decline) replaces the one shown: amounts start again.
  PaymentInitiated: (tx, event) =>
    changePayment(
      tx,
      event,
      `payment_id = $4, payment_status = 'initiated', amount_authorized = 0,
       amount_captured = 0, amount_refunded = 0, decline_reason = NULL`,
    ),
  PaymentAuthorized: (tx, event) =>
    changePayment(tx, event, `payment_status = 'authorized', amount_authorized = $5::bigint`, [
      event.data.amount.amount,
    ]),
  PaymentDeclined: (tx, event) =>
    changePayment(tx, event, `payment_status = 'declined', decline_reason = $5`, [event.data.reason]),
  PaymentCaptured: (tx, event) =>
    changePayment(tx, event, `payment_status = 'captured', amount_captured = $5::bigint`, [
      event.data.amount.amount,
    ]),
  PaymentVoided: (tx, event) => changePayment(tx, event, `payment_status = 'voided'`),
  // Refunds add up; the payment is fully refunded once they reach what was captured.
  PaymentRefunded: (tx, event) =>
    changePayment(
      tx,
      event,
      `amount_refunded = amount_refunded + $5::bigint,
       payment_status = CASE WHEN amount_refunded + $5::bigint >= amount_captured
         THEN 'refunded' ELSE 'partially_refunded' END`,
      [event.data.amount.amount],
    ),
};

/**
 * The orders projection as it was before it became set-based: one or two statements per event, each
 * handler on its own. Kept only as the reference the set-based projection is tested against (the same
 * events must leave the same tables).
 */
export const ordersPerEventReference = defineProjection<OrderTimelineEvent>('orders', ordersHandlers, {
  storage: ordersStorage,
});

/**
 * Moves the order to the event's version, applies `set` (parameters from `$4`), and records the event in
 * the timeline; does nothing for an unknown order or an event already applied.
 */
async function changeOrder(
  tx: SqlExecutor,
  event: ProjectedEvent<OrderEvent>,
  set?: string,
  params: readonly unknown[] = [],
): Promise<void> {
  const { orderId } = event.data;
  const { rowCount } = await tx.query(
    `UPDATE orders SET version = $2, updated_at = $3${set ? `, ${set}` : ''}
     WHERE order_id = $1 AND version < $2`,
    [orderId, event.version, occurredAt(event), ...params],
  );
  if (rowCount > 0) await recordInTimeline(tx, event, orderId);
}

/**
 * Records a payment event in its order's timeline and, the first time only, applies `set` (parameters
 * from `$5`; `$2` is the payment stream version, `$4` the payment id) when the event is about the payment
 * the order shows. Does nothing for an unknown order.
 */
async function changePayment(
  tx: SqlExecutor,
  event: ProjectedEvent<PaymentEvent>,
  set: string,
  params: readonly unknown[] = [],
): Promise<void> {
  const { orderId, paymentId } = event.data;
  if (!(await recordInTimeline(tx, event, orderId))) return;
  const samePayment = event.type === 'PaymentInitiated' ? 'true' : 'payment_id = $4 AND payment_version < $2';
  await tx.query(
    `UPDATE orders SET updated_at = $3, payment_version = $2, ${set}
     WHERE order_id = $1 AND ${samePayment}`,
    [orderId, event.version, occurredAt(event), paymentId, ...params],
  );
}

/** Adds the event to the order's timeline; false when the order is unknown or the event is already there. */
async function recordInTimeline(
  tx: SqlExecutor,
  event: ProjectedEvent<OrderTimelineEvent>,
  orderId: string,
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `INSERT INTO order_timeline (stream_id, version, order_id, event_id, position, type, at, summary)
     SELECT $1, $2::int, $3, $4, $5, $6, $7::timestamptz, $8
     WHERE EXISTS (SELECT 1 FROM orders WHERE order_id = $3)
     ON CONFLICT (stream_id, version) DO NOTHING`,
    [
      event.streamId,
      event.version,
      orderId,
      event.eventId,
      event.position,
      event.type,
      occurredAt(event),
      timelineSummary(event as OrderTimelineEvent),
    ],
  );
  return rowCount > 0;
}

/** An instant Postgres will accept as timestamptz (the command's clock, echoed in the event). */
function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}
