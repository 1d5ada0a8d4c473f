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
 * - `hash` chains each event to the previous one of its stream (ADR 0012). `event_store_event_hash` is its
 *   only SQL definition: the append computes it, `audit verify` recomputes it set-based, and
 *   `event-hash.ts` is the same function outside the database. It is plain SQL so that it inlines.
 * - `events_recorded_at`, `events_correlation`, `events_actor` and `events_type_recorded` serve the
 *   auditors' history queries (by time, correlation id, actor and type).
 * - The table is append-only (migration 0004): triggers refuse UPDATE, DELETE and TRUNCATE to everyone, and
 *   the application role `tally_app` holds SELECT and INSERT only (docs/configuration.md, "Database roles").
 */
/**
 * SQLSTATE of the refusal to UPDATE, DELETE or TRUNCATE `events` (class TL: Tally; ADR 0012), raised by a
 * trigger whoever the user is. The application role gets `42501` (insufficient privilege) before that.
 */
export const APPEND_ONLY_VIOLATION = 'TL001';

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
    {
      id: '0003_event_hash',
      sql: `CREATE FUNCTION event_store_event_hash(
  p_previous bytea,
  p_stream_id text,
  p_version integer,
  p_type text,
  p_data jsonb,
  p_metadata jsonb,
  p_recorded_at timestamptz
) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT sha256(convert_to(concat_ws(E'\\n',
    coalesce(encode(p_previous, 'hex'), repeat('0', 64)),
    p_stream_id,
    p_version::text,
    p_type,
    p_data::text,
    p_metadata::text,
    to_char(p_recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  ), 'UTF8'))
$$;
ALTER TABLE events ADD COLUMN hash bytea;
DO $$
DECLARE
  r record;
  v_stream text;
  v_hash bytea;
BEGIN
  FOR r IN SELECT ctid AS row_id, stream_id, version, type, data, metadata, recorded_at
    FROM events ORDER BY stream_id, version
  LOOP
    IF v_stream IS DISTINCT FROM r.stream_id THEN
      v_stream := r.stream_id;
      v_hash := NULL;
    END IF;
    v_hash := event_store_event_hash(v_hash, r.stream_id, r.version, r.type, r.data, r.metadata, r.recorded_at);
    UPDATE events SET hash = v_hash WHERE ctid = r.row_id;
  END LOOP;
END
$$;
ALTER TABLE events ALTER COLUMN hash SET NOT NULL;
CREATE INDEX events_recorded_at ON events (recorded_at);
CREATE INDEX events_correlation ON events ((metadata->>'correlationId'), recorded_at);
CREATE INDEX events_actor ON events ((metadata->'actor'->>'id'), recorded_at);
CREATE INDEX events_type_recorded ON events (type, recorded_at);
CREATE OR REPLACE FUNCTION event_store_append(
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
  v_hash bytea;
  v_hashes bytea[];
  v_event jsonb;
  -- One instant per batch, taken when the statement arrived, truncated to what a JS Date holds.
  v_recorded_at timestamptz := date_trunc('milliseconds', statement_timestamp());
BEGIN
  -- Read the head before this transaction takes its id: an append that saw version n committed then has a
  -- larger transaction id than version n, which keeps per-stream order in the global order (ADR 0002).
  -- The head's hash is what the batch chains from (ADR 0012).
  SELECT s.version, s.hash INTO head_version, v_hash
  FROM events s WHERE s.stream_id = p_stream_id ORDER BY s.version DESC LIMIT 1;
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
  -- Chain the batch in PL/pgSQL (simple expressions, no extra statement): hash n covers hash n - 1. The
  -- values hashed are those the INSERT stores (same jsonb, same null-data rule, same instant). Should a
  -- concurrent writer take the next version first, the INSERT fails on events_stream_version, so no row is
  -- ever stored chained from a stale head.
  FOR i IN 1..jsonb_array_length(p_events) LOOP
    v_event := p_events->(i - 1);
    v_hash := event_store_event_hash(v_hash, p_stream_id, head_version + i, v_event->>'type',
      coalesce(v_event->'data', 'null'::jsonb), v_event->'metadata', v_recorded_at);
    v_hashes[i] := v_hash;
  END LOOP;
  -- Rows are inserted in batch order, so positions (and currval) follow the versions.
  INSERT INTO events (event_id, stream_id, version, type, data, metadata, recorded_at, hash)
  SELECT b.event_id, p_stream_id, head_version + b.n::integer, b.type, coalesce(b.data, 'null'::jsonb), b.metadata,
    v_recorded_at, v_hashes[b.n::integer]
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
    {
      id: '0004_events_append_only',
      sql: `CREATE FUNCTION event_store_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % refused', TG_OP
    USING ERRCODE = '${APPEND_ONLY_VIOLATION}', HINT = 'Events are never edited or removed; append a correcting event instead.';
END
$$;
CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
  FOR EACH ROW EXECUTE FUNCTION event_store_refuse_change();
CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
  FOR EACH STATEMENT EXECUTE FUNCTION event_store_refuse_change();
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tally_app') THEN
    -- Migrations of several schemas (parallel tests, several deployments on one server) may race here.
    BEGIN
      CREATE ROLE tally_app NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL;
      WHEN insufficient_privilege THEN
        RAISE NOTICE 'role tally_app does not exist and % may not create it: privileges on events not granted',
          current_user;
        RETURN;
    END;
  END IF;
  REVOKE UPDATE, DELETE, TRUNCATE ON events FROM PUBLIC, tally_app;
  GRANT SELECT, INSERT ON events TO tally_app;
  GRANT USAGE, SELECT ON SEQUENCE events_position_seq TO tally_app;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO tally_app', current_schema());
END
$$;
`,
    },
  ],
};
