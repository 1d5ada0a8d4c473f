import type { SqlExecutor } from '@tally/database';
import { type ColumnTypes, recordset, StatementPipeline, textArray } from '../batch';
import { partitionByDataField, type Projection } from '../projection';
import { isoTime } from '../sql-json';
import {
  asText,
  type FoldedOrder,
  foldOrders,
  isPaymentEvent,
  ORDER_TIMELINE_EVENT_TYPES,
  type OrderState,
  type OrdersFold,
  type OrderTimelineRecord,
  orderTimelineEvents,
  timelineKey,
} from './orders.fold';
import { ordersStorage } from './orders.schema';

const STATE_COLUMNS = {
  order_id: 'text',
  order_number: 'text',
  status: 'text',
  cancellation_reason: 'text',
  payment_id: 'text',
  payment_version: 'int',
  payment_status: 'text',
  amount_authorized: 'bigint',
  amount_captured: 'bigint',
  amount_refunded: 'bigint',
  decline_reason: 'text',
  shipped: 'boolean',
  carrier: 'text',
  tracking_number: 'text',
  updated_at: 'timestamptz',
  version: 'int',
};

const PLACED_COLUMNS = {
  cart_id: 'text',
  customer_id: 'text',
  email: 'text',
  currency: 'text',
  lines: 'jsonb',
  subtotal_amount: 'bigint',
  shipping_amount: 'bigint',
  tax_amount: 'bigint',
  total_amount: 'bigint',
  shipping_address: 'jsonb',
  shipping_method: 'jsonb',
  placed_at: 'timestamptz',
};

const TIMELINE_COLUMNS = {
  stream_id: 'text',
  version: 'int',
  order_id: 'text',
  event_id: 'text',
  position: 'text',
  type: 'text',
  at: 'timestamptz',
  summary: 'text',
};

/**
 * Orders with their status, totals, payment state, shipment and timeline, from the order's stream and its
 * payment's stream (payment events carry the order id).
 *
 * Order events move the order row to the event's version; an unknown order, or an event already applied,
 * changes nothing. Payment events are gated by their timeline row instead, keyed by (stream, version):
 * the first time one is seen for a known order it is recorded and applied, a replay finds the row and
 * changes nothing. The payment stream is the one source of the payment state (the order's own
 * OrderPayment* / OrderRefunded events restate the same money and only add to the timeline), so nothing
 * is counted twice. {@link foldOrders} holds the rules.
 *
 * Set-based, so that a rebuild replays the log at tens of thousands of events a second: `apply` loads
 * the orders the batch names and which of its payment events the timeline holds already (one statement
 * each), folds the events over them in memory, and writes back with at most three more (the orders
 * placed in the batch, the other orders that changed, the new timeline rows): six statements a batch at
 * most, counting `SET LOCAL jit = off`, whatever its size. The tables come out the same however the log
 * is cut into batches.
 *
 * The rows are not locked while the batch is folded: the runner holds the projection's checkpoint row
 * for the whole transaction, so no other transaction writes these tables meanwhile.
 */
export const ordersProjection: Projection = {
  name: 'orders',
  eventTypes: ORDER_TIMELINE_EVENT_TYPES,
  storage: ordersStorage,
  // Order and payment events change only the rows of the order they name.
  partitionKey: partitionByDataField('orderId'),
  async apply(tx, events) {
    const handled = orderTimelineEvents(events);
    if (handled.length === 0) return;
    const sql = new StatementPipeline(tx);
    try {
      // A JSON parameter counts as 100 rows to the planner, so the estimates pass jit_above_cost and
      // PostgreSQL would spend 200–300 ms compiling statements that run in milliseconds
      // (docs/benchmarks/warehouse.md). For this transaction only.
      const [, orders, recorded] = await Promise.all([
        sql.query('SET LOCAL jit = off'),
        loadOrders(sql, handled),
        loadRecorded(sql, handled),
      ]);
      await sendOrders(sql, foldOrders(orders, recorded, handled));
    } finally {
      await sql.settled();
    }
  },
};

/** The stored orders the events name, by id. */
async function loadOrders(
  sql: SqlExecutor,
  events: readonly OrderTimelineRecord[],
): Promise<Map<string, FoldedOrder>> {
  const orderIds = new Set<string>();
  for (const event of events) {
    const orderId = asText(event.data.orderId);
    if (orderId !== null) orderIds.add(orderId);
  }
  const { rows } = await sql.query<OrderState>(
    `SELECT order_id, order_number, status, cancellation_reason, payment_id, payment_version, payment_status,
       amount_authorized::text AS amount_authorized, amount_captured::text AS amount_captured,
       amount_refunded::text AS amount_refunded, decline_reason, shipped, carrier, tracking_number,
       ${isoTime('updated_at')} AS updated_at, version
     FROM orders WHERE order_id = ANY(${textArray('$1')})`,
    [JSON.stringify([...orderIds])],
  );
  return new Map(rows.map((state) => [state.order_id, { state, placed: null, changed: false }]));
}

/**
 * The timeline keys of the batch's payment events that are recorded already: whether a payment event is
 * applied depends on it. An order event is gated by the order's version instead, and its timeline row
 * is inserted with `ON CONFLICT DO NOTHING`, so its key need not be looked up.
 */
async function loadRecorded(sql: SqlExecutor, events: readonly OrderTimelineRecord[]): Promise<Set<string>> {
  const keys = events
    .filter(isPaymentEvent)
    .map((event) => ({ stream_id: event.streamId, version: event.version }));
  if (keys.length === 0) return new Set();
  const { rows } = await sql.query<{ stream_id: string; version: number }>(
    `SELECT t.stream_id, t.version FROM order_timeline t
     WHERE (t.stream_id, t.version) IN (
       SELECT r.stream_id, r.version FROM ${recordset('$1', { stream_id: 'text', version: 'int' })})`,
    [JSON.stringify(keys)],
  );
  return new Set(rows.map((row) => timelineKey(row.stream_id, row.version)));
}

/**
 * Writes the folded batch, in order: the orders it placed (before the timeline rows that refer to them),
 * the stored orders it changed, the timeline rows it added. Rows go in sorted by the index they land in
 * most (an order's timeline rows together), so that consecutive rows touch the same index pages.
 */
function sendOrders(sql: SqlExecutor, fold: OrdersFold): Promise<unknown> {
  const placed: object[] = [];
  const changed: OrderState[] = [];
  for (const order of fold.orders.values()) {
    if (order.placed) placed.push({ ...order.placed, ...order.state });
    else if (order.changed) changed.push(order.state);
  }
  return Promise.all([
    insertSorted(sql, 'orders', { ...STATE_COLUMNS, ...PLACED_COLUMNS }, placed, 'order_id'),
    updateOrders(sql, changed),
    insertSorted(sql, 'order_timeline', TIMELINE_COLUMNS, fold.timeline, 'stream_id, version'),
  ]);
}

/**
 * Inserts `rows` into `table` in one statement, sorted by `order`, skipping rows whose key is there
 * already (an order event applied again after its row was recorded for another order's key, which only
 * malformed streams can do).
 */
function insertSorted(
  sql: SqlExecutor,
  table: string,
  columns: ColumnTypes,
  rows: readonly object[],
  order: string,
): Promise<unknown> {
  if (rows.length === 0) return Promise.resolve();
  const names = Object.keys(columns).join(', ');
  return sql.query(
    `INSERT INTO ${table} (${names})
     SELECT ${names} FROM ${recordset('$1', columns)} ORDER BY ${order}
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

function updateOrders(sql: SqlExecutor, orders: readonly OrderState[]): Promise<unknown> {
  if (orders.length === 0) return Promise.resolve();
  const set = Object.keys(STATE_COLUMNS)
    .filter((column) => column !== 'order_id')
    .map((column) => `${column} = r.${column}`);
  return sql.query(
    `UPDATE orders o SET ${set.join(', ')}
     FROM ${recordset('$1', STATE_COLUMNS)}
     WHERE o.order_id = r.order_id`,
    [JSON.stringify(orders)],
  );
}
