import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent } from '@tally/event-store';
import { Registry } from 'prom-client';
import { JetStreamRelay } from '../relay/jetstream-relay';
import { subjectMatches } from '../subjects';
import {
  connectNats,
  RecordingLogger,
  startStore,
  uniqueMessaging,
  until,
  type NatsHarness,
  type StoreHarness,
  step,
} from '../testing/messaging.harness';
import { startNatsTestServer, type NatsTestServer } from '../testing/nats-test-server';
import type { EventConsumerOptions, RunningConsumer } from './event-consumer-host';
import { JetStreamEventConsumers, type JetStreamEventConsumersOptions } from './jetstream-event-consumers';

/** Records what a handler saw: every call, and the first successful handling of each event id. */
class Ledger {
  readonly calls: RecordedEvent[] = [];
  readonly applied = new Map<string, RecordedEvent>();
  readonly order: RecordedEvent[] = [];
  duplicates = 0;

  /** The idempotent effect a real consumer has: apply an event id once. */
  apply(event: RecordedEvent): void {
    if (this.applied.has(event.eventId)) {
      this.duplicates += 1;
      return;
    }
    this.applied.set(event.eventId, event);
    this.order.push(event);
  }
}

describe('JetStreamEventConsumers', () => {
  let h: StoreHarness;
  let names: { prefix: string; streamName: string };
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    names = uniqueMessaging();
    h = await startStore();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await h.close();
  });

  async function natsAt(url?: string): Promise<NatsHarness> {
    const nats = await connectNats(names.streamName, url);
    cleanups.push(() => nats.close());
    return nats;
  }

  async function startRelay(nc: NatsConnection, storage: 'file' | 'memory' = 'memory') {
    const relay = new JetStreamRelay({
      store: h.store,
      sql: h.db.client,
      nats: nc,
      prefix: names.prefix,
      stream: { name: names.streamName, storage },
      retry: { initialMs: 20, maxMs: 500 },
      publishTimeoutMs: 1000,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    return relay;
  }

  function consumers(nc: NatsConnection, options: Partial<JetStreamEventConsumersOptions> = {}) {
    const host = new JetStreamEventConsumers({
      nats: nc,
      prefix: names.prefix,
      streamName: names.streamName,
      ackWaitMs: 2000,
      retry: { initialMs: 50, maxMs: 300 },
      reconnect: { initialMs: 50, maxMs: 500 },
      ...options,
    });
    cleanups.push(() => host.stop());
    return host;
  }

  async function start(
    host: JetStreamEventConsumers,
    options: Omit<EventConsumerOptions, 'name'> & { name?: string },
  ): Promise<RunningConsumer> {
    return host.start({ name: 'ledger', ...options });
  }

  it('delivers only the event types asked for, across aggregates, once each', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    const ledger = new Ledger();
    await start(consumers(nats.nc), {
      eventTypes: ['OrderPlaced', 'StockReserved'],
      handler: step((event) => {
        ledger.calls.push(event);
        ledger.apply(event);
      }),
    });
    await h.append('order-1', 'OrderPlaced');
    await h.append('order-1', 'OrderConfirmed');
    await h.append('stock-A', 'StockReserved', 2);
    await h.append('cart-1', 'CartCheckedOut');
    const wanted = (await h.readAll()).filter((e) => ['OrderPlaced', 'StockReserved'].includes(e.type));

    await until('the wanted events', () => ledger.applied.size === wanted.length);
    // Give an unwanted or duplicate delivery the chance to show up before checking there was none.
    await h.append('order-1', 'OrderPlaced');
    await until('one more', () => ledger.applied.size === wanted.length + 1);
    expect(ledger.calls.map((e) => e.type)).toEqual([
      'OrderPlaced',
      'StockReserved',
      'StockReserved',
      'OrderPlaced',
    ]);
    expect(ledger.duplicates).toBe(0);
  });

  it('takes up a changed list of event types for an existing durable consumer, from its position on', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    const seen: string[] = [];
    const host = consumers(nats.nc);
    const first = await start(host, { eventTypes: ['OrderPlaced'], handler: step((e) => seen.push(e.type)) });
    await h.append('order-7', 'OrderPlaced');
    await until('the placed order', () => seen.length === 1);
    await first.stop();

    // A durable consumer keeps its position: events of an added type that it already passed are not
    // replayed (a consumer that needs them takes a new name). Those appended from now on all arrive.
    await start(host, {
      eventTypes: ['OrderPlaced', 'OrderConfirmed'],
      handler: step((e) => seen.push(e.type)),
    });
    await h.append('order-7', 'OrderConfirmed');
    await h.append('order-7', 'OrderPlaced');
    await until('both types', () => seen.length === 3);
    expect(seen).toEqual(['OrderPlaced', 'OrderConfirmed', 'OrderPlaced']);
    const info = await nats.jsm.consumers.info(names.streamName, 'ledger');
    const filters = info.config.filter_subjects ?? [info.config.filter_subject ?? ''];
    expect(filters.some((f) => subjectMatches(f, `${names.prefix}.events.order.OrderConfirmed`))).toBe(true);
  });

  it('delivers a failed event again after a delay, and holds back the later events of its partition', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    const logger = new RecordingLogger();
    const registry = new Registry();
    const ledger = new Ledger();
    let failuresLeft = 2;
    await start(consumers(nats.nc, { logger, registry }), {
      eventTypes: ['OrderPlaced', 'OrderConfirmed', 'OrderShipped'],
      handler: step((event) => {
        ledger.calls.push(event);
        if (event.type === 'OrderConfirmed' && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('payment service unavailable');
        }
        ledger.apply(event);
      }),
    });
    await h.append('order-5', 'OrderPlaced');
    await h.append('order-5', 'OrderConfirmed');
    await h.append('order-5', 'OrderShipped');
    await h.append('order-6', 'OrderPlaced');

    await until('all four', () => ledger.applied.size === 4);
    expect(ledger.order.filter((e) => e.streamId === 'order-5').map((e) => e.version)).toEqual([1, 2, 3]);
    expect(ledger.calls.filter((e) => e.type === 'OrderConfirmed')).toHaveLength(3);
    expect(logger.messages('error')).toContain('event handler failed; the event will be delivered again');
    const failures = registry.getSingleMetric('tally_consumer_handler_failures_total');
    expect((await failures?.get())?.values[0]?.value).toBe(2);
  });

  it('delivers unacknowledged events again to the next process after a crash', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    // The first process: its own connection, handles two events and hangs on the rest, then "dies".
    const doomed = await connect({ servers: nats.nc.getServer() });
    const handledByFirst: string[] = [];
    let release: () => void = () => undefined;
    const hang = new Promise<void>((resolve) => (release = resolve));
    const first = consumers(doomed, { ackWaitMs: 1000 });
    await start(first, {
      eventTypes: ['OrderPlaced'],
      maxInFlight: 1,
      handler: async (event) => {
        if (handledByFirst.length >= 2) await hang;
        handledByFirst.push(event.eventId);
      },
    });
    for (let i = 0; i < 5; i++) await h.append(`order-c${i}`, 'OrderPlaced');
    const all = (await h.readAll()).map((e) => e.eventId);
    await until('the first two', () => handledByFirst.length === 2);
    await doomed.close();

    const ledger = new Ledger();
    await start(consumers(nats.nc), {
      eventTypes: ['OrderPlaced'],
      handler: step((event) => {
        ledger.apply(event);
      }),
    });
    await until('the other three, redelivered', () => all.slice(2).every((id) => ledger.applied.has(id)));
    expect(all.slice(0, 2).some((id) => ledger.applied.has(id))).toBe(false);
    release();
  });

  it('hands back queued events on a clean stop; the restarted consumer handles them', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    const ledger = new Ledger();
    let gate: () => void = () => undefined;
    const firstBlocks = new Promise<void>((resolve) => (gate = resolve));
    const host = consumers(nats.nc, { ackWaitMs: 30_000 });
    let entered = 0;
    const running = await start(host, {
      eventTypes: ['StockReserved'],
      maxInFlight: 1,
      handler: async (event) => {
        entered += 1;
        await firstBlocks;
        ledger.apply(event);
      },
    });
    await h.append('stock-B', 'StockReserved', 6);
    await until('one running', () => entered === 1);
    await until(
      'more delivered to this process than running',
      async () => (await nats.jsm.consumers.info(names.streamName, 'ledger')).num_ack_pending >= 2,
    );
    const stopping = running.stop();
    gate();
    await stopping;
    const afterStop = ledger.applied.size;
    expect(afterStop).toBeLessThan(6);

    // The ack wait is 30 s: only the nak on stop can make these come back within the test's deadline.
    await start(consumers(nats.nc), {
      eventTypes: ['StockReserved'],
      handler: step((event) => {
        ledger.apply(event);
      }),
    });
    await until('all six', () => ledger.applied.size === 6, 15_000);
    expect(ledger.order.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('never runs two handlers of one partition at once, keeps each partition in log order, and runs partitions concurrently', async () => {
    const nats = await natsAt();
    await startRelay(nats.nc);
    const ledger = new Ledger();
    const runningByKey = new Map<string, number>();
    let running = 0;
    let maxRunning = 0;
    let overlaps = 0;
    const failedOnce = new Set<string>();
    // Process-manager style: one key spans an order stream and a checkout stream.
    const keyOf = (event: RecordedEvent) => (event.data as { orderId: string }).orderId;
    await start(consumers(nats.nc), {
      eventTypes: ['OrderPlaced', 'CheckoutProgressed'],
      maxInFlight: 8,
      partitionKey: keyOf,
      handler: async (event) => {
        const key = keyOf(event);
        if ((runningByKey.get(key) ?? 0) > 0) overlaps += 1;
        runningByKey.set(key, (runningByKey.get(key) ?? 0) + 1);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        try {
          await new Promise((resolve) => setTimeout(resolve, 1 + Math.floor(Math.random() * 5)));
          // Every second event of a stream fails once, to show that a retry does not let later events overtake it.
          // Regression: events held back behind a failure came back in any order and overtook each other.
          if (event.version % 2 === 0 && !failedOnce.has(event.eventId)) {
            failedOnce.add(event.eventId);
            throw new Error('transient');
          }
          ledger.apply(event);
        } finally {
          running -= 1;
          runningByKey.set(key, (runningByKey.get(key) ?? 1) - 1);
        }
      },
    });
    const orders = Array.from({ length: 12 }, (_, i) => `o${i}`);
    await Promise.all(
      orders.map(async (orderId) => {
        for (let i = 0; i < 4; i++) {
          await h.append(`order-${orderId}`, 'OrderPlaced', 1, { orderId });
          await h.append(`checkout-${orderId}`, 'CheckoutProgressed', 1, { orderId });
        }
      }),
    );
    const stored = await h.readAll();
    await until('every event', () => ledger.applied.size === stored.length, 60_000);

    expect(overlaps).toBe(0);
    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(8);
    expect(failedOnce.size).toBeGreaterThan(0);
    for (const orderId of orders) {
      const inLog = stored.filter((e) => keyOf(e) === orderId).map((e) => e.eventId);
      const handled = ledger.order.filter((e) => keyOf(e) === orderId).map((e) => e.eventId);
      expect(handled).toEqual(inLog);
    }
  });

  describe('when NATS is killed (SIGKILL) and restarted during a burst of appends', () => {
    let server: NatsTestServer;

    beforeEach(async () => {
      server = await startNatsTestServer();
      cleanups.push(() => server.stop());
    });

    it('every event reaches the durable consumer, none is lost and none is applied twice', async () => {
      const nats = await natsAt(server.url);
      const relay = await startRelay(nats.nc, 'file');
      const ledger = new Ledger();
      await start(consumers(nats.nc), {
        eventTypes: ['ItemCounted'],
        maxInFlight: 8,
        handler: step((event) => {
          ledger.calls.push(event);
          ledger.apply(event);
        }),
      });

      const streams = Array.from({ length: 10 }, (_, i) => `counter-${i}`);
      let appended = 0;
      const burst = Promise.all(
        streams.map(async (streamId) => {
          for (let i = 0; i < 30; i++) {
            await h.append(streamId, 'ItemCounted', 1 + (i % 3));
            appended += 1 + (i % 3);
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
        }),
      );
      await until('part of the burst relayed', () => ledger.applied.size > 50);
      await server.kill('SIGKILL');
      const killedAt = appended;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await server.restart();
      await burst;
      expect(appended).toBeGreaterThan(killedAt);

      const stored = await h.readAll();
      await until('every event at the consumer', () => ledger.applied.size === stored.length, 90_000);
      expect(new Set(ledger.applied.keys())).toEqual(new Set(stored.map((e) => e.eventId)));
      for (const streamId of streams) {
        const versions = ledger.order.filter((e) => e.streamId === streamId).map((e) => e.version);
        expect(versions).toEqual(versions.map((_, i) => i + 1));
      }
      // JetStream itself holds each event once: re-publishes after the restart were dropped by msg id.
      const head = await h.store.headCheckpoint();
      await until('the relay checkpoint at the head', () => relay.status().checkpoint === head);
      expect((await nats.jsm.streams.info(names.streamName)).state.messages).toBe(stored.length);
      process.stdout.write(
        `NATS restart: ${stored.length} events, ${ledger.calls.length} deliveries, ${ledger.duplicates} duplicate deliveries absorbed by the consumer\n`,
      );
    });
  });
});
