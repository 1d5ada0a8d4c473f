import { quoteIdentifier, type SqlExecutor } from '@tally/database';

/**
 * The type a column is exported as. Parquet keeps it as a typed column; CSV writes PostgreSQL's text of the
 * value, except timestamps, which are ISO-8601 UTC instants with milliseconds (the precision Tally records).
 */
export type ExportColumnType = 'int32' | 'int64' | 'double' | 'boolean' | 'date' | 'timestamp' | 'string';

export interface ExportColumn {
  readonly name: string;
  readonly type: ExportColumnType;
  /** False when the column is declared NOT NULL (a view's columns are always nullable). */
  readonly nullable: boolean;
}

// Everything not listed is exported as its text (text, uuid, jsonb, intervals...).
const TYPES: Readonly<Record<string, ExportColumnType>> = {
  int2: 'int32',
  int4: 'int32',
  int8: 'int64',
  float4: 'double',
  float8: 'double',
  // `sum(bigint)` and ratios in the metric views are numeric: exact in CSV, a double in Parquet.
  numeric: 'double',
  bool: 'boolean',
  date: 'date',
  timestamptz: 'timestamp',
};

/** Maps a PostgreSQL type name (`pg_type.typname`) to its export type. */
export function exportColumnType(typeName: string): ExportColumnType {
  return TYPES[typeName] ?? 'string';
}

/**
 * The columns of a relation (table or view) of the current schema, in their declared order; empty when
 * there is no such relation. Read from the catalog so that a column added to the warehouse is exported
 * without a change here.
 */
export async function relationColumns(tx: SqlExecutor, relation: string): Promise<ExportColumn[]> {
  const { rows } = await tx.query<{ name: string; type_name: string; not_null: boolean }>(
    `SELECT a.attname AS name, t.typname AS type_name, a.attnotnull AS not_null
     FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1))
       AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [relation],
  );
  return rows.map((row) => ({
    name: row.name,
    type: exportColumnType(row.type_name),
    nullable: !row.not_null,
  }));
}

/**
 * The select-list expression of a column: every value travels as text, so that big integers and numerics
 * stay exact and CSV needs no formatting of its own. Dates and timestamps are formatted explicitly, as
 * their text would otherwise follow the session's DateStyle and time zone.
 */
export function selectExpression(column: ExportColumn): string {
  const name = quoteIdentifier(column.name);
  switch (column.type) {
    case 'timestamp':
      return `to_char(${name} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'date':
      return `to_char(${name}, 'YYYY-MM-DD')`;
    default:
      return `${name}::text`;
  }
}

/**
 * The columns an export is sorted by: the relation's primary key, or else (views) all its columns in
 * order, so that exporting the same data twice gives the same file.
 */
export async function exportOrder(
  tx: SqlExecutor,
  relation: string,
  columns: readonly ExportColumn[],
): Promise<string[]> {
  const { rows } = await tx.query<{ name: string }>(
    `SELECT a.attname AS name
     FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
     WHERE i.indrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND i.indisprimary
     ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [relation],
  );
  return rows.length > 0 ? rows.map((row) => row.name) : columns.map((column) => column.name);
}
