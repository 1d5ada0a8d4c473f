import { quoteIdentifier, type SqlClient, type SqlExecutor } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import { type ShopHistory, writeShopHistory } from '../replay/shop-history';

/**
 * What the benchmark needs to know about a generated history, kept beside it (as JSON) for the next run:
 * the generator's summary, with the business time it spans.
 */
export interface BenchHistory extends Omit<ShopHistory, 'eventsByType' | 'asOfStreamId' | 'checkpoint'> {
  readonly eventsByType: Readonly<Record<string, number>>;
  /** Business time of the first event (ISO-8601). */
  readonly startAt: string;
  /** Simulated business minutes per tick of the generator. */
  readonly tickMinutes: number;
  readonly ticks: number;
}

export interface HistoryOptions {
  readonly sql: SqlClient;
  readonly store: EventStore;
  /** At least this many events. */
  readonly events: number;
  /** At least this many orders. */
  readonly orders: number;
  /** Business days the history should span, ending about `end`. */
  readonly days: number;
  readonly end: Date;
  readonly appenders: number;
  readonly onProgress?: (appended: number) => void;
}

const MINUTE_MS = 60_000;
const SUMMARY_TABLE = 'bench_warehouse_history';

/** The summary of the history in `schema`, when an earlier run finished writing one there. */
export async function existingHistory(sql: SqlExecutor, schema: string): Promise<BenchHistory | undefined> {
  const table = `${quoteIdentifier(schema)}.${SUMMARY_TABLE}`;
  const { rows } = await sql.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
    table,
  ]);
  if (rows[0]?.found !== true) return undefined;
  const summary = await sql.query<{ summary: BenchHistory }>(`SELECT summary FROM ${table} LIMIT 1`);
  return summary.rows[0]?.summary;
}

/**
 * Writes a shop history with `writeShopHistory` (the replay benchmark's generator) on its simulated clock,
 * each tick long enough for the whole history to span about `days` days, and records its summary in the
 * same schema, last, so that only a complete history is reused.
 */
export async function writeHistory(options: HistoryOptions): Promise<BenchHistory> {
  const tickMinutes = Math.max(10, Math.floor((options.days * 24 * 60) / expectedTicks(options)));
  const startAt = new Date(options.end.getTime() - options.days * 24 * 60 * MINUTE_MS);
  let ticks = 0;
  const history = await writeShopHistory({
    store: options.store,
    events: options.events,
    orders: options.orders,
    appenders: options.appenders,
    startAt,
    tickMinutes,
    onProgress(appended) {
      ticks++;
      options.onProgress?.(appended);
    },
  });
  const summary: BenchHistory = {
    events: history.events,
    appends: history.appends,
    seconds: history.seconds,
    streams: history.streams,
    products: history.products,
    carts: history.carts,
    orders: history.orders,
    customers: history.customers,
    eventsByType: Object.fromEntries(history.eventsByType),
    startAt: startAt.toISOString(),
    tickMinutes,
    ticks,
  };
  await options.sql.exec(`CREATE TABLE ${SUMMARY_TABLE} (summary jsonb NOT NULL)`);
  await options.sql.query(`INSERT INTO ${SUMMARY_TABLE} (summary) VALUES ($1::jsonb)`, [
    JSON.stringify(summary),
  ]);
  return summary;
}

/**
 * About how many ticks the history takes: the generator starts `size / 400` stories a tick (between 40
 * and 3,000, `size` being the events asked for or 20 per order, whichever is more), about 20 events each,
 * 85 % of them checked out, and a newcomer's cart opens two ticks after its sign-up. An estimate only: the
 * summary records the ticks written, and the metrics are read for the days the orders really span.
 */
function expectedTicks(options: { readonly events: number; readonly orders: number }): number {
  const size = Math.max(options.events, options.orders * 20);
  const storiesPerTick = Math.min(3000, Math.max(40, Math.round(size / 400)));
  return Math.ceil(Math.max(options.events / 20, options.orders / 0.85) / storiesPerTick) + 2;
}
