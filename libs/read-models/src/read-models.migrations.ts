import type { Migration, MigrationSet } from '@tally/database';
import { cartsMigrations } from './carts/carts.schema';
import { catalogMigrations } from './catalog/catalog.schema';
import { customersMigrations } from './customers/customers.schema';
import { ordersMigrations } from './orders/orders.schema';
import { stockMigrations } from './stock/stock.schema';

/**
 * The runner's own tables. Checkpoints use the "C" collation so that SQL compares them like JavaScript
 * strings do (the event store port promises that order), whatever the database's default collation.
 * Exported for other schemas whose projections run on a runner of their own (the warehouse).
 */
export const projectionRunnerMigrations: readonly Migration[] = [
  {
    id: '0001_projection_runner',
    sql: `
CREATE TABLE projection_checkpoints (
  name text PRIMARY KEY,
  checkpoint text COLLATE "C" NOT NULL DEFAULT '',
  events_processed bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE projection_poison_events (
  projection text NOT NULL,
  event_id text NOT NULL,
  position text COLLATE "C" NOT NULL,
  stream_id text NOT NULL,
  version int NOT NULL,
  type text NOT NULL,
  error text NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, event_id)
);
CREATE INDEX projection_poison_events_recent ON projection_poison_events (recorded_at DESC);
`,
  },
  {
    // One row per projection: its latest blue/green rebuild. `schema` holds the copy being filled;
    // `checkpoint` and `events_processed` move in the same transaction as each filled batch, so a rebuild
    // that was interrupted resumes from there.
    id: '0010_projection_rebuilds',
    sql: `
CREATE TABLE projection_rebuilds (
  name text PRIMARY KEY,
  schema text NOT NULL,
  checkpoint text COLLATE "C" NOT NULL DEFAULT '',
  events_processed bigint NOT NULL DEFAULT 0,
  total_estimate bigint,
  state text NOT NULL CHECK (state IN ('running', 'switched', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  error text
);
`,
  },
];

/** Everything the read side needs: runner tables and every read model's tables (module `read-models`). */
export const readModelMigrations: MigrationSet = {
  module: 'read-models',
  migrations: [
    ...projectionRunnerMigrations,
    ...catalogMigrations,
    ...stockMigrations,
    ...cartsMigrations,
    ...ordersMigrations,
    ...customersMigrations,
  ],
};
