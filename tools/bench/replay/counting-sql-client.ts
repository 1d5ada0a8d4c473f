import type { NotificationListener, SqlClient, SqlExecutor, SqlResult } from '@tally/database';

/** Statements run inside transactions and the wall time they took, since the last {@link reset}. */
export interface StatementTally {
  statements: number;
  milliseconds: number;
  transactions: number;
}

/**
 * A {@link SqlClient} that counts the statements run inside its transactions and times them: where a
 * rebuild spends its time (per-event round trips in the handlers, or the reads between them). Everything
 * else is passed through unchanged.
 */
export class CountingSqlClient implements SqlClient {
  readonly tally: StatementTally = { statements: 0, milliseconds: 0, transactions: 0 };

  constructor(private readonly inner: SqlClient) {}

  get dialect(): SqlClient['dialect'] {
    return this.inner.dialect;
  }

  reset(): void {
    this.tally.statements = 0;
    this.tally.milliseconds = 0;
    this.tally.transactions = 0;
  }

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    return this.inner.query<Row>(text, params);
  }

  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.tally.transactions++;
    return this.inner.transaction((tx) => work(this.counting(tx)));
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

  private counting(tx: SqlExecutor): SqlExecutor {
    const tally = this.tally;
    return {
      async query<Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
        const started = process.hrtime.bigint();
        try {
          return await tx.query<Row>(text, params);
        } finally {
          tally.statements++;
          tally.milliseconds += Number(process.hrtime.bigint() - started) / 1e6;
        }
      },
    };
  }
}
