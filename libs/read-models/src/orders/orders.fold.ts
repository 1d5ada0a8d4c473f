import type { JsonValue, RecordedEvent } from '@tally/event-store';
import { occurredAt, type ProjectedEvent } from '../projection';
import { type OrderTimelineEvent, timelineSummary } from './order-timeline';

/** One recorded event of an order or its payment, narrowed by its `type`. */
export type OrderTimelineRecord = {
  [K in OrderTimelineEvent['type']]: ProjectedEvent<Extract<OrderTimelineEvent, { type: K }>>;
}[OrderTimelineEvent['type']];

/**
 * The columns of an `orders` row that change after the order is placed. Amounts are decimal strings
 * (`bigint` columns); times are text PostgreSQL reads as `timestamptz`.
 */
export interface OrderState {
  readonly order_id: string;
  order_number: string | null;
  status: 'pending' | 'confirmed' | 'cancelled' | 'shipped' | 'delivered';
  cancellation_reason: string | null;
  payment_id: string | null;
  payment_version: number;
  payment_status:
    | 'none'
    | 'initiated'
    | 'authorized'
    | 'declined'
    | 'captured'
    | 'voided'
    | 'refunded'
    | 'partially_refunded';
  amount_authorized: string;
  amount_captured: string;
  amount_refunded: string;
  decline_reason: string | null;
  shipped: boolean;
  carrier: string | null;
  tracking_number: string | null;
  updated_at: string;
  version: number;
}

/**
 * The columns of an `orders` row that `OrderPlaced` sets once: the snapshot, as the event carries it
 * (PostgreSQL checks and converts the values, as it did the statement parameters of one event).
 */
export interface PlacedColumns {
  readonly cart_id: string | null;
  readonly customer_id: string | null;
  readonly email: string | null;
  readonly currency: string | null;
  readonly lines: JsonValue | undefined;
  readonly subtotal_amount: JsonValue | undefined;
  readonly shipping_amount: JsonValue | undefined;
  readonly tax_amount: JsonValue | undefined;
  readonly total_amount: JsonValue | undefined;
  readonly shipping_address: JsonValue | undefined;
  readonly shipping_method: JsonValue | undefined;
  readonly placed_at: string;
}

/** An order as the batch folds it. */
export interface FoldedOrder {
  readonly state: OrderState;
  /** Set when the batch placed the order: its row is inserted rather than updated. */
  readonly placed: PlacedColumns | null;
  changed: boolean;
}

/** A row of `order_timeline`. */
export interface TimelineRow {
  readonly stream_id: string;
  readonly version: number;
  readonly order_id: string;
  readonly event_id: string;
  readonly position: string;
  readonly type: string;
  readonly at: string;
  readonly summary: string;
}

/** The batch's orders and timeline, folded in memory. */
export interface OrdersFold {
  /** The orders the batch's events name that exist (stored before the batch, or placed in it), by id. */
  readonly orders: Map<string, FoldedOrder>;
  /**
   * Timeline keys ({@link timelineKey}) recorded before or in the batch: at least those of its payment
   * events recorded before it (an order event's row may be there already too: inserting it again does
   * nothing).
   */
  readonly recorded: Set<string>;
  /** The timeline rows the batch adds. */
  readonly timeline: TimelineRow[];
}

/** The key of an event's `order_timeline` row: (stream_id, version), as one string. */
export const timelineKey = (streamId: string, version: number): string => `${version}:${streamId}`;

/**
 * Folds the batch's events, in order, over the orders they name and the timeline keys of its payment
 * events stored before it, exactly as if each event had been applied on its own:
 *
 * - `OrderPlaced` creates the order unless it exists, and records itself in the timeline only then;
 * - any other order event applies to a known order whose version is below the event's, moves the order
 *   to that version and records itself in the timeline;
 * - a payment event is recorded in its order's timeline the first time it is seen for a known order, and
 *   only then changes the payment columns, and only of the payment the order shows: `PaymentInitiated`
 *   replaces that payment (amounts start again), the others need the same payment id and a later payment
 *   stream version. Refunds add up; the payment is fully refunded once they reach what was captured.
 *
 * What the statements of a single event rejected (an amount that is not a whole number, an order without
 * an id, a missing total) fails the batch here or when PostgreSQL reads the rows, so that the runner
 * isolates that event and records it as poison, as before.
 */
export function foldOrders(
  stored: ReadonlyMap<string, FoldedOrder>,
  recorded: ReadonlySet<string>,
  events: readonly OrderTimelineRecord[],
): OrdersFold {
  const fold: OrdersFold = { orders: new Map(stored), recorded: new Set(recorded), timeline: [] };
  for (const event of events) foldEvent(fold, event);
  return fold;
}

/** How each event type changes the folded batch. */
const folders: {
  readonly [K in OrderTimelineEvent['type']]: (
    fold: OrdersFold,
    event: Extract<OrderTimelineRecord, { type: K }>,
  ) => void;
} = {
  OrderPlaced: placeOrder,
  OrderNumberAssigned(fold, event) {
    const formatted = asText(event.data.formatted);
    changeOrder(fold, event, (order) => {
      order.order_number = formatted;
    });
  },
  OrderStockReserved: changeOrder,
  OrderPaymentAuthorized: changeOrder,
  OrderConfirmed(fold, event) {
    changeOrder(fold, event, (order) => {
      order.status = 'confirmed';
    });
  },
  OrderPaymentCaptured: changeOrder,
  OrderCancelled(fold, event) {
    const reason = asText(event.data.reason);
    changeOrder(fold, event, (order) => {
      order.status = 'cancelled';
      order.cancellation_reason = reason;
    });
  },
  OrderShipped(fold, event) {
    const [carrier, trackingNumber] = [asText(event.data.carrier), asText(event.data.trackingNumber)];
    changeOrder(fold, event, (order) => {
      order.status = 'shipped';
      order.shipped = true;
      order.carrier = carrier;
      order.tracking_number = trackingNumber;
    });
  },
  OrderDelivered(fold, event) {
    changeOrder(fold, event, (order) => {
      order.status = 'delivered';
    });
  },
  OrderRefundRequested: changeOrder,
  OrderRefunded: changeOrder,

  // A new payment for the order (a retry after a decline) replaces the one shown: amounts start again.
  PaymentInitiated(fold, event) {
    const paymentId = asText(event.data.paymentId);
    changePayment(fold, event, (order) => {
      order.payment_id = paymentId;
      order.payment_status = 'initiated';
      order.amount_authorized = '0';
      order.amount_captured = '0';
      order.amount_refunded = '0';
      order.decline_reason = null;
    });
  },
  PaymentAuthorized(fold, event) {
    const set = (order: OrderState, amount: string | null) => {
      order.payment_status = 'authorized';
      order.amount_authorized = notNull(amount, 'amount_authorized');
    };
    changePayment(fold, event, set, event.data.amount.amount);
  },
  PaymentDeclined(fold, event) {
    const reason = asText(event.data.reason);
    changePayment(fold, event, (order) => {
      order.payment_status = 'declined';
      order.decline_reason = reason;
    });
  },
  PaymentCaptured(fold, event) {
    const set = (order: OrderState, amount: string | null) => {
      order.payment_status = 'captured';
      order.amount_captured = notNull(amount, 'amount_captured');
    };
    changePayment(fold, event, set, event.data.amount.amount);
  },
  PaymentVoided(fold, event) {
    changePayment(fold, event, (order) => {
      order.payment_status = 'voided';
    });
  },
  // Refunds add up; the payment is fully refunded once they reach what was captured.
  PaymentRefunded(fold, event) {
    const set = (order: OrderState, amount: string | null) => {
      const refunded = BigInt(order.amount_refunded) + BigInt(notNull(amount, 'amount_refunded'));
      order.amount_refunded = refunded.toString();
      order.payment_status = refunded >= BigInt(order.amount_captured) ? 'refunded' : 'partially_refunded';
    };
    changePayment(fold, event, set, event.data.amount.amount);
  },
};

/** Every event the orders projection reads: those of an order and of its payment. */
export const ORDER_TIMELINE_EVENT_TYPES = Object.keys(folders) as OrderTimelineEvent['type'][];
const HANDLED_TYPES = new Set<string>(ORDER_TIMELINE_EVENT_TYPES);

/** The events of `events` the orders projection handles, in order. */
export const orderTimelineEvents = (events: readonly RecordedEvent[]): OrderTimelineRecord[] =>
  events.filter((event) => HANDLED_TYPES.has(event.type)) as unknown as OrderTimelineRecord[];

/** Whether `event` comes from a payment's stream (a `Payment*` event). */
export const isPaymentEvent = (
  event: OrderTimelineRecord,
): event is Extract<OrderTimelineRecord, { type: `Payment${string}` }> => event.type.startsWith('Payment');

function foldEvent(fold: OrdersFold, event: OrderTimelineRecord): void {
  (folders[event.type] as (fold: OrdersFold, event: OrderTimelineRecord) => void)(fold, event);
}

function placeOrder(fold: OrdersFold, event: Extract<OrderTimelineRecord, { type: 'OrderPlaced' }>): void {
  const { data } = event;
  const at = occurredAt(event);
  const placed: PlacedColumns = {
    cart_id: asText(data.cartId),
    customer_id: asText(data.customerId),
    email: asText(data.email),
    currency: asText(data.totals.total.currency),
    lines: data.lines as unknown as JsonValue | undefined,
    subtotal_amount: data.totals.subtotal.amount,
    shipping_amount: data.totals.shipping.amount,
    tax_amount: data.totals.tax.amount,
    total_amount: data.totals.total.amount,
    shipping_address: data.shippingAddress as unknown as JsonValue | undefined,
    shipping_method: data.shippingMethod as unknown as JsonValue | undefined,
    placed_at: isIsoTime(data.placedAt) ? data.placedAt : at,
  };
  const orderId = notNull(asText(data.orderId), 'order_id');
  if (fold.orders.has(orderId)) return;
  const state: OrderState = {
    order_id: orderId,
    order_number: null,
    status: 'pending',
    cancellation_reason: null,
    payment_id: null,
    payment_version: 0,
    payment_status: 'none',
    amount_authorized: '0',
    amount_captured: '0',
    amount_refunded: '0',
    decline_reason: null,
    shipped: false,
    carrier: null,
    tracking_number: null,
    updated_at: at,
    version: event.version,
  };
  fold.orders.set(orderId, { state, placed, changed: true });
  record(fold, event, orderId);
}

/**
 * Moves a known order below the event's version to that version, applies `set`, and records the event
 * in the timeline; an unknown order or an event already applied changes nothing.
 */
function changeOrder(
  fold: OrdersFold,
  event: Exclude<OrderTimelineRecord, { type: 'OrderPlaced' | `Payment${string}` }>,
  set?: (order: OrderState) => void,
): void {
  const orderId = asText(event.data.orderId);
  const order = orderId === null ? undefined : fold.orders.get(orderId);
  if (!order || !(order.state.version < event.version)) return;
  order.state.version = event.version;
  order.state.updated_at = occurredAt(event);
  set?.(order.state);
  order.changed = true;
  record(fold, event, order.state.order_id);
}

/**
 * Records a payment event in its known order's timeline and, the first time only, applies `set` when the
 * event is about the payment the order shows (any `PaymentInitiated` is: it replaces that payment).
 * `amount` (minor units) is read once the event is recorded, whether or not it is about that payment.
 */
function changePayment(
  fold: OrdersFold,
  event: Extract<OrderTimelineRecord, { type: `Payment${string}` }>,
  set: (order: OrderState, amount: string | null) => void,
  amount?: unknown,
): void {
  const orderId = asText(event.data.orderId);
  const order = record(fold, event, orderId) && orderId !== null ? fold.orders.get(orderId) : undefined;
  if (!order) return;
  const units = minorUnits(amount);
  const { state } = order;
  const shown =
    event.type === 'PaymentInitiated' ||
    (state.payment_id !== null &&
      state.payment_id === asText(event.data.paymentId) &&
      state.payment_version < event.version);
  if (!shown) return;
  state.updated_at = occurredAt(event);
  state.payment_version = event.version;
  set(state, units);
  order.changed = true;
}

/** Adds the event to its order's timeline; false when the order is unknown or the event is already there. */
function record(fold: OrdersFold, event: OrderTimelineRecord, orderId: string | null): boolean {
  const summary = timelineSummary(event);
  if (orderId === null || !fold.orders.has(orderId)) return false;
  const key = timelineKey(event.streamId, event.version);
  if (fold.recorded.has(key)) return false;
  fold.recorded.add(key);
  fold.timeline.push({
    stream_id: event.streamId,
    version: event.version,
    order_id: orderId,
    event_id: event.eventId,
    position: event.position,
    type: event.type,
    at: occurredAt(event),
    summary,
  });
  return true;
}

/** An instant Postgres will accept as timestamptz (the command's clock, echoed in the event). */
function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value));
}

/** A value for a `text` column, as the pg driver sends a parameter (null for null and undefined). */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value);
}

const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;

/**
 * An amount in minor units as a `bigint` decimal string, or null for none; throws on anything PostgreSQL
 * would not read as a `bigint`, as the statement given it did.
 */
export function minorUnits(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  let units: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 1e21) units = BigInt(value);
  else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) units = BigInt(value.trim());
  if (units === undefined || units < INT8_MIN || units > INT8_MAX) {
    throw new TypeError(`Not an amount in minor units: ${JSON.stringify(value)}`);
  }
  return units.toString();
}

function notNull<T>(value: T | null, column: string): T {
  if (value === null) throw new TypeError(`No value for the orders column ${column}`);
  return value;
}
