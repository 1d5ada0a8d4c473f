import type { SqlExecutor } from '@tally/database';
import type { CartEvent, Money } from '@tally/domain';
import { recordset, StatementPipeline, textArray } from '../batch';
import { occurredAt, partitionByDataField, type ProjectedEvent, type Projection } from '../projection';
import { isoTime } from '../sql-json';
import { cartsStorage } from './carts.schema';

/** Every cart event: the projection reads them all (the compiler checks that none is missing). */
const HANDLED: Readonly<Record<CartEvent['type'], true>> = {
  CartOpened: true,
  CartItemAdded: true,
  CartItemQuantityChanged: true,
  CartItemRemoved: true,
  CartCleared: true,
  CartCheckedOut: true,
  CartMergedInto: true,
  CartsMerged: true,
};
const CART_EVENT_TYPES = Object.keys(HANDLED) as CartEvent['type'][];
const CART_TYPES = new Set<string>(CART_EVENT_TYPES);

/** One recorded cart event, narrowed by its `type`. */
type CartRecord = {
  [K in CartEvent['type']]: ProjectedEvent<Extract<CartEvent, { type: K }>>;
}[CartEvent['type']];

/** A row of `carts`; times are the text PostgreSQL reads them from. */
interface CartRow {
  readonly cart_id: string;
  readonly customer_id: string | null;
  status: 'open' | 'checked_out' | 'merged';
  readonly currency: string;
  total_amount: number;
  order_id: string | null;
  merged_into: string | null;
  version: number;
  readonly opened_at: string;
  updated_at: string;
}

/** A row of `cart_lines` without its `cart_id`. */
interface CartLine {
  readonly sku: string;
  name: string;
  quantity: number;
  unit_price_amount: number;
  unit_price_currency: string;
  line_total_amount: number;
  readonly position: number;
}

/** A cart as the batch folds it: its row, its lines by SKU, and what has to be written back. */
interface FoldedCart {
  readonly row: CartRow;
  lines: Map<string, CartLine>;
  /** It had a row before the batch (so it may have lines to replace). */
  readonly stored: boolean;
  rowChanged: boolean;
  linesChanged: boolean;
}

const CART_COLUMNS = {
  cart_id: 'text',
  customer_id: 'text',
  status: 'text',
  currency: 'text',
  total_amount: 'bigint',
  order_id: 'text',
  merged_into: 'text',
  version: 'int',
  opened_at: 'timestamptz',
  updated_at: 'timestamptz',
};

const LINE_COLUMNS = {
  cart_id: 'text',
  sku: 'text',
  name: 'text',
  quantity: 'int',
  unit_price_amount: 'bigint',
  unit_price_currency: 'text',
  line_total_amount: 'bigint',
  position: 'int',
};

/**
 * Carts with their lines and totals. An event after `CartOpened` applies only to a cart the projection
 * has seen opened and whose row is at an earlier version: an event for an unknown cart, or one already
 * applied, changes nothing.
 *
 * Set-based, so that a rebuild replays the log at tens of thousands of events a second: whatever the
 * batch size, `apply` loads the batch's carts with their lines in one statement, folds the events over
 * them in memory, and writes back the carts that changed in at most three more (their rows; then, for
 * the carts whose lines changed, their old lines deleted and the folded ones inserted). The tables come
 * out the same however the log is cut into batches.
 *
 * The rows are not locked while the batch is folded: the runner holds the projection's checkpoint row
 * for the whole transaction, so no other transaction writes these tables meanwhile.
 */
export const cartsProjection: Projection = {
  name: 'carts',
  eventTypes: CART_EVENT_TYPES,
  storage: cartsStorage,
  // Every cart event changes only the rows of the cart it names (a merge: each side its own).
  partitionKey: partitionByDataField('cartId'),
  async apply(tx, events) {
    const cartEvents = events.filter((event) => CART_TYPES.has(event.type)) as unknown as CartRecord[];
    if (cartEvents.length === 0) return;
    const sql = new StatementPipeline(tx);
    try {
      // A JSON parameter counts as 100 rows to the planner, so the estimates pass jit_above_cost and
      // PostgreSQL would spend 200–300 ms compiling statements that run in milliseconds
      // (docs/benchmarks/warehouse.md). For this transaction only.
      const jitOff = sql.query('SET LOCAL jit = off');
      const carts = await loadCarts(sql, cartEvents);
      for (const event of cartEvents) foldCartEvent(carts, event);
      await Promise.all([jitOff, sendCarts(sql, [...carts.values()])]);
    } finally {
      await sql.settled();
    }
  },
};

/**
 * The batch's carts that have a row, with their lines. Their times come back only to fill the insert half
 * of the upsert, which a stored cart never takes: an applied event always sets `updated_at`.
 */
async function loadCarts(sql: SqlExecutor, events: readonly CartRecord[]): Promise<Map<string, FoldedCart>> {
  const cartIds = [...new Set(events.map((event) => event.data.cartId))];
  const { rows } = await sql.query<
    Omit<CartRow, 'total_amount'> & { total_amount: string; lines: CartLine[] }
  >(
    `SELECT c.cart_id, c.customer_id, c.status, c.currency, c.total_amount::text AS total_amount, c.order_id,
       c.merged_into, c.version, ${isoTime('c.opened_at')} AS opened_at, ${isoTime('c.updated_at')} AS updated_at,
       coalesce((
         SELECT jsonb_agg(jsonb_build_object(
           'sku', l.sku,
           'name', l.name,
           'quantity', l.quantity,
           'unit_price_amount', l.unit_price_amount,
           'unit_price_currency', l.unit_price_currency,
           'line_total_amount', l.line_total_amount,
           'position', l.position
         ))
         FROM cart_lines l WHERE l.cart_id = c.cart_id
       ), '[]'::jsonb) AS lines
     FROM carts c WHERE c.cart_id = ANY(${textArray('$1')})`,
    [JSON.stringify(cartIds)],
  );
  return new Map(
    rows.map(({ lines, total_amount, ...row }) => [
      row.cart_id,
      {
        row: { ...row, total_amount: Number(total_amount) },
        lines: new Map(lines.map((line) => [line.sku, line])),
        stored: true,
        rowChanged: false,
        linesChanged: false,
      },
    ]),
  );
}

/** Applies one event to the batch's carts, exactly as if it had been written on its own. */
function foldCartEvent(carts: Map<string, FoldedCart>, event: CartRecord): void {
  const cartId = event.data.cartId;
  const cart = carts.get(cartId);
  if (event.type === 'CartOpened') {
    if (cart) return;
    const at = occurredAt(event);
    const row: CartRow = {
      cart_id: cartId,
      customer_id: event.data.customerId,
      status: 'open',
      currency: event.data.currency,
      total_amount: 0,
      order_id: null,
      merged_into: null,
      version: event.version,
      opened_at: at,
      updated_at: at,
    };
    carts.set(cartId, { row, lines: new Map(), stored: false, rowChanged: true, linesChanged: false });
    return;
  }
  if (!cart || cart.row.version >= event.version) return;
  const { row, lines } = cart;
  row.version = event.version;
  row.updated_at = occurredAt(event);
  cart.rowChanged = true;
  // Every event but a merge into another cart touches the lines.
  if (event.type !== 'CartMergedInto') cart.linesChanged = true;
  switch (event.type) {
    case 'CartItemAdded': {
      const { sku, name, quantity, unitPrice } = event.data;
      // Adding a SKU already in the cart adds to its quantity; the latest price and name win.
      const line = lines.get(sku);
      if (line) {
        line.name = name;
        line.quantity += quantity;
        line.unit_price_amount = unitPrice.amount;
        line.unit_price_currency = unitPrice.currency;
        line.line_total_amount = line.quantity * unitPrice.amount;
      } else {
        lines.set(sku, newLine(sku, name, quantity, unitPrice, lastPosition(lines) + 1));
      }
      row.total_amount = linesTotal(lines);
      break;
    }
    case 'CartItemQuantityChanged': {
      const line = lines.get(event.data.sku);
      if (line) {
        line.quantity = event.data.quantity;
        line.line_total_amount = line.quantity * line.unit_price_amount;
      }
      row.total_amount = linesTotal(lines);
      break;
    }
    case 'CartItemRemoved':
      lines.delete(event.data.sku);
      row.total_amount = linesTotal(lines);
      break;
    case 'CartCleared':
      lines.clear();
      row.total_amount = 0;
      break;
    case 'CartCheckedOut': {
      const { orderId, lines: snapshot, total } = event.data;
      // The snapshot is what the order was placed with: it replaces the lines as the cart shows them.
      cart.lines = new Map(
        snapshot.map((line, index) => [
          line.sku,
          {
            sku: line.sku,
            name: line.name,
            quantity: line.quantity,
            unit_price_amount: line.unitPrice.amount,
            unit_price_currency: line.unitPrice.currency,
            line_total_amount: line.lineTotal.amount,
            position: index + 1,
          },
        ]),
      );
      row.status = 'checked_out';
      row.order_id = orderId;
      row.total_amount = total.amount;
      break;
    }
    case 'CartMergedInto':
      row.status = 'merged';
      row.merged_into = event.data.targetCartId;
      break;
    case 'CartsMerged': {
      // Units are summed per SKU; a SKU already in the cart keeps its name and price (as the decider
      // does). New lines go last, in the order the merge lists them: the n-th listed line takes the
      // position n after the cart's last line, whether or not the lines before it were new.
      const last = lastPosition(lines);
      event.data.lines.forEach(({ sku, name, quantity, unitPrice }, index) => {
        const line = lines.get(sku);
        if (line) {
          line.quantity += quantity;
          line.line_total_amount = line.quantity * line.unit_price_amount;
        } else {
          lines.set(sku, newLine(sku, name, quantity, unitPrice, last + index + 1));
        }
      });
      row.total_amount = linesTotal(lines);
      break;
    }
    default: {
      const unhandled: never = event;
      return unhandled;
    }
  }
}

function lastPosition(lines: ReadonlyMap<string, CartLine>): number {
  let last = 0;
  for (const line of lines.values()) last = Math.max(last, line.position);
  return last;
}

function linesTotal(lines: ReadonlyMap<string, CartLine>): number {
  let total = 0;
  for (const line of lines.values()) total += line.line_total_amount;
  return total;
}

/**
 * Writes the carts that changed, in order, without waiting for each: their rows first (a new cart's lines
 * need it), then the lines of every cart whose lines changed, replaced as a whole.
 */
function sendCarts(sql: SqlExecutor, carts: readonly FoldedCart[]): Promise<unknown> {
  const changed = carts.filter((cart) => cart.rowChanged);
  if (changed.length === 0) return Promise.resolve();
  const names = Object.keys(CART_COLUMNS).join(', ');
  const sent: Promise<unknown>[] = [
    sql.query(
      `INSERT INTO carts (${names}) SELECT ${names} FROM ${recordset('$1', CART_COLUMNS)}
       ON CONFLICT (cart_id) DO UPDATE SET status = excluded.status, total_amount = excluded.total_amount,
         order_id = excluded.order_id, merged_into = excluded.merged_into, version = excluded.version,
         updated_at = excluded.updated_at`,
      [JSON.stringify(changed.map((cart) => cart.row))],
    ),
  ];
  const relined = changed.filter((cart) => cart.linesChanged);
  const replaced = relined.filter((cart) => cart.stored).map((cart) => cart.row.cart_id);
  if (replaced.length > 0)
    sent.push(
      sql.query(`DELETE FROM cart_lines WHERE cart_id = ANY(${textArray('$1')})`, [JSON.stringify(replaced)]),
    );
  const lines = relined.flatMap((cart) =>
    [...cart.lines.values()].map((line) => ({ cart_id: cart.row.cart_id, ...line })),
  );
  if (lines.length > 0) {
    const lineNames = Object.keys(LINE_COLUMNS).join(', ');
    sent.push(
      sql.query(
        `INSERT INTO cart_lines (${lineNames}) SELECT ${lineNames} FROM ${recordset('$1', LINE_COLUMNS)}`,
        [JSON.stringify(lines)],
      ),
    );
  }
  return Promise.all(sent);
}

/** A line for a SKU not yet in the cart. */
function newLine(sku: string, name: string, quantity: number, unitPrice: Money, position: number): CartLine {
  return {
    sku,
    name,
    quantity,
    unit_price_amount: unitPrice.amount,
    unit_price_currency: unitPrice.currency,
    line_total_amount: quantity * unitPrice.amount,
    position,
  };
}
