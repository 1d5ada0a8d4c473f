/**
 * Checkout latency and throughput, end to end, in full mode: `POST /api/v1/carts/{cartId}/checkout` until
 * the order is confirmed, with command-api, query-api, projectors (and its relay) and sagas each running as
 * its own built process on PostgreSQL and NATS JetStream, and the simulated payment provider answering at once.
 *
 *   npm run bench:checkout                          # BENCH_DATABASE_URL / BENCH_NATS_URL, else local defaults
 *   BENCH_CHECKOUTS=2 npm run bench:checkout        # multiplies the checkouts per level (default 1)
 *
 * Each level (1, 8, 32 concurrent shoppers) runs a fixed number of checkouts; every shopper checks out one
 * prepared cart (one unit of one of 64 SKUs with ample stock), waits until its order is confirmed, then
 * takes the next cart. "Confirmed" is observed by tailing the event store (the `OrderConfirmed` event), not
 * through a read model. After each level, the store's own timestamps split the time into the four hops of
 * the checkout process, and each hop into delivery (store -> relay -> JetStream -> sagas recorded the
 * event) and command (sagas -> NATS request/reply -> command-api appended the resulting event).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { PgSqlClient } from '@tally/database';
import { PostgresEventStore, type Subscription } from '@tally/event-store';
import { mapLimit, ShopClient, startFull } from '@tally/testing';

const LEVELS = [
  { shoppers: 1, checkouts: 100 },
  { shoppers: 8, checkouts: 400 },
  { shoppers: 32, checkouts: 800 },
] as const;
const WARMUP_CHECKOUTS = 40;
const SKUS = 64;
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** The checkout process's chain: each event is observed by sagas, whose command produces the next. */
const HOPS = [
  ['CartCheckedOut', 'OrderPlaced'],
  ['OrderPlaced', 'StockReserved'],
  ['StockReserved', 'PaymentAuthorized'],
  ['PaymentAuthorized', 'OrderConfirmed'],
] as const;

interface LevelResult {
  readonly shoppers: number;
  readonly checkouts: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly hops: ReadonlyMap<string, { delivery: number[]; command: number[] }>;
  /** Events the relay published per second while the level ran, and per checkout. */
  readonly relayedPerSecond: number;
  readonly eventsPerCheckout: number;
  /** The relay's backlog (`tally_relay_lag_events`), sampled every 250 ms: mean and max. */
  readonly relayLag: { readonly mean: number; readonly max: number };
  /** CPU used while the level ran, in cores (Linux `/proc`): per Tally process, this tool, and the machine. */
  readonly cpu: ReadonlyMap<string, number>;
}

const APPS = ['command-api', 'query-api', 'projectors', 'sagas'] as const;
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of one process from `/proc/<pid>/stat`, or undefined when unreadable. */
function processCpu(pid: number | 'self'): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After "pid (comm) ": state is field 0, utime 11, stime 12.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of every process whose command name is `comm` (PostgreSQL backends, nats-server), and, when
 * `mark` is given, of those among them whose command line holds it (a backend names its database there).
 */
function cpuOfCommand(comm: string, mark?: string): { all: number; marked: number } {
  const total = { all: 0, marked: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
      const cpu = processCpu(Number(entry)) ?? 0;
      total.all += cpu;
      if (mark && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(mark)) total.marked += cpu;
    } catch {
      // Exited meanwhile.
    }
  }
  return total;
}

/**
 * CPU seconds so far of each Tally process, this tool, PostgreSQL (every backend), nats-server and the whole
 * machine (busy time of all cores). Linux only; elsewhere the map is empty.
 */
function cpuSeconds(pids: ReadonlyMap<string, number | undefined>, database: string): Map<string, number> {
  const seconds = new Map<string, number>();
  if (!existsSync('/proc/stat')) return seconds;
  for (const [name, pid] of pids) {
    const value = processCpu(pid ?? 'self');
    if (value !== undefined) seconds.set(name, value);
  }
  const postgres = cpuOfCommand('postgres', database);
  seconds.set("postgres, this run's database", postgres.marked);
  seconds.set('postgres, everything else', postgres.all - postgres.marked);
  seconds.set('nats-server', cpuOfCommand('nats-server').all);
  const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number);
  const busy = [user, nice, system, irq, softirq, steal].reduce<number>(
    (sum, value) => sum + (value ?? 0),
    0,
  );
  seconds.set('machine, busy', busy / TICKS_PER_SECOND);
  seconds.set('machine, idle', ((idle ?? 0) + (iowait ?? 0)) / TICKS_PER_SECOND);
  return seconds;
}

/** Reads one unlabelled-or-summed metric from a Prometheus text page. */
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** Resolves a waiting shopper when the store records its order's confirmation (or cancellation). */
class ConfirmationTail {
  private readonly waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  private readonly early = new Map<string, string>();
  private subscription: Subscription | undefined;

  constructor(private readonly store: PostgresEventStore) {}

  async start(): Promise<void> {
    const after = await this.store.headCheckpoint();
    this.subscription = this.store.subscribe(
      { after, types: ['OrderConfirmed', 'OrderCancelled'], batchSize: 500 },
      (events) => {
        for (const event of events) {
          const orderId = String((event.data as { orderId?: unknown }).orderId);
          const waiter = this.waiting.get(orderId);
          if (!waiter) {
            this.early.set(orderId, event.type);
            continue;
          }
          this.waiting.delete(orderId);
          if (event.type === 'OrderConfirmed') waiter.resolve();
          else waiter.reject(new Error(`order ${orderId} was cancelled: ${JSON.stringify(event.data)}`));
        }
        return Promise.resolve();
      },
    );
  }

  /** Resolves once `orderId` is confirmed (rejects if it is cancelled or not confirmed within 60 s). */
  confirmed(orderId: string): Promise<void> {
    const seen = this.early.get(orderId);
    if (seen !== undefined) {
      this.early.delete(orderId);
      return seen === 'OrderConfirmed' ? Promise.resolve() : Promise.reject(new Error(`${orderId} ${seen}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(orderId);
        reject(new Error(`order ${orderId} not confirmed within 60 s`));
      }, 60_000);
      this.waiting.set(orderId, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const natsUrl = process.env.BENCH_NATS_URL ?? process.env.NATS_URL ?? DEFAULT_NATS_URL;
  const scale = Number(process.env.BENCH_CHECKOUTS ?? '1');
  if (!(scale > 0)) throw new Error('BENCH_CHECKOUTS must be a positive number');
  // The harness creates a fresh database on this server and drops it at the end.
  process.env.TEST_DATABASE_URL = databaseUrl;

  process.stderr.write('starting command-api, query-api, projectors and sagas...\n');
  const tally = await startFull({
    natsUrl,
    readyTimeoutMs: 120_000,
    env: {
      LOG_LEVEL: 'warn',
      DATABASE_POOL_SIZE: '10',
      SIMULATED_PAYMENT_LATENCY_MS: '0',
      SIMULATED_PAYMENT_FAILURE_RATE: '0',
    },
  });
  const sql = new PgSqlClient({ connectionString: tally.databaseUrl ?? '', maxConnections: 2 });
  const store = new PostgresEventStore(sql);
  const tail = new ConfirmationTail(store);
  try {
    const shop = new ShopClient(tally);
    const run = Date.now().toString(36).toUpperCase();
    const skus = Array.from({ length: SKUS }, (_, i) => `BENCH-${run}-${i}`);
    await mapLimit(skus, 8, (sku) => shop.stockProduct(sku, 1_000_000, 1500));
    await tail.start();
    const pids = new Map<string, number | undefined>([
      ...APPS.map((app) => [app, tally.process(app).pid] as const),
      ['this tool', undefined],
    ]);
    const database = new URL(tally.databaseUrl ?? '').pathname.slice(1);
    printMachine(await serverVersion(sql), natsUrl);

    process.stderr.write(`warming up (${WARMUP_CHECKOUTS} checkouts)...\n`);
    await runLevel(tally.projectors, pids, database, shop, tail, sql, skus, 8, WARMUP_CHECKOUTS);
    const results: LevelResult[] = [];
    for (const level of LEVELS) {
      const checkouts = Math.max(level.shoppers, Math.round(level.checkouts * scale));
      process.stderr.write(`${level.shoppers} shoppers, ${checkouts} checkouts...\n`);
      results.push(
        await runLevel(tally.projectors, pids, database, shop, tail, sql, skus, level.shoppers, checkouts),
      );
    }
    printResults(results);
    printCpu(results);
  } finally {
    await tail.stop();
    await store.close();
    await sql.close();
    await tally.stop();
  }
}

async function runLevel(
  projectorsUrl: string,
  pids: ReadonlyMap<string, number | undefined>,
  database: string,
  shop: ShopClient,
  tail: ConfirmationTail,
  sql: PgSqlClient,
  skus: readonly string[],
  shoppers: number,
  checkouts: number,
): Promise<LevelResult> {
  // Carts are filled before the clock starts: only checkout is measured.
  const carts = await mapLimit(Array.from({ length: checkouts }), 16, (_, i) =>
    shop.cart([{ sku: skus[i % skus.length] ?? '', quantity: 1 }]),
  );
  const latenciesMs: number[] = [];
  const orderIds: string[] = [];
  const metrics = `${projectorsUrl}/metrics`;
  const publishedBefore = await metric(metrics, 'tally_relay_published_total');
  const eventsBefore = await eventCount(sql);
  const lags: number[] = [];
  const sampling = { on: true };
  const sampler = (async () => {
    while (sampling.on) {
      lags.push(await metric(metrics, 'tally_relay_lag_events'));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const cpuBefore = cpuSeconds(pids, database);
  const started = performance.now();
  await mapLimit(carts, shoppers, async (cartId) => {
    const t0 = performance.now();
    const orderId = await shop.placeOrder(cartId);
    await tail.confirmed(orderId);
    latenciesMs.push(performance.now() - t0);
    orderIds.push(orderId);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(pids, database);
  const cpu = new Map<string, number>();
  for (const [name, after] of cpuAfter) cpu.set(name, (after - (cpuBefore.get(name) ?? after)) / seconds);
  sampling.on = false;
  await sampler;
  const relayed = (await metric(metrics, 'tally_relay_published_total')) - publishedBefore;
  return {
    shoppers,
    checkouts,
    seconds,
    latenciesMs,
    hops: await hopTimes(sql, orderIds),
    relayedPerSecond: relayed / seconds,
    eventsPerCheckout: ((await eventCount(sql)) - eventsBefore) / checkouts,
    cpu,
    relayLag: {
      mean: lags.reduce((sum, lag) => sum + lag, 0) / Math.max(1, lags.length),
      max: Math.max(0, ...lags),
    },
  };
}

/**
 * Per hop of the checkout chain and per order: delivery = when sagas recorded that it observed the event
 * (its `CheckoutEventObserved`, in `checkout-<orderId>`) minus when the event was stored; command = when the
 * next event of the chain was stored minus that record. Both from `recorded_at` (same clock, ms).
 */
async function hopTimes(
  sql: PgSqlClient,
  orderIds: readonly string[],
): Promise<Map<string, { delivery: number[]; command: number[] }>> {
  const { rows } = await sql.query<{
    order_id: string;
    type: string;
    stored: string;
    observed: string | null;
  }>(
    `SELECT e.data->>'orderId' AS order_id, e.type,
            extract(epoch FROM e.recorded_at) * 1000 AS stored,
            extract(epoch FROM min(o.recorded_at)) * 1000 AS observed
       FROM events e
       LEFT JOIN events o
         ON o.stream_id = 'checkout-' || (e.data->>'orderId') AND o.type = 'CheckoutEventObserved'
        AND o.data->>'eventId' = e.event_id::text
      WHERE e.type = ANY($1::text[]) AND e.data->>'orderId' = ANY($2::text[])
      GROUP BY e.event_id, e.data->>'orderId', e.type, e.recorded_at`,
    [[...HOPS.map(([from]) => from as string), 'OrderConfirmed'], orderIds],
  );
  const byOrder = new Map<string, Map<string, { stored: number; observed: number | null }>>();
  for (const row of rows) {
    const events =
      byOrder.get(row.order_id) ?? new Map<string, { stored: number; observed: number | null }>();
    events.set(row.type, {
      stored: Number(row.stored),
      observed: row.observed === null ? null : Number(row.observed),
    });
    byOrder.set(row.order_id, events);
  }
  const hops = new Map<string, { delivery: number[]; command: number[] }>();
  for (const [from, to] of HOPS) {
    const hop = { delivery: [] as number[], command: [] as number[] };
    for (const events of byOrder.values()) {
      const source = events.get(from);
      const next = events.get(to);
      if (!source || !next || source.observed === null) continue;
      hop.delivery.push(source.observed - source.stored);
      hop.command.push(next.stored - source.observed);
    }
    hops.set(`${from} -> ${to}`, hop);
  }
  return hops;
}

async function eventCount(sql: PgSqlClient): Promise<number> {
  const { rows } = await sql.query<{ n: string }>('SELECT count(*) AS n FROM events');
  return Number(rows[0]?.n ?? 0);
}

async function serverVersion(sql: PgSqlClient): Promise<string> {
  const { rows } = await sql.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  return rows[0]?.v ?? '?';
}

function printMachine(postgres: string, natsUrl: string): void {
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(
    `- CPU: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
  console.log(`- PostgreSQL ${postgres}; NATS at ${natsUrl}; Node.js ${process.version}`);
  console.log(`- ${SKUS} SKUs with ample stock; one unit of one SKU per cart; simulated provider at 0 ms\n`);
}

function printResults(results: readonly LevelResult[]): void {
  printTable(
    [
      'shoppers',
      'checkouts',
      'checkouts/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'events/checkout',
      'relayed/s',
      'relay lag mean / max',
    ],
    results.map((result) => [
      String(result.shoppers),
      String(result.checkouts),
      (result.checkouts / result.seconds).toFixed(1),
      percentile(result.latenciesMs, 0.5).toFixed(1),
      percentile(result.latenciesMs, 0.99).toFixed(1),
      Math.max(...result.latenciesMs).toFixed(1),
      result.eventsPerCheckout.toFixed(1),
      result.relayedPerSecond.toFixed(0),
      `${result.relayLag.mean.toFixed(0)} / ${result.relayLag.max.toFixed(0)}`,
    ]),
  );
  console.log(
    '\nWhere the time goes, per hop (p50 / p99 ms; delivery = store -> relay -> JetStream -> sagas',
  );
  console.log('recorded it; command = sagas -> NATS request/reply -> command-api stored the next event):\n');
  const hopNames = [...(results[0]?.hops.keys() ?? [])];
  printTable(
    ['hop', ...results.flatMap((result) => [`delivery @${result.shoppers}`, `command @${result.shoppers}`])],
    hopNames.map((name) => [
      name,
      ...results.flatMap((result) => {
        const hop = result.hops.get(name);
        const cell = (values: number[] | undefined) =>
          values && values.length > 0
            ? `${percentile(values, 0.5).toFixed(0)} / ${percentile(values, 0.99).toFixed(0)}`
            : '-';
        return [cell(hop?.delivery), cell(hop?.command)];
      }),
    ]),
  );
}

function printCpu(results: readonly LevelResult[]): void {
  const names = [...(results[0]?.cpu.keys() ?? [])];
  if (names.length === 0) return;
  console.log('\nCPU while measuring, in cores (of ' + String(cpus().length) + '):\n');
  printTable(
    ['process', ...results.map((result) => `@${result.shoppers}`)],
    names.map((name) => [name, ...results.map((result) => (result.cpu.get(name) ?? Number.NaN).toFixed(2))]),
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i < 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `| ${widths.map((width, i) => (i < 1 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
  );
  for (const row of rows) console.log(line(row));
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
