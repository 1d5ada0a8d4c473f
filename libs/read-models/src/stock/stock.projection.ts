import type { SqlExecutor } from '@tally/database';
import type { StockItemEvent } from '@tally/domain';
import { defineProjection, occurredAt, type ProjectedEvent, type ProjectionHandlers } from '../projection';
import { stockStorage } from './stock.schema';

const stockHandlers: ProjectionHandlers<StockItemEvent> = {
  StockReceived: (tx, event) => change(tx, event, event.data.quantity, 0),
  StockAdjusted: (tx, event) => change(tx, event, event.data.delta, 0),
  StockReserved: (tx, event) => change(tx, event, 0, event.data.quantity),
  StockReservationReleased: (tx, event) => change(tx, event, 0, -event.data.quantity),
  StockReservationCommitted: (tx, event) => change(tx, event, -event.data.quantity, -event.data.quantity),
  // Nothing moves, but the row's version still follows the stream (clients use it for If-Match).
  StockReservationRejected: (tx, event) => change(tx, event, 0, 0),
};

/**
 * Stock levels per SKU. Every event is a change of on-hand and reserved units, so each is one upsert;
 * the version guard makes a replayed event a no-op.
 */
export const stockProjection = defineProjection<StockItemEvent>('stock', stockHandlers, {
  storage: stockStorage,
});

async function change(
  tx: SqlExecutor,
  event: ProjectedEvent<StockItemEvent>,
  onHandDelta: number,
  reservedDelta: number,
): Promise<void> {
  await tx.query(
    `INSERT INTO stock_levels AS s (sku, on_hand, reserved, version, updated_at)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (sku) DO UPDATE SET
       on_hand = s.on_hand + EXCLUDED.on_hand,
       reserved = s.reserved + EXCLUDED.reserved,
       version = EXCLUDED.version,
       updated_at = EXCLUDED.updated_at
     WHERE s.version < EXCLUDED.version`,
    [event.data.sku, onHandDelta, reservedDelta, event.version, occurredAt(event)],
  );
}
