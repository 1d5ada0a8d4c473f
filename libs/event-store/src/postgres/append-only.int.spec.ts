import { randomBytes } from 'node:crypto';
import { migrate, PgliteSqlClient, PgSqlClient, quoteIdentifier, type SqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { computeEventHash, GENESIS_HASH } from '../event-hash';
import { newEvent, streamId } from '../event-store.contract';
import type { RecordedEvent } from '../event-store.port';
import { APPEND_ONLY_VIOLATION, eventStoreMigrations } from './event-store.migrations';
import { PostgresEventStore } from './postgres-event-store';

// Events are never edited (DESIGN.md §3, ADR 0012): the table refuses changes by trigger, whoever asks, and the
// application role is not even granted them.

const REFUSALS = [
  ['UPDATE', `UPDATE events SET data = '{"forged": true}'`],
  ['DELETE', 'DELETE FROM events'],
  ['TRUNCATE', 'TRUNCATE events'],
] as const;

async function errorOf(work: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await work;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the statement to be refused');
}

/** Appends two batches to a fresh stream and returns the stream. */
async function seed(store: PostgresEventStore): Promise<string> {
  const stream = streamId('order');
  await store.append(stream, [newEvent('OrderPlaced'), newEvent('OrderPaid', { amount: 1250 })], {
    expectedVersion: 'no_stream',
  });
  await store.append(stream, [newEvent('OrderShipped')], { expectedVersion: 2 });
  return stream;
}

function expectChained(events: readonly RecordedEvent[]): void {
  let previous = GENESIS_HASH;
  for (const event of events) {
    expect(event.hash).toBe(computeEventHash(previous, event));
    previous = event.hash!;
  }
}

describe('the events table on PostgreSQL', () => {
  jest.setTimeout(30_000);
  let schema: TestSchema;
  let store: PostgresEventStore;

  beforeEach(async () => {
    schema = await createTestSchema('append_only', 4);
    await migrate(schema.client, [eventStoreMigrations]);
    store = new PostgresEventStore(schema.client);
  });
  afterEach(async () => {
    await store.close();
    await schema.drop();
  });

  it.each(REFUSALS)('refuses %s even to its owner, a superuser', async (operation, statement) => {
    const stream = await seed(store);
    const before = await store.readStream(stream);
    const error = await errorOf(schema.client.query(statement));
    expect(error.code).toBe(APPEND_ONLY_VIOLATION);
    expect(error.message).toBe(`events are append-only: ${operation} refused`);
    expect(await store.readStream(stream)).toEqual(before);
  });

  it('lets a superuser bypass the trigger only by disabling it deliberately (as tamper tests do)', async () => {
    const stream = await seed(store);
    await schema.client.transaction(async (tx) => {
      await tx.query('SET LOCAL session_replication_role = replica');
      await tx.query(`UPDATE events SET data = '{"amount": 1}' WHERE stream_id = $1 AND version = 2`, [
        stream,
      ]);
    });
    const [, paid] = await store.readStream(stream);
    expect(paid!.data).toEqual({ amount: 1 });
    // The stored hash still covers the original data, so the edit shows.
    expect(paid!.hash).not.toBe(computeEventHash((await store.readStream(stream))[0]!.hash!, paid!));
  });

  describe('as a login role in tally_app', () => {
    let role: string;
    let app: PgSqlClient;
    let appStore: PostgresEventStore;

    beforeEach(async () => {
      role = `tally_app_test_${randomBytes(6).toString('hex')}`;
      await schema.client.query(`CREATE ROLE ${quoteIdentifier(role)} LOGIN IN ROLE tally_app`);
      const url = new URL(schema.url);
      url.username = role;
      url.password = '';
      app = new PgSqlClient({ connectionString: url.toString(), schema: schema.schema, maxConnections: 2 });
      appStore = new PostgresEventStore(app);
    });
    afterEach(async () => {
      await appStore.close();
      await app.close();
      await schema.client.query(`DROP ROLE IF EXISTS ${quoteIdentifier(role)}`);
    });

    it('appends and reads, with the chain computed by the database', async () => {
      const { rows } = await app.query<{ user: string; owner: boolean }>(
        `SELECT current_user AS user, pg_has_role(current_user, (SELECT tableowner FROM pg_tables
           WHERE schemaname = current_schema() AND tablename = 'events'), 'USAGE') AS owner`,
      );
      expect(rows[0]).toEqual({ user: role, owner: false });
      const stream = await seed(appStore);
      const events = await appStore.readStream(stream);
      expect(events.map((event) => event.version)).toEqual([1, 2, 3]);
      expectChained(events);
    });

    it.each(REFUSALS)('is refused %s by privileges', async (_operation, statement) => {
      const stream = await seed(appStore);
      const before = await appStore.readStream(stream);
      const error = await errorOf(app.query(statement));
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/^permission denied for table events$/);
      expect(await appStore.readStream(stream)).toEqual(before);
    });
  });
});

describe('the events table on PGlite', () => {
  jest.setTimeout(30_000);
  let client: PgliteSqlClient;
  let store: PostgresEventStore;

  beforeAll(async () => {
    client = await PgliteSqlClient.open();
    await migrate(client, [eventStoreMigrations]);
    store = new PostgresEventStore(client);
  }, 60_000);
  afterAll(async () => {
    await store.close();
    await client.close();
  });

  it.each(REFUSALS)('refuses %s', async (operation, statement) => {
    const stream = await seed(store);
    const before = await store.readStream(stream);
    const error = await errorOf(client.query(statement));
    expect(error.code).toBe(APPEND_ONLY_VIOLATION);
    expect(error.message).toBe(`events are append-only: ${operation} refused`);
    expect(await store.readStream(stream)).toEqual(before);
    expectChained(before);
  });

  it('creates the application role and grants it SELECT and INSERT only', async () => {
    const { rows } = await client.query<{ privileges: string[] }>(
      `SELECT array_agg(p ORDER BY p) AS privileges
       FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS p
       WHERE has_table_privilege('tally_app', 'events', p)`,
    );
    expect(rows[0]!.privileges).toEqual(['INSERT', 'SELECT']);
  });
});

/** Migrates to before the hash chain, appends through the old function, then migrates the rest. */
async function backfillScenario(sql: SqlClient): Promise<{ streams: string[]; store: PostgresEventStore }> {
  const store = new PostgresEventStore(sql);
  const beforeHashes = eventStoreMigrations.migrations.filter((m) => m.id < '0003');
  expect(beforeHashes.map((m) => m.id)).toEqual(['0001_events', '0002_append_function']);
  await migrate(sql, [{ module: eventStoreMigrations.module, migrations: beforeHashes }]);
  const streams = [streamId('cart'), streamId('order'), streamId('stock')];
  for (const [i, stream] of streams.entries()) {
    // Only the append works before the migration (reads select the hash column).
    await store.append(
      stream,
      Array.from({ length: i + 1 }, () => newEvent('ItemAdded', { note: 'é "x" \n', n: 1e21 })),
      { expectedVersion: 'no_stream' },
    );
    await store.append(stream, [newEvent('ItemRemoved', [1e-7, {}])], { expectedVersion: i + 1 });
  }
  expect(await migrate(sql, [eventStoreMigrations])).toEqual([
    'event-store/0003_event_hash',
    'event-store/0004_events_append_only',
  ]);
  // Appends after the migration chain from the backfilled heads.
  for (const stream of streams)
    await store.append(stream, [newEvent('CartNoted')], { expectedVersion: 'any' });
  return { streams, store };
}

const backfillBackends: [string, () => Promise<{ sql: SqlClient; close(): Promise<void> }>][] = [
  [
    'PostgreSQL',
    async () => {
      const schema = await createTestSchema('hash_backfill', 2);
      return { sql: schema.client, close: () => schema.drop() };
    },
  ],
  [
    'PGlite',
    async () => {
      const client = await PgliteSqlClient.open();
      return { sql: client, close: () => client.close() };
    },
  ],
];

describe.each(backfillBackends)('migrating a %s event log recorded before the hash chain', (_name, open) => {
  it("backfills every stream's chain, which later appends continue", async () => {
    const { sql, close } = await open();
    try {
      const { streams, store } = await backfillScenario(sql);
      for (const [i, stream] of streams.entries()) {
        const events = await store.readStream(stream);
        expect(events).toHaveLength(i + 3);
        expectChained(events);
      }
      await store.close();
    } finally {
      await close();
    }
  }, 60_000);
});
