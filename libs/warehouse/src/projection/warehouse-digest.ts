import type { SqlExecutor } from '@tally/database';
import { WAREHOUSE_TABLES } from '../warehouse.schema';

/** The primary key of each warehouse table: the total order its rows are digested in. */
const ROW_ORDER: Readonly<Record<(typeof WAREHOUSE_TABLES)[number], string>> = {
  dim_date: 'date_key',
  dim_product: 'product_key',
  dim_customer: 'customer_key COLLATE "C"',
  fact_order_line: 'order_id COLLATE "C", line_no',
  fact_payment: 'event_id',
  fact_cart_activity: 'activity_id COLLATE "C"',
  warehouse_cart_state: 'cart_id COLLATE "C"',
  fact_stock_movement: 'event_id',
  fact_search: 'event_id',
};

/**
 * An MD5 per warehouse table over the text of its rows in primary-key order: two builds from the same
 * events are identical iff every digest is. Times print in the session's time zone, so compare digests
 * taken with the same settings.
 */
export async function warehouseDigest(sql: SqlExecutor): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const table of WAREHOUSE_TABLES) {
    const { rows } = await sql.query<{ digest: string }>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${ROW_ORDER[table]}), '')) AS digest
       FROM ${table} t`,
    );
    digests[table] = rows[0]?.digest ?? '';
  }
  return digests;
}
