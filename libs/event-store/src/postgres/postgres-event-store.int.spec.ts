import { migrate, PgliteSqlClient, type SqlClient } from '@tally/database';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { Registry } from 'prom-client';
import { START } from '../event-store.port';
import {
  type EventStoreFixture,
  eventStoreContract,
  type HeldTransaction,
  newEvent,
  streamId,
} from '../event-store.contract';
import type { NewEvent, RecordedEvent } from '../event-store.port';
import { eventStoreMigrations } from './event-store.migrations';
import { registerEventStoreMetrics } from './event-store.metrics';
import { PostgresEventStore } from './postgres-event-store';

async function postgresFixture(): Promise<
  EventStoreFixture & { schema: TestSchema; store: PostgresEventStore }
> {
  const schema = await createTestSchema('event_store', 12);
  try {
    await migrate(schema.client, [eventStoreMigrations]);
  } catch (error) {
    await schema.drop();
    throw error;
  }
  const store = new PostgresEventStore(schema.client, { pollIntervalMs: 250 });
  const stores = [store];
  return {
    schema,
    store,
    connect() {
      const writer = new PostgresEventStore(schema.connect(1));
      stores.push(writer);
      return Promise.resolve(writer);
    },
    holdOpenTransaction: (stream, event) => holdOpenTransaction(schema.connect(1), stream, event),
    async teardown() {
      await Promise.all(stores.map((each) => each.close()));
      await schema.drop();
    },
  };
}

/** Inserts `event` in a transaction on `client` (its own connection) and keeps it open until `commit`. */
async function holdOpenTransaction(
  client: SqlClient,
  stream: string,
  event: NewEvent,
): Promise<HeldTransaction> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let inserted!: () => void;
  const insertDone = new Promise<void>((resolve) => (inserted = resolve));
  const done = client.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO events (event_id, stream_id, version, type, data, metadata, recorded_at, hash)
       SELECT $1, $2, 1, $3, $4::jsonb, $5::jsonb, t.at, event_store_event_hash(NULL, $2, 1, $3, $4::jsonb, $5::jsonb, t.at)
       FROM (SELECT date_trunc('milliseconds', clock_timestamp()) AS at) t`,
      [event.eventId, stream, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata)],
    );
    inserted();
    await released;
  });
  await Promise.race([insertDone, done]);
  return {
    async commit() {
      release();
      await done;
    },
  };
}

eventStoreContract('PostgreSQL', postgresFixture);

// Starting PGlite takes seconds, so its tests share one in-memory database; the contract never assumes an
// empty store (every test uses fresh stream ids and event types).
let pglite: Promise<PgliteSqlClient> | undefined;
afterAll(async () => {
  await (await pglite)?.close();
});

eventStoreContract(
  'PGlite',
  async () => {
    pglite ??= PgliteSqlClient.open().then(async (client) => {
      await migrate(client, [eventStoreMigrations]);
      return client;
    });
    const store = new PostgresEventStore(await pglite, { pollIntervalMs: 250 });
    return { store, teardown: () => store.close() };
  },
  {
    // One connection serialises the 16 writers; a tenth of the events proves the same properties.
    scale: 0.1,
    skip: { heldTransaction: 'PGlite has a single connection, so no second transaction can be held open' },
  },
);

describe('PostgresEventStore on PostgreSQL', () => {
  let fixture: Awaited<ReturnType<typeof postgresFixture>>;

  beforeEach(async () => {
    fixture = await postgresFixture();
  });
  afterEach(async () => {
    await fixture.teardown();
  });

  it('has START as head checkpoint while empty', async () => {
    expect(await fixture.store.headCheckpoint()).toBe(START);
    expect(await fixture.store.readAll({ limit: 10 })).toEqual({ events: [], next: START });
  });

  // Regression: the head was ordered by its text form, so transaction 99 came after transaction 100.
  it('orders the global log by transaction id as a number, not as text', async () => {
    const rows = [
      ['9', 'cart-a', 1],
      ['100', 'cart-b', 1],
      ['99', 'cart-c', 1],
      ['100', 'cart-b', 2],
    ] as const;
    for (const [transactionId, stream, version] of rows) {
      const event = newEvent('ItemAdded');
      await fixture.schema.client.query(
        `INSERT INTO events (transaction_id, event_id, stream_id, version, type, data, metadata, hash)
         VALUES ($1::xid8, $2, $3, $4, $5, '{}', '{}', sha256(''))`,
        [transactionId, event.eventId, stream, version, event.type],
      );
    }
    const { events } = await fixture.store.readAll({ limit: 10 });
    expect(events.map((event) => [event.streamId, event.version])).toEqual([
      ['cart-a', 1],
      ['cart-c', 1],
      ['cart-b', 1],
      ['cart-b', 2],
    ]);
    expect(await fixture.store.headCheckpoint()).toBe(events.at(-1)!.position);
    const filtered = await fixture.store.readAll({ limit: 10, types: ['ItemAdded'] });
    expect(filtered.events.map((event) => event.position)).toEqual(events.map((event) => event.position));
  });

  it('scans a bounded window past events of other types, then continues after its end', async () => {
    // A page of 1 scans 10,000 events (the least window); 10,050 of another type come first.
    const { store } = fixture;
    const stream = streamId('cart');
    const others = Array.from({ length: 10_050 }, () => newEvent('ItemRemoved'));
    const wanted = newEvent('ItemAdded');
    await store.append(stream, others, { expectedVersion: 'no_stream' });
    const appended = await store.append(stream, [wanted], { expectedVersion: others.length });

    const scanned = await store.readAll({ limit: 1, types: ['ItemAdded'] });
    expect(scanned.events).toEqual([]);
    expect(scanned.next > START && scanned.next < appended.checkpoint).toBe(true);
    const found = await store.readAll({ after: scanned.next, limit: 1, types: ['ItemAdded'] });
    expect(found.events.map((event) => event.eventId)).toEqual([wanted.eventId]);
    expect(found.next).toBe(appended.checkpoint);
    // PostgreSQL writes the checkpoint and the instant: they read as the append's and as JavaScript's.
    const [event] = found.events;
    expect(event!.position).toBe(appended.checkpoint);
    expect(event!.recordedAt).toBe(new Date(event!.recordedAt).toISOString());
    expect(event).toEqual((await store.readStream(stream, { fromVersion: others.length + 1 }))[0]);
    const unfiltered = await store.readAll({ after: scanned.next, limit: 100_000 });
    expect(unfiltered.events.at(-1)).toEqual(event);
  });

  it('reports events held back by an open transaction as visibility lag, and as metrics', async () => {
    const store = fixture.store;
    const registry = new Registry();
    registerEventStoreMetrics(registry, store);
    const transaction = await holdOpenTransaction(
      fixture.schema.connect(1),
      streamId('order'),
      newEvent('OrderPlaced'),
    );
    try {
      await store.append(streamId('cart'), [newEvent('CartOpened'), newEvent('ItemAdded')], {
        expectedVersion: 'no_stream',
      });
      const lag = await store.visibilityLag();
      expect(lag.events).toBeGreaterThanOrEqual(2);
      expect(lag.seconds).toBeGreaterThanOrEqual(0);
      const text = await registry.metrics();
      expect(text).toMatch(/^tally_event_store_visibility_lag_events [1-9]\d*$/m);
      expect(text).toMatch(/^tally_event_store_visibility_lag_seconds \d/m);
    } finally {
      await transaction.commit();
    }
  });

  it('announces each append on its channel, after the commit, with the appended checkpoint', async () => {
    const announced: string[] = [];
    let arrived!: () => void;
    const result = { checkpoint: '' };
    const done = new Promise<void>((resolve) => (arrived = resolve));
    const unlisten = await fixture.schema.client.listen(await fixture.store.notifyChannel(), (payload) => {
      announced.push(payload);
      if (result.checkpoint !== '' && payload >= result.checkpoint) arrived();
    });
    try {
      const appended = await fixture.store.append(streamId('cart'), [newEvent('CartOpened')], {
        expectedVersion: 'no_stream',
      });
      result.checkpoint = appended.checkpoint;
      if (announced.some((payload) => payload >= appended.checkpoint)) arrived();
      await done;
      expect(announced).toContain(appended.checkpoint);
    } finally {
      await unlisten();
    }
  });

  it('falls back to polling when no NOTIFY reaches the subscriber', async () => {
    const reader = new PostgresEventStore(fixture.schema.connect(2), {
      pollIntervalMs: 50,
      notifyChannel: 'tally_events_nobody_writes_here',
    });
    const stream = streamId('cart');
    let received!: (events: readonly RecordedEvent[]) => void;
    const delivered = new Promise<readonly RecordedEvent[]>((resolve) => (received = resolve));
    const subscription = reader.subscribe({}, async (events) => {
      const ours = events.filter((event) => event.streamId === stream);
      if (ours.length > 0) received(ours);
      return Promise.resolve();
    });
    try {
      const first = await reader.readAll({ limit: 1 });
      expect(first.events).toEqual([]);
      await fixture.store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
      expect((await delivered).map((event) => event.version)).toEqual([1]);
    } finally {
      await subscription.stop();
      await reader.close();
    }
  });

  it('keeps stores in different schemas from waking each other', async () => {
    const other = await postgresFixture();
    try {
      const channels = await Promise.all([fixture.store.notifyChannel(), other.store.notifyChannel()]);
      expect(channels[0]).toMatch(/^tally_events_event_store_/);
      expect(channels[0]).not.toBe(channels[1]);
    } finally {
      await other.teardown();
    }
  });

  it('rejects a notify channel that LISTEN would fold or reject', () => {
    expect(() => new PostgresEventStore(fixture.schema.client, { notifyChannel: 'Tally-Events' })).toThrow(
      RangeError,
    );
  });
});
