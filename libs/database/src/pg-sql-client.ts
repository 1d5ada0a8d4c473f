import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import type { NotificationListener, SqlClient, SqlExecutor, SqlResult } from './sql-client.port';

export interface PgSqlClientOptions {
  readonly connectionString: string;
  /** Schema to put first on the search path (tests use one schema each). */
  readonly schema?: string;
  readonly maxConnections?: number;
  readonly applicationName?: string;
}

/** {@link SqlClient} over a `pg` connection pool, plus one dedicated connection for LISTEN. */
export class PgSqlClient implements SqlClient {
  readonly dialect = 'postgres' as const;
  private readonly pool: Pool;
  private listener: Client | undefined;
  private listenerReady: Promise<Client> | undefined;
  private readonly channels = new Map<string, Set<NotificationListener>>();
  private closed = false;

  constructor(private readonly options: PgSqlClientOptions) {
    this.pool = new Pool(this.connectionConfig(options.maxConnections ?? 10));
    // An idle client that loses its connection must not crash the process; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    const result = await this.pool.query(text, params as unknown[] | undefined);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        const result = await work(executorOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }

  session<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withClient((client) => work(executorOf(client)));
  }

  /**
   * Lends one pooled connection to `work`. While it is lent, a connection error (server gone, backend
   * terminated) is caught here rather than crashing the process, and the broken connection is discarded
   * instead of going back to the pool.
   */
  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      return await work(client);
    } catch (error) {
      broken ??= isConnectionError(error) ? (error as Error) : undefined;
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken ?? false);
    }
  }

  async listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>> {
    const client = await this.listenerClient();
    let listeners = this.channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.channels.set(channel, listeners);
      await client.query(`LISTEN ${quoteIdentifier(channel)}`);
    }
    listeners.add(listener);
    return async () => {
      const current = this.channels.get(channel);
      current?.delete(listener);
      if (current?.size === 0 && !this.closed) {
        this.channels.delete(channel);
        await client.query(`UNLISTEN ${quoteIdentifier(channel)}`).catch(() => undefined);
      }
    };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.listener) await this.listener.end().catch(() => undefined);
    await this.pool.end();
  }

  private listenerClient(): Promise<Client> {
    this.listenerReady ??= (async () => {
      const client = new Client(this.connectionConfig(1));
      client.on('notification', (message) => {
        for (const listener of this.channels.get(message.channel) ?? []) listener(message.payload ?? '');
      });
      // A lost LISTEN connection is tolerated: readers fall back to polling.
      client.on('error', () => undefined);
      await client.connect();
      this.listener = client;
      return client;
    })();
    return this.listenerReady;
  }

  private connectionConfig(max: number): PoolConfig {
    const { connectionString, schema, applicationName } = this.options;
    return {
      connectionString,
      max,
      application_name: applicationName ?? 'tally',
      ...(schema ? { options: `-c search_path=${quoteIdentifier(schema)},public` } : {}),
    };
  }
}

function executorOf(client: { query: Pool['query'] }): SqlExecutor {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      const result = await client.query(text, params as unknown[] | undefined);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
  };
}

/** Quotes an SQL identifier (schema, channel). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

// Class 08 (connection exception) and 57P01..57P03 (admin shutdown, crash shutdown, cannot connect now).
function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' &&
    (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03')
  );
}
