import type { MigrationSet } from '@tally/database';

/**
 * The sagas app's own tables (module `sagas`). A process's state is its event stream (`checkout-<orderId>`);
 * these tables are what a stream cannot answer cheaply (docs/adr/0009-process-manager-runtime.md):
 *
 * - `process_timeouts`: durable timers. A row is pending until `fired_at` (delivered to the process) or
 *   `cancelled_at` (the instance reached a terminal state first). `(process, instance, key)` is the action's
 *   identity, so scheduling the same action again (redelivery, resume) changes nothing.
 * - `process_instances`: one row per process instance with its status after the last handled event, so that
 *   `resume` on start and the active-instance gauge do not scan every stream. `instance` compares bytewise
 *   (`COLLATE "C"`) so that paging through it is stable whatever the database's collation.
 */
export const sagasOwnMigrations: MigrationSet = {
  module: 'sagas',
  migrations: [
    {
      id: '0001_process_timeouts',
      sql: `CREATE TABLE process_timeouts (
  process text NOT NULL,
  instance text NOT NULL,
  key text NOT NULL,
  due_at timestamptz NOT NULL,
  event jsonb NOT NULL,
  correlation_id text NOT NULL,
  causation_id text NOT NULL,
  scheduled_at timestamptz NOT NULL DEFAULT now(),
  fired_at timestamptz,
  cancelled_at timestamptz,
  CONSTRAINT process_timeouts_pkey PRIMARY KEY (process, instance, key)
);
CREATE INDEX process_timeouts_due ON process_timeouts (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
`,
    },
    {
      id: '0002_process_instances',
      sql: `CREATE TABLE process_instances (
  process text NOT NULL,
  instance text COLLATE "C" NOT NULL,
  status text NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT process_instances_pkey PRIMARY KEY (process, instance),
  CONSTRAINT process_instances_status CHECK (status IN ('active', 'terminal'))
);
CREATE INDEX process_instances_active ON process_instances (process) WHERE status = 'active';
`,
    },
  ],
};
