import { migrate, PgliteSqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore, type RecordedEvent } from '@tally/event-store';
import { Registry } from 'prom-client';
import { messagingMigrations } from '../messaging.migrations';
import { RecordingLogger, startStore, until, type StoreHarness, step } from '../testing/messaging.harness';
import type { EventConsumerOptions } from './event-consumer-host';
import { InProcessEventConsumers, type InProcessEventConsumersOptions } from './in-process-event-consumers';

describe('InProcessEventConsumers', () => {
  let h: StoreHarness;
  const hosts: InProcessEventConsumers[] = [];

  const host = (options: Partial<InProcessEventConsumersOptions> = {}) => {
    const created = new InProcessEventConsumers({
      store: h.store,
      sql: h.db.client,
      batchSize: 5,
      retry: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    hosts.push(created);
    return created;
  };

  const start = (
    consumers: InProcessEventConsumers,
    options: Omit<EventConsumerOptions, 'name'> & { name?: string },
  ) => consumers.start({ name: 'ledger', ...options });

  const storedCheckpoint = async (name = 'ledger') =>
    (
      await h.db.client.query<{ checkpoint: string }>(
        'SELECT checkpoint FROM consumer_checkpoints WHERE name = $1',
        [name],
      )
    ).rows[0]?.checkpoint;

  beforeEach(async () => {
    h = await startStore();
  });

  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((created) => created.stop()));
    await h.close();
  });

  it('handles the event types asked for and resumes from its stored checkpoint after a restart', async () => {
    const seen: RecordedEvent[] = [];
    const first = await start(host(), {
      eventTypes: ['OrderPlaced'],
      handler: step((event) => {
        seen.push(event);
      }),
    });
    await h.append('order-1', 'OrderPlaced');
    await h.append('order-1', 'OrderConfirmed');
    const { checkpoint } = await h.append('order-2', 'OrderPlaced');
    await until(
      'both placed orders and the checkpoint',
      async () => (await storedCheckpoint()) === checkpoint,
    );
    await first.stop();

    await h.append('order-3', 'OrderPlaced', 2);
    await start(host(), {
      eventTypes: ['OrderPlaced'],
      handler: step((event) => {
        seen.push(event);
      }),
    });
    await until('the two appended while stopped', () => seen.length === 4, 10_000);
    expect(seen.map((e) => e.streamId)).toEqual(['order-1', 'order-2', 'order-3', 'order-3']);
    expect(new Set(seen.map((e) => e.eventId)).size).toBe(4);
  });

  it('retries a failing handler with backoff, never skipping the event, and holds its partition', async () => {
    const logger = new RecordingLogger();
    const registry = new Registry();
    const handled: RecordedEvent[] = [];
    let failuresLeft = 3;
    await start(host({ logger, registry }), {
      eventTypes: ['StockReserved'],
      handler: step((event) => {
        if (event.version === 2 && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('database briefly unavailable');
        }
        handled.push(event);
      }),
    });
    const { checkpoint } = await h.append('stock-A', 'StockReserved', 4);
    await until('the checkpoint past every event', async () => (await storedCheckpoint()) === checkpoint);
    expect(handled.map((e) => e.version)).toEqual([1, 2, 3, 4]);
    expect(logger.messages('error').filter((m) => m === 'event handler failed; retrying it')).toHaveLength(3);
    const failures = registry.getSingleMetric('tally_consumer_handler_failures_total');
    expect((await failures?.get())?.values[0]?.value).toBe(3);
  });

  it('does not store the checkpoint of a batch that was stopped mid-retry: it comes again', async () => {
    const attempts: number[] = [];
    const first = await start(host(), {
      eventTypes: ['OrderPlaced'],
      handler: step((event) => {
        attempts.push(event.version);
        throw new Error('always failing');
      }),
    });
    await h.append('order-9', 'OrderPlaced');
    await until('a failed attempt', () => attempts.length > 0);
    await first.stop();
    expect(await storedCheckpoint()).toBeUndefined();

    const handled: string[] = [];
    await start(host(), {
      eventTypes: ['OrderPlaced'],
      handler: step((event) => {
        handled.push(event.streamId);
      }),
    });
    await until('the event, handed over again', () => handled.length === 1);
    expect(handled).toEqual(['order-9']);
  });

  it('never runs two handlers of one partition at once, keeps partition order, and runs partitions concurrently', async () => {
    const order: RecordedEvent[] = [];
    const runningByKey = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    let overlaps = 0;
    const keyOf = (event: RecordedEvent) => (event.data as { orderId: string }).orderId;
    await start(host({ batchSize: 50 }), {
      eventTypes: ['OrderPlaced', 'CheckoutProgressed'],
      maxInFlight: 4,
      partitionKey: keyOf,
      handler: async (event) => {
        const key = keyOf(event);
        if ((runningByKey.get(key) ?? 0) > 0) overlaps += 1;
        runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 4)));
        order.push(event);
        running -= 1;
        runningByKey.set(key, (runningByKey.get(key) ?? 1) - 1);
      },
    });
    const orders = Array.from({ length: 8 }, (_, i) => `o${i}`);
    await Promise.all(
      orders.map(async (orderId) => {
        for (let i = 0; i < 3; i++) {
          await h.append(`order-${orderId}`, 'OrderPlaced', 1, { orderId });
          await h.append(`checkout-${orderId}`, 'CheckoutProgressed', 1, { orderId });
        }
      }),
    );
    const stored = await h.readAll();
    await until('every event', () => order.length === stored.length);
    expect(overlaps).toBe(0);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(4);
    for (const orderId of orders) {
      expect(order.filter((e) => keyOf(e) === orderId).map((e) => e.eventId)).toEqual(
        stored.filter((e) => keyOf(e) === orderId).map((e) => e.eventId),
      );
    }
  });
});

// Embedded mode (DESIGN.md §8): the same consumers on PGlite, one connection, no NATS.
describe('InProcessEventConsumers on PGlite', () => {
  it('handles events and resumes from its checkpoint', async () => {
    const sql = await PgliteSqlClient.open();
    const store = new PostgresEventStore(sql, { pollIntervalMs: 100 });
    const append = (streamId: string) =>
      store.append(
        streamId,
        [
          {
            eventId: crypto.randomUUID(),
            type: 'OrderPlaced',
            data: {},
            metadata: {
              commandId: crypto.randomUUID(),
              correlationId: 'c',
              causationId: 'c',
              actor: { id: 'test', role: 'system' },
              occurredAt: '2030-01-02T03:04:05.000Z',
              schemaVersion: 1,
            },
          },
        ],
        { expectedVersion: 'any' },
      );
    try {
      await migrate(sql, [eventStoreMigrations, messagingMigrations]);
      const seen: string[] = [];
      const options = {
        name: 'embedded',
        eventTypes: ['OrderPlaced'],
        handler: step((event: RecordedEvent) => {
          seen.push(event.streamId);
        }),
      };
      const first = new InProcessEventConsumers({ store, sql });
      await first.start(options);
      await append('order-a');
      await until('the first event', () => seen.length === 1);
      await first.stop();
      await append('order-b');
      const second = new InProcessEventConsumers({ store, sql });
      await second.start(options);
      await until('the second event', () => seen.length === 2);
      await second.stop();
      expect(seen).toEqual(['order-a', 'order-b']);
    } finally {
      await store.close();
      await sql.close();
    }
  });
});
