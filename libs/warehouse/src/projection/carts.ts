import type { SqlExecutor } from '@tally/database';
import type {
  CartCheckedOut,
  CartEvent,
  CartItemAdded,
  CartItemQuantityChanged,
  CartOpened,
  CartsMerged,
} from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';
import type { Pseudonymize } from './facts';
import { insertRows, recordset, textArray } from '@tally/read-models';
import { addMinutes, businessInstant, dateKey, isoTimeSql, warehouseInstant } from './warehouse-time';

export const CART_EVENT_TYPES: readonly CartEvent['type'][] = [
  'CartOpened',
  'CartItemAdded',
  'CartItemQuantityChanged',
  'CartItemRemoved',
  'CartCleared',
  'CartCheckedOut',
  'CartMergedInto',
  'CartsMerged',
];
const CART_TYPES = new Set<string>(CART_EVENT_TYPES);

/** A row of `warehouse_cart_state`, times as ISO-8601 instants. */
interface CartState {
  readonly cart_id: string;
  readonly customer_key: string | null;
  readonly opened_at: string;
  last_activity_at: string;
  units: number;
  checked_out: boolean;
  /** When the current idle period was recorded as an abandonment (by the sweep); null while active. */
  abandoned_at: string | null;
}

/** A row of `fact_cart_activity`. */
interface Activity {
  readonly activity_id: string;
  readonly cart_id: string;
  readonly activity: 'open' | 'add' | 'change' | 'remove' | 'checkout' | 'abandon';
  readonly sku: string | null;
  readonly quantity: number | null;
  readonly unit_price: number | null;
  readonly currency: string | null;
  readonly customer_key: string | null;
  readonly order_id: string | null;
  readonly occurred_at: string;
  readonly date_key: number;
}

const ACTIVITY_COLUMNS = {
  activity_id: 'text',
  cart_id: 'text',
  activity: 'text',
  sku: 'text',
  quantity: 'int',
  unit_price: 'bigint',
  currency: 'text',
  customer_key: 'text',
  order_id: 'text',
  occurred_at: 'timestamptz',
  date_key: 'int',
};

/** What the batch needs to know of earlier carts before folding its cart events. */
export interface CartsLoaded {
  readonly events: readonly RecordedEvent[];
  /** The carts' rows of `warehouse_cart_state`, locked against a concurrent sweep. */
  readonly states: Map<string, CartState>;
  /** The batch's events applied already: a replay changes nothing. */
  readonly applied: ReadonlySet<string>;
  /** The units of lines removed in this batch from carts projected before it. */
  readonly lines: readonly { cart_id: string; sku: string; units: number }[];
}

/** The batch's carts, folded in memory. */
export interface CartFold {
  readonly states: Map<string, CartState>;
  /** Units per SKU line, per cart, where the batch needs them (a line removed is counted out of the cart). */
  readonly lines: Map<string, Map<string, number>>;
  readonly changed: Set<string>;
  readonly activities: Activity[];
  /** Abandonments the sweep recorded before an activity that turned out to fall inside the idle time. */
  readonly premature: string[];
  readonly idleMinutes: number;
  readonly pseudonymize: Pseudonymize;
}

/**
 * `fact_cart_activity` and `warehouse_cart_state`. Every cart event is an activity keyed by its event id
 * (a merge, one `add` per line: `<eventId>:<n>`), whose `quantity` is the signed change of the cart's
 * units: units added, new minus previous quantity, minus the units of a removed line (null if unknown),
 * minus every unit when the cart is cleared or merged into another.
 *
 * A cart holding units, not checked out, idle for `idleMinutes` is abandoned at its last activity plus
 * the idle time. The projection sees it when the cart's next event comes after the gap; the periodic
 * {@link sweepAbandonedCarts} records it meanwhile. Both key it `abandon:<cartId>:<instant>`, so it is
 * counted once, and the tables are the same however the events were batched.
 *
 * One query each loads the carts' state, the events already applied and the units of lines removed in
 * this batch but added in an earlier one; the writes are one statement per table.
 */
export async function loadCarts(sql: SqlExecutor, events: readonly RecordedEvent[]): Promise<CartsLoaded> {
  const cartEvents = events.filter((event) => CART_TYPES.has(event.type));
  if (cartEvents.length === 0) return { events: [], states: new Map(), applied: new Set(), lines: [] };
  const [states, applied, lines] = await Promise.all([
    loadCartStates(sql, cartEvents),
    appliedActivities(sql, cartEvents),
    removedLineUnits(sql, cartEvents),
  ]);
  return { events: cartEvents, states, applied, lines };
}

/** Folds the batch's cart events over the loaded state: the activities to record and the states to save. */
export function foldCarts(
  loaded: CartsLoaded,
  options: { readonly idleMinutes: number; readonly pseudonymize: Pseudonymize },
): CartFold {
  const fold: CartFold = {
    states: loaded.states,
    lines: new Map(),
    changed: new Set(),
    activities: [],
    premature: [],
    ...options,
  };
  for (const { cart_id, sku, units } of loaded.lines) linesOf(fold, cart_id).set(sku, units);
  for (const event of loaded.events) {
    if (!loaded.applied.has(activityIdOf(event))) foldCartEvent(fold, event);
  }
  return fold;
}

/** Sends the statements that write a folded batch of cart events, in order, without waiting for each. */
export function sendCarts(sql: SqlExecutor, fold: CartFold): Promise<unknown> {
  const sent: Promise<unknown>[] = [];
  if (fold.premature.length > 0)
    sent.push(
      sql.query('DELETE FROM fact_cart_activity WHERE activity_id = ANY($1::text[])', [fold.premature]),
    );
  sent.push(insertRows(sql, 'fact_cart_activity', ACTIVITY_COLUMNS, fold.activities));
  sent.push(
    saveCartStates(
      sql,
      [...fold.states.values()].filter((state) => fold.changed.has(state.cart_id)),
    ),
  );
  return Promise.all(sent);
}

/**
 * Records the abandonment of every cart idle for `idleMinutes` at `now` (holding units, not checked out,
 * not recorded yet), at its last activity plus the idle time; returns how many it recorded. Pass as `now`
 * no later than the business time the warehouse projection has caught up to: a cart whose next event is
 * still on its way would otherwise look idle (the projection takes such an abandonment back when the
 * event arrives inside the idle time).
 */
export async function sweepAbandonedCarts(
  sql: SqlExecutor,
  options: { readonly now: Date; readonly idleMinutes: number },
): Promise<number> {
  const { rowCount } = await sql.query(
    `WITH swept AS (
       UPDATE warehouse_cart_state
       SET abandoned_at = last_activity_at + $2::double precision * interval '1 minute'
       WHERE NOT checked_out AND abandoned_at IS NULL AND units > 0
         AND last_activity_at + $2::double precision * interval '1 minute' <= $1::timestamptz
       RETURNING cart_id, customer_key, abandoned_at
     )
     INSERT INTO fact_cart_activity (activity_id, cart_id, activity, customer_key, occurred_at, date_key)
     SELECT 'abandon:' || cart_id || ':' || ${isoTimeSql('abandoned_at')}, cart_id, 'abandon', customer_key,
       abandoned_at, to_char(abandoned_at AT TIME ZONE 'UTC', 'YYYYMMDD')::int
     FROM swept
     WHERE abandoned_at < '2100-01-01T00:00:00Z'
     ON CONFLICT DO NOTHING`,
    [options.now.toISOString(), options.idleMinutes],
  );
  return rowCount;
}

const cartIdOf = (event: RecordedEvent): string => (event.data as { cartId: string }).cartId;

/** The id of the first activity an event records: how a replay recognises an event already applied. */
function activityIdOf(event: RecordedEvent): string {
  return event.type === 'CartsMerged' ? `${event.eventId}:1` : event.eventId;
}

const abandonId = (cartId: string, at: string): string => `abandon:${cartId}:${at}`;

function loadCartStates(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<Map<string, CartState>> {
  const cartIds = [...new Set(events.map(cartIdOf))];
  const loaded = tx.query<CartState>(
    `SELECT cart_id, customer_key, ${isoTimeSql('opened_at')} AS opened_at,
       ${isoTimeSql('last_activity_at')} AS last_activity_at, units, checked_out,
       ${isoTimeSql('abandoned_at')} AS abandoned_at
     FROM warehouse_cart_state WHERE cart_id = ANY(${textArray('$1')})
     ORDER BY cart_id
     FOR UPDATE`,
    [JSON.stringify(cartIds)],
  );
  return loaded.then(({ rows }) => new Map(rows.map((row) => [row.cart_id, { ...row }])));
}

/**
 * Which of `events` were applied already. Only events of carts with a state row can have been (applying
 * any event of a cart writes its state), so only those are looked up.
 */
function appliedActivities(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<Set<string>> {
  const keys = events.map((event) => ({ activity_id: activityIdOf(event), cart_id: cartIdOf(event) }));
  return tx
    .query<{ activity_id: string }>(
      `SELECT activity_id FROM fact_cart_activity
       WHERE activity_id = ANY(ARRAY(
         SELECT r.activity_id FROM ${recordset('$1', { activity_id: 'text', cart_id: 'text' })}
         WHERE EXISTS (SELECT 1 FROM warehouse_cart_state s WHERE s.cart_id = r.cart_id)))`,
      [JSON.stringify(keys)],
    )
    .then(({ rows }) => new Set(rows.map((row) => row.activity_id)));
}

/**
 * The units of each line removed in this batch from a cart projected before it (one with a state row):
 * the sum of the line's activities since the cart was last emptied. (Activities of one instant as a clear count as before it.)
 */
function removedLineUnits(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<CartsLoaded['lines']> {
  const pairs = events
    .filter((event) => event.type === 'CartItemRemoved')
    .map((event) => ({ cart_id: cartIdOf(event), sku: (event.data as { sku: string }).sku }));
  if (pairs.length === 0) return Promise.resolve([]);
  return tx
    .query<{ cart_id: string; sku: string; units: number }>(
      `SELECT k.cart_id, k.sku, sum(a.quantity)::int AS units
       FROM (SELECT DISTINCT cart_id, sku FROM ${recordset('$1', { cart_id: 'text', sku: 'text' })}
             WHERE EXISTS (SELECT 1 FROM warehouse_cart_state s WHERE s.cart_id = r.cart_id)) k
       JOIN fact_cart_activity a ON a.cart_id = k.cart_id AND a.sku = k.sku
         AND a.activity IN ('add', 'change', 'remove')
       WHERE a.occurred_at > coalesce(
         (SELECT max(c.occurred_at) FROM fact_cart_activity c
          WHERE c.cart_id = k.cart_id AND c.activity = 'remove' AND c.sku IS NULL),
         '-infinity')
       GROUP BY k.cart_id, k.sku`,
      [JSON.stringify(pairs)],
    )
    .then(({ rows }) => rows);
}

function linesOf(fold: CartFold, cartId: string): Map<string, number> {
  let lines = fold.lines.get(cartId);
  if (!lines) {
    lines = new Map();
    fold.lines.set(cartId, lines);
  }
  return lines;
}

function foldCartEvent(fold: CartFold, event: RecordedEvent): void {
  const at = businessInstant(event);
  const cartId = cartIdOf(event);
  if (!at) return;
  if (event.type === 'CartOpened') {
    openCart(fold, event, cartId, at);
    return;
  }
  const state = fold.states.get(cartId);
  if (!state) return;
  resume(fold, state, at);
  fold.changed.add(cartId);
  const activity = (
    kind: Activity['activity'],
    fields: Partial<Activity> = {},
    activityId = event.eventId,
  ): void => {
    fold.activities.push(cartActivity(state, activityId, kind, at, fields));
  };
  const lines = linesOf(fold, cartId);
  const addUnits = (units: number): void => {
    state.units = Math.max(0, state.units + units);
  };
  switch (event.type) {
    case 'CartItemAdded': {
      const { sku, quantity, unitPrice } = event.data as unknown as CartItemAdded['data'];
      lines.set(sku, (lines.get(sku) ?? 0) + quantity);
      addUnits(quantity);
      activity('add', { sku, quantity, unit_price: unitPrice.amount, currency: unitPrice.currency });
      break;
    }
    case 'CartItemQuantityChanged': {
      const { sku, quantity, previousQuantity } = event.data as unknown as CartItemQuantityChanged['data'];
      lines.set(sku, quantity);
      addUnits(quantity - previousQuantity);
      activity('change', { sku, quantity: quantity - previousQuantity });
      break;
    }
    case 'CartItemRemoved': {
      const { sku } = event.data as { sku: string };
      const units = lines.get(sku);
      lines.set(sku, 0);
      addUnits(-(units ?? 0));
      activity('remove', { sku, quantity: units === undefined ? null : -units });
      break;
    }
    case 'CartCleared':
    case 'CartMergedInto': {
      activity('remove', { quantity: -state.units });
      state.units = 0;
      fold.lines.set(cartId, new Map());
      break;
    }
    case 'CartCheckedOut': {
      const { orderId, total } = event.data as unknown as CartCheckedOut['data'];
      state.checked_out = true;
      activity('checkout', { order_id: orderId, currency: total.currency });
      break;
    }
    case 'CartsMerged': {
      const merged = (event.data as unknown as CartsMerged['data']).lines;
      merged.forEach(({ sku, quantity, unitPrice }, index) => {
        lines.set(sku, (lines.get(sku) ?? 0) + quantity);
        addUnits(quantity);
        const fields = { sku, quantity, unit_price: unitPrice.amount, currency: unitPrice.currency };
        activity('add', fields, `${event.eventId}:${index + 1}`);
      });
      break;
    }
  }
}

function openCart(fold: CartFold, event: RecordedEvent, cartId: string, at: string): void {
  if (fold.states.has(cartId)) return;
  const { customerId, currency } = event.data as unknown as CartOpened['data'];
  const state: CartState = {
    cart_id: cartId,
    customer_key: fold.pseudonymize(customerId),
    opened_at: at,
    last_activity_at: at,
    units: 0,
    checked_out: false,
    abandoned_at: null,
  };
  fold.states.set(cartId, state);
  fold.lines.set(cartId, new Map());
  fold.changed.add(cartId);
  fold.activities.push(
    cartActivity(state, event.eventId, 'open', at, {
      currency: typeof currency === 'string' ? currency : null,
    }),
  );
}

/** A row of `fact_cart_activity` for the cart of `state` at `at`; what `fields` does not give is null. */
function cartActivity(
  state: CartState,
  activityId: string,
  kind: Activity['activity'],
  at: string,
  fields: Partial<Activity> = {},
): Activity {
  return {
    activity_id: activityId,
    cart_id: state.cart_id,
    activity: kind,
    sku: null,
    quantity: null,
    unit_price: null,
    currency: null,
    customer_key: state.customer_key,
    order_id: null,
    occurred_at: at,
    date_key: dateKey(at),
    ...fields,
  };
}

/**
 * The shopper is back at `at`: if the cart had been left idle long enough, that was an abandonment; if
 * the sweep recorded one that `at` falls inside of, it was premature and is taken back.
 */
function resume(fold: CartFold, state: CartState, at: string): void {
  const time = Date.parse(at);
  if (state.abandoned_at !== null && time < Date.parse(state.abandoned_at)) {
    fold.premature.push(abandonId(state.cart_id, state.abandoned_at));
  } else if (
    !state.checked_out &&
    state.units > 0 &&
    time >= Date.parse(state.last_activity_at) + fold.idleMinutes * 60_000
  ) {
    const abandonedAt = warehouseInstant(addMinutes(state.last_activity_at, fold.idleMinutes));
    if (abandonedAt) {
      fold.activities.push(
        cartActivity(state, abandonId(state.cart_id, abandonedAt), 'abandon', abandonedAt),
      );
    }
  }
  state.abandoned_at = null;
  if (time > Date.parse(state.last_activity_at)) state.last_activity_at = at;
}

function saveCartStates(tx: SqlExecutor, states: readonly CartState[]): Promise<unknown> {
  if (states.length === 0) return Promise.resolve();
  return tx.query(
    `INSERT INTO warehouse_cart_state (cart_id, customer_key, opened_at, last_activity_at, units, checked_out,
       abandoned_at)
     SELECT cart_id, customer_key, opened_at, last_activity_at, units, checked_out, abandoned_at
     FROM ${recordset('$1', {
       cart_id: 'text',
       customer_key: 'text',
       opened_at: 'timestamptz',
       last_activity_at: 'timestamptz',
       units: 'int',
       checked_out: 'boolean',
       abandoned_at: 'timestamptz',
     })}
     ON CONFLICT (cart_id) DO UPDATE SET last_activity_at = excluded.last_activity_at, units = excluded.units,
       checked_out = excluded.checked_out, abandoned_at = excluded.abandoned_at`,
    [JSON.stringify(states)],
  );
}
