import type { SqlExecutor } from '@tally/database';

/** Stock of one SKU: `available` = `onHand` - `reserved`; `version` is the stock stream's version. */
export interface StockView {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly version: number;
}

/** The stock level of `sku`, or null when no stock event was ever recorded for it. */
export async function getStock(sql: SqlExecutor, sku: string): Promise<StockView | null> {
  const { rows } = await sql.query<StockView>(
    `SELECT sku, on_hand AS "onHand", reserved, available, version
     FROM stock_levels WHERE sku = $1`,
    [sku],
  );
  return rows[0] ?? null;
}
