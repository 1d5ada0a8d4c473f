import type { SqlExecutor } from '@tally/database';
import type { RecordedEvent } from '@tally/event-store';
import type { Projection } from '@tally/read-models';
import { millisecondsSince, observedExecutor } from '../observed-sql-client';

/** Time spent in one kind of statement the projection runs. */
export interface StatementStats {
  calls: number;
  rows: number;
  milliseconds: number;
}

/** Where a rebuild's time went, since the last {@link RebuildProfile.reset}. */
export class RebuildProfile {
  /** Fill (and switch) transactions: wall time from the first statement to the commit. */
  transactions = 0;
  transactionMilliseconds = 0;
  /** Calls of the projection's `apply` and their wall time (its statements and its JavaScript). */
  applies = 0;
  events = 0;
  applyMilliseconds = 0;
  /**
   * The statements `apply` ran, by their opening words (`INSERT INTO fact_payment`, …), numbered when one
   * label covers several distinct statements (`UPDATE dim_product #2`).
   */
  readonly statements = new Map<string, StatementStats>();
  private readonly texts = new Map<string, string[]>();

  reset(): void {
    this.transactions = 0;
    this.transactionMilliseconds = 0;
    this.applies = 0;
    this.events = 0;
    this.applyMilliseconds = 0;
    this.statements.clear();
    this.texts.clear();
  }

  /** Wall time of `apply` spent waiting for its statements. */
  get statementMilliseconds(): number {
    let total = 0;
    for (const stats of this.statements.values()) total += stats.milliseconds;
    return total;
  }

  get statementCount(): number {
    let total = 0;
    for (const stats of this.statements.values()) total += stats.calls;
    return total;
  }

  record(text: string, rows: number, milliseconds: number): void {
    const label = this.labelOf(text);
    let stats = this.statements.get(label);
    if (!stats) this.statements.set(label, (stats = { calls: 0, rows: 0, milliseconds: 0 }));
    stats.calls++;
    stats.rows += rows;
    stats.milliseconds += milliseconds;
  }

  private labelOf(text: string): string {
    const label = statementLabel(text);
    let seen = this.texts.get(label);
    if (!seen) this.texts.set(label, (seen = []));
    let index = seen.indexOf(text);
    // Statements built per batch (a literal list) would each count as new: past a few, lump them.
    if (index < 0 && seen.length < MAX_VARIANTS) index = seen.push(text) - 1;
    return index <= 0 ? label : `${label} #${index + 1}`;
  }
}

const MAX_VARIANTS = 6;

/**
 * The projection as it is, with `apply` timed and the statements it runs timed one by one, so that a
 * rebuild's time splits into reading events, the projection's JavaScript, each of its statements, and
 * what the rebuild itself adds around them.
 */
export function profiledProjection(projection: Projection, profile: RebuildProfile): Projection {
  return {
    ...projection,
    async apply(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void> {
      const started = process.hrtime.bigint();
      try {
        await projection.apply(
          observedExecutor(tx, (text, rows, ms) => {
            profile.record(text, rows, ms);
          }),
          events,
        );
      } finally {
        profile.applies++;
        profile.events += events.length;
        profile.applyMilliseconds += millisecondsSince(started);
      }
    },
  };
}

/**
 * What a statement writes and reads: `INSERT fact_payment`, `UPDATE fact_order_line (reading dim_product)`,
 * `SELECT warehouse_cart_state, fact_cart_activity`. Enough to tell apart the statements of a set-based
 * projection, which runs each a few times per batch, whatever their parameters.
 */
export function statementLabel(text: string): string {
  const sql = text.replace(/\s+/g, ' ').trim();
  const ctes = new Set(
    [...sql.matchAll(/(?:\bWITH|,)\s+(\w+)\s+AS\s+(?:(?:NOT\s+)?MATERIALIZED\s+)?\(/gi)].map((m) => m[1]!),
  );
  const isTable = (name: string) => !ctes.has(name) && !KEYWORDS.has(name.toUpperCase());
  const writes = unique(
    [...sql.matchAll(/\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+([a-z_][\w.]*)\b/gi)]
      .filter((m) => isTable(m[2]!))
      .map((m) => `${m[1]!.split(' ')[0]!.toUpperCase()} ${m[2]!}`),
  );
  const written = new Set(writes.map((write) => write.split(' ')[1]));
  const reads = unique(
    [...sql.matchAll(/(?<!\bDISTINCT\s)\b(?:FROM|JOIN)\s+([a-z_][\w.]*)\b(?!\s*\()/gi)]
      .map((m) => m[1]!)
      .filter((name) => isTable(name) && !written.has(name)),
  );
  if (writes.length === 0) return `SELECT ${reads.join(', ')}`.trim();
  return reads.length === 0 ? writes.join(' + ') : `${writes.join(' + ')} (reading ${reads.join(', ')})`;
}

/** Words that follow FROM, JOIN or UPDATE without being a table. */
const KEYWORDS = new Set(['LATERAL', 'ONLY', 'SET', 'SKIP', 'NOWAIT', 'OF', 'SELECT', 'UNNEST']);

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
