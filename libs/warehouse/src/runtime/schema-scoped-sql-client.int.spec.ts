import { PgliteSqlClient } from '@tally/database';
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
