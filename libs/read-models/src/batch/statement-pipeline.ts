import type { SqlExecutor, SqlResult } from '@tally/database';

/**
 * Runs a batch's statements one after another, in the order they are given, without the caller waiting
 * for each: while PostgreSQL works through the inserts already sent, the projection folds the next
 * tables in JavaScript. Once a statement fails, the ones given after it are skipped (they reject too).
 */
export class StatementPipeline implements SqlExecutor {
  private tail: Promise<unknown> = Promise.resolve();
  private failed = false;

  constructor(private readonly tx: SqlExecutor) {}

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<Row>> {
    const result = this.tail.then(() => {
      if (this.failed) throw new Error('Skipped: an earlier statement of the batch failed');
      return this.tx.query<Row>(text, params);
    });
    this.tail = result.catch(() => {
      this.failed = true;
    });
    return result;
  }

  /** Resolves once every statement given so far has run or been skipped. */
  async settled(): Promise<void> {
    await this.tail;
  }
}
