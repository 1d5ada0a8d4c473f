import type { Migration } from '@tally/database';
import type { ProjectionStorage } from '../projection';

/**
 * One row per account, for the account page and the admin's customer list. No credentials: those never
 * leave command-api. `version` is the `customer-<uuid>` stream version last applied.
 */
export const customersMigrations: readonly Migration[] = [
  {
    id: '0009_customers',
    sql: `
CREATE TABLE customers (
  id text PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL,
  registered_at timestamptz NOT NULL,
  version int NOT NULL
);
CREATE INDEX customers_registered ON customers (registered_at DESC, id DESC);
`,
  },
];

/** The `customers` projection's tables, for blue/green rebuilds. */
export const customersStorage: ProjectionStorage = {
  tables: ['customers'],
  migrations: customersMigrations,
};
