/**
 * Append throughput and latency of the Postgres event store against plain INSERTs into a bare table with
 * the same columns (primary key only): the physical reference on the same server, in the same run.
 *
 *   npm run bench:append                     # BENCH_DATABASE_URL, else DATABASE_URL, else local default
 *   BENCH_SECONDS=5 npm run bench:append     # seconds per cell (default 5)
 *
 * Each cell's time is split into rounds that alternate between the variants, so that load from other
 * processes on the machine hits every variant alike. Results go to stdout as a Markdown table.
 */
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { migrate, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import { eventStoreMigrations, type NewEvent, PostgresEventStore, uuidv7 } from '@tally/event-store';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const CONCURRENCY = [1, 8, 32] as const;
const ROUNDS = 5;
const EVENTS_PER_STREAM = 20;

interface Variant {
  readonly name: string;
  readonly batch: number;
  /** Opens what one cell needs with `writers` connections; `append` is called by each writer in a loop. */
  open(writers: number): { append(writer: number): Promise<void>; close(): Promise<void> };
}

interface Sample {
  events: number;
  seconds: number;
  latenciesMs: number[];
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? announceDefault();
  const secondsPerCell = Number(process.env.BENCH_SECONDS ?? '5');
  const schema = `bench_append_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1, applicationName: 'tally-bench' });
  await admin.exec(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  const connect = (max: number): PgSqlClient =>
    new PgSqlClient({ connectionString: url, schema, maxConnections: max, applicationName: 'tally-bench' });
  try {
    const setup = connect(1);
    await migrate(setup, [eventStoreMigrations]);
    await setup.exec(REFERENCE_DDL);
    const serverVersion =
      (await setup.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v ?? '?';
    await setup.close();

    printMachine(url, serverVersion, secondsPerCell);
    const variants = buildVariants(connect);
    const rows: string[][] = [];
    const results = new Map<string, Sample>();
    for (const writers of CONCURRENCY) {
      for (const batch of [1, 10]) {
        const cell = variants.filter((variant) => variant.batch === batch && applies(variant, writers));
        const samples = await measureInterleaved(cell, writers, secondsPerCell);
        for (const [variant, sample] of samples) results.set(`${variant.name}|${batch}|${writers}`, sample);
        const bare = samples.get(cell.find((variant) => variant.name === BARE)!)!;
        for (const [variant, sample] of samples) {
          const rate = sample.events / sample.seconds;
          rows.push([
            variant.name,
            String(batch),
            String(writers),
            fmt(rate, 0),
            fmt(percentile(sample.latenciesMs, 0.5), 2),
            fmt(percentile(sample.latenciesMs, 0.99), 2),
            variant.name === BARE ? '1.00' : fmt(rate / (bare.events / bare.seconds), 2),
          ]);
        }
        process.stderr.write(`done: ${batch}-event appends, ${writers} writers\n`);
      }
    }
    printTable(
      ['variant', 'events/append', 'writers', 'events/s', 'p50 ms', 'p99 ms', 'ratio to bare'],
      rows,
    );
    const at8 = (name: string) => {
      const sample = results.get(`${name}|1|8`)!;
      return sample.events / sample.seconds;
    };
    const ratio = at8(EVENT_STORE) / at8(BARE);
    console.log(
      `\nTarget: event store at 8 writers >= 70% of bare INSERT rate (single-event appends): ` +
        `${(ratio * 100).toFixed(1)}% ${ratio >= 0.7 ? 'MET' : 'MISSED'}`,
    );
  } finally {
    await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    await admin.close();
  }
}

const EVENT_STORE = 'event store (PostgresEventStore.append)';
const BARE = 'bare INSERT (reference)';
const BARE_NOTIFY = 'bare INSERT + NOTIFY in its transaction';
const STREAMS_TABLE = 'append via a streams table (alternative)';

/** Variants measured only at some concurrency levels, to keep the run under two minutes. */
function applies(variant: Variant, writers: number): boolean {
  if (variant.name === BARE_NOTIFY) return writers === 8;
  return true;
}

function buildVariants(connect: (max: number) => PgSqlClient): Variant[] {
  const eventStore = (batch: number): Variant => ({
    name: EVENT_STORE,
    batch,
    open(writers) {
      const client = connect(writers);
      const store = new PostgresEventStore(client);
      const streams = range(writers).map(() => new WriterStream());
      return {
        async append(writer) {
          const stream = streams[writer]!.next(batch);
          await store.append(stream.id, range(batch).map(newEvent), { expectedVersion: stream.expected });
        },
        async close() {
          await store.close();
          await client.close();
        },
      };
    },
  });
  const sqlVariant = (
    name: string,
    batch: number,
    statement: (
      client: SqlClient,
      stream: { id: string; expected: number },
      events: NewEvent[],
    ) => Promise<void>,
  ): Variant => ({
    name,
    batch,
    open(writers) {
      const client = connect(writers);
      const streams = range(writers).map(() => new WriterStream());
      return {
        async append(writer) {
          await statement(client, streams[writer]!.next(batch), range(batch).map(newEvent));
        },
        close: () => client.close(),
      };
    },
  });
  const columns = (stream: { id: string; expected: number }, events: NewEvent[]) => [
    events.map((event) => event.eventId),
    stream.id,
    events.map((_, i) => stream.expected + i + 1),
    events.map((event) => event.type),
    events.map((event) => JSON.stringify(event.data)),
    events.map((event) => JSON.stringify(event.metadata)),
  ];
  const bare = (batch: number) =>
    sqlVariant(BARE, batch, async (client, stream, events) => {
      if (batch === 1) {
        const [event] = events;
        await client.query(
          `INSERT INTO bare_events (event_id, stream_id, version, type, data, metadata)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [
            event!.eventId,
            stream.id,
            stream.expected + 1,
            event!.type,
            JSON.stringify(event!.data),
            JSON.stringify(event!.metadata),
          ],
        );
      } else {
        await client.query(
          `INSERT INTO bare_events (event_id, stream_id, version, type, data, metadata)
           SELECT e.id, $2, e.version, e.type, e.data, e.metadata
           FROM unnest($1::uuid[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[]) AS e (id, version, type, data, metadata)`,
          columns(stream, events),
        );
      }
    });
  return [
    eventStore(1),
    bare(1),
    sqlVariant(STREAMS_TABLE, 1, async (client, stream, events) => {
      const [ids, id, , types, data, metadata] = columns(stream, events);
      const { rows } = await client.query<{ last_version: number | null }>(
        'SELECT last_version FROM bench_streams_append($1, $2::uuid[], $3::text[], $4::jsonb[], $5::jsonb[], $6)',
        [id, ids, types, data, metadata, stream.expected],
      );
      if (rows[0]?.last_version == null) throw new Error(`streams-table append rejected on ${stream.id}`);
    }),
    sqlVariant(BARE_NOTIFY, 1, async (client, stream, events) => {
      const [event] = events;
      await client.query(
        `WITH inserted AS (
           INSERT INTO bare_events (event_id, stream_id, version, type, data, metadata)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING position
         )
         SELECT pg_notify('tally_bench', position::text)::text FROM inserted`,
        [
          event!.eventId,
          stream.id,
          stream.expected + 1,
          event!.type,
          JSON.stringify(event!.data),
          JSON.stringify(event!.metadata),
        ],
      );
    }),
    eventStore(10),
    bare(10),
  ];
}

/** Runs every variant of a cell for `seconds` in total, in alternating rounds. */
async function measureInterleaved(
  variants: readonly Variant[],
  writers: number,
  seconds: number,
): Promise<Map<Variant, Sample>> {
  const samples = new Map<Variant, Sample>(variants.map((variant) => [variant, emptySample()]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) {
      const sample = samples.get(variant)!;
      const target = variant.open(writers);
      try {
        // Warm the pool (connections, plans) before the clock starts.
        await Promise.all(range(writers).map((writer) => target.append(writer)));
        const started = process.hrtime.bigint();
        const deadline = started + BigInt(Math.round((seconds / ROUNDS) * 1e9));
        await Promise.all(
          range(writers).map(async (writer) => {
            while (process.hrtime.bigint() < deadline) {
              const before = process.hrtime.bigint();
              await target.append(writer);
              sample.latenciesMs.push(Number(process.hrtime.bigint() - before) / 1e6);
              sample.events += variant.batch;
            }
          }),
        );
        sample.seconds += Number(process.hrtime.bigint() - started) / 1e9;
      } finally {
        await target.close();
      }
    }
  }
  return samples;
}

/** One writer's current stream: a new stream every EVENTS_PER_STREAM events, appended with expected versions. */
class WriterStream {
  id = newStreamId();
  version = 0;

  next(batch: number): { id: string; expected: number } {
    if (this.version + batch > EVENTS_PER_STREAM) {
      this.id = newStreamId();
      this.version = 0;
    }
    const expected = this.version;
    this.version += batch;
    return { id: this.id, expected };
  }
}

const REFERENCE_DDL = `
CREATE TABLE bare_events (
  position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id uuid NOT NULL,
  stream_id text NOT NULL,
  version integer NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE bench_streams (stream_id text PRIMARY KEY, version integer NOT NULL);
CREATE TABLE bench_stream_events (LIKE events INCLUDING ALL);
CREATE FUNCTION bench_streams_append(
  p_stream_id text, p_event_ids uuid[], p_types text[], p_data jsonb[], p_metadata jsonb[], p_expected integer
) RETURNS TABLE (last_version integer) LANGUAGE plpgsql AS $$
DECLARE
  v_last integer;
BEGIN
  IF p_expected = 0 THEN
    INSERT INTO bench_streams (stream_id, version) VALUES (p_stream_id, cardinality(p_event_ids))
    ON CONFLICT DO NOTHING RETURNING version INTO v_last;
  ELSE
    UPDATE bench_streams SET version = version + cardinality(p_event_ids)
    WHERE stream_id = p_stream_id AND version = p_expected RETURNING version INTO v_last;
  END IF;
  IF v_last IS NULL THEN RETURN; END IF;
  INSERT INTO bench_stream_events (event_id, stream_id, version, type, data, metadata, recorded_at)
  SELECT b.event_id, p_stream_id, p_expected + b.n, b.type, b.data, b.metadata, statement_timestamp()
  FROM unnest(p_event_ids, p_types, p_data, p_metadata) WITH ORDINALITY AS b (event_id, type, data, metadata, n)
  ORDER BY b.n;
  RETURN QUERY SELECT v_last;
END
$$;
`;

function newEvent(i: number): NewEvent {
  const id = uuidv7();
  return {
    eventId: id,
    type: 'ItemAddedToCart',
    data: { sku: `SKU-${1000 + i}`, quantity: 1 + (i % 3), unitPrice: { amount: 1299, currency: 'EUR' } },
    metadata: {
      commandId: uuidv7(),
      correlationId: id,
      causationId: id,
      actor: { id: 'bench', role: 'system' },
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

function newStreamId(): string {
  return `cart-${uuidv7()}`;
}

function announceDefault(): string {
  process.stderr.write(`BENCH_DATABASE_URL and DATABASE_URL are not set; benchmarking ${DEFAULT_URL}\n`);
  return DEFAULT_URL;
}

function printMachine(url: string, serverVersion: string, secondsPerCell: number): void {
  const server = new URL(url);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- CPU: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`);
  console.log(`- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`);
  console.log(`- PostgreSQL: ${serverVersion} at ${server.hostname}:${server.port || '5432'}`);
  console.log(`- Node.js: ${process.version}`);
  console.log(
    `- ${secondsPerCell} s per cell, in ${ROUNDS} alternating rounds; streams of ${EVENTS_PER_STREAM} events\n`,
  );
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i < 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(header));
  console.log(
    `| ${widths.map((width, i) => (i < 1 ? '-'.repeat(width) : `${'-'.repeat(width - 1)}:`)).join(' | ')} |`,
  );
  for (const row of rows) console.log(line(row));
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function emptySample(): Sample {
  return { events: 0, seconds: 0, latenciesMs: [] };
}

function fmt(value: number, digits: number): string {
  return value.toFixed(digits);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
