import type { SqlExecutor } from '@tally/database';
import { tableDigests } from '@tally/read-models';
import type { WAREHOUSE_TABLES } from '../warehouse.schema';

/** The key of each warehouse table: the total order its rows are digested in. */
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
  agg_sales_daily: 'date_key, currency COLLATE "C"',
  agg_category_revenue_daily: 'date_key, currency COLLATE "C", category COLLATE "C"',
  agg_product_sales_daily: 'date_key, sku COLLATE "C"',
  agg_cart_funnel_daily: 'date_key',
  agg_stock_monthly: 'sku COLLATE "C", month',
};

/** An MD5 per warehouse table over its rows in primary-key order (see {@link tableDigests}). */
export function warehouseDigest(sql: SqlExecutor): Promise<Record<string, string>> {
  return tableDigests(sql, ROW_ORDER);
}
