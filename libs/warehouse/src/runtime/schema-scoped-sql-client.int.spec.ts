import { PgliteSqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { SchemaScopedSqlClient } from './schema-scoped-sql-client';

jest.setTimeout(30_000);

describe('SchemaScopedSqlClient over PGlite', () => {
  let shared: PgliteSqlClient;
  let scoped: SchemaScopedSqlClient;

  const schemaOf = async (table: string) =>
    (
      await shared.query<{ schema: string }>(
        `SELECT n.nspname AS schema FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relname = $1`,
        [table],
      )
    ).rows.map((row) => row.schema);

  beforeAll(async () => {
    shared = await PgliteSqlClient.open();
    await shared.exec('CREATE SCHEMA scoped');
    scoped = new SchemaScopedSqlClient(shared, 'scoped');
  });

  afterAll(async () => {
    await shared.close();
  });

  it('creates and reads unqualified names in its schema, statement by statement and in transactions', async () => {
    await scoped.exec('CREATE TABLE items (id int PRIMARY KEY);\nCREATE TABLE labels (id int);');
    await scoped.query('INSERT INTO items VALUES ($1)', [1]);
    await scoped.transaction(async (tx) => {
      await tx.query('INSERT INTO items VALUES (2)');
    });
    expect((await scoped.query<{ id: number }>('SELECT id FROM items ORDER BY id')).rows).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
    expect(await schemaOf('items')).toEqual(['scoped']);
    expect(await schemaOf('labels')).toEqual(['scoped']);
    // The shared client never saw its search path change.
    expect((await shared.query<{ schema: string }>('SELECT current_schema() AS schema')).rows).toEqual([
      { schema: 'public' },
    ]);
  });

  it('scopes a transaction its session opens itself, through savepoints, until it ends', async () => {
    await scoped.session(async (session) => {
      await session.query('BEGIN');
      await session.query('CREATE TABLE kept (id int)');
      await session.query('SAVEPOINT s');
      await session.query('CREATE TABLE undone (id int)');
      await session.query('ROLLBACK TO SAVEPOINT s');
      await session.query('CREATE TABLE also_kept (id int)');
      await session.query('COMMIT');
      // After the transaction, statements are scoped one by one again.
      await session.query('CREATE TABLE after_commit (id int)');
    });
    expect(await schemaOf('kept')).toEqual(['scoped']);
    expect(await schemaOf('also_kept')).toEqual(['scoped']);
    expect(await schemaOf('undone')).toEqual([]);
    expect(await schemaOf('after_commit')).toEqual(['scoped']);
  });

  it('rolls a failed transaction back', async () => {
    await expect(
      scoped.transaction(async (tx) => {
        await tx.query('CREATE TABLE doomed (id int)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await schemaOf('doomed')).toEqual([]);
  });
});

describe('SchemaScopedSqlClient over a PostgreSQL pool', () => {
  let db: TestSchema;

  beforeAll(async () => {
    db = await createTestSchema('scoped_pool');
  });

  afterAll(async () => {
    await db.drop();
  });

  // Regression: statements of a session outside its own transactions went through other pooled
  // connections, so the migrator's advisory lock stayed held by one of them and the next migration waited
  // for ever.
  it("keeps session state, such as an advisory lock, on the session's own connection", async () => {
    const scoped = new SchemaScopedSqlClient(db.client, db.schema);
    const key = Math.floor(Math.random() * 1_000_000_000);
    const holders = async () =>
      (
        await db.client.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid AND granted`,
          [key],
        )
      ).rows.map((row) => row.pid);
    await scoped.session(async (session) => {
      await session.query('SELECT pg_advisory_lock($1)', [key]);
      // Inside a transaction it opens itself, a session runs on its own connection.
      await session.query('BEGIN');
      const { rows } = await session.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await session.query('COMMIT');
      expect(await holders()).toEqual([rows[0]?.pid]);
      await session.query('SELECT pg_advisory_unlock($1)', [key]);
    });
    expect(await holders()).toEqual([]);
  });
});
