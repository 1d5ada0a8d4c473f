/**
 * Warehouse benchmark (issue "Analysts", Performance): how fast the `warehouse` projection fills the star
 * schema during a blue/green rebuild over a generated shop history of at least a million events, and how
 * quickly the dashboard's metrics come back from the views over 100,000 orders.
 *
 *   npm run bench:warehouse                            # BENCH_DATABASE_URL, else DATABASE_URL, else local default
 *   BENCH_WAREHOUSE_EVENTS=1000000                     # at least this many events (default 1,000,000)
 *   BENCH_WAREHOUSE_ORDERS=100000                      # and at least this many orders (default 100,000)
 *   BENCH_WAREHOUSE_DAYS=365                           # business days the history spans (default 365)
 *   BENCH_WAREHOUSE_REUSE=1                            # keep the history (and warehouse) for the next run
 *   BENCH_WAREHOUSE_ONLY=rebuild,verify,views          # parts to measure (default all)
 *   BENCH_WAREHOUSE_RUNS=50                            # timed runs per query after 5 warm-up runs (default 50)
 *   BENCH_WAREHOUSE_APPENDERS=8                        # concurrent appenders while generating (default 8)
 *
 * The history is written through `EventStore.append` by the replay benchmark's generator on its simulated
 * clock, stretched so that the business time spans about `BENCH_WAREHOUSE_DAYS` days ending now. The warehouse lives in its own schema beside the
 * events (`<schema>__warehouse`, first on the warehouse client's search path, as in production). Without
 * `BENCH_WAREHOUSE_REUSE` everything is created fresh and dropped at the end; with it the schema is named
 * after the sizes and kept, and a later run with the same sizes starts from it. Results go to stdout as
 * Markdown.
 */
import { randomBytes } from 'node:crypto';
import { migrate, type MigrationSet, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore, START, type Checkpoint } from '@tally/event-store';
import {
  type Projection,
  projectionRunnerMigrations,
  rebuildProjection,
  type RebuildProgress,
} from '@tally/read-models';
import {
  createWarehouseProjection,
  createWarehouseViews,
  readMetric,
  sweepAbandonedCarts,
  WAREHOUSE_METRICS,
  WAREHOUSE_TABLES,
  WAREHOUSE_VIEWS,
  warehouseDigest,
  warehouseTableMigrations,
  warehouseViewMigrations,
} from '@tally/warehouse';
import { count, printMachine, printTable, rate, secondsSince, verdict } from './replay/report';
import {
  benchDatabaseUrl,
  dropBenchSchemas,
  positiveInteger,
  printLoad,
  progress,
  selectedParts,
  serverSettings,
} from './support';
import { type BenchHistory, existingHistory, writeHistory } from './warehouse/history';
import { ObservedSqlClient } from './observed-sql-client';
import { profiledProjection, RebuildProfile } from './warehouse/instrument';
import { daysEndingAt, type DayRange, type Latency, timeQuery, viewQuery } from './warehouse/latency';

const READ_PAGE = 10_000;
/** The second build's batch size: a different batching must give the same tables. */
const VERIFY_BATCH_SIZE = 2_500;
const CART_IDLE_MINUTES = 60;
const PSEUDONYM_KEY = 'bench-warehouse-pseudonym-key';
const WARM_UP_RUNS = 5;
/** The `limit` the dashboard uses for ranked metrics (the endpoint's default). */
const DASHBOARD_LIMIT = 10;
const PARTS = ['rebuild', 'verify', 'views'] as const;
const AIM = { eventsPerSecond: 30_000, p95Ms: 200 } as const;
/**
 * The warehouse's migrations as production applies them, less the analyst role (a cluster-wide role is
 * not the benchmark's business).
 */
const WAREHOUSE_MIGRATIONS: MigrationSet = {
  module: 'warehouse',
  migrations: [...projectionRunnerMigrations, ...warehouseTableMigrations, ...warehouseViewMigrations],
};

/** What the final summary needs from each measurement. */
interface Outcome {
  eventsPerSecond?: number;
  digestsEqual?: boolean;
  slowestP95?: Latency;
}

/** One rebuild through `rebuildProjection`, and where its time went. */
interface Build {
  readonly label: string;
  readonly batchSize: number;
  readonly events: number;
  readonly seconds: number;
  readonly setupSeconds: number;
  readonly fillSeconds: number;
  readonly switchSeconds: number;
  /** Fill transactions only (the switch's is left out). */
  readonly fillTransactionSeconds: number;
  readonly applySeconds: number;
  readonly statementSeconds: number;
  readonly statements: number;
  readonly batches: number;
  readonly byStatement: readonly (readonly [string, { calls: number; rows: number; milliseconds: number }])[];
  readonly sweepSeconds: number;
}

async function main(): Promise<void> {
  const url = benchDatabaseUrl();
  const targetEvents = positiveInteger('BENCH_WAREHOUSE_EVENTS', 1_000_000);
  const targetOrders = positiveInteger('BENCH_WAREHOUSE_ORDERS', 100_000);
  const days = positiveInteger('BENCH_WAREHOUSE_DAYS', 365);
  const runs = positiveInteger('BENCH_WAREHOUSE_RUNS', 50);
  const appenders = positiveInteger('BENCH_WAREHOUSE_APPENDERS', 8);
  const reuse = flag('BENCH_WAREHOUSE_REUSE');
  const only = selectedParts('BENCH_WAREHOUSE_ONLY', PARTS);
  const schema = reuse
    ? `bench_warehouse_${targetEvents}e_${targetOrders}o_${days}d`
    : `bench_warehouse_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const warehouseSchema = `${schema}__warehouse`;

  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1, applicationName: 'tally-bench' });
  const reused = reuse ? await existingHistory(admin, schema) : undefined;
  // A history an interrupted run left half-written cannot be continued: start again.
  if (!reused) await dropBenchSchemas(admin, schema);
  await admin.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  await admin.exec(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(warehouseSchema)}`);
  const sql = new PgSqlClient({
    connectionString: url,
    schema,
    maxConnections: appenders + 2,
    applicationName: 'tally-bench',
  });
  // The warehouse client as production has it: the warehouse schema first, the events' schema after it.
  const warehouseUrl = new URL(url);
  warehouseUrl.searchParams.set(
    'options',
    `-c search_path=${quoteIdentifier(warehouseSchema)},${quoteIdentifier(schema)},public`,
  );
  const warehouse = new PgSqlClient({
    connectionString: warehouseUrl.toString(),
    maxConnections: 4,
    applicationName: 'tally-bench',
  });
  const store = new PostgresEventStore(sql);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(reuse ? `${signal}: keeping ${schema} for reuse` : `${signal}: dropping ${schema}`);
      void (reuse ? Promise.resolve() : dropBenchSchemas(admin, schema)).finally(() => process.exit(130));
    });
  }

  const outcome: Outcome = {};
  const started = process.hrtime.bigint();
  try {
    await migrate(sql, [eventStoreMigrations]);
    await migrate(warehouse, [WAREHOUSE_MIGRATIONS]);
    const settings = await serverSettings(sql);
    printMachine(url, settings.server_version ?? '?', {
      shared_buffers: settings.shared_buffers ?? '?',
      synchronous_commit: settings.synchronous_commit ?? '?',
      work_mem: settings.work_mem ?? '?',
    });
    console.log(
      `- schema ${schema} (warehouse in ${warehouseSchema}); target ${count(targetEvents)} events and ` +
        `${count(targetOrders)} orders over ${days} days; parts ${[...only].join(', ')}\n`,
    );

    const history =
      reused ??
      (await generate(sql, store, {
        events: targetEvents,
        orders: targetOrders,
        days,
        appenders,
      }));
    printHistory(history, reused !== undefined);
    printLoad();

    const projection = createWarehouseProjection({
      pseudonymKey: PSEUDONYM_KEY,
      cartIdleMinutes: CART_IDLE_MINUTES,
      afterSwitch: { dropViews: [...WAREHOUSE_VIEWS].reverse(), recreate: createWarehouseViews },
    });
    // Every cart of the history has had its last event by the end of the last tick.
    const historyEnd = Date.parse(history.startAt) + history.ticks * history.tickMinutes * 60_000;
    const sweepAt = new Date(historyEnd + (CART_IDLE_MINUTES + 1) * 60_000);
    const build = (label: string, batchSize: number) =>
      rebuildOnce(warehouse, store, projection, { label, batchSize, sweepAt });

    if (only.has('rebuild') || only.has('verify')) {
      console.log('\n## Warehouse projection: blue/green rebuild (`rebuildProjection`)\n');
      const read = await readAlone(store, projection.eventTypes);
      const builds: Build[] = [];
      const digests: Record<string, string>[] = [];
      if (only.has('rebuild')) {
        builds.push(await build('rebuild', 10_000));
        digests.push(await warehouseDigest(warehouse));
        outcome.eventsPerSecond = builds[0]!.events / builds[0]!.seconds;
      }
      if (only.has('verify')) {
        if (builds.length === 0) {
          builds.push(await build('first build', 10_000));
          digests.push(await warehouseDigest(warehouse));
        }
        builds.push(await build(`second build (batches of ${count(VERIFY_BATCH_SIZE)})`, VERIFY_BATCH_SIZE));
        digests.push(await warehouseDigest(warehouse));
      }
      printBuilds(builds, read, history);
      printBreakdown(builds[0]!);
      const rows = await rowCounts(warehouse);
      outcome.digestsEqual = digests.length === 2 ? printDigests(digests, rows) : undefined;
      if (digests.length < 2) printRows(rows);
      printLoad();
    } else if (!(await hasBeenBuilt(warehouse))) {
      progress('the warehouse was never built in this schema: building it once (not measured)');
      await build('unmeasured build', 10_000);
    }

    if (only.has('views')) {
      console.log('\n## Metrics over the views\n');
      outcome.slowestP95 = await measureMetrics(warehouse, runs);
      printLoad();
    }
  } finally {
    await store.close();
    await sql.close();
    await warehouse.close();
    if (!reuse) await dropBenchSchemas(admin, schema);
    await admin.close();
  }

  console.log('\n## Aims\n');
  const { eventsPerSecond, digestsEqual, slowestP95 } = outcome;
  console.log(
    `- warehouse rebuild >= ${count(AIM.eventsPerSecond)} events/s: ` +
      (eventsPerSecond === undefined
        ? 'not measured'
        : `${count(Math.round(eventsPerSecond))} events/s ${verdict(eventsPerSecond >= AIM.eventsPerSecond)}`),
  );
  console.log(
    `- a second build gives identical tables (digest): ` +
      (digestsEqual === undefined ? 'not checked' : digestsEqual ? 'yes' : '**NO**'),
  );
  console.log(
    `- every metric p95 < ${AIM.p95Ms} ms: ` +
      (slowestP95 === undefined
        ? 'not measured'
        : `slowest ${slowestP95.name} (${slowestP95.range}) ${slowestP95.p95.toFixed(1)} ms ` +
          verdict(slowestP95.p95 < AIM.p95Ms)),
  );
  console.log(`\nWhole run: ${secondsSince(started).toFixed(0)} s.`);
  if (digestsEqual === false) process.exitCode = 1;
}

/** A new history whose business time ends now. */
async function generate(
  sql: SqlClient,
  store: PostgresEventStore,
  options: { events: number; orders: number; days: number; appenders: number },
): Promise<BenchHistory> {
  const started = process.hrtime.bigint();
  let lastReport = 0;
  const history = await writeHistory({
    sql,
    store,
    ...options,
    end: new Date(),
    onProgress(appended) {
      if (appended - lastReport < 100_000) return;
      lastReport = appended;
      progress(`generated ${count(appended)} events (${rate(appended, secondsSince(started))} events/s)`);
    },
  });
  await sql.exec('VACUUM (ANALYZE) events');
  return history;
}

function printHistory(history: BenchHistory, reused: boolean): void {
  console.log(reused ? '## History (reused from an earlier run)\n' : '## Generated history\n');
  console.log(
    `${count(history.events)} events in ${count(history.appends)} appends over ${count(history.streams)} streams ` +
      `(${count(history.products)} products, ${count(history.customers)} customers, ${count(history.carts)} ` +
      `carts, ${count(history.orders)} orders), written in ${history.seconds.toFixed(0)} s ` +
      `(${rate(history.events, history.seconds)} events/s); business time from ${history.startAt.slice(0, 10)}, ` +
      `${count(history.ticks)} ticks of ${(history.tickMinutes / 60 / 24).toFixed(1)} days.\n`,
  );
  printTable(
    ['event type', 'events'],
    Object.entries(history.eventsByType)
      .sort(([, a], [, b]) => b - a)
      .map(([type, n]) => [type, count(n)]),
  );
}

/**
 * A blue/green rebuild of the warehouse, then the abandonment sweep the projectors run periodically
 * (at the end of the history plus the idle time, so every idle cart is counted).
 */
async function rebuildOnce(
  warehouse: SqlClient,
  store: PostgresEventStore,
  projection: Projection,
  options: { label: string; batchSize: number; sweepAt: Date },
): Promise<Build> {
  const profile = new RebuildProfile();
  const sql = new ObservedSqlClient(warehouse, {
    transaction: (milliseconds) => {
      profile.transactions++;
      profile.transactionMilliseconds += milliseconds;
    },
  });
  const marks: Partial<Record<RebuildProgress['phase'], { at: bigint; transactionMs: number }>> = {};
  let lastReport = 0;
  const started = process.hrtime.bigint();
  const result = await rebuildProjection({
    sql,
    store,
    projection: profiledProjection(projection, profile),
    batchSize: options.batchSize,
    onProgress(p) {
      marks[p.phase] ??= { at: process.hrtime.bigint(), transactionMs: profile.transactionMilliseconds };
      const now = Date.now();
      if (now - lastReport < 10_000) return;
      lastReport = now;
      progress(
        `${options.label}: ${count(p.processed)}/${count(p.total ?? 0)} events, ` +
          `${count(Math.round(p.eventsPerSecond))} events/s, ETA ${(p.etaSeconds ?? 0).toFixed(0)} s`,
      );
    },
  });
  const seconds = secondsSince(started);
  const filling = marks.filling!;
  const switching = marks.switching ?? filling;
  const switched = marks.switched!;
  const between = (from: bigint, to: bigint) => Number(to - from) / 1e9;
  const sweepStarted = process.hrtime.bigint();
  await sweepAbandonedCarts(warehouse, { now: options.sweepAt, idleMinutes: CART_IDLE_MINUTES });
  return {
    label: options.label,
    batchSize: options.batchSize,
    events: result.eventsProcessed,
    seconds,
    setupSeconds: between(started, filling.at),
    fillSeconds: between(filling.at, switching.at),
    switchSeconds: between(switching.at, switched.at),
    fillTransactionSeconds: (switching.transactionMs - filling.transactionMs) / 1000,
    applySeconds: profile.applyMilliseconds / 1000,
    statementSeconds: profile.statementMilliseconds / 1000,
    statements: profile.statementCount,
    batches: profile.applies,
    byStatement: [...profile.statements].sort(([, a], [, b]) => b.milliseconds - a.milliseconds),
    sweepSeconds: secondsSince(sweepStarted),
  };
}

function printBuilds(builds: readonly Build[], read: ReadAlone, history: BenchHistory): void {
  printTable(
    [
      'build',
      'events applied',
      's',
      'events/s',
      'log events/s',
      '`readAll` alone, events/s',
      'ratio to `readAll`',
      'statements/batch',
      'sweep s',
    ],
    builds.map((build) => [
      build.label,
      count(build.events),
      build.seconds.toFixed(1),
      rate(build.events, build.seconds),
      rate(history.events, build.seconds),
      rate(read.events, read.seconds),
      (build.events / build.seconds / (read.events / read.seconds)).toFixed(2),
      (build.statements / Math.max(1, build.batches)).toFixed(1),
      build.sweepSeconds.toFixed(2),
    ]),
  );
  console.log(
    `\n"events applied": events of the projection's ${count(read.types)} types (what \`rebuildProjection\` ` +
      `reports); "log events/s": the whole log (${count(history.events)} events) over the rebuild's time; ` +
      `"\`readAll\` alone": the store delivering the same events in pages of ${count(READ_PAGE)}, nothing ` +
      `applied (${count(read.events)} events in ${read.seconds.toFixed(1)} s).\n`,
  );
}

/** Where the first build's time went: reading, the projection's JavaScript, each statement, the rest. */
function printBreakdown(build: Build): void {
  const share = (seconds: number) => `${((seconds / build.seconds) * 100).toFixed(0)} %`;
  const row = (part: string, seconds: number): string[] => [part, seconds.toFixed(1), share(seconds)];
  const javascript = build.applySeconds - build.statementSeconds;
  const aroundApply = build.fillTransactionSeconds - build.applySeconds;
  const waitingForReads = build.fillSeconds - build.fillTransactionSeconds;
  console.log(`Where the time of the ${build.label} went (${count(build.batches)} batches):\n`);
  printTable(
    ['part', 's', 'share'],
    [
      row('create the copy (schema, tables, dim_date)', build.setupSeconds),
      row('fill: waiting for `readAll` (not overlapped by the previous batch)', waitingForReads),
      row('fill: projection JavaScript while no statement ran (batch to rows)', javascript),
      row(
        'fill: projection statements (one at a time, wall time seen by the client)',
        build.statementSeconds,
      ),
      row('fill: rest of each transaction (search path, progress row, commit)', aroundApply),
      row('switch (locks, catch-up, table moves, views, old tables dropped)', build.switchSeconds),
      row('total', build.seconds),
    ],
  );
  console.log('\nThe projection statements, slowest first:\n');
  printTable(
    ['statement', 'calls', 'rows', 's', 'ms/call', 'share of statements'],
    build.byStatement.map(([label, stats]) => [
      label,
      count(stats.calls),
      count(stats.rows),
      (stats.milliseconds / 1000).toFixed(2),
      (stats.milliseconds / Math.max(1, stats.calls)).toFixed(1),
      `${((stats.milliseconds / 1000 / Math.max(0.001, build.statementSeconds)) * 100).toFixed(0)} %`,
    ]),
  );
}

/** Both builds' digests per table; true when every table is equal. */
function printDigests(
  digests: readonly Record<string, string>[],
  rows: Readonly<Record<string, number>>,
): boolean {
  const [first, second] = digests as [Record<string, string>, Record<string, string>];
  const tables = [...new Set([...Object.keys(first), ...Object.keys(second)])].sort();
  console.log('\n`warehouseDigest` of the first and the second build (after the sweep):\n');
  printTable(
    ['table', 'rows', 'first build', 'second build', 'equal'],
    tables.map((table) => [
      table,
      count(rows[table] ?? 0),
      first[table]?.slice(0, 12) ?? '-',
      second[table]?.slice(0, 12) ?? '-',
      first[table] === second[table] ? 'yes' : '**NO**',
    ]),
  );
  return tables.every((table) => first[table] === second[table]);
}

function printRows(rows: Readonly<Record<string, number>>): void {
  console.log('\nRows in the switched-in tables:\n');
  printTable(
    ['table', 'rows'],
    Object.entries(rows).map(([table, n]) => [table, count(n)]),
  );
}

/**
 * Every dashboard metric through `readMetric` (what the query-api endpoint answers), then every view read
 * directly, for the 30 and the 365 days ending at the history's last day. Returns the slowest p95.
 */
async function measureMetrics(warehouse: SqlClient, runs: number): Promise<Latency> {
  // Views as the current code defines them, on statistics as autovacuum would have them after the fill.
  await warehouse.transaction(async (tx) => {
    for (const view of WAREHOUSE_VIEWS) await tx.query(`DROP VIEW IF EXISTS ${quoteIdentifier(view)}`);
    await createWarehouseViews(tx);
  });
  await warehouse.exec(`ANALYZE ${WAREHOUSE_TABLES.map((table) => quoteIdentifier(table)).join(', ')}`);
  const { rows } = await warehouse.query<{
    orders: number;
    lines: number;
    payments: number;
    first: Date;
    last: Date;
  }>(
    `SELECT (SELECT count(DISTINCT order_id) FROM fact_order_line)::int AS orders,
       (SELECT count(*) FROM fact_order_line)::int AS lines,
       (SELECT count(*) FROM fact_payment)::int AS payments,
       (SELECT min(placed_at) FROM fact_order_line) AS first,
       (SELECT max(placed_at) FROM fact_order_line) AS last`,
  );
  const size = rows[0]!;
  // "Today" for the dashboard: the day of the history's last order.
  const ranges: DayRange[] = [
    daysEndingAt(size.last, 30, '30 days'),
    daysEndingAt(size.last, 365, '365 days'),
  ];
  console.log(
    `Over ${count(size.orders)} orders (${count(size.lines)} order lines, ${count(size.payments)} payment ` +
      `facts) placed from ${size.first.toISOString().slice(0, 10)} to ${size.last.toISOString().slice(0, 10)}; ` +
      `ranges ${ranges.map((r) => `${r.label} ${r.from}..${r.to}`).join(', ')}; ` +
      `${WARM_UP_RUNS} warm-up runs, then ${runs} timed runs one at a time.\n`,
  );
  const options = { runs, warmUp: WARM_UP_RUNS };
  const metrics: Latency[] = [];
  for (const metric of WAREHOUSE_METRICS) {
    for (const range of ranges) {
      progress(`metric ${metric}, ${range.label}`);
      metrics.push(
        await timeQuery(
          metric,
          range,
          () => readMetric(warehouse, metric, { from: range.from, to: range.to, limit: DASHBOARD_LIMIT }),
          { ...options, describe: describeAnswer },
        ),
      );
    }
  }
  console.log('`readMetric` (the dashboard endpoint, library path):\n');
  printLatencies(metrics);

  const views: Latency[] = [];
  for (const view of WAREHOUSE_VIEWS) {
    const { text, filtered } = await viewQuery(warehouse, view);
    for (const range of filtered === 'none' ? ranges.slice(0, 1) : ranges) {
      progress(`view ${view}, ${range.label}`);
      const params = filtered === 'none' ? [] : [range.from, range.to];
      views.push(
        await timeQuery(
          filtered === 'none' ? `${view} (all time)` : `${view} (by ${filtered})`,
          filtered === 'none' ? { ...range, label: 'all' } : range,
          () => warehouse.query(text, params),
          { ...options, describe: (answer) => `${count((answer as { rowCount: number }).rowCount)} rows` },
        ),
      );
    }
  }
  console.log('\nEach view read directly (`SELECT * FROM <view> WHERE date BETWEEN …`):\n');
  printLatencies(views);
  return [...metrics, ...views].reduce((slowest, latency) => (latency.p95 > slowest.p95 ? latency : slowest));
}

function printLatencies(latencies: readonly Latency[]): void {
  printTable(
    ['query', 'range', 'answer', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', `p95 < ${AIM.p95Ms} ms`],
    latencies.map((latency) => [
      latency.name,
      latency.range,
      latency.answer,
      latency.p50.toFixed(1),
      latency.p95.toFixed(1),
      latency.p99.toFixed(1),
      latency.max.toFixed(1),
      verdict(latency.p95 < AIM.p95Ms),
    ]),
  );
}

/** The size of a metric's answer: the length of each list it holds. */
function describeAnswer(answer: unknown): string {
  if (answer === null || typeof answer !== 'object') return '-';
  const lists = Object.entries(answer as Record<string, unknown>).filter(([, value]) => Array.isArray(value));
  return lists.map(([key, value]) => `${(value as unknown[]).length} ${key}`).join(', ') || '-';
}

interface ReadAlone {
  readonly types: number;
  readonly events: number;
  readonly seconds: number;
}

/** The store alone delivering the projection's events (what a rebuild cannot beat). */
async function readAlone(store: PostgresEventStore, types: readonly string[]): Promise<ReadAlone> {
  const started = process.hrtime.bigint();
  let after: Checkpoint = START;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: READ_PAGE, types });
    events += page.events.length;
    if (page.next === after) break;
    after = page.next;
  }
  return { types: types.length, events, seconds: secondsSince(started) };
}

async function rowCounts(sql: SqlClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of WAREHOUSE_TABLES) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdentifier(table)}`,
    );
    counts[table] = rows[0]?.n ?? 0;
  }
  return counts;
}

/** Whether a rebuild ever switched a copy in (a reused warehouse can be measured as it is). */
async function hasBeenBuilt(sql: SqlClient): Promise<boolean> {
  const { rows } = await sql.query<{ built: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM projection_rebuilds WHERE name = 'warehouse' AND state = 'switched') AS built`,
  );
  return rows[0]?.built === true;
}

function flag(name: string): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new RangeError(`${name} must be 1/true or 0/false: ${raw}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
