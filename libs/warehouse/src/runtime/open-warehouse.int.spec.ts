import { randomBytes } from 'node:crypto';
import { migrate, PgliteSqlClient, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import { eventStoreMigrations } from '@tally/event-store';
import { type AppConfig, loadConfig } from '@tally/platform';
import { readModelMigrations } from '@tally/read-models';
import { createTestDatabase, createTestSchema, dropTestWarehouse, type TestSchema } from '@tally/testing';
import pino from 'pino';
import { WAREHOUSE_VIEWS } from '../views/warehouse.views';
import { WAREHOUSE_TABLES } from '../warehouse.schema';
import { openWarehouse, type WarehouseHandle, warehouseMigrations } from './open-warehouse';

jest.setTimeout(60_000);

const logger = pino({ level: 'silent' });
const PASSWORD = "it's a long analyst passphrase";

/** What an analyst's statement did: `ok`, or the SQLSTATE it was refused with. */
async function asAnalyst(sql: SqlClient, role: string, statement: string): Promise<string> {
  try {
    await sql.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${quoteIdentifier(role)}`);
      await tx.query(statement);
    });
    return 'ok';
  } catch (error) {
    return String((error as { code?: unknown }).code);
  }
}

/** Every refusal the analyst role must meet, and every read it must be allowed, as `statement -> outcome`. */
function analystAccess(mainSchema: string): Record<string, string> {
  const main = quoteIdentifier(mainSchema);
  return {
    ...Object.fromEntries(WAREHOUSE_TABLES.map((table) => [`SELECT * FROM ${table} LIMIT 1`, 'ok'])),
    ...Object.fromEntries(WAREHOUSE_VIEWS.map((view) => [`SELECT * FROM ${view} LIMIT 1`, 'ok'])),
    "INSERT INTO dim_customer VALUES ('x', now(), 20300101)": '42501',
    "UPDATE dim_product SET name = 'x'": '42501',
    'DELETE FROM fact_payment': '42501',
    'TRUNCATE fact_search': '42501',
    'CREATE TABLE analyst_scratch (a int)': '42501',
    'CREATE VIEW analyst_view AS SELECT 1 AS one': '42501',
    'DROP VIEW metric_revenue_daily': '42501',
    [`SELECT * FROM ${main}.events LIMIT 1`]: '42501',
    [`SELECT * FROM ${main}.orders LIMIT 1`]: '42501',
    [`SELECT * FROM ${main}.customers LIMIT 1`]: '42501',
  };
}

async function outcomes(sql: SqlClient, role: string, mainSchema: string): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  for (const statement of Object.keys(analystAccess(mainSchema))) {
    seen[statement] = await asAnalyst(sql, role, statement);
  }
  return seen;
}

async function relations(sql: SqlClient, schema: string): Promise<{ tables: string[]; views: string[] }> {
  const { rows } = await sql.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'v') ORDER BY c.relname`,
    [schema],
  );
  return {
    tables: rows.filter((row) => row.kind === 'r').map((row) => row.name),
    views: rows.filter((row) => row.kind === 'v').map((row) => row.name),
  };
}

const fresh = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

describe('openWarehouse', () => {
  describe('on PostgreSQL, in the main database', () => {
    let db: TestSchema;
    let config: AppConfig;
    let handle: WarehouseHandle | undefined;

    beforeEach(async () => {
      db = await createTestSchema('wh_open', 2);
      await migrate(db.client, [eventStoreMigrations, readModelMigrations]);
      config = loadConfig({
        DATABASE_URL: db.url,
        TALLY_WAREHOUSE_SCHEMA: `${db.schema}_wh`,
        TALLY_ANALYST_DB_ROLE: fresh('analyst'),
      });
    });

    afterEach(async () => {
      await handle?.close();
      handle = undefined;
      await dropTestWarehouse(db.url, config.TALLY_WAREHOUSE_SCHEMA, config.TALLY_ANALYST_DB_ROLE);
      await db.drop();
    });

    it('creates its schema with the runner tables, the star schema and the views, once', async () => {
      handle = await openWarehouse(config, db.client, logger);
      expect(handle.schema).toBe(config.TALLY_WAREHOUSE_SCHEMA);
      const { tables, views } = await relations(db.client, handle.schema);
      expect(tables).toEqual(
        expect.arrayContaining([
          ...WAREHOUSE_TABLES,
          'projection_checkpoints',
          'projection_poison_events',
          'projection_rebuilds',
          'tally_migrations',
        ]),
      );
      expect(views.sort()).toEqual([...WAREHOUSE_VIEWS].sort());
      // Unqualified names reach the warehouse; the main schema's tables stay where they were.
      const { rows } = await handle.sql.query<{ days: number }>('SELECT count(*)::int AS days FROM dim_date');
      expect(rows[0]?.days).toBeGreaterThan(36_000);
      expect((await relations(db.client, db.schema)).tables).not.toContain('dim_date');

      await handle.close();
      handle = await openWarehouse(config, db.client, logger);
      const applied = await handle.sql.query<{ id: string }>(
        `SELECT id FROM tally_migrations WHERE module = 'warehouse' ORDER BY id`,
      );
      const expected = warehouseMigrations(handle.schema, config.TALLY_ANALYST_DB_ROLE).migrations;
      expect(applied.rows.map((row) => row.id)).toEqual(expected.map((m) => m.id).sort());
    });

    it('ignores a search path in the database URL: the warehouse keeps its own schema', async () => {
      const url = new URL(db.url);
      url.searchParams.set('options', `-c search_path=${db.schema},public -c statement_timeout=60000`);
      handle = await openWarehouse({ ...config, DATABASE_URL: url.toString() }, db.client, logger);
      const { rows } = await handle.sql.query<{ schema: string; timeout: string }>(
        `SELECT current_schema() AS schema, current_setting('statement_timeout') AS timeout`,
      );
      expect(rows[0]).toEqual({ schema: config.TALLY_WAREHOUSE_SCHEMA, timeout: '1min' });
    });

    describe('the analyst role', () => {
      it('reads every warehouse table and view, and nothing else, and cannot write or create', async () => {
        handle = await openWarehouse(config, db.client, logger);
        expect(await outcomes(handle.sql, config.TALLY_ANALYST_DB_ROLE, db.schema)).toEqual(
          analystAccess(db.schema),
        );
      });

      it('cannot log in without a password', async () => {
        handle = await openWarehouse(config, db.client, logger);
        const analyst = new PgSqlClient({ connectionString: loginUrl(db.url, config.TALLY_ANALYST_DB_ROLE) });
        try {
          await expect(analyst.query('SELECT 1')).rejects.toMatchObject({ code: '28000' });
        } finally {
          await analyst.close();
        }
      });

      it('logs in with the configured password, finding the warehouse on its search path', async () => {
        handle = await openWarehouse({ ...config, TALLY_ANALYST_DB_PASSWORD: PASSWORD }, db.client, logger);
        const { rows } = await db.client.query<{ login: boolean; password: boolean }>(
          `SELECT rolcanlogin AS login, rolpassword IS NOT NULL AS password FROM pg_authid WHERE rolname = $1`,
          [config.TALLY_ANALYST_DB_ROLE],
        );
        expect(rows).toEqual([{ login: true, password: true }]);
        const analyst = new PgSqlClient({
          connectionString: loginUrl(db.url, config.TALLY_ANALYST_DB_ROLE, PASSWORD),
        });
        try {
          const days = await analyst.query<{ n: number }>('SELECT count(*)::int AS n FROM dim_date');
          expect(days.rows[0]?.n).toBeGreaterThan(36_000);
          await expect(analyst.query('DELETE FROM dim_date')).rejects.toMatchObject({ code: '42501' });
        } finally {
          await analyst.close();
        }

        // Without the password at the next start, the role cannot log in any more.
        await handle.close();
        handle = await openWarehouse(config, db.client, logger);
        const after = await db.client.query<{ login: boolean; password: boolean }>(
          `SELECT rolcanlogin AS login, rolpassword IS NOT NULL AS password FROM pg_authid WHERE rolname = $1`,
          [config.TALLY_ANALYST_DB_ROLE],
        );
        expect(after.rows).toEqual([{ login: false, password: false }]);
      });

      it('is left as it was by an app logging in without CREATEROLE, which still starts', async () => {
        handle = await openWarehouse({ ...config, TALLY_ANALYST_DB_PASSWORD: PASSWORD }, db.client, logger);
        await handle.close();
        // The apps' login of docs/configuration.md ("Database roles"): it may use the warehouse, not roles.
        const app = fresh('app');
        const s = quoteIdentifier(config.TALLY_WAREHOUSE_SCHEMA);
        await db.client.exec(
          `CREATE ROLE ${app} LOGIN; GRANT USAGE, CREATE ON SCHEMA ${s} TO ${app};
           GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${app};`,
        );
        const warnings: string[] = [];
        const warnOnly = pino({ level: 'warn' }, { write: (line: string) => warnings.push(line) });
        try {
          handle = await openWarehouse(
            { ...config, DATABASE_URL: loginUrl(db.url, app) },
            db.client,
            warnOnly,
          );
          const { rows } = await handle.sql.query<{ user: string }>('SELECT current_user AS user');
          expect(rows).toEqual([{ user: app }]);
          expect(warnings).toEqual([expect.stringContaining('not allowed to set the analyst role')]);
          const role = await db.client.query<{ login: boolean }>(
            'SELECT rolcanlogin AS login FROM pg_roles WHERE rolname = $1',
            [config.TALLY_ANALYST_DB_ROLE],
          );
          expect(role.rows).toEqual([{ login: true }]);
        } finally {
          await handle.close();
          handle = undefined;
          await dropTestWarehouse(db.url, `${db.schema}_none`, app);
        }
      });

      it('is created again at start when the configured role changed after the migration', async () => {
        handle = await openWarehouse(config, db.client, logger);
        await handle.close();
        const renamed = { ...config, TALLY_ANALYST_DB_ROLE: fresh('analyst') };
        try {
          handle = await openWarehouse(renamed, db.client, logger);
          expect(await outcomes(handle.sql, renamed.TALLY_ANALYST_DB_ROLE, db.schema)).toEqual(
            analystAccess(db.schema),
          );
        } finally {
          await dropTestWarehouse(db.url, `${db.schema}_none`, renamed.TALLY_ANALYST_DB_ROLE).catch(
            () => undefined,
          );
        }
      });
    });
  });

  describe('on PostgreSQL, in a database of its own (WAREHOUSE_URL)', () => {
    it('keeps every warehouse table there and none in the main database', async () => {
      const db = await createTestSchema('wh_own_db', 2);
      const own = await createTestDatabase('tally_wh');
      const config = loadConfig({
        DATABASE_URL: db.url,
        WAREHOUSE_URL: own.url,
        TALLY_WAREHOUSE_SCHEMA: fresh('wh'),
        TALLY_ANALYST_DB_ROLE: fresh('analyst'),
      });
      let handle: WarehouseHandle | undefined;
      try {
        handle = await openWarehouse(config, db.client, logger);
        const { rows } = await handle.sql.query<{ database: string; schema: string }>(
          'SELECT current_database() AS database, current_schema() AS schema',
        );
        expect(rows[0]).toEqual({
          database: new URL(own.url).pathname.slice(1),
          schema: config.TALLY_WAREHOUSE_SCHEMA,
        });
        expect((await relations(handle.sql, config.TALLY_WAREHOUSE_SCHEMA)).tables).toEqual(
          expect.arrayContaining([...WAREHOUSE_TABLES]),
        );
        expect(await relations(db.client, config.TALLY_WAREHOUSE_SCHEMA)).toEqual({ tables: [], views: [] });
      } finally {
        await handle?.close();
        await own.drop();
        await dropTestWarehouse(db.url, `${db.schema}_none`, config.TALLY_ANALYST_DB_ROLE);
        await db.drop();
      }
    });
  });

  describe('on embedded PGlite, sharing its one connection', () => {
    let main: PgliteSqlClient;
    let handle: WarehouseHandle;
    const config = loadConfig({ TALLY_WAREHOUSE_SCHEMA: 'warehouse' });

    beforeAll(async () => {
      main = await PgliteSqlClient.open();
      await migrate(main, [eventStoreMigrations, readModelMigrations]);
      handle = await openWarehouse(config, main, logger);
    });

    afterAll(async () => {
      await handle.close();
      await main.close();
    });

    it('migrates the warehouse schema and leaves the shared client on its own search path', async () => {
      expect((await relations(main, 'warehouse')).tables).toEqual(
        expect.arrayContaining([...WAREHOUSE_TABLES]),
      );
      expect((await relations(main, 'warehouse')).views.sort()).toEqual([...WAREHOUSE_VIEWS].sort());
      const schemas = async (sql: SqlClient) =>
        (await sql.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]?.schema;
      expect(await schemas(handle.sql)).toBe('warehouse');
      expect(await schemas(main)).toBe('public');
      expect(
        await handle.sql.transaction((tx) => tx.query('SELECT 1 FROM projection_checkpoints')),
      ).toBeTruthy();
      // Closing the warehouse leaves the shared database open for its owner.
      await handle.close();
      expect((await main.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    });

    it('gives the analyst role the same read-only access as on PostgreSQL (PGlite has no logins)', async () => {
      expect(await outcomes(handle.sql, 'tally_analyst', 'public')).toEqual(analystAccess('public'));
    });
  });
});

/** `url` with `role` (and `password`) as the user. */
function loginUrl(url: string, role: string, password?: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password === undefined ? '' : encodeURIComponent(password);
  return parsed.toString();
}
