import type { NotificationListener, SqlClient, SqlExecutor, SqlResult } from '@tally/database';

/** What an {@link ObservedSqlClient} reports, as it happens. */
export interface SqlObserver {
  /** After each statement run inside one of its transactions: its text, rows and wall time. */
  readonly statement?: (text: string, rows: number, milliseconds: number) => void;
  /** After each of its transactions, with the transaction's wall time. */
  readonly transaction?: (milliseconds: number) => void;
}

/** Milliseconds since a `process.hrtime.bigint()` reading. */
export function millisecondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * A {@link SqlClient} that reports its transactions and the statements run inside them to `observer`, so a
 * benchmark can tell where a rebuild spends its time; everything else passes through unchanged.
 */
export class ObservedSqlClient implements SqlClient {
  constructor(
    private readonly inner: SqlClient,
    private readonly observer: SqlObserver,
  ) {}

  get dialect(): SqlClient['dialect'] {
    return this.inner.dialect;
  }

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return this.inner.query<Row>(text, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const { statement, transaction } = this.observer;
    const started = process.hrtime.bigint();
    try {
      return await this.inner.transaction((tx) => work(statement ? observedExecutor(tx, statement) : tx));
    } finally {
      transaction?.(millisecondsSince(started));
    }
  }

  session<T>(work: (session: SqlExecutor) => Promise<T>): Promise<T> {
    return this.inner.session(work);
  }

  listen(channel: string, listener: NotificationListener): Promise<() => Promise<void>> {
    return this.inner.listen(channel, listener);
  }

  exec(sql: string): Promise<void> {
    return this.inner.exec(sql);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `tx`, reporting each statement's text, rows and wall time to `onStatement`. */
export function observedExecutor(
  tx: SqlExecutor,
  onStatement: NonNullable<SqlObserver['statement']>,
): SqlExecutor {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
      const started = process.hrtime.bigint();
      let rows = 0;
      try {
        const result = await tx.query<Row>(text, params);
        rows = result.rowCount;
        return result;
      } finally {
        onStatement(text, rows, millisecondsSince(started));
      }
    },
  };
}
