import type { Writable } from 'node:stream';
import { quoteIdentifier, type SqlClient, type SqlExecutor } from '@tally/database';
import { WAREHOUSE_VIEWS } from '../views/warehouse.views';
import { WAREHOUSE_TABLES } from '../warehouse.schema';
import { CsvSink, type ExportRow, type ExportSink } from './csv-sink';
import { exportOrder, relationColumns, selectExpression, type ExportColumn } from './export-columns';
import { ParquetSink } from './parquet-sink';

/** The file formats of `warehouse export`. */
export type WarehouseExportFormat = 'csv' | 'parquet';

export const WAREHOUSE_EXPORT_FORMATS: readonly WarehouseExportFormat[] = ['csv', 'parquet'];

/** Every table and metric view `warehouse export` writes; nothing else is ever named in its SQL. */
export const WAREHOUSE_EXPORTABLE: readonly string[] = [...WAREHOUSE_TABLES, ...WAREHOUSE_VIEWS];

/**
 * How a date column holds its day: `date_key` an int `yyyymmdd`, `date` a date, `month` the first day of
 * its month (a month overlapping the range is exported whole), `timestamp` an instant (its UTC day counts).
 */
export type ExportDateKind = 'date_key' | 'date' | 'month' | 'timestamp';

export interface ExportDateColumn {
  readonly column: string;
  readonly kind: ExportDateKind;
}

/**
 * The column `--from`/`--to` select on, for each table and view (docs/warehouse.md, "Export"): the UTC day
 * of the business fact a row records. Facts use their indexed `date_key` (the day they were placed, paid,
 * searched...), product versions the day they became valid, carts the day they were opened. Null for the
 * views that aggregate all time, which take no range.
 */
export const WAREHOUSE_EXPORT_DATE_COLUMNS: Readonly<Record<string, ExportDateColumn | null>> = {
  dim_date: { column: 'date', kind: 'date' },
  dim_product: { column: 'valid_from', kind: 'timestamp' },
  dim_customer: { column: 'registered_date_key', kind: 'date_key' },
  fact_order_line: { column: 'date_key', kind: 'date_key' },
  fact_payment: { column: 'date_key', kind: 'date_key' },
  fact_cart_activity: { column: 'date_key', kind: 'date_key' },
  warehouse_cart_state: { column: 'opened_at', kind: 'timestamp' },
  fact_stock_movement: { column: 'date_key', kind: 'date_key' },
  fact_search: { column: 'date_key', kind: 'date_key' },
  agg_sales_daily: { column: 'date_key', kind: 'date_key' },
  agg_category_revenue_daily: { column: 'date_key', kind: 'date_key' },
  agg_product_sales_daily: { column: 'date_key', kind: 'date_key' },
  agg_cart_funnel_daily: { column: 'date_key', kind: 'date_key' },
  agg_stock_monthly: { column: 'month', kind: 'month' },
  metric_revenue_daily: { column: 'date', kind: 'date' },
  metric_revenue_by_category_daily: { column: 'date', kind: 'date' },
  metric_orders_daily: { column: 'date', kind: 'date' },
  metric_funnel_daily: { column: 'date', kind: 'date' },
  metric_cart_abandonment_daily: { column: 'date', kind: 'date' },
  metric_product_sales_daily: { column: 'date', kind: 'date' },
  metric_top_products: null,
  metric_stock_turns_monthly: { column: 'month', kind: 'month' },
  metric_search_terms_daily: { column: 'date', kind: 'date' },
  metric_zero_result_searches: null,
};

/** The date column of an exportable table or view, or null when it takes no date range. */
export function exportDateColumn(relation: string): ExportDateColumn | null {
  return WAREHOUSE_EXPORT_DATE_COLUMNS[relation] ?? null;
}

/** True for a calendar day written `YYYY-MM-DD` that exists (2026-02-30 does not). */
export function isExportDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}

export interface WarehouseExportOptions {
  /** One of {@link WAREHOUSE_EXPORTABLE}. */
  readonly relation: string;
  /** First UTC day (inclusive), `YYYY-MM-DD`. */
  readonly from?: string | undefined;
  /** Last UTC day (inclusive), `YYYY-MM-DD`. */
  readonly to?: string | undefined;
  readonly format: WarehouseExportFormat;
  readonly out: Writable;
  /** Rows written so far, of `total` selected. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Rows per round trip (default 10,000). */
  readonly fetchRows?: number;
  /** Rows per Parquet row group (default 50,000). */
  readonly rowGroupRows?: number;
}

export interface WarehouseExportResult {
  readonly rows: number;
  readonly columns: readonly ExportColumn[];
}

/** The export was asked for something the warehouse does not have (a relation, a date column). */
export class WarehouseExportError extends Error {
  override readonly name = 'WarehouseExportError';
}

const DEFAULT_FETCH_ROWS = 10_000;
const CURSOR = 'warehouse_export';

/**
 * Writes one warehouse table or metric view, optionally limited to a range of UTC days, to `out` as CSV or
 * Parquet, sorted by its primary key (views: by all columns) so that the same data always gives the same
 * file. Memory stays flat whatever the size: rows come through a server-side cursor, a page at a time,
 * inside one read-only repeatable-read transaction, so the count for progress and the rows agree even
 * while the projection keeps writing.
 *
 * `sql` is the warehouse client: its search path has the warehouse schema first.
 */
export async function exportWarehouseRelation(
  sql: SqlClient,
  options: WarehouseExportOptions,
): Promise<WarehouseExportResult> {
  const { relation } = options;
  if (!WAREHOUSE_EXPORTABLE.includes(relation)) {
    throw new WarehouseExportError(`${relation} is not a warehouse table or view`);
  }
  for (const day of [options.from, options.to]) {
    if (day !== undefined && !isExportDay(day))
      throw new WarehouseExportError(`${day} is not a YYYY-MM-DD day`);
  }
  const ranged = options.from !== undefined || options.to !== undefined;
  const dateColumn = ranged ? exportDateColumn(relation) : null;
  if (ranged && !dateColumn)
    throw new WarehouseExportError(`${relation} covers all time: it takes no date range`);

  return sql.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const columns = await relationColumns(tx, relation);
    if (columns.length === 0) {
      throw new WarehouseExportError(`the warehouse schema has no ${relation}: is the warehouse migrated?`);
    }
    if (dateColumn && !columns.some((column) => column.name === dateColumn.column)) {
      throw new WarehouseExportError(`${relation} has no column ${dateColumn.column} to select days on`);
    }
    const filter = dateColumn ? dayFilter(dateColumn, options.from, options.to) : { where: '', params: [] };
    const source = `${quoteIdentifier(relation)}${filter.where ? ` WHERE ${filter.where}` : ''}`;
    const { rows: counted } = await tx.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM ${source}`,
      filter.params,
    );
    const total = counted[0]?.total ?? 0;
    const order = (await exportOrder(tx, relation, columns)).map(quoteIdentifier).join(', ');
    const selectList = columns.map((column, i) => `${selectExpression(column)} AS c${i}`).join(', ');
    await tx.query(
      `DECLARE ${CURSOR} NO SCROLL CURSOR FOR SELECT ${selectList} FROM ${source} ORDER BY ${order}`,
      filter.params,
    );
    const sink: ExportSink =
      options.format === 'parquet'
        ? new ParquetSink(columns, options.out, options.rowGroupRows)
        : new CsvSink(columns, options.out);
    const written = await copyRows(
      tx,
      columns.length,
      sink,
      options.fetchRows ?? DEFAULT_FETCH_ROWS,
      (done) => options.onProgress?.(done, total),
    );
    await sink.finish();
    return { rows: written, columns };
  });
}

/** Fetches the cursor a page at a time into `sink`; resolves to the number of rows. */
async function copyRows(
  tx: SqlExecutor,
  width: number,
  sink: ExportSink,
  fetchRows: number,
  onProgress: (done: number) => void,
): Promise<number> {
  let done = 0;
  onProgress(done);
  for (;;) {
    const { rows } = await tx.query<Record<string, string | null>>(`FETCH ${fetchRows} FROM ${CURSOR}`);
    if (rows.length === 0) return done;
    await sink.write(rows.map((row) => toExportRow(row, width)));
    done += rows.length;
    onProgress(done);
  }
}

function toExportRow(row: Record<string, string | null>, width: number): ExportRow {
  const values: (string | null)[] = new Array<string | null>(width);
  for (let i = 0; i < width; i++) values[i] = row[`c${i}`] ?? null;
  return values;
}

/**
 * The SQL condition selecting the UTC days [from, to] on a date column, with its parameters. The days are
 * always parameters; the column name comes from {@link WAREHOUSE_EXPORT_DATE_COLUMNS}.
 */
export function dayFilter(
  date: ExportDateColumn,
  from: string | undefined,
  to: string | undefined,
): { where: string; params: unknown[] } {
  const column = quoteIdentifier(date.column);
  const conditions: string[] = [];
  const params: unknown[] = [];
  const bound = (operator: string, value: unknown, cast: string) => {
    params.push(value);
    conditions.push(`${column} ${operator} ${cast.replace('$', `$${params.length}`)}`);
  };
  switch (date.kind) {
    case 'date_key':
      if (from !== undefined) bound('>=', dateKey(from), '$::int');
      if (to !== undefined) bound('<=', dateKey(to), '$::int');
      break;
    case 'date':
      if (from !== undefined) bound('>=', from, '$::date');
      if (to !== undefined) bound('<=', to, '$::date');
      break;
    case 'month':
      if (from !== undefined) bound('>=', from, `date_trunc('month', $::date)::date`);
      if (to !== undefined) bound('<=', to, '$::date');
      break;
    case 'timestamp':
      if (from !== undefined) bound('>=', `${from}T00:00:00.000Z`, '$::timestamptz');
      if (to !== undefined) bound('<', nextDay(to), '$::timestamptz');
      break;
  }
  return { where: conditions.join(' AND '), params };
}

function dateKey(day: string): number {
  return Number(day.replace(/-/g, ''));
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString();
}
