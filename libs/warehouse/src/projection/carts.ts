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
import { recordset, textArray } from '@tally/read-models';
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

/**
 * What the cart's facts recorded, as stored: the flags its funnel counts come from. Only SQL changes them,
 * from the rows a statement actually wrote; the batch keeps them as loaded.
 */
interface CartFlags {
  /** The `date_key` of its `open` activity (null until one is recorded). */
  readonly opened_date_key: number | null;
  /** An `add` or a `checkout` was recorded. */
  readonly with_items: boolean;
  /** A `checkout` was recorded. */
  readonly checked_out: boolean;
  /** How many `abandon` activities it has. */
  readonly abandonments: number;
}

const NO_FLAGS: CartFlags = {
  opened_date_key: null,
  with_items: false,
  checked_out: false,
  abandonments: 0,
};

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
  /** The flags as loaded, before this batch. */
  readonly recorded: CartFlags;
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
 * this batch but added in an earlier one; the writes are one statement ({@link sendCarts}).
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

/**
 * Writes a folded batch of cart events in one statement: takes back the premature abandonments, inserts
 * the activities, saves the carts' states with their flags updated from the activities actually deleted
 * and inserted, and adds the change of each cart's flags to `agg_cart_funnel_daily` on the day it was
 * opened, from the flags the batch loaded (locked). A cart checked out for an order already captured
 * (earlier, or by this batch's payments) is counted paid here; one whose order is captured later, by
 * `insertPayments` (a checked-out cart is done: it has one checkout, and its order one first capture).
 */
export function sendCarts(sql: SqlExecutor, fold: CartFold): Promise<unknown> {
  const states = [...fold.states.values()].filter((state) => fold.changed.has(state.cart_id));
  if (states.length === 0) return Promise.resolve();
  // A cart back inside a swept idle time, then idle again from the same last activity, records the
  // abandonment it took back: the row stays, rather than being deleted and inserted in one statement.
  const recorded = new Set(fold.activities.map((activity) => activity.activity_id));
  const takenBack = fold.premature.filter((id) => !recorded.has(id));
  const kept = new Set(fold.premature.filter((id) => recorded.has(id)));
  const activities = fold.activities.filter((activity) => !kept.has(activity.activity_id));
  return sql.query(
    `WITH taken_back AS (
       DELETE FROM fact_cart_activity WHERE activity_id = ANY(${textArray('$1')})
       RETURNING cart_id
     ),
     ins AS (
       INSERT INTO fact_cart_activity (${Object.keys(ACTIVITY_COLUMNS).join(', ')})
       SELECT ${Object.keys(ACTIVITY_COLUMNS).join(', ')} FROM ${recordset('$2', ACTIVITY_COLUMNS)}
       ON CONFLICT DO NOTHING
       RETURNING cart_id, activity, order_id, date_key
     ),
     added AS (
       SELECT cart_id,
         min(date_key) FILTER (WHERE activity = 'open') AS opened_date_key,
         bool_or(activity IN ('add', 'checkout')) AS with_items,
         bool_or(activity = 'checkout') AS checked_out,
         bool_or(activity = 'checkout' AND EXISTS (
           SELECT 1 FROM fact_payment p WHERE p.order_id = ins.order_id AND p.kind = 'captured')) AS paid,
         count(*) FILTER (WHERE activity = 'abandon') AS abandonments
       FROM ins GROUP BY cart_id
     ),
     removed AS (SELECT cart_id, count(*) AS abandonments FROM taken_back GROUP BY cart_id),
     cart AS (
       SELECT s.cart_id, s.customer_key, s.opened_at, s.last_activity_at, s.units, s.abandoned_at,
         s.opened_date_key AS was_opened, s.with_items AS had_items, s.checked_out AS was_checked_out,
         s.abandonments > 0 AS was_abandoned,
         coalesce(s.opened_date_key, a.opened_date_key) AS opened_date_key,
         s.with_items OR coalesce(a.with_items, false) AS with_items,
         s.checked_out OR coalesce(a.checked_out, false) AS checked_out,
         NOT s.checked_out AND coalesce(a.paid, false) AS paid_at_checkout,
         s.abandonments + coalesce(a.abandonments, 0) - coalesce(r.abandonments, 0) AS abandonments
       FROM (SELECT * FROM ${recordset('$3', STATE_COLUMNS)}) s
       LEFT JOIN added a ON a.cart_id = s.cart_id
       LEFT JOIN removed r ON r.cart_id = s.cart_id
     ),
     saved AS (
       INSERT INTO warehouse_cart_state (cart_id, customer_key, opened_at, last_activity_at, units, checked_out,
         abandoned_at, opened_date_key, with_items, abandonments)
       SELECT cart_id, customer_key, opened_at, last_activity_at, units, checked_out, abandoned_at,
         opened_date_key, with_items, abandonments
       FROM cart
       ON CONFLICT (cart_id) DO UPDATE SET last_activity_at = excluded.last_activity_at, units = excluded.units,
         checked_out = excluded.checked_out, abandoned_at = excluded.abandoned_at,
         opened_date_key = excluded.opened_date_key, with_items = excluded.with_items,
         abandonments = excluded.abandonments
     )
     INSERT INTO agg_cart_funnel_daily AS t (date_key, carts_opened, carts_with_items, carts_checked_out,
       carts_paid, carts_abandoned)
     SELECT date_key, sum(opened), sum(with_items), sum(checked_out), sum(paid), sum(abandoned)
     FROM (
       SELECT opened_date_key AS date_key, 1 AS opened, with_items::int AS with_items,
         checked_out::int AS checked_out, 0 AS paid, (with_items AND abandonments > 0)::int AS abandoned
       FROM cart WHERE opened_date_key IS NOT NULL
       UNION ALL
       SELECT was_opened, -1, -(had_items::int), -(was_checked_out::int), 0, -((had_items AND was_abandoned)::int)
       FROM cart WHERE was_opened IS NOT NULL
       UNION ALL
       -- Checked out for an order captured already (else its first capture counts it: insertPayments).
       SELECT opened_date_key, 0, 0, 0, 1, 0 FROM cart WHERE paid_at_checkout AND opened_date_key IS NOT NULL
     ) change
     GROUP BY date_key
     HAVING sum(opened) <> 0 OR sum(with_items) <> 0 OR sum(checked_out) <> 0 OR sum(paid) <> 0
       OR sum(abandoned) <> 0
     ON CONFLICT (date_key) DO UPDATE SET carts_opened = t.carts_opened + excluded.carts_opened,
       carts_with_items = t.carts_with_items + excluded.carts_with_items,
       carts_checked_out = t.carts_checked_out + excluded.carts_checked_out,
       carts_paid = t.carts_paid + excluded.carts_paid,
       carts_abandoned = t.carts_abandoned + excluded.carts_abandoned`,
    [
      JSON.stringify(takenBack),
      JSON.stringify(activities),
      JSON.stringify(states.map(({ recorded: flags, ...state }) => ({ ...state, ...flags }))),
    ],
  );
}

/** A changed cart as the statement of {@link sendCarts} takes it: its state, and its flags as loaded. */
const STATE_COLUMNS = {
  cart_id: 'text',
  customer_key: 'text',
  opened_at: 'timestamptz',
  last_activity_at: 'timestamptz',
  units: 'int',
  abandoned_at: 'timestamptz',
  opened_date_key: 'int',
  with_items: 'boolean',
  checked_out: 'boolean',
  abandonments: 'int',
};

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
  // The carts are locked first (as the projection's batches lock theirs), and a first abandonment
  // recorded of a cart with items counts on the day it was opened.
  const { rows } = await sql.query<{ recorded: number }>(
    `WITH idle AS (
       SELECT cart_id, customer_key, last_activity_at + $2::double precision * interval '1 minute' AS abandoned_at
       FROM warehouse_cart_state
       WHERE NOT checked_out AND abandoned_at IS NULL AND units > 0
         AND last_activity_at + $2::double precision * interval '1 minute' <= $1::timestamptz
       FOR UPDATE
     ),
     ins AS (
       INSERT INTO fact_cart_activity (activity_id, cart_id, activity, customer_key, occurred_at, date_key)
       SELECT 'abandon:' || cart_id || ':' || ${isoTimeSql('abandoned_at')}, cart_id, 'abandon', customer_key,
         abandoned_at, to_char(abandoned_at AT TIME ZONE 'UTC', 'YYYYMMDD')::int
       FROM idle
       WHERE abandoned_at < '2100-01-01T00:00:00Z'
       ON CONFLICT DO NOTHING
       RETURNING cart_id
     ),
     swept AS (
       UPDATE warehouse_cart_state s
       SET abandoned_at = i.abandoned_at, abandonments = s.abandonments + (n.cart_id IS NOT NULL)::int
       FROM idle i LEFT JOIN ins n ON n.cart_id = i.cart_id
       WHERE s.cart_id = i.cart_id
       RETURNING s.opened_date_key, s.with_items, s.abandonments, n.cart_id IS NOT NULL AS recorded
     ),
     counted AS (
       INSERT INTO agg_cart_funnel_daily AS t (date_key, carts_abandoned)
       SELECT opened_date_key, count(*) FROM swept
       WHERE recorded AND abandonments = 1 AND with_items AND opened_date_key IS NOT NULL
       GROUP BY opened_date_key
       ON CONFLICT (date_key) DO UPDATE SET carts_abandoned = t.carts_abandoned + excluded.carts_abandoned
     )
     SELECT count(*)::int AS recorded FROM ins`,
    [options.now.toISOString(), options.idleMinutes],
  );
  return rows[0]?.recorded ?? 0;
}

const cartIdOf = (event: RecordedEvent): string => (event.data as { cartId: string }).cartId;

/** The id of the first activity an event records: how a replay recognises an event already applied. */
function activityIdOf(event: RecordedEvent): string {
  return event.type === 'CartsMerged' ? `${event.eventId}:1` : event.eventId;
}

const abandonId = (cartId: string, at: string): string => `abandon:${cartId}:${at}`;

function loadCartStates(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<Map<string, CartState>> {
  const cartIds = [...new Set(events.map(cartIdOf))];
  const loaded = tx.query<Omit<CartState, 'recorded'> & CartFlags>(
    `SELECT cart_id, customer_key, ${isoTimeSql('opened_at')} AS opened_at,
       ${isoTimeSql('last_activity_at')} AS last_activity_at, units, checked_out,
       ${isoTimeSql('abandoned_at')} AS abandoned_at, opened_date_key, with_items, abandonments
     FROM warehouse_cart_state WHERE cart_id = ANY(${textArray('$1')})
     ORDER BY cart_id
     FOR UPDATE`,
    [JSON.stringify(cartIds)],
  );
  return loaded.then(
    ({ rows }) =>
      new Map(
        rows.map(({ opened_date_key, with_items, abandonments, ...row }) => [
          row.cart_id,
          { ...row, recorded: { opened_date_key, with_items, checked_out: row.checked_out, abandonments } },
        ]),
      ),
  );
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
    recorded: NO_FLAGS,
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
