import type { SqlExecutor } from '@tally/database';
import type { CancellationReason, Money, ShippingAddress, ShippingMethodSnapshot } from '@tally/domain';
import { MAX_PAGE_SIZE } from '../catalog/catalog.queries';
import { isoTime } from '../sql-json';

/** What an order's `status` can be (public contract: these exact strings). */
export const ORDER_STATUSES = ['pending', 'confirmed', 'cancelled', 'shipped', 'delivered'] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Where an order's payment can stand (`none` until a payment is started). */
export const ORDER_PAYMENT_STATUSES = [
  'none',
  'initiated',
  'authorized',
  'declined',
  'captured',
  'voided',
  'refunded',
  'partially_refunded',
] as const;

export type OrderPaymentStatus = (typeof ORDER_PAYMENT_STATUSES)[number];

export interface OrderLineView {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/** Where the order's money stands, from its payment's events (`none` until a payment is started). */
export interface OrderPaymentView {
  readonly status: OrderPaymentStatus;
  readonly amountAuthorized: Money;
  readonly amountCaptured: Money;
  /** Sum of every refund paid out; below `amountCaptured` while `partially_refunded`. */
  readonly amountRefunded: Money;
  /** The provider's reason (`card_declined`, `insufficient_funds`, ...) when declined, else null. */
  readonly declineReason: string | null;
}

/** One event of the order or its payment, as the shopper and the auditor read it. */
export interface OrderTimelineEntry {
  /** ISO-8601 business time of the event. */
  readonly at: string;
  readonly type: string;
  readonly summary: string;
  readonly eventId: string;
  readonly streamId: string;
  readonly version: number;
}

/** An order as its detail page shows it. */
export interface OrderView {
  readonly orderId: string;
  /** What shoppers quote (`TL-001042`); null until assigned. */
  readonly orderNumber: string | null;
  readonly status: OrderStatus;
  /** Set only when `status` is `cancelled`. */
  readonly cancellationReason: CancellationReason | null;
  readonly customerId: string | null;
  /** The cart the order was placed from: a guest holding its cart token may read the order. */
  readonly cartId: string;
  readonly email: string;
  readonly lines: readonly OrderLineView[];
  readonly totals: {
    readonly subtotal: Money;
    readonly shipping: Money;
    readonly tax: Money;
    readonly total: Money;
  };
  readonly shippingAddress: ShippingAddress;
  readonly shippingMethod: ShippingMethodSnapshot;
  readonly payment: OrderPaymentView;
  /** Null until shipped. */
  readonly shipment: { readonly carrier: string | null; readonly trackingNumber: string | null } | null;
  readonly placedAt: string;
  readonly updatedAt: string;
  /** The order stream's version of the last applied order event (for If-Match on order commands). */
  readonly version: number;
  /** The order's and its payment's events, in the order they happened. */
  readonly timeline: readonly OrderTimelineEntry[];
}

/** An order in a list. */
export interface OrderSummaryView {
  readonly orderId: string;
  readonly orderNumber: string | null;
  readonly status: OrderStatus;
  readonly total: Money;
  readonly placedAt: string;
}

export interface ListOrdersParams {
  /** Only this customer's orders (guest orders have none). */
  readonly customerId?: string;
  readonly status?: OrderStatus;
  /** 1-based. */
  readonly page: number;
  /** 1..{@link MAX_PAGE_SIZE}. */
  readonly pageSize: number;
}

export interface ListOrdersResult {
  /** Newest first. */
  readonly items: readonly OrderSummaryView[];
  /** Orders matching the filters, over every page. */
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

/** An amount column of the order as Money (every amount of an order is in its currency). */
const money = (amount: string) => `jsonb_build_object('amount', ${amount}, 'currency', o.currency)`;

/** The order `orderId`, or null when it was never placed. */
export async function getOrder(sql: SqlExecutor, orderId: string): Promise<OrderView | null> {
  // Built as jsonb in SQL so that bigint amounts arrive as plain numbers under every driver.
  const { rows } = await sql.query<{ order: OrderView }>(
    `SELECT jsonb_build_object(
       'orderId', o.order_id,
       'orderNumber', o.order_number,
       'status', o.status,
       'cancellationReason', CASE WHEN o.status = 'cancelled' THEN o.cancellation_reason END,
       'customerId', o.customer_id,
       'cartId', o.cart_id,
       'email', o.email,
       'lines', o.lines,
       'totals', jsonb_build_object(
         'subtotal', ${money('o.subtotal_amount')},
         'shipping', ${money('o.shipping_amount')},
         'tax', ${money('o.tax_amount')},
         'total', ${money('o.total_amount')}),
       'shippingAddress', o.shipping_address,
       'shippingMethod', o.shipping_method,
       'payment', jsonb_build_object(
         'status', o.payment_status,
         'amountAuthorized', ${money('o.amount_authorized')},
         'amountCaptured', ${money('o.amount_captured')},
         'amountRefunded', ${money('o.amount_refunded')},
         'declineReason', o.decline_reason),
       'shipment', CASE WHEN o.shipped
         THEN jsonb_build_object('carrier', o.carrier, 'trackingNumber', o.tracking_number) END,
       'placedAt', ${isoTime('o.placed_at')},
       'updatedAt', ${isoTime('o.updated_at')},
       'version', o.version,
       'timeline', coalesce((
         SELECT jsonb_agg(jsonb_build_object(
           'at', ${isoTime('t.at')}, 'type', t.type, 'summary', t.summary,
           'eventId', t.event_id, 'streamId', t.stream_id, 'version', t.version
         ) ORDER BY t.position)
         FROM order_timeline t WHERE t.order_id = o.order_id
       ), '[]'::jsonb)
     ) AS order
     FROM orders o WHERE o.order_id = $1`,
    [orderId],
  );
  return rows[0]?.order ?? null;
}

/**
 * A page of orders, newest first, optionally of one customer and/or in one status. Throws RangeError on an
 * invalid page or page size.
 */
export async function listOrders(sql: SqlExecutor, params: ListOrdersParams): Promise<ListOrdersResult> {
  const { page, pageSize } = params;
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
    throw new RangeError(`pageSize must be an integer in 1..${MAX_PAGE_SIZE}, got ${pageSize}`);

  const values: unknown[] = [];
  const param = (value: unknown) => `$${values.push(value)}`;
  const where: string[] = [];
  if (params.customerId !== undefined) where.push(`o.customer_id = ${param(params.customerId)}`);
  if (params.status !== undefined) where.push(`o.status = ${param(params.status)}`);
  const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';

  const { rows } = await sql.query<{ total: number; items: OrderSummaryView[] }>(
    `WITH page AS (
       SELECT o.order_id, o.order_number, o.status, o.total_amount, o.currency, o.placed_at
       FROM orders o ${filter}
       ORDER BY o.placed_at DESC, o.order_id DESC
       LIMIT ${param(pageSize)} OFFSET ${param((page - 1) * pageSize)}
     )
     SELECT
       (SELECT count(*)::int FROM orders o ${filter}) AS total,
       coalesce((
         SELECT jsonb_agg(jsonb_build_object(
           'orderId', o.order_id, 'orderNumber', o.order_number, 'status', o.status,
           'total', ${money('o.total_amount')}, 'placedAt', ${isoTime('o.placed_at')}
         ) ORDER BY o.placed_at DESC, o.order_id DESC)
         FROM page o
       ), '[]'::jsonb) AS items`,
    values,
  );
  const row = rows[0];
  if (!row) throw new Error('listOrders: the aggregate query returned no row');
  return { items: row.items, total: row.total, page, pageSize };
}
