import {
  type NotificationListener,
  quoteIdentifier,
  type SqlClient,
  type SqlExecutor,
  type SqlResult,
  splitStatements,
} from '@tally/database';

/**
 * A {@link SqlClient} that shares another client's connection but sees `schema` first on its search path:
 * the warehouse on embedded PGlite, which has one connection and cannot be opened twice. Every statement
 * and transaction runs in a transaction of the shared client that starts with `SET LOCAL search_path`, so
 * the shared client's own search path is never changed, not even for a moment.
 *
 * Consequences: a single statement outside a transaction runs in one of its own (statements that refuse
 * to run in a transaction block, such as `VACUUM`, cannot be sent through it), and closing it leaves the
 * shared client open (its owner closes it).
 */
export class SchemaScopedSqlClient implements SqlClient {
  readonly dialect: SqlClient['dialect'];
  private readonly setSearchPath: string;

  constructor(
    private readonly shared: SqlClient,
    readonly schema: string,
  ) {
    this.dialect = shared.dialect;
    this.setSearchPath = `SET LOCAL search_path TO ${quoteIdentifier(schema)}, public`;
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return this.transaction((tx) => tx.query<Row>(text, params));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.shared.transaction(async (tx) => {
      await tx.query(this.setSearchPath);
      return work(tx);
    });
  }

  /**
   * The shared client's session, with the transactions that `work` opens itself (`BEGIN` … `COMMIT`, as the
   * migrator does) scoped like {@link transaction}, and every other statement run alone in a scoped
   * transaction of that same session: session state (the migrator's advisory lock) must stay on the one
   * connection that took it, or an unlock sent through another connection would leave it held.
   */
  session<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return this.shared.session((session) => {
      let inTransaction = false;
      return work({
        query: async <Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> => {
          if (BEGINS_TRANSACTION.test(text)) {
            const result = await session.query<Row>(text, params);
            inTransaction = true;
            await session.query(this.setSearchPath);
            return result;
          }
          if (ENDS_TRANSACTION.test(text)) {
            inTransaction = false;
            return session.query<Row>(text, params);
          }
          if (inTransaction) return session.query<Row>(text, params);
          await session.query('BEGIN');
          try {
            await session.query(this.setSearchPath);
            const result = await session.query<Row>(text, params);
            await session.query('COMMIT');
            return result;
          } catch (error) {
            await session.query('ROLLBACK');
            throw error;
          }
        },
      });
    });
  }

  listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>> {
    return this.shared.listen(channel, listener);
  }

  async exec(sql: string): Promise<void> {
    await this.transaction(async (tx) => {
      for (const statement of splitStatements(sql)) await tx.query(statement);
    });
  }

  /** The shared client belongs to its owner, who closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const BEGINS_TRANSACTION = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
// `ROLLBACK TO [SAVEPOINT] x` stays inside the transaction.
const ENDS_TRANSACTION = /^\s*(COMMIT|END|ABORT)\b|^\s*ROLLBACK\b(?!\s+(WORK\s+|TRANSACTION\s+)?TO\b)/i;
