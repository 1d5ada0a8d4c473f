import { quoteIdentifier, type SqlExecutor } from '@tally/database';
import { percentile } from '../replay/report';

/** An inclusive range of UTC days, as the dashboard asks for it. */
export interface DayRange {
  readonly label: string;
  readonly from: string;
  readonly to: string;
}

/** Latencies of one query, one request at a time after a warm-up. */
export interface Latency {
  readonly name: string;
  readonly range: string;
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** What the answer held (rows, days, …), to show the query had something to do. */
  readonly answer: string;
}

/** `to` and the day `days − 1` before it: `days` days, both ends included. */
export function daysEndingAt(to: Date, days: number, label: string): DayRange {
  const end = Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), to.getUTCDate());
  return { label, from: isoDay(end - (days - 1) * 86_400_000), to: isoDay(end) };
}

/**
 * Runs `query` `warmUp` times (plans, caches, pool connections, as a long-running query-api has them),
 * then `runs` times, one after another, timing each.
 */
export async function timeQuery(
  name: string,
  range: DayRange,
  query: () => Promise<unknown>,
  options: { readonly runs: number; readonly warmUp: number; readonly describe: (answer: unknown) => string },
): Promise<Latency> {
  let answer: unknown;
  for (let i = 0; i < options.warmUp; i++) answer = await query();
  const samples: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const started = process.hrtime.bigint();
    answer = await query();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return {
    name,
    range: range.label,
    runs: options.runs,
    p50: percentile(samples, 0.5),
    p95: percentile(samples, 0.95),
    p99: percentile(samples, 0.99),
    max: Math.max(...samples),
    answer: options.describe(answer),
  };
}

/**
 * The statement that reads one metric view for a range of days, the way a BI tool would: on its `date`
 * column, or its `month` column (the months that overlap the range); views without either (all-time
 * rankings) are read whole.
 */
export async function viewQuery(
  sql: SqlExecutor,
  view: string,
): Promise<{ text: string; filtered: 'date' | 'month' | 'none' }> {
  const { rows } = await sql.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [view],
  );
  const columns = new Map(rows.map((row) => [row.column_name, row.data_type]));
  const from = `SELECT * FROM ${quoteIdentifier(view)}`;
  if (columns.get('date') === 'date') {
    return { text: `${from} WHERE date BETWEEN $1::date AND $2::date`, filtered: 'date' };
  }
  const month = columns.get('month');
  if (month === 'date' || month?.startsWith('timestamp')) {
    return {
      text: `${from} WHERE month BETWEEN date_trunc('month', $1::date) AND $2::date`,
      filtered: 'month',
    };
  }
  return { text: from, filtered: 'none' };
}

function isoDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}
