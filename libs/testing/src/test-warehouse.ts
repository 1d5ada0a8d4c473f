import { randomBytes } from 'node:crypto';
import { PgSqlClient, quoteIdentifier } from '@tally/database';
import { testDatabaseUrl } from './test-database';

/**
 * The warehouse settings of one test: a schema next to the test's own and an analyst role of its own, so
 * that tests running at the same time on one server never share warehouse tables or a role (roles are
 * global to the server).
 */
export interface TestWarehouse {
  readonly settings: {
    readonly TALLY_WAREHOUSE_SCHEMA: string;
    readonly TALLY_ANALYST_DB_ROLE: string;
  };
  /** Drops the warehouse schema and the analyst role (what it owns and was granted first). */
  drop(): Promise<void>;
}

export function testWarehouse(testSchema: string, url = testDatabaseUrl()): TestWarehouse {
  const schema = `${testSchema}_wh`;
  const role = `analyst_${randomBytes(6).toString('hex')}`;
  return {
    settings: { TALLY_WAREHOUSE_SCHEMA: schema, TALLY_ANALYST_DB_ROLE: role },
    drop: () => dropTestWarehouse(url, schema, role),
  };
}

/**
 * Drops a warehouse schema and an analyst role (what the role owns and was granted first) on the server at
 * `url`; either may be missing.
 */
export async function dropTestWarehouse(url: string, schema: string, role: string): Promise<void> {
  const admin = new PgSqlClient({ connectionString: url, maxConnections: 1 });
  try {
    await admin.exec(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
    const { rows } = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (rows.length > 0) {
      await admin.exec(`DROP OWNED BY ${quoteIdentifier(role)}`);
      await admin.exec(`DROP ROLE ${quoteIdentifier(role)}`);
    }
  } finally {
    await admin.close();
  }
}
