import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { quoteIdentifier } from './pg-sql-client';
import type { NotificationListener, SqlClient, SqlExecutor, SqlResult } from './sql-client.port';

export interface PgliteSqlClientOptions {
  /** Directory for the data files; omit for an in-memory database (tests). */
  readonly dataDir?: string;
  readonly schema?: string;
}

/**
 * {@link SqlClient} over embedded PGlite: one connection, so statements and transactions run one at a time.
 */
export class PgliteSqlClient implements SqlClient {
  readonly dialect = 'pglite' as const;

  private constructor(private readonly db: PGlite) {}

  static async open(options: PgliteSqlClientOptions = {}): Promise<PgliteSqlClient> {
    const db = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      extensions: { pg_trgm },
    });
    if (options.schema) {
      await db.exec(
        `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(options.schema)}; SET search_path = ${quoteIdentifier(options.schema)}, public;`,
      );
    }
    return new PgliteSqlClient(db);
  }

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return resultOf<Row>(await this.db.query<Row>(text, params as unknown[] | undefined));
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(executorOf(tx)));
  }

  session<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    // One connection: the session is the database itself.
    return work(this);
  }

  async listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>> {
    return this.db.listen(channel, listener);
  }

  async exec(sql: string): Promise<void> {
    await this.db.exec(sql);
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}

function executorOf(tx: Transaction): SqlExecutor {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      return resultOf<Row>(await tx.query<Row>(text, params as unknown[] | undefined));
    },
  };
}

function resultOf<Row>(result: { rows: Row[]; affectedRows?: number }): SqlResult<Row> {
  return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
}
