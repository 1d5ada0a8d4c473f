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
  ],
};
