import type { SqlExecutor } from '@tally/database';
import type {
  CustomerRegistered,
  OrderPlaced,
  PaymentEvent,
  ProductSearchReturnedResults,
  SearchEvent,
  StockItemEvent,
} from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';
import { insertRows, occurredAt, recordset } from '@tally/read-models';
import {
  addCategoryRevenueSql,
  allocationSql,
  dropEmptyCategories,
  NET_PAYMENT_SQL,
  stockMonthlySql,
} from '../aggregates/warehouse-aggregates';
import { productKeyAt } from './products';
import { businessInstant, dateKey, warehouseInstant } from './warehouse-time';

/** Turns a customer id into the warehouse's pseudonymous `customer_key` (null for a guest). */
export type Pseudonymize = (customerId: string | null | undefined) => string | null;

export const FACT_EVENT_TYPES: readonly string[] = [
  'CustomerRegistered',
  'OrderPlaced',
  'PaymentInitiated',
  'PaymentAuthorized',
  'PaymentDeclined',
  'PaymentCaptured',
  'PaymentVoided',
  'PaymentRefunded',
  'StockReceived',
  'StockAdjusted',
  'StockReserved',
  'StockReservationRejected',
  'StockReservationReleased',
  'StockReservationCommitted',
  'ProductSearchReturnedNoResults',
  'ProductSearchReturnedResults',
] satisfies readonly (
  | CustomerRegistered['type']
  | OrderPlaced['type']
  | PaymentEvent['type']
  | StockItemEvent['type']
  | SearchEvent['type']
)[];

/** Rows for the fact tables (and `dim_customer`) that one event maps to on its own, without state. */
export interface FactRows {
  readonly customers: object[];
  readonly orderLines: object[];
  readonly payments: object[];
  readonly stock: object[];
  readonly searches: object[];
}

/**
 * The facts that need no state beyond the event: customers, order lines, payments, stock movements and
 * searches, keyed by event id (order lines by order and line number), so a replayed event is skipped.
 */
export function mapFacts(events: readonly RecordedEvent[], pseudonymize: Pseudonymize): FactRows {
  const rows: FactRows = { customers: [], orderLines: [], payments: [], stock: [], searches: [] };
  for (const event of events) mapEvent(rows, event, pseudonymize);
  return rows;
}

/**
 * Sends one insert per table for the facts that depend on no other table of the batch (payments, which
 * mark carts paid, go with {@link insertPayments}).
 */
export function sendFacts(sql: SqlExecutor, rows: FactRows): Promise<unknown> {
  return Promise.all([
    insertRows(
      sql,
      'dim_customer',
      { customer_key: 'text', registered_at: 'timestamptz', registered_date_key: 'int' },
      rows.customers,
    ),
    insertStock(sql, rows),
    insertRows(sql, 'fact_search', SEARCH_COLUMNS, rows.searches),
  ]);
}

function mapEvent(rows: FactRows, event: RecordedEvent, pseudonymize: Pseudonymize): void {
  if (event.type === 'CustomerRegistered') {
    const at = businessInstant(event);
    const { customerId } = event.data as unknown as CustomerRegistered['data'];
    const customerKey = pseudonymize(customerId);
    if (at && customerKey)
      rows.customers.push({ customer_key: customerKey, registered_at: at, registered_date_key: dateKey(at) });
  } else if (event.type === 'OrderPlaced') {
    rows.orderLines.push(...orderLines(event, pseudonymize));
  } else if (event.type.startsWith('Payment')) {
    const payment = paymentRow(event);
    if (payment) rows.payments.push(payment);
  } else if (event.type.startsWith('Stock')) {
    const movement = stockRow(event);
    if (movement) rows.stock.push(movement);
  } else if (event.type.startsWith('ProductSearch')) {
    const search = searchRow(event, pseudonymize);
    if (search) rows.searches.push(search);
  }
}

function orderLines(event: RecordedEvent, pseudonymize: Pseudonymize): object[] {
  const data = event.data as unknown as OrderPlaced['data'];
  // The order's own clock (the payment timeout runs from it); older events fall back to the command's.
  const placedAt = warehouseInstant(data.placedAt) ?? businessInstant(event);
  if (!placedAt) return [];
  const customerKey = pseudonymize(data.customerId);
  return data.lines.map((line, index) => ({
    order_id: data.orderId,
    line_no: index + 1,
    event_id: event.eventId,
    placed_at: placedAt,
    date_key: dateKey(placedAt),
    customer_key: customerKey,
    sku: line.sku,
    quantity: line.quantity,
    unit_price: line.unitPrice.amount,
    line_total: line.lineTotal.amount,
    order_total: data.totals.total.amount,
    currency: data.totals.total.currency,
  }));
}

const ORDER_LINE_COLUMNS = {
  order_id: 'text',
  line_no: 'smallint',
  event_id: 'uuid',
  placed_at: 'timestamptz',
  date_key: 'int',
  customer_key: 'text',
  sku: 'text',
  quantity: 'int',
  unit_price: 'bigint',
  line_total: 'bigint',
  order_total: 'bigint',
  currency: 'text',
};

/**
 * Inserts the batch's order lines, each pointing to the product version valid when it was placed (send it
 * after the batch's product versions), and adds the lines inserted to the aggregates: orders placed per day
 * and currency, sales per day and SKU, and for an order whose payments came first, its revenue moved from
 * the categories of the lines it had (none: `uncategorized`) to those of all its lines.
 */
export function insertOrderLines(tx: SqlExecutor, { orderLines }: FactRows): Promise<unknown> {
  if (orderLines.length === 0) return Promise.resolve();
  const names = Object.keys(ORDER_LINE_COLUMNS).join(', ');
  return tx
    .query<{ emptied: number }>(
      `WITH ins AS (
         INSERT INTO fact_order_line (${names}, product_key)
         SELECT ${names}, ${productKeyAt('r.sku', 'r.placed_at')}
         FROM ${recordset('$1', ORDER_LINE_COLUMNS)}
         ON CONFLICT DO NOTHING
         RETURNING order_id, line_no, date_key, currency, sku, quantity, line_total, product_key
       ),
       -- Lines the same orders had before (an order's lines come with it, so normally none).
       known AS (
         SELECT order_id, line_no, date_key, currency, sku, line_total, product_key FROM fact_order_line
         WHERE order_id IN (SELECT order_id FROM ins)
       ),
       added AS (
         SELECT i.*,
           NOT EXISTS (SELECT 1 FROM known k
             WHERE k.order_id = i.order_id AND k.date_key = i.date_key AND k.currency = i.currency) AS new_order,
           NOT EXISTS (SELECT 1 FROM known k
             WHERE k.order_id = i.order_id AND k.date_key = i.date_key AND k.sku = i.sku) AS new_sale
         FROM ins i
       ),
       placed AS (
         INSERT INTO agg_sales_daily AS t (date_key, currency, orders_placed)
         SELECT date_key, currency, count(DISTINCT order_id) FROM added WHERE new_order
         GROUP BY date_key, currency
         ON CONFLICT (date_key, currency) DO UPDATE SET orders_placed = t.orders_placed + excluded.orders_placed
       ),
       sold AS (
         INSERT INTO agg_product_sales_daily AS t (date_key, sku, units, line_revenue, orders)
         SELECT date_key, sku, sum(quantity), sum(line_total), count(DISTINCT order_id) FILTER (WHERE new_sale)
         FROM added GROUP BY date_key, sku
         ON CONFLICT (date_key, sku) DO UPDATE SET units = t.units + excluded.units,
           line_revenue = t.line_revenue + excluded.line_revenue, orders = t.orders + excluded.orders
       ),
       nets AS (
         SELECT p.date_key, p.currency, p.order_id, sum(${NET_PAYMENT_SQL}) AS net
         FROM fact_payment p
         WHERE p.order_id IN (SELECT order_id FROM ins) AND p.kind IN ('captured', 'refunded')
         GROUP BY p.date_key, p.currency, p.order_id
       ),
       before AS (
         SELECT k.order_id, k.line_no, k.line_total, dp.category
         FROM known k LEFT JOIN dim_product dp ON dp.product_key = k.product_key
         WHERE k.order_id IN (SELECT order_id FROM nets)
       ),
       after AS (
         SELECT * FROM before
         UNION ALL
         SELECT i.order_id, i.line_no, i.line_total, dp.category
         FROM ins i LEFT JOIN dim_product dp ON dp.product_key = i.product_key
         WHERE i.order_id IN (SELECT order_id FROM nets)
       ),
       moved AS (
         ${addCategoryRevenueSql(
           `${allocationSql('(SELECT *, 1 AS sign FROM nets)', 'after')}
            UNION ALL
            ${allocationSql('(SELECT *, -1 AS sign FROM nets)', 'before')}`,
         )}
       )
       SELECT count(*) FILTER (WHERE allocations = 0)::int AS emptied FROM moved`,
      [JSON.stringify(orderLines)],
    )
    .then(({ rows }) => dropEmptyCategories(tx, rows[0]?.emptied ?? 0));
}

/**
 * Inserts the batch's payments and adds those inserted to the aggregates: money, payment facts and orders
 * paid per day and currency; each order's revenue of the day re-spread over its categories (the old net's
 * shares out, the new net's in); and for an order's first capture, the cart checked out for it counted
 * paid on the day it was opened (a cart checked out after the capture is counted by its checkout). Send
 * it after the batch's order lines.
 */
export function insertPayments(tx: SqlExecutor, { payments }: FactRows): Promise<unknown> {
  if (payments.length === 0) return Promise.resolve();
  const names = Object.keys(PAYMENT_COLUMNS).join(', ');
  return tx.query(
    `WITH ins AS (
       INSERT INTO fact_payment (${names})
       SELECT ${names} FROM ${recordset('$1', PAYMENT_COLUMNS)}
       ON CONFLICT DO NOTHING
       RETURNING order_id, kind, amount, currency, date_key
     ),
     -- The money this statement adds per order, day and currency.
     paid AS (
       SELECT p.date_key, p.currency, p.order_id, sum(${NET_PAYMENT_SQL}) AS net,
         coalesce(sum(p.amount) FILTER (WHERE p.kind = 'captured'), 0) AS captured,
         coalesce(sum(p.amount) FILTER (WHERE p.kind = 'refunded'), 0) AS refunded,
         count(*) AS payments, bool_or(p.kind = 'captured') AS capture
       FROM ins p WHERE p.kind IN ('captured', 'refunded')
       GROUP BY p.date_key, p.currency, p.order_id
     ),
     -- What the same orders had on those days before.
     had AS (
       SELECT p.date_key, p.currency, p.order_id, sum(${NET_PAYMENT_SQL}) AS net,
         bool_or(p.kind = 'captured') AS capture
       FROM fact_payment p
       WHERE p.order_id IN (SELECT order_id FROM paid) AND p.kind IN ('captured', 'refunded')
       GROUP BY p.date_key, p.currency, p.order_id
     ),
     changed AS (
       SELECT a.*, h.order_id IS NOT NULL AS existed, coalesce(h.net, 0) AS old_net,
         a.capture AND NOT coalesce(h.capture, false) AS newly_paid
       FROM paid a
       LEFT JOIN had h ON h.order_id = a.order_id AND h.date_key = a.date_key
         AND h.currency IS NOT DISTINCT FROM a.currency
     ),
     sales AS (
       INSERT INTO agg_sales_daily AS t (date_key, currency, captured, refunded, payments, orders_paid)
       SELECT date_key, currency, sum(captured), sum(refunded), sum(payments), count(*) FILTER (WHERE newly_paid)
       FROM changed GROUP BY date_key, currency
       ON CONFLICT (date_key, currency) DO UPDATE SET captured = t.captured + excluded.captured,
         refunded = t.refunded + excluded.refunded, payments = t.payments + excluded.payments,
         orders_paid = t.orders_paid + excluded.orders_paid
     ),
     lines AS (
       SELECT l.order_id, l.line_no, l.line_total, dp.category
       FROM fact_order_line l LEFT JOIN dim_product dp ON dp.product_key = l.product_key
       WHERE l.order_id IN (SELECT order_id FROM changed)
     ),
     categories AS (
       ${addCategoryRevenueSql(
         `${allocationSql('(SELECT date_key, currency, order_id, old_net + net AS net, 1 AS sign FROM changed)', 'lines')}
          UNION ALL
          ${allocationSql(
            '(SELECT date_key, currency, order_id, old_net AS net, -1 AS sign FROM changed WHERE existed)',
            'lines',
          )}`,
       )}
     ),
     -- Orders captured for the first time: the cart checked out for each is now paid.
     first_captures AS (
       SELECT DISTINCT a.order_id FROM paid a
       WHERE a.capture AND NOT EXISTS (SELECT 1 FROM had h WHERE h.order_id = a.order_id AND h.capture)
     )
     INSERT INTO agg_cart_funnel_daily AS t (date_key, carts_paid)
     SELECT s.opened_date_key, count(*)
     FROM first_captures f
     JOIN fact_cart_activity c ON c.order_id = f.order_id AND c.activity = 'checkout'
     JOIN warehouse_cart_state s ON s.cart_id = c.cart_id
     WHERE s.opened_date_key IS NOT NULL
     GROUP BY s.opened_date_key
     ON CONFLICT (date_key) DO UPDATE SET carts_paid = t.carts_paid + excluded.carts_paid`,
    [JSON.stringify(payments)],
  );
}

const PAYMENT_KIND: Record<string, string> = {
  PaymentInitiated: 'initiated',
  PaymentAuthorized: 'authorized',
  PaymentDeclined: 'declined',
  PaymentCaptured: 'captured',
  PaymentVoided: 'voided',
  PaymentRefunded: 'refunded',
};

const PAYMENT_COLUMNS = {
  event_id: 'uuid',
  order_id: 'text',
  payment_id: 'text',
  kind: 'text',
  amount: 'bigint',
  currency: 'text',
  refund_id: 'text',
  decline_reason: 'text',
  occurred_at: 'timestamptz',
  date_key: 'int',
};

/** A payment fact; a declined or voided payment moves no money and records 0 (and no currency). */
function paymentRow(event: RecordedEvent): object | null {
  const kind = PAYMENT_KIND[event.type];
  const at = businessInstant(event);
  if (!kind || !at) return null;
  const data = event.data as Partial<{
    orderId: string;
    paymentId: string;
    amount: { amount: number; currency: string };
    refundId: string;
    reason: string;
  }>;
  return {
    event_id: event.eventId,
    order_id: data.orderId,
    payment_id: data.paymentId,
    kind,
    amount: data.amount?.amount ?? 0,
    currency: data.amount?.currency ?? null,
    refund_id: data.refundId ?? null,
    decline_reason: kind === 'declined' ? (data.reason ?? null) : null,
    occurred_at: at,
    date_key: dateKey(at),
  };
}

/**
 * Inserts the batch's stock movements and adds those inserted that moved the on-hand count to
 * `agg_stock_monthly`.
 */
function insertStock(tx: SqlExecutor, { stock }: FactRows): Promise<unknown> {
  if (stock.length === 0) return Promise.resolve();
  const names = Object.keys(STOCK_COLUMNS).join(', ');
  return tx.query(
    `WITH ins AS (
       INSERT INTO fact_stock_movement (${names})
       SELECT ${names} FROM ${recordset('$1', STOCK_COLUMNS)}
       ON CONFLICT DO NOTHING
       RETURNING sku, movement, quantity, on_hand_delta, occurred_at
     )
     INSERT INTO agg_stock_monthly AS t (sku, month, units_sold, on_hand_change, on_hand_weighted)
     ${stockMonthlySql('ins')}
     ON CONFLICT (sku, month) DO UPDATE SET units_sold = t.units_sold + excluded.units_sold,
       on_hand_change = t.on_hand_change + excluded.on_hand_change,
       on_hand_weighted = t.on_hand_weighted + excluded.on_hand_weighted`,
    [JSON.stringify(stock)],
  );
}

const STOCK_COLUMNS = {
  event_id: 'uuid',
  sku: 'text',
  movement: 'text',
  on_hand_delta: 'int',
  reserved_delta: 'int',
  quantity: 'int',
  order_id: 'text',
  reason: 'text',
  occurred_at: 'timestamptz',
  date_key: 'int',
};

/**
 * A stock movement with its effect on on-hand and reserved units. `quantity` is the units the event is
 * about: received, reserved, requested (rejected), released or committed, and the signed correction of an
 * adjustment.
 */
function stockRow(event: RecordedEvent): object | null {
  const at = businessInstant(event);
  if (!at) return null;
  const data = event.data as Partial<{
    sku: string;
    orderId: string;
    quantity: number;
    delta: number;
    requested: number;
    reason: string;
  }>;
  const quantity = data.quantity ?? 0;
  const movement = ((): [string, number, number, number] | null => {
    switch (event.type) {
      case 'StockReceived':
        return ['received', quantity, 0, quantity];
      case 'StockAdjusted':
        return ['adjusted', data.delta ?? 0, 0, data.delta ?? 0];
      case 'StockReserved':
        return ['reserved', 0, quantity, quantity];
      case 'StockReservationRejected':
        return ['rejected', 0, 0, data.requested ?? 0];
      case 'StockReservationReleased':
        return ['released', 0, -quantity, quantity];
      case 'StockReservationCommitted':
        return ['committed', -quantity, -quantity, quantity];
      default:
        return null;
    }
  })();
  if (!movement) return null;
  const [kind, onHandDelta, reservedDelta, units] = movement;
  return {
    event_id: event.eventId,
    sku: data.sku,
    movement: kind,
    on_hand_delta: onHandDelta,
    reserved_delta: reservedDelta,
    quantity: units,
    order_id: data.orderId ?? null,
    reason: event.type === 'StockAdjusted' ? (data.reason ?? null) : null,
    occurred_at: at,
    date_key: dateKey(at),
  };
}

const SEARCH_COLUMNS = {
  event_id: 'uuid',
  query: 'text',
  normalized_query: 'text',
  results: 'int',
  zero_result: 'boolean',
  corrected_query: 'text',
  customer_key: 'text',
  occurred_at: 'timestamptz',
  date_key: 'int',
};

/**
 * A search, at the instant the query API saw it. The searcher is known only from the event's actor: a
 * signed-in customer gets their pseudonym, anyone else none.
 */
function searchRow(event: RecordedEvent, pseudonymize: Pseudonymize): object | null {
  if (event.type !== 'ProductSearchReturnedNoResults' && event.type !== 'ProductSearchReturnedResults')
    return null;
  const data = event.data as Partial<ProductSearchReturnedResults['data']>;
  const at = warehouseInstant(data.occurredAt ?? occurredAt(event));
  if (!at || typeof data.query !== 'string') return null;
  const results = event.type === 'ProductSearchReturnedResults' ? (data.results ?? 0) : 0;
  const { actor } = event.metadata;
  return {
    event_id: event.eventId,
    query: data.query,
    normalized_query: data.normalizedQuery ?? data.query,
    results,
    zero_result: results === 0,
    corrected_query: data.correctedQuery ?? null,
    customer_key: actor.role === 'customer' ? pseudonymize(actor.id) : null,
    occurred_at: at,
    date_key: dateKey(at),
  };
}
