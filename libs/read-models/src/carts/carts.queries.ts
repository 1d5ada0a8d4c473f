import type { SqlExecutor } from '@tally/database';
import type { Money } from '@tally/domain';

export interface CartLineView {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/**
 * A cart as the shopper sees it. `version` is the cart stream's version of the last applied event (for
 * If-Match); `orderId` is present once the cart is checked out, `mergedInto` once a guest cart was merged
 * into a customer's cart at sign-in.
 */
export interface CartView {
  readonly cartId: string;
  readonly customerId: string | null;
  readonly status: 'open' | 'checked_out' | 'merged';
  readonly currency: string;
  /** In the order they were first added. */
  readonly lines: readonly CartLineView[];
  readonly total: Money;
  readonly version: number;
  readonly orderId?: string;
  readonly mergedInto?: string;
}

interface CartRow {
  cart_id: string;
  customer_id: string | null;
  status: 'open' | 'checked_out' | 'merged';
  currency: string;
  total_amount: string;
  order_id: string | null;
  merged_into: string | null;
  version: number;
  lines: CartLineView[];
}

/** The cart `cartId`, or null when it was never opened. */
export async function getCart(sql: SqlExecutor, cartId: string): Promise<CartView | null> {
  // jsonb carries bigint amounts as plain JSON numbers, the same under every driver.
  const { rows } = await sql.query<CartRow>(
    `SELECT c.cart_id, c.customer_id, c.status, c.currency, c.total_amount::text, c.order_id, c.merged_into,
       c.version,
       coalesce((
         SELECT jsonb_agg(jsonb_build_object(
           'sku', l.sku,
           'name', l.name,
           'quantity', l.quantity,
           'unitPrice', jsonb_build_object('amount', l.unit_price_amount, 'currency', l.unit_price_currency),
           'lineTotal', jsonb_build_object('amount', l.line_total_amount, 'currency', l.unit_price_currency)
         ) ORDER BY l.position)
         FROM cart_lines l WHERE l.cart_id = c.cart_id
       ), '[]'::jsonb) AS lines
     FROM carts c WHERE c.cart_id = $1`,
    [cartId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    cartId: row.cart_id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    lines: row.lines,
    total: { amount: Number(row.total_amount), currency: row.currency },
    version: row.version,
    ...(row.order_id === null ? {} : { orderId: row.order_id }),
    ...(row.merged_into === null ? {} : { mergedInto: row.merged_into }),
  };
}

/**
 * The id of the customer's newest open cart, or null when they have none: the cart a guest cart is merged
 * into at sign-in, and the one "my cart" shows.
 */
export async function newestOpenCartOf(sql: SqlExecutor, customerId: string): Promise<string | null> {
  const { rows } = await sql.query<{ cart_id: string }>(
    `SELECT cart_id FROM carts WHERE customer_id = $1 AND status = 'open'
     ORDER BY opened_at DESC, cart_id DESC LIMIT 1`,
    [customerId],
  );
  return rows[0]?.cart_id ?? null;
}
