import type { Migration } from '@tally/database';
import type { ProjectionStorage } from '../projection';

/** One row per stock item; `version` is the `stock-<sku>` stream version last applied. */
export const stockMigrations: readonly Migration[] = [
  {
    id: '0003_stock_levels',
    sql: `
CREATE TABLE stock_levels (
  sku text PRIMARY KEY,
  on_hand int NOT NULL DEFAULT 0,
  reserved int NOT NULL DEFAULT 0,
  available int GENERATED ALWAYS AS (on_hand - reserved) STORED,
  version int NOT NULL,
  updated_at timestamptz NOT NULL
);
`,
  },
];

/** The `stock` projection's tables, for blue/green rebuilds. */
export const stockStorage: ProjectionStorage = {
  tables: ['stock_levels'],
  migrations: stockMigrations,
};
