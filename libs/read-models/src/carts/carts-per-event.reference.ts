import type { SqlExecutor } from '@tally/database';
import type { CartEvent } from '@tally/domain';
import { defineProjection, occurredAt, type ProjectedEvent, type ProjectionHandlers } from '../projection';
import { cartsStorage } from './carts.schema';

const cartsHandlers: ProjectionHandlers<CartEvent> = {
  async CartOpened(tx, event) {
    const at = occurredAt(event);
    await tx.query(
      `INSERT INTO carts (cart_id, customer_id, status, currency, version, opened_at, updated_at)
       VALUES ($1, $2, 'open', $3, $4, $5, $5)
       ON CONFLICT (cart_id) DO NOTHING`,
      [event.data.cartId, event.data.customerId, event.data.currency, event.version, at],
    );
  },
  async CartItemAdded(tx, event) {
    if (!(await advance(tx, event))) return;
    const { cartId, sku, name, quantity, unitPrice } = event.data;
    // Adding a SKU already in the cart adds to its quantity; the latest price and name win.
    await tx.query(
      `INSERT INTO cart_lines AS l (cart_id, sku, name, quantity, unit_price_amount, unit_price_currency,
         line_total_amount, position)
       VALUES ($1, $2, $3, $4, $5, $6, $4::int * $5::bigint,
         (SELECT coalesce(max(position), 0) + 1 FROM cart_lines WHERE cart_id = $1))
       ON CONFLICT (cart_id, sku) DO UPDATE SET
         name = EXCLUDED.name,
         quantity = l.quantity + EXCLUDED.quantity,
         unit_price_amount = EXCLUDED.unit_price_amount,
         unit_price_currency = EXCLUDED.unit_price_currency,
         line_total_amount = (l.quantity + EXCLUDED.quantity) * EXCLUDED.unit_price_amount`,
      [cartId, sku, name, quantity, unitPrice.amount, unitPrice.currency],
    );
    await recomputeTotal(tx, cartId);
  },
  async CartItemQuantityChanged(tx, event) {
    if (!(await advance(tx, event))) return;
    const { cartId, sku, quantity } = event.data;
    await tx.query(
      `UPDATE cart_lines SET quantity = $3, line_total_amount = $3::int * unit_price_amount
       WHERE cart_id = $1 AND sku = $2`,
      [cartId, sku, quantity],
    );
    await recomputeTotal(tx, cartId);
  },
  async CartItemRemoved(tx, event) {
    if (!(await advance(tx, event))) return;
    await tx.query('DELETE FROM cart_lines WHERE cart_id = $1 AND sku = $2', [
      event.data.cartId,
      event.data.sku,
    ]);
    await recomputeTotal(tx, event.data.cartId);
  },
  async CartCleared(tx, event) {
    if (!(await advance(tx, event))) return;
    await tx.query('DELETE FROM cart_lines WHERE cart_id = $1', [event.data.cartId]);
    await recomputeTotal(tx, event.data.cartId);
  },
  async CartCheckedOut(tx, event) {
    if (!(await advance(tx, event))) return;
    const { cartId, orderId, lines, total } = event.data;
    // The snapshot is what the order was placed with: it replaces the lines as the cart shows them.
    await tx.query('DELETE FROM cart_lines WHERE cart_id = $1', [cartId]);
    await tx.query(
      `INSERT INTO cart_lines (cart_id, sku, name, quantity, unit_price_amount, unit_price_currency,
         line_total_amount, position)
       SELECT $1, line->>'sku', line->>'name', (line->>'quantity')::int,
         (line->'unitPrice'->>'amount')::bigint, line->'unitPrice'->>'currency',
         (line->'lineTotal'->>'amount')::bigint, n::int
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS snapshot(line, n)`,
      [cartId, JSON.stringify(lines)],
    );
    await tx.query(
      `UPDATE carts SET status = 'checked_out', order_id = $2, total_amount = $3 WHERE cart_id = $1`,
      [cartId, orderId, total.amount],
    );
  },
  async CartMergedInto(tx, event) {
    if (!(await advance(tx, event))) return;
    await tx.query(`UPDATE carts SET status = 'merged', merged_into = $2 WHERE cart_id = $1`, [
      event.data.cartId,
      event.data.targetCartId,
    ]);
  },
  async CartsMerged(tx, event) {
    if (!(await advance(tx, event))) return;
    const { cartId, lines } = event.data;
    // Units are summed per SKU; a SKU already in the cart keeps its name and price (as the decider does).
    // New lines go last, in the order the merge lists them.
    await tx.query(
      `INSERT INTO cart_lines AS l (cart_id, sku, name, quantity, unit_price_amount, unit_price_currency,
         line_total_amount, position)
       SELECT $1, line->>'sku', line->>'name', (line->>'quantity')::int,
         (line->'unitPrice'->>'amount')::bigint, line->'unitPrice'->>'currency',
         (line->>'quantity')::int * (line->'unitPrice'->>'amount')::bigint,
         (SELECT coalesce(max(position), 0) FROM cart_lines WHERE cart_id = $1) + n::int
       FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS merged(line, n)
       ON CONFLICT (cart_id, sku) DO UPDATE SET
         quantity = l.quantity + EXCLUDED.quantity,
         line_total_amount = (l.quantity + EXCLUDED.quantity) * l.unit_price_amount`,
      [cartId, JSON.stringify(lines)],
    );
    await recomputeTotal(tx, cartId);
  },
};

/**
 * The carts read model written one event at a time, a few statements each: the plain reading of what
 * every cart event does to `carts` and `cart_lines`. Too slow to replay the log with, it is the yardstick
 * the set-based `cartsProjection` is compared against: both must leave the same rows after the
 * same events, however they are batched. Every event after `CartOpened` first moves the cart row to the
 * event's version; when no row moves (unknown cart, or an event already applied) the event is ignored.
 */
export const perEventCartsProjection = defineProjection<CartEvent>('carts', cartsHandlers, {
  storage: cartsStorage,
});

/** Moves the cart to the event's version; false when the cart is unknown or the event was applied. */
async function advance(tx: SqlExecutor, event: ProjectedEvent<CartEvent>): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE carts SET version = $2, updated_at = $3 WHERE cart_id = $1 AND version < $2`,
    [event.data.cartId, event.version, occurredAt(event)],
  );
  return rowCount > 0;
}

async function recomputeTotal(tx: SqlExecutor, cartId: string): Promise<void> {
  await tx.query(
    `UPDATE carts SET total_amount =
       (SELECT coalesce(sum(line_total_amount), 0) FROM cart_lines WHERE cart_id = $1)
     WHERE cart_id = $1`,
    [cartId],
  );
}
