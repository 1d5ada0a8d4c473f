/**
 * The one way Tally code talks to PostgreSQL, whether it is a real server (`pg`) or embedded PGlite.
 *
 * Conventions every caller relies on:
 * - Parameters are positional (`$1`, `$2`, ...).
 * - `bigint`/`int8`/`xid8` values differ between drivers: cast them in SQL (`::text` or `::int`).
 * - `timestamptz` columns arrive as `Date`, `jsonb` columns as parsed JSON.
 */
export interface SqlResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Something that runs statements: the client itself or an open transaction. */
export interface SqlExecutor {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>>;
}

export type NotificationListener = (payload: string) => void;

export interface SqlClient extends SqlExecutor {
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Runs `work` on one dedicated session (not a transaction). Use for session state such as advisory
   * locks or a transaction held open across statements.
   */
  session<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; the returned function stops listening. */
  listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>>;
  /** Runs several statements separated by semicolons, without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
