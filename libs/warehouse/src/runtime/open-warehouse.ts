import { type MigrationSet, migrate, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import type { AppConfig, Logger } from '@tally/platform';
import { projectionRunnerMigrations } from '@tally/read-models';
import { warehouseViewMigrations } from '../views/warehouse.views';
import { warehouseTableMigrations } from '../warehouse.schema';
import { analystRoleMigration, configureAnalystRole } from './analyst-role';
import { SchemaScopedSqlClient } from './schema-scoped-sql-client';

/** The analysts' warehouse as one process uses it. */
export interface WarehouseHandle {
  /** The warehouse's client: the warehouse schema first on its search path, so its SQL is unqualified. */
  readonly sql: SqlClient;
  readonly schema: string;
  /** Closes the warehouse's own connections (none when it shares the embedded database's). */
  close(): Promise<void>;
}

/**
 * The `warehouse` migration set without the analyst role, applied in the warehouse schema: the projection
 * runner's tables (the warehouse projection keeps its checkpoint, poison events and rebuilds beside its
 * tables, which may be in another database), the star schema, then the metric views.
 */
export const warehouseMigrationSet: MigrationSet = {
  module: 'warehouse',
  migrations: [...projectionRunnerMigrations, ...warehouseTableMigrations, ...warehouseViewMigrations],
};

/** {@link warehouseMigrationSet} and, last, the analyst role's migration: what {@link openWarehouse} applies. */
export function warehouseMigrations(schema: string, analystRole: string): MigrationSet {
  return {
    ...warehouseMigrationSet,
    migrations: [...warehouseMigrationSet.migrations, analystRoleMigration(schema, analystRole)],
  };
}

/**
 * Opens the warehouse (docs/warehouse.md): in its own database when WAREHOUSE_URL is set, else in the main
 * database `sql` is connected to, in the schema TALLY_WAREHOUSE_SCHEMA (created if missing). On PostgreSQL
 * that is a pool of its own with the warehouse schema on its search path; on embedded PGlite, which has one
 * connection, a {@link SchemaScopedSqlClient} over `sql`. Then applies the `warehouse` migrations and sets
 * the analyst role's login from TALLY_ANALYST_DB_PASSWORD.
 */
export async function openWarehouse(
  config: AppConfig,
  sql: SqlClient,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<WarehouseHandle> {
  const schema = config.TALLY_WAREHOUSE_SCHEMA;
  const role = config.TALLY_ANALYST_DB_ROLE;
  const warehouse = connect(config, sql, schema);
  try {
    await createSchema(warehouse, schema);
    await expectSearchPath(warehouse, schema);
    const applied = await migrate(warehouse, [warehouseMigrations(schema, role)]);
    if (applied.length > 0) logger.info({ applied, schema }, 'warehouse migrated');
    await configureAnalystRole(warehouse, {
      schema,
      role,
      password: config.TALLY_ANALYST_DB_PASSWORD,
    }).catch((error: unknown) => {
      // Apps that log in without CREATEROLE (docs/configuration.md, "Database roles") leave the role as
      // the owner's last run (e.g. of the CLI) set it.
      if ((error as { code?: unknown }).code !== '42501') throw error;
      logger.warn(
        { role, err: error },
        'not allowed to set the analyst role (TALLY_ANALYST_DB_ROLE) up; it stays as it was',
      );
    });
  } catch (error) {
    await warehouse.close().catch(() => undefined);
    throw error;
  }
  logger.info(
    {
      schema,
      database: config.WAREHOUSE_URL ? redactUrl(config.WAREHOUSE_URL) : 'main',
      analystRole: role,
      analystLogin: config.TALLY_ANALYST_DB_PASSWORD !== undefined,
    },
    'warehouse ready',
  );
  return { sql: warehouse, schema, close: () => warehouse.close() };
}

function connect(config: AppConfig, sql: SqlClient, schema: string): SqlClient {
  const url = config.WAREHOUSE_URL ?? (sql.dialect === 'postgres' ? config.DATABASE_URL : undefined);
  if (url === undefined) return new SchemaScopedSqlClient(sql, schema);
  return new PgSqlClient({
    connectionString: withWarehouseSearchPath(url, schema),
    schema,
    maxConnections: config.DATABASE_POOL_SIZE,
    applicationName: 'tally-warehouse',
  });
}

/**
 * Creates the schema unless it exists: checked first, because creating one needs CREATE on the database
 * even when it exists, which the apps' login may not have. `CREATE SCHEMA IF NOT EXISTS` is not safe
 * against a concurrent creation (processes starting together): the loser fails with `duplicate_schema` or
 * `unique_violation`, and the schema is there all the same.
 */
async function createSchema(sql: SqlClient, schema: string): Promise<void> {
  const { rows } = await sql.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found',
    [schema],
  );
  if (rows[0]?.found === true) return;
  try {
    await sql.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== '42P06' && code !== '23505') throw error;
  }
}

/** A search path given in the URL would win over the warehouse's: refuse to put the tables elsewhere. */
async function expectSearchPath(sql: SqlClient, schema: string): Promise<void> {
  const { rows } = await sql.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  if (rows[0]?.schema !== schema) {
    throw new Error(
      `The warehouse connection's current schema is ${rows[0]?.schema ?? 'none'}, not ${schema} ` +
        '(TALLY_WAREHOUSE_SCHEMA): check the search_path options of the database URL',
    );
  }
}

/**
 * `url` with the warehouse's search path in its `options` parameter when it has one: `pg` lets the URL's
 * options win over the client's, so a URL that sets options (a search path of its own, a statement
 * timeout) would otherwise lose the warehouse's search path. Its other options stay.
 */
export function withWarehouseSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  if (options === null) return url;
  const kept = options.replace(/(^|\s)(-c\s*|--)search_path=\S*/g, ' ');
  parsed.searchParams.set(
    'options',
    `${kept} -c search_path=${quoteIdentifier(schema)},public`.replace(/\s+/g, ' ').trim(),
  );
  return parsed.toString();
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
