import { randomBytes } from 'node:crypto';
import { PgSqlClient, quoteIdentifier } from '@tally/database';

/** The settings that give one test its own warehouse. */
export interface TestWarehouseEnv {
  readonly TALLY_WAREHOUSE_SCHEMA: string;
  readonly TALLY_ANALYST_DB_ROLE: string;
}

/**
 * For tests that start the projectors on a test schema of the shared server: a warehouse schema beside it
 * and an analyst role of their own (roles belong to the whole server), rather than the default `warehouse`
 * and `tally_analyst` every other test would share.
 */
export function testWarehouseEnv(testSchema: string): TestWarehouseEnv {
  return {
    TALLY_WAREHOUSE_SCHEMA: `${testSchema}_wh`,
    TALLY_ANALYST_DB_ROLE: `tally_analyst_${randomBytes(5).toString('hex')}`,
  };
}

/** Drops the test's warehouse schema and its analyst role (and the role's privileges). */
export async function dropTestWarehouse(url: string, env: TestWarehouseEnv): Promise<void> {
  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1 });
  try {
    await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(env.TALLY_WAREHOUSE_SCHEMA)} CASCADE`);
    await admin.exec(`DROP OWNED BY ${quoteIdentifier(env.TALLY_ANALYST_DB_ROLE)}`).catch(() => undefined);
    await admin.exec(`DROP ROLE IF EXISTS ${quoteIdentifier(env.TALLY_ANALYST_DB_ROLE)}`);
  } finally {
    await admin.close();
  }
}
