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

/** Sends one insert per table for the facts that depend on no other table of the batch. */
export function sendFacts(sql: SqlExecutor, rows: FactRows): Promise<unknown> {
  return Promise.all([
    insertRows(
      sql,
      'dim_customer',
      { customer_key: 'text', registered_at: 'timestamptz', registered_date_key: 'int' },
      rows.customers,
    ),
    insertRows(sql, 'fact_payment', PAYMENT_COLUMNS, rows.payments),
    insertRows(sql, 'fact_stock_movement', STOCK_COLUMNS, rows.stock),
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
 * Inserts the batch's order lines, each pointing to the product version valid when it was placed: send
 * it after the batch's product versions.
 */
export function insertOrderLines(tx: SqlExecutor, { orderLines }: FactRows): Promise<unknown> {
  if (orderLines.length === 0) return Promise.resolve();
  const names = Object.keys(ORDER_LINE_COLUMNS).join(', ');
  return tx.query(
    `INSERT INTO fact_order_line (${names}, product_key)
     SELECT ${names}, ${productKeyAt('r.sku', 'r.placed_at')}
     FROM ${recordset('$1', ORDER_LINE_COLUMNS)}
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(orderLines)],
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
