import type { MigrationSet } from '@tally/database';

/**
 * The Postgres event store's schema (DESIGN.md §4, ADR 0002).
 *
 * - `position` numbers events as they are inserted; it is NOT the delivery order, because sequence values
 *   commit out of order. Delivery order is (`transaction_id`, `position`), read only below the oldest
 *   running transaction (`pg_snapshot_xmin`), which makes the global read gap-free.
 * - The primary key is the delivery order: it serves `readAll`, `headCheckpoint` and the visibility-lag
 *   metric, and carries `type` so that filtered reads scan it without fetching whole rows.
 * - `events_stream_version` serves `readStream` (including `asOf`) and the append's version check, and is
 *   the optimistic-concurrency guard.
 * - No separate `streams` table: the append reads the stream's head from `events_stream_version`
 *   (see docs/benchmarks/append.md for the measurement).
 * - `event_store_append` is the whole append in one call: PL/pgSQL caches its plans per connection,
 *   which the driver-level unnamed statements cannot (measured in docs/benchmarks/append.md). The batch
 *   arrives as one JSON array, cheaper to build and to parse than parallel arrays, and the function returns
 *   OUT parameters rather than a table (no result tuplestore, no CTE).
 */
export const eventStoreMigrations: MigrationSet = {
  module: 'event-store',
  migrations: [
    {
      id: '0001_events',
      sql: `CREATE TABLE events (
  position bigint GENERATED ALWAYS AS IDENTITY,
  transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  event_id uuid NOT NULL,
  stream_id text NOT NULL,
  version integer NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  CONSTRAINT events_pkey PRIMARY KEY (transaction_id, position) INCLUDE (type),
  CONSTRAINT events_event_id_unique UNIQUE (event_id),
  CONSTRAINT events_stream_version UNIQUE (stream_id, version),
  CONSTRAINT events_version_positive CHECK (version >= 1),
  CONSTRAINT events_stream_id_not_empty CHECK (stream_id <> '')
);
`,
    },
    {
      id: '0002_append_function',
      sql: `CREATE FUNCTION event_store_append(
  p_stream_id text,
  p_events jsonb,
  p_expected text,
  p_expected_version integer,
  OUT head_version integer,
  OUT last_version integer,
  OUT last_transaction_id text,
  OUT last_position text
) LANGUAGE plpgsql AS $$
DECLARE
  v_inserted integer;
  v_expected_holds boolean;
BEGIN
  -- Read the head before this transaction takes its id: an append that saw version n committed then has a
  -- larger transaction id than version n, which keeps per-stream order in the global order (ADR 0002).
  SELECT s.version INTO head_version FROM events s WHERE s.stream_id = p_stream_id ORDER BY s.version DESC LIMIT 1;
  head_version := coalesce(head_version, 0);
  v_expected_holds := CASE p_expected
    WHEN 'any' THEN true
    WHEN 'stream_exists' THEN head_version > 0
    WHEN 'no_stream' THEN head_version = 0
    ELSE head_version = p_expected_version
  END;
  IF NOT v_expected_holds THEN
    RETURN;
  END IF;
  -- A concurrent writer of the same next version makes this INSERT fail on events_stream_version.
  -- recorded_at: one instant per batch, taken when the statement arrived, truncated to what a JS Date holds.
  -- Rows are inserted in batch order, so positions (and currval) follow the versions.
  INSERT INTO events (event_id, stream_id, version, type, data, metadata, recorded_at)
  SELECT b.event_id, p_stream_id, head_version + b.n::integer, b.type, coalesce(b.data, 'null'::jsonb), b.metadata,
    date_trunc('milliseconds', statement_timestamp())
  FROM ROWS FROM (jsonb_to_recordset(p_events) AS (event_id uuid, type text, data jsonb, metadata jsonb))
    WITH ORDINALITY AS b (event_id, type, data, metadata, n)
  ORDER BY b.n;
  GET DIAGNOSTICS v_inserted = ROW_COUNT;
  last_version := head_version + v_inserted;
  last_transaction_id := pg_current_xact_id()::text;
  last_position := currval('events_position_seq')::text;
END
$$;
`,
    },
  ],
};
