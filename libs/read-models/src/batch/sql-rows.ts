import type { SqlExecutor } from '@tally/database';

/** Column name to PostgreSQL type, in the order the row objects are read. */
export type ColumnTypes = Readonly<Record<string, string>>;

/**
 * The rows of a JSON array parameter as a relation `r` with typed columns: how the warehouse sends a whole
 * batch to PostgreSQL in one statement instead of one per event.
 */
export function recordset(param: string, columns: ColumnTypes): string {
  const typed = Object.entries(columns).map(([name, type]) => `${name} ${type}`);
  return `jsonb_to_recordset(${param}::jsonb) AS r(${typed.join(', ')})`;
}

/**
 * A text array from a JSON array parameter: a batch's thousands of keys travel as one JSON string, which
 * is cheaper to build than a PostgreSQL array literal.
 */
export const textArray = (param: string): string =>
  `ARRAY(SELECT jsonb_array_elements_text(${param}::jsonb))`;

/**
 * Inserts `rows` into `table` in one statement, skipping rows whose key is already there: facts are keyed
 * by the event they come from, so a replayed event changes nothing.
 */
export function insertRows(
  tx: SqlExecutor,
  table: string,
  columns: ColumnTypes,
  rows: readonly object[],
): Promise<unknown> {
  if (rows.length === 0) return Promise.resolve();
  const names = Object.keys(columns).join(', ');
  return tx.query(
    `INSERT INTO ${table} (${names}) SELECT ${names} FROM ${recordset('$1', columns)} ON CONFLICT DO NOTHING`,
    [JSON.stringify(rows)],
  );
}
