import { createTestSchema, type TestSchema } from '@tally/testing';
import { migrate, splitStatements } from './migrator';
import { PgliteSqlClient } from './pglite-sql-client';
import type { SqlClient } from './sql-client.port';

const migrations = [
  {
    module: 'demo',
    migrations: [
      {
        id: '0001_items',
        sql: 'CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL);\nINSERT INTO items VALUES (1, $$a;b$$);',
      },
      { id: '0002_more', sql: 'ALTER TABLE items ADD COLUMN extra text;' },
    ],
  },
];

describe.each([
  ['PostgreSQL', async () => createTestSchema('sqlclient')],
  ['PGlite', async () => ({ client: await PgliteSqlClient.open(), drop: () => Promise.resolve() })],
] as const)('SqlClient over %s', (_name, open) => {
  let db: Pick<TestSchema, 'drop'> & { client: SqlClient };

  beforeEach(async () => {
    db = await open();
  });
  afterEach(async () => {
    await db.client.close();
    await db.drop();
  });

  it('applies migrations once, in order', async () => {
    expect(await migrate(db.client, migrations)).toEqual(['demo/0001_items', 'demo/0002_more']);
    expect(await migrate(db.client, migrations)).toEqual([]);
    const { rows } = await db.client.query<{ label: string; extra: string | null }>(
      'SELECT label, extra FROM items',
    );
    expect(rows).toEqual([{ label: 'a;b', extra: null }]);
  });

  it('rolls a failed transaction back', async () => {
    await migrate(db.client, migrations);
    await expect(
      db.client.transaction(async (tx) => {
        await tx.query('INSERT INTO items (id, label) VALUES (2, $1)', ['b']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await db.client.query('SELECT id FROM items WHERE id = 2');
    expect(rows).toEqual([]);
  });

  it('delivers notifications to listeners', async () => {
    const received: string[] = [];
    const stop = await db.client.listen('tally_test_channel', (payload) => received.push(payload));
    await db.client.query("SELECT pg_notify('tally_test_channel', 'hello')");
    for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await stop();
    expect(received).toEqual(['hello']);
  });
});

describe('splitStatements', () => {
  it('keeps dollar-quoted bodies whole', () => {
    const sql =
      'CREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE plpgsql;\nSELECT 1;';
    expect(splitStatements(sql)).toHaveLength(2);
  });
});

describe('PgSqlClient when a connection dies', () => {
  // Regression: a backend terminated mid-transaction emitted an unhandled 'error' and crashed the process.
  it('rejects the transaction, discards the connection and keeps serving', async () => {
    const db = await createTestSchema('sqlclient_kill', 2);
    try {
      await expect(
        db.client.transaction(async (tx) => {
          await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
        }),
      ).rejects.toThrow();
      const { rows } = await db.client.query<{ one: number }>('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await db.drop();
    }
  });
});
