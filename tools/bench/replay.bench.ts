/**
 * Replay benchmark (issue "Auditors", Performance): on a generated shop history of at least a million
 * events, how fast the catalog, carts and orders projections rebuild (blue/green), how fast `audit verify`
 * re-checks the whole log, and how quickly the state of a 1,000-event stream as of a random instant comes
 * back.
 *
 *   npm run bench:replay                              # BENCH_DATABASE_URL, else DATABASE_URL, else local default
 *   BENCH_REPLAY_EVENTS=20000 npm run bench:replay    # a smoke run (default 1,000,000 events)
 *   BENCH_REPLAY_APPENDERS=8                          # concurrent appenders while generating (default 8)
 *   BENCH_REPLAY_AS_OF_REQUESTS=500                   # as-of requests per path (default 500)
 *   BENCH_REPLAY_ONLY=audit                           # only these parts: rebuild,audit,asof (default all)
 *
 * Everything happens in a fresh schema that is dropped at the end. Results go to stdout as Markdown.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createCheckpoint, createSigner, auditMigrations, verifyLog } from '@tally/audit';
import { migrate, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import { type DomainEvent, stateAt } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore, START, type Checkpoint } from '@tally/event-store';
import {
  cartsProjection,
  catalogProjection,
  ordersProjection,
  type Projection,
  readModelMigrations,
  rebuildProjection,
} from '@tally/read-models';
import { authHeader, freePort, spawnTally, TEST_AUTH_SECRET, type TallyProcess } from '@tally/testing';
import { count, percentile, printMachine, printTable, rate, secondsSince, verdict } from './replay/report';
import {
  benchDatabaseUrl,
  dropBenchSchemas,
  positiveInteger,
  printLoad,
  progress,
  selectedParts,
  serverSettings,
} from './support';
import { ObservedSqlClient } from './observed-sql-client';
import { AS_OF_STREAM_EVENTS, type ShopHistory, writeShopHistory } from './replay/shop-history';

const READ_PAGE = 10_000;
const REBUILT: readonly Projection[] = [catalogProjection, cartsProjection, ordersProjection];
/** Read-model tables counted after each rebuild, to show that the handlers really wrote rows. */
const TABLES: Readonly<Record<string, readonly string[]>> = {
  catalog: ['catalog_products', 'catalog_product_sales', 'catalog_popularity'],
  carts: ['carts', 'cart_lines'],
  orders: ['orders', 'order_timeline'],
};
const PARTS = ['rebuild', 'audit', 'asof'] as const;
const AIM = { rebuildEventsPerSecond: 50_000, verifyEventsPerSecond: 100_000, asOfP99Ms: 20 } as const;

/** What the final summary needs from each measurement. */
interface Outcome {
  rebuildCombined?: number;
  verify?: number;
  asOfP99?: number;
}

async function main(): Promise<void> {
  const url = benchDatabaseUrl();
  const target = positiveInteger('BENCH_REPLAY_EVENTS', 1_000_000);
  const appenders = positiveInteger('BENCH_REPLAY_APPENDERS', 8);
  const asOfRequests = positiveInteger('BENCH_REPLAY_AS_OF_REQUESTS', 500);
  const only = selectedParts('BENCH_REPLAY_ONLY', PARTS);
  const schema = `bench_replay_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1, applicationName: 'tally-bench' });
  await admin.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  const sql = new PgSqlClient({
    connectionString: url,
    schema,
    maxConnections: appenders + 2,
    applicationName: 'tally-bench',
  });
  const store = new PostgresEventStore(sql);
  // Interrupted (Ctrl-C, a timeout): still drop what was created, then stop.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: dropping ${schema}`);
      void dropBenchSchemas(admin, schema).finally(() => process.exit(130));
    });
  }
  const outcome: Outcome = {};
  const started = process.hrtime.bigint();
  try {
    await migrate(sql, [eventStoreMigrations, readModelMigrations, auditMigrations]);
    const settings = await serverSettings(sql);
    printMachine(url, settings.server_version ?? '?', {
      shared_buffers: settings.shared_buffers ?? '?',
      synchronous_commit: settings.synchronous_commit ?? '?',
      work_mem: settings.work_mem ?? '?',
    });
    console.log(
      `- schema ${schema}; target ${count(target)} events; ${appenders} appenders; parts ${[...only].join(', ')}\n`,
    );

    const history = await generate(store, target, appenders);
    printLoad();
    await sql.exec('VACUUM (ANALYZE) events');

    if (only.has('rebuild')) {
      console.log('\n## Rebuild (blue/green, `rebuildProjection`)\n');
      outcome.rebuildCombined = await measureRebuilds(sql, store, history);
      printLoad();
    }

    if (only.has('audit')) {
      console.log('\n## Audit: checkpoint and verify\n');
      outcome.verify = await measureAudit(sql, history);
      printLoad();
    }

    if (only.has('asof')) {
      console.log('\n## As-of state of a 1,000-event stream\n');
      outcome.asOfP99 = await measureAsOf(url, schema, store, history.asOfStreamId, asOfRequests);
      printLoad();
    }
  } finally {
    await store.close();
    await sql.close();
    await dropBenchSchemas(admin, schema);
    await admin.close();
  }
  console.log('\n## Aims\n');
  const line = (label: string, value: number | undefined, met: (v: number) => boolean, shown: string) => {
    console.log(`- ${label}: ${value === undefined ? 'not measured' : `${shown} ${verdict(met(value))}`}`);
  };
  line(
    `rebuild of catalog, carts and orders >= ${count(AIM.rebuildEventsPerSecond)} events/s`,
    outcome.rebuildCombined,
    (v) => v >= AIM.rebuildEventsPerSecond,
    `${count(Math.round(outcome.rebuildCombined ?? 0))} events/s`,
  );
  line(
    `audit verify >= ${count(AIM.verifyEventsPerSecond)} events/s`,
    outcome.verify,
    (v) => v >= AIM.verifyEventsPerSecond,
    `${count(Math.round(outcome.verify ?? 0))} events/s`,
  );
  line(
    `as-of state p99 < ${AIM.asOfP99Ms} ms (library path)`,
    outcome.asOfP99,
    (v) => v < AIM.asOfP99Ms,
    `${(outcome.asOfP99 ?? 0).toFixed(2)} ms`,
  );
  console.log(`\nWhole run: ${secondsSince(started).toFixed(0)} s.`);
}

async function generate(store: PostgresEventStore, target: number, appenders: number): Promise<ShopHistory> {
  let lastReport = 0;
  const started = process.hrtime.bigint();
  const history = await writeShopHistory({
    store,
    events: target,
    appenders,
    onProgress(appended) {
      if (appended - lastReport < target / 10 && appended < target) return;
      lastReport = appended;
      progress(`generated ${count(appended)} events (${rate(appended, secondsSince(started))} events/s)`);
    },
  });
  console.log('## Generated history\n');
  console.log(
    `${count(history.events)} events in ${count(history.appends)} appends over ${count(history.streams)} streams ` +
      `(${count(history.products)} products, ${count(history.carts)} carts, ${count(history.orders)} orders), ` +
      `${appenders} concurrent appenders: ${history.seconds.toFixed(1)} s, ` +
      `**${rate(history.events, history.seconds)} events/s** ` +
      `(${(history.events / history.appends).toFixed(1)} events per append).\n`,
  );
  const types = [...history.eventsByType].sort(([, a], [, b]) => b - a);
  printTable(
    ['event type', 'events'],
    types.map(([type, n]) => [type, count(n)]),
  );
  return history;
}

/**
 * Each projection rebuilt blue/green through `rebuildProjection`, one after the other, beside what the
 * store alone needs to deliver the same events (`readAll` of the projection's types, nothing applied).
 * Statements inside the fill transactions are counted and timed, to show where the time goes.
 */
async function measureRebuilds(
  sql: SqlClient,
  store: PostgresEventStore,
  history: ShopHistory,
): Promise<number> {
  // Statements run inside the fill transactions, and their wall time: where a rebuild spends its time.
  const tally = { statements: 0, milliseconds: 0 };
  const counting = new ObservedSqlClient(sql, {
    statement: (_text, _rows, milliseconds) => {
      tally.statements++;
      tally.milliseconds += milliseconds;
    },
  });
  const rows: string[][] = [];
  const written: string[] = [];
  let totalEvents = 0;
  let totalSeconds = 0;
  for (const projection of REBUILT) {
    const read = await readAlone(store, projection.eventTypes);
    tally.statements = 0;
    tally.milliseconds = 0;
    let lastReport = 0;
    const started = process.hrtime.bigint();
    const result = await rebuildProjection({
      sql: counting,
      store,
      projection,
      onProgress(p) {
        const now = Date.now();
        if (now - lastReport < 10_000) return;
        lastReport = now;
        progress(
          `rebuild ${p.projection}: ${count(p.processed)}/${count(p.total ?? 0)} events, ` +
            `${count(Math.round(p.eventsPerSecond))} events/s, ETA ${(p.etaSeconds ?? 0).toFixed(0)} s`,
        );
      },
    });
    const seconds = secondsSince(started);
    const events = result.eventsProcessed;
    totalEvents += events;
    totalSeconds += seconds;
    const { statements, milliseconds } = tally;
    rows.push([
      projection.name,
      count(events),
      seconds.toFixed(1),
      rate(events, seconds),
      rate(history.events, seconds),
      rate(read.events, read.seconds),
      (events / seconds / (read.events / read.seconds)).toFixed(3),
      (statements / Math.max(1, events)).toFixed(2),
      ((milliseconds * 1000) / Math.max(1, statements)).toFixed(0),
      `${((milliseconds / 1000 / seconds) * 100).toFixed(0)} %`,
    ]);
    written.push(`- ${projection.name}: ${await rowCounts(sql, TABLES[projection.name] ?? [])}`);
  }
  const combined = totalEvents / totalSeconds;
  rows.push([
    'all three, one after another',
    count(totalEvents),
    totalSeconds.toFixed(1),
    count(Math.round(combined)),
    '',
    '',
    '',
    '',
    '',
    '',
  ]);
  printTable(
    [
      'projection',
      'events applied',
      's',
      'events/s',
      'log events/s',
      'readAll alone, events/s',
      'ratio to readAll',
      'statements/event',
      'µs/statement',
      'time in handler statements',
    ],
    rows,
  );
  console.log('\nRows in the switched-in tables:\n');
  for (const line of written) console.log(line);
  return combined;
}

/** The store alone delivering a projection's events (what a rebuild cannot beat). */
async function readAlone(
  store: PostgresEventStore,
  types: readonly string[],
): Promise<{ events: number; seconds: number }> {
  const started = process.hrtime.bigint();
  let after: Checkpoint = START;
  let events = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: READ_PAGE, types });
    events += page.events.length;
    if (page.next === after) break;
    after = page.next;
  }
  return { events, seconds: secondsSince(started) };
}

/** A signed checkpoint over the whole log, then `verifyLog` over every chain and that checkpoint's root. */
async function measureAudit(sql: SqlClient, history: ShopHistory): Promise<number> {
  const signer = createSigner(generateKeyPairSync('ed25519').privateKey);
  let started = process.hrtime.bigint();
  const checkpoint = await createCheckpoint(sql, signer);
  const checkpointSeconds = secondsSince(started);

  let lastReport = 0;
  let chainsSeconds: number | undefined;
  const cpu = process.cpuUsage();
  started = process.hrtime.bigint();
  const report = await verifyLog(sql, {
    onProgress({ phase, done, total }) {
      // Checkpoint progress is only reported once the chains are done: this is when the chain pass ended.
      if (phase === 'checkpoints' && chainsSeconds === undefined) chainsSeconds = secondsSince(started);
      const now = Date.now();
      if (now - lastReport < 10_000) return;
      lastReport = now;
      progress(`verify: ${count(done)}/${count(total)}`);
    },
  });
  const verifySeconds = secondsSince(started);
  const { user, system } = process.cpuUsage(cpu);
  if (!report.ok)
    throw new Error(`verify found breaks in an untouched log: ${JSON.stringify(report).slice(0, 500)}`);
  const verifyRate = report.eventsChecked / verifySeconds;
  printTable(
    ['step', 'events', 's', 'events/s', 'result'],
    [
      [
        'createCheckpoint (Merkle root over the log, signed)',
        count(checkpoint.leafCount),
        checkpointSeconds.toFixed(1),
        rate(checkpoint.leafCount, checkpointSeconds),
        `sequence ${checkpoint.sequence}, root ${checkpoint.root.slice(0, 12)}…`,
      ],
      [
        'verifyLog (every chain + the checkpoint root)',
        count(report.eventsChecked),
        verifySeconds.toFixed(1),
        count(Math.round(verifyRate)),
        `ok: ${count(report.streamsChecked)} streams, ${report.checkpointsChecked} checkpoint(s)`,
      ],
      [
        '  of which the chain pass (the checkpoint pass runs beside it)',
        count(report.eventsChecked),
        (chainsSeconds ?? verifySeconds).toFixed(1),
        rate(report.eventsChecked, chainsSeconds ?? verifySeconds),
        '',
      ],
    ],
  );
  // The chains are hashed by PostgreSQL, the checkpoint trees folded here: this process's share of the work.
  console.log(
    `\nNode.js CPU during verifyLog: ${((user + system) / 1e6).toFixed(1)} s (the checkpoint trees); ` +
      'the rest of the work (the chains, the leaf hashes) is done by PostgreSQL.',
  );
  if (report.eventsChecked !== history.events) {
    console.log(
      `\nNote: verify checked ${count(report.eventsChecked)} events; the generator wrote ${count(history.events)}.`,
    );
  }
  return verifyRate;
}

/**
 * The state of the as-of stream at random instants between its first and last event: through the library
 * (`readStream({ asOf })` folded by `stateAt`, what the endpoint does) and through the HTTP endpoint of a
 * query-api process on the same schema. Returns the library path's p99 in milliseconds.
 */
async function measureAsOf(
  url: string,
  schema: string,
  store: PostgresEventStore,
  streamId: string,
  requests: number,
): Promise<number> {
  const all = await store.readStream(streamId);
  if (all.length !== AS_OF_STREAM_EVENTS) {
    throw new Error(`${streamId} holds ${all.length} events, not ${AS_OF_STREAM_EVENTS}`);
  }
  const first = Date.parse(all[0]!.recordedAt);
  const last = Date.parse(all.at(-1)!.recordedAt);
  const instants = () =>
    Array.from({ length: requests }, () => new Date(first + Math.random() * (last - first)));

  // Warm-up: plans, pool connections and the JIT, as a long-running query-api has them.
  for (const asOf of instants().slice(0, 50)) stateAt(streamId, await store.readStream(streamId, { asOf }));
  const read: number[] = [];
  const fold: number[] = [];
  const total: number[] = [];
  let folded = 0;
  const cpu = process.cpuUsage();
  for (const asOf of instants()) {
    const started = process.hrtime.bigint();
    const events: readonly DomainEvent[] = await store.readStream(streamId, { asOf });
    const between = process.hrtime.bigint();
    stateAt(streamId, events);
    const ended = process.hrtime.bigint();
    read.push(Number(between - started) / 1e6);
    fold.push(Number(ended - between) / 1e6);
    total.push(Number(ended - started) / 1e6);
    folded += events.length;
  }
  const { user, system } = process.cpuUsage(cpu);
  const row = (path: string, samples: readonly number[], n: number): string[] => [
    path,
    count(n),
    percentile(samples, 0.5).toFixed(2),
    percentile(samples, 0.95).toFixed(2),
    percentile(samples, 0.99).toFixed(2),
    Math.max(...samples).toFixed(2),
  ];
  const rows = [
    row('library: readStream({ asOf }) + stateAt', total, requests),
    row('  of which readStream({ asOf })', read, requests),
    row('  of which stateAt (fold)', fold, requests),
  ];
  const http = await measureAsOfOverHttp(url, schema, streamId, instants());
  if (http) rows.push(row('HTTP: GET /api/v1/audit/streams/{id}/state?asOf=', http, http.length));
  printTable(['path', 'requests', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], rows);
  console.log(
    `\n${count(requests)} instants drawn uniformly between the stream's first and last event; ` +
      `${(folded / requests).toFixed(0)} events folded per request on average (of ${AS_OF_STREAM_EVENTS}). ` +
      `Node.js CPU per library request: ${((user + system) / 1000 / requests).toFixed(2)} ms; the rest of ` +
      'its time is PostgreSQL reading the rows and, on a busy machine, waiting for a processor.',
  );
  return percentile(total, 0.99);
}

/**
 * The same reads through query-api: the built app (`dist/apps/query-api`) started as its own process on
 * the bench schema, asked one request at a time over a kept-alive connection as an auditor. Undefined
 * (with the reason printed) when the app is not built or does not start.
 */
async function measureAsOfOverHttp(
  url: string,
  schema: string,
  streamId: string,
  instants: readonly Date[],
): Promise<number[] | undefined> {
  const port = await freePort();
  const databaseUrl = new URL(url);
  databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
  let app: TallyProcess;
  try {
    app = spawnTally('query-api', {
      DATABASE_URL: databaseUrl.toString(),
      DATABASE_POOL_SIZE: '4',
      HOST: '127.0.0.1',
      QUERY_API_PORT: String(port),
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
    });
  } catch (error) {
    console.log(`(HTTP path not measured: ${error instanceof Error ? error.message : String(error)})\n`);
    return undefined;
  }
  try {
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!app.running) throw new Error(`query-api exited before it was ready:\n${app.output()}`);
      const ready = await fetch(`${base}/readyz`).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`query-api was not ready within 60 s:\n${app.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const headers = authHeader('auditor');
    const path = `${base}/api/v1/audit/streams/${encodeURIComponent(streamId)}/state`;
    const get = async (asOf: Date) => {
      const response = await fetch(`${path}?asOf=${encodeURIComponent(asOf.toISOString())}`, { headers });
      const body = (await response.json()) as { version?: number };
      if (response.status !== 200 || typeof body.version !== 'number') {
        throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
      }
    };
    for (const asOf of instants.slice(0, 50)) await get(asOf);
    const samples: number[] = [];
    for (const asOf of instants) {
      const started = process.hrtime.bigint();
      await get(asOf);
      samples.push(secondsSince(started) * 1000);
    }
    return samples;
  } catch (error) {
    console.log(`(HTTP path not measured: ${error instanceof Error ? error.message : String(error)})\n`);
    return undefined;
  } finally {
    await app.stop();
  }
}

async function rowCounts(sql: SqlClient, tables: readonly string[]): Promise<string> {
  const parts: string[] = [];
  for (const table of tables) {
    const { rows } = await sql.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdentifier(table)}`,
    );
    parts.push(`${table} ${count(rows[0]?.n ?? 0)}`);
  }
  return parts.join(', ');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
