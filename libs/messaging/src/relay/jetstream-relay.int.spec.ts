import { Registry, type Counter } from 'prom-client';
import { eventSubject } from '../subjects';
import {
  connectNats,
  RecordingLogger,
  startStore,
  streamMessages,
  uniqueMessaging,
  until,
  type NatsHarness,
  type StoreHarness,
} from '../testing/messaging.harness';
import { JetStreamRelay, type JetStreamRelayOptions } from './jetstream-relay';

async function counterValue(registry: Registry, name: string, labels: Record<string, string>) {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  const values = metric ? (await metric.get()).values : [];
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

describe('JetStreamRelay', () => {
  let h: StoreHarness;
  let nats: NatsHarness;
  let names: { prefix: string; streamName: string };
  const relays: JetStreamRelay[] = [];

  const relay = (options: Partial<JetStreamRelayOptions> = {}) => {
    const created = new JetStreamRelay({
      store: h.store,
      sql: h.db.client,
      nats: nats.nc,
      prefix: names.prefix,
      stream: { name: names.streamName, storage: 'memory' },
      batchSize: 7,
      retry: { initialMs: 20, maxMs: 200 },
      ...options,
    });
    relays.push(created);
    return created;
  };

  const storedCheckpoint = async () =>
    (
      await h.db.client.query<{ checkpoint: string }>(
        "SELECT checkpoint FROM relay_checkpoints WHERE name = 'jetstream'",
      )
    ).rows[0]?.checkpoint;

  const streamCount = async () => (await nats.jsm.streams.info(names.streamName)).state.messages;

  beforeEach(async () => {
    names = uniqueMessaging();
    h = await startStore();
    nats = await connectNats(names.streamName);
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
    await nats.close();
    await h.close();
  });

  it('publishes every event once, in per-stream order, with Nats-Msg-Id = eventId and the full envelope', async () => {
    await h.append('order-1', 'OrderPlaced');
    await h.append('stock-A', 'StockReserved', 3);
    await h.append('order-1', 'OrderStockReserved', 2);
    await h.append('checkout-1', 'CheckoutStarted');
    const { checkpoint: head } = await h.append('stock-A', 'StockReservationCommitted', 10);
    const stored = await h.readAll();

    const registry = new Registry();
    await relay({ registry }).start();
    await until('all events in JetStream', async () => (await streamCount()) === stored.length);
    await until('the checkpoint at the head', async () => (await storedCheckpoint()) === head);

    const messages = await streamMessages(nats.jsm, names.streamName);
    // JetStream holds them in the store's global order, which contains every stream's version order.
    expect(messages.map((m) => m.event)).toEqual(stored);
    for (const m of messages) {
      expect(m.msgId).toBe(m.event.eventId);
      expect(m.subject).toBe(eventSubject(m.event, names.prefix));
    }
    expect(messages.map((m) => m.subject)).toContain(`${names.prefix}.events.checkout.CheckoutStarted`);
    expect(await counterValue(registry, 'tally_relay_published_total', { outcome: 'stored' })).toBe(17);
    const lag = registry.getSingleMetric('tally_relay_lag_events');
    expect((await lag?.get())?.values[0]?.value).toBe(0);
  });

  it('relays events appended while it runs', async () => {
    await relay().start();
    await h.append('order-2', 'OrderPlaced');
    const { checkpoint } = await h.append('order-2', 'OrderConfirmed');
    await until('the live events', async () => (await storedCheckpoint()) === checkpoint);
    expect((await streamMessages(nats.jsm, names.streamName)).map((m) => m.event.type)).toEqual([
      'OrderPlaced',
      'OrderConfirmed',
    ]);
  });

  it('resumes from its checkpoint after a restart, and a re-publish after a lost checkpoint is de-duplicated', async () => {
    const first = relay();
    await first.start();
    await h.append('order-3', 'OrderPlaced', 5);
    await until('the first five', async () => (await streamCount()) === 5);
    await until('their checkpoint', async () => (await storedCheckpoint()) !== '');
    await first.stop();

    // Appended while no relay runs.
    await h.append('order-3', 'OrderConfirmed', 4);
    // A crash between publishing and storing the checkpoint: the checkpoint is behind what was published.
    await h.db.client.query("UPDATE relay_checkpoints SET checkpoint = '' WHERE name = 'jetstream'");

    const registry = new Registry();
    const second = relay({ registry });
    await second.start();
    await until('the four new ones', async () => (await streamCount()) === 9);
    const head = await h.store.headCheckpoint();
    await until('the checkpoint at the head', async () => (await storedCheckpoint()) === head);

    const messages = await streamMessages(nats.jsm, names.streamName);
    expect(messages.map((m) => m.event)).toEqual(await h.readAll());
    expect(await counterValue(registry, 'tally_relay_published_total', { outcome: 'duplicate' })).toBe(5);
    expect(await counterValue(registry, 'tally_relay_published_total', { outcome: 'stored' })).toBe(4);
  });

  it('keeps retrying an event JetStream refuses, never skipping it, and goes on once it is accepted', async () => {
    const logger = new RecordingLogger();
    const registry = new Registry();
    const r = relay({ logger, registry });
    await r.start();
    await h.append('order-4', 'OrderPlaced');
    await until('the first event', async () => (await streamCount()) === 1);

    // Take the stream away: every publish now fails (expected stream missing) until the relay re-creates it.
    await nats.jsm.streams.delete(names.streamName);
    await h.append('order-4', 'OrderConfirmed');
    const { checkpoint } = await h.append('order-4', 'OrderShipped');

    await until(
      'the remaining events after the stream is back',
      async () => (await storedCheckpoint()) === checkpoint,
    );
    const types = (await streamMessages(nats.jsm, names.streamName)).map((m) => m.event.type);
    expect(types).toEqual(['OrderConfirmed', 'OrderShipped']);
    expect(r.status()).toMatchObject({ state: 'running', failures: 0, checkpoint });
    expect(await counterValue(registry, 'tally_relay_errors_total', { kind: 'publish' })).toBeGreaterThan(0);
    expect(logger.messages('error')).toContain('relay could not publish an event; retrying it');
  });
});
