import type { MigrationSet } from '@tally/database';

/**
 * Where messaging keeps its progress through the event store's global log:
 * - `relay_checkpoints`: the last checkpoint each relay has published to NATS JetStream (and had acked).
 * - `consumer_checkpoints`: the last checkpoint each in-process (embedded) consumer has handled.
 * Checkpoints are the store's opaque strings; `''` is the start of the log. `COLLATE "C"`: the upserts only
 * move a checkpoint forward, comparing in SQL exactly as JavaScript compares the strings.
 */
export const messagingMigrations: MigrationSet = {
  module: 'messaging',
  migrations: [
    {
      id: '0001_relay_checkpoints',
      sql: `CREATE TABLE relay_checkpoints (
  name text PRIMARY KEY,
  checkpoint text COLLATE "C" NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
    },
    {
      id: '0002_consumer_checkpoints',
      sql: `CREATE TABLE consumer_checkpoints (
  name text PRIMARY KEY,
  checkpoint text COLLATE "C" NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);
`,
    },
  ],
};
