import { type Migration, quoteIdentifier, type SqlClient, type SqlExecutor } from '@tally/database';

/**
 * Creates the analysts' role unless it exists and lets it read the warehouse schema, and nothing else: USAGE
 * on the schema, SELECT on its tables and views, now and (default privileges) on those created later in it.
 * The role is cluster-wide and several processes may start at once, so a concurrent creation (reported as
 * `duplicate_object`, or `unique_violation` when both passed the catalog check) counts as done; an existing
 * role is not created again, so that a user without CREATEROLE can migrate once an administrator created
 * it. It starts NOLOGIN; {@link configureAnalystRole} sets its login at every start.
 */
export function analystRoleSql(schema: string, role: string): string {
  const s = quoteIdentifier(schema);
  const r = quoteIdentifier(role);
  const name = `'${role.replace(/'/g, "''")}'`;
  return `
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${name}) THEN
    CREATE ROLE ${r} NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;
GRANT USAGE ON SCHEMA ${s} TO ${r};
GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r};
ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT ON TABLES TO ${r};
`;
}

/** The warehouse migration that creates the analyst role (after the tables and views it reads). */
export function analystRoleMigration(schema: string, role: string): Migration {
  return { id: '0900_analyst_role', sql: analystRoleSql(schema, role) };
}

export interface AnalystRoleOptions {
  readonly schema: string;
  readonly role: string;
  /** Without one the role cannot log in. */
  readonly password?: string | undefined;
}

// Any fixed number (the migrator uses 7_341_001, rebuilds 7_341_002): concurrent ALTER ROLEs on one role
// fail with "tuple concurrently updated", so processes starting together take turns.
const ANALYST_ROLE_LOCK = 7_341_003;

/**
 * Run at every start, after the migrations: `LOGIN PASSWORD '…'` with the configured password, else
 * `NOLOGIN` (and no password), and the warehouse schema as the role's search path in this database, so that
 * analysts' tools find the tables unqualified. The password travels as a parameter and is quoted by the
 * server (`format('%L')`). Creates the role first when it is missing (TALLY_ANALYST_DB_ROLE changed after
 * the migration ran).
 */
export async function configureAnalystRole(sql: SqlClient, options: AnalystRoleOptions): Promise<void> {
  const { schema, role, password } = options;
  await sql.session(async (session) => {
    await session.query('SELECT pg_advisory_lock($1)', [ANALYST_ROLE_LOCK]);
    try {
      const { rows } = await session.query<{ found: boolean }>(
        'SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS found',
        [role],
      );
      if (rows[0]?.found !== true) await sql.exec(analystRoleSql(schema, role));
      await runFormatted(
        session,
        password === undefined
          ? `format('ALTER ROLE %I NOLOGIN PASSWORD NULL', $1::text)`
          : `format('ALTER ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)`,
        password === undefined ? [role] : [role, password],
      );
      await runFormatted(
        session,
        `format('ALTER ROLE %I IN DATABASE %I SET search_path TO %I', $1::text, current_database(), $2::text)`,
        [role, schema],
      );
    } finally {
      await session.query('SELECT pg_advisory_unlock($1)', [ANALYST_ROLE_LOCK]);
    }
  });
}

/**
 * Gives the role SELECT on every table and view of the current schema: after a blue/green switch the
 * tables moved in from the rebuild's schema and the re-created views carry no grant of the warehouse schema.
 */
export async function grantAnalystRead(tx: SqlExecutor, role: string): Promise<void> {
  await runFormatted(
    tx,
    `format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', current_schema(), $1::text)`,
    [role],
  );
}

/**
 * Utility statements take no parameters: the server builds the statement with `format`, then runs it. The
 * role is shared by every database of the server, and the advisory lock only serialises processes of one
 * database: a concurrent change of the role from another one is retried.
 */
async function runFormatted(sql: SqlExecutor, format: string, params: readonly unknown[]): Promise<void> {
  const { rows } = await sql.query<{ statement: string }>(`SELECT ${format} AS statement`, params);
  const statement = rows[0]?.statement;
  if (!statement) throw new Error(`format() returned no statement: ${format}`);
  for (let attempt = 1; ; attempt++) {
    try {
      await sql.query(statement);
      return;
    } catch (error) {
      if (attempt >= 5 || !/tuple concurrently updated/i.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
