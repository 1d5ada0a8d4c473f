import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { uuidv7 } from '@tally/event-store';
import {
  type CommandEnvelope,
  type CommandSender,
  deterministicCommandId,
  InProcessEventConsumers,
  JetStreamEventConsumers,
  JetStreamRelay,
  NatsCommandSender,
} from '@tally/messaging';
import {
  accepted,
  metricValue,
  RecordingCommandSender,
  type SagasHarness,
  startSagasHarness,
  until,
} from '../testing/sagas.harness';
import { Registry } from 'prom-client';
import { type WidgetState, widgetDefinition } from '../testing/widget.process';
import { type ObservableConsumerHost, ProcessHost } from './process-host';

const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const widget = widgetDefinition();

describe('ProcessHost', () => {
  let h: SagasHarness;
  let registry: Registry;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    h = await startSagasHarness();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await h.close();
  });

  function startHost(consumers: ObservableConsumerHost, commands: CommandSender): ProcessHost {
    const host = new ProcessHost({
      definitions: [widget],
      consumers,
      commands,
      store: h.store,
      tables: h.tables,
      logger: h.logger,
      timeoutPollIntervalMs: 100,
    });
    // Each host has a registry of its own, as each app has; the last one is where the assertions look.
    registry = new Registry();
    host.attach(registry);
    cleanups.push(() => host.stop());
    return host;
  }

  const inProcess = () => new InProcessEventConsumers({ store: h.store, sql: h.db.client });

  async function notesOf(orderId: string): Promise<number[]> {
    const records = await h.stream(`widget-${orderId}`);
    let state: WidgetState = widget.manager.initialState;
    for (const record of records) {
      const { type, data } = record.data as { type: 'WidgetNoted'; data: { orderId: string; n: number } };
      state = widget.manager.evolve(state, { type, data });
    }
    return [...state.notes];
  }

  /**
   * Ten notes for each of three orders, alternating between two source streams per order, interleaved
   * across orders. The command sender completes NoteWidget after a random delay and holds each order's
   * first note until another order's is in flight too.
   */
  async function orderingScenario(host: ProcessHost, commands: RecordingCommandSender) {
    const orders = [uuidv7(), uuidv7(), uuidv7()];
    const inFlight = new Set<string>();
    let mostInFlight = 0;
    const completed = new Map<string, number[]>(orders.map((order) => [order, []]));
    commands.respond = async (command: CommandEnvelope) => {
      if (command.type !== 'NoteWidget') return accepted;
      const { orderId, n } = command.data as { orderId: string; n: number };
      inFlight.add(orderId);
      mostInFlight = Math.max(mostInFlight, inFlight.size);
      try {
        if (n === 0) {
          await until('another order in flight', () => mostInFlight >= 2, 5000).catch(() => undefined);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 5)));
        completed.get(orderId)?.push(n);
        return accepted;
      } finally {
        inFlight.delete(orderId);
      }
    };
    // Appended before the host starts, so that the consumer finds them all at once and may run them together.
    for (let n = 0; n < 10; n += 1) {
      for (const orderId of orders)
        await h.append(`widgetnote${n % 2}-${orderId}`, 'WidgetNoted', { orderId, n });
    }
    await host.start();
    await until('every note sent', () => [...completed.values()].every((notes) => notes.length >= 10));

    const inOrder = Array.from({ length: 10 }, (_, n) => n);
    for (const orderId of orders) {
      expect(completed.get(orderId)).toEqual(inOrder);
      expect(await notesOf(orderId)).toEqual(inOrder);
    }
    expect(mostInFlight).toBeGreaterThanOrEqual(2);
  }

  describe('over in-process consumers (PostgreSQL)', () => {
    it('is ready only while its consumers run', async () => {
      const host = startHost(inProcess(), new RecordingCommandSender());
      await expect(host.readiness.check()).rejects.toThrow('not running');
      await host.start();
      await expect(host.readiness.check()).resolves.toBeUndefined();
      await host.stop();
      await expect(host.readiness.check()).rejects.toThrow('not running');
    });

    it('drives an instance from the store to its end: commands, then the timeout, counted per process', async () => {
      const commands = new RecordingCommandSender();
      const host = startHost(inProcess(), commands);
      await host.start();
      const [shipped, expired] = [uuidv7(), uuidv7()];
      const later = new Date(Date.now() + 3_600_000).toISOString();
      await h.append(`widgetorder-${shipped}`, 'WidgetOrdered', { orderId: shipped, expiresAt: later });
      await h.append(`widgetstock-${shipped}`, 'WidgetReserved', { orderId: shipped });
      await h.append(`widgetorder-${shipped}`, 'WidgetShipped', { orderId: shipped });
      await h.append(`widgetorder-${expired}`, 'WidgetOrdered', {
        orderId: expired,
        expiresAt: new Date(Date.now() + 200).toISOString(),
      });

      await until('the expired order cancelled', () => commands.ofType('CancelWidget').length === 1);
      await until('the shipped order finished', async () =>
        (await host.list()).some((info) => info.instances.terminal === 2),
      );

      expect(commands.ofType('ShipWidget').map((command) => command.metadata.commandId)).toEqual([
        deterministicCommandId(`widget-${shipped}`, 'ship'),
      ]);
      expect(commands.ofType('CancelWidget')[0]?.data).toEqual({ orderId: expired });
      expect(await host.list()).toEqual([
        {
          name: 'widget',
          consumer: 'widget',
          eventTypes: widget.eventTypes,
          state: 'running',
          instances: { active: 0, terminal: 2 },
          resumePending: 0,
        },
      ]);
      expect(await metricValue(registry, 'tally_process_active_instances', { process: 'widget' })).toBe(0);
    });

    it('handles one instance at a time and in log order, different instances concurrently', async () => {
      const commands = new RecordingCommandSender();
      await orderingScenario(startHost(inProcess(), commands), commands);
    });

    it('resumes unfinished instances on start', async () => {
      // First run: command-api refuses to ship (a 4xx is not retried), so the instance stays reserved.
      const first = new RecordingCommandSender();
      first.respond = (command) =>
        command.type === 'ShipWidget'
          ? { ok: false, status: 409, code: 'NOT_YET', message: 'not yet' }
          : accepted;
      const firstHost = startHost(inProcess(), first);
      await firstHost.start();
      const orderId = uuidv7();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      await h.append(`widgetorder-${orderId}`, 'WidgetOrdered', { orderId, expiresAt: later });
      await h.append(`widgetstock-${orderId}`, 'WidgetReserved', { orderId });
      await until('ship refused', () => first.ofType('ShipWidget').length === 1);
      await until('instance recorded as reserved', async () => (await host0Active()) === 1);
      await firstHost.stop();

      // Restart: nothing new to consume, but resume ships.
      const second = new RecordingCommandSender();
      const secondHost = startHost(inProcess(), second);
      await secondHost.start();
      await secondHost.resumed();

      expect(second.sent.map((command) => [command.type, command.metadata.commandId])).toEqual([
        ['ShipWidget', deterministicCommandId(`widget-${orderId}`, 'ship')],
      ]);
    });

    async function host0Active(): Promise<number> {
      return (await h.tables.instanceCounts()).find((row) => row.process === 'widget')?.active ?? 0;
    }
  });

  describe('over JetStream (PostgreSQL + NATS)', () => {
    let nc: NatsConnection;
    let prefix: string;
    let streamName: string;

    beforeEach(async () => {
      const token = randomBytes(5).toString('hex');
      prefix = `t${token}`;
      streamName = `T${token.toUpperCase()}_EVENTS`;
      nc = await connect({ servers: TEST_NATS_URL });
      const relay = new JetStreamRelay({
        store: h.store,
        sql: h.db.client,
        nats: nc,
        name: `relay-${token}`,
        prefix,
        stream: { name: streamName, storage: 'memory' },
      });
      await relay.start();
      cleanups.push(async () => {
        const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(nc);
        await jsm.streams.delete(streamName).catch(() => undefined);
        await nc.close();
      });
      cleanups.push(() => relay.stop());
    });

    const jetStream = () =>
      new JetStreamEventConsumers({ nats: nc, prefix, streamName, retry: { initialMs: 50, maxMs: 500 } });

    it('handles one instance at a time and in log order, different instances concurrently', async () => {
      const commands = new RecordingCommandSender();
      await orderingScenario(startHost(jetStream(), commands), commands);
    });

    it('records a redelivered input once and resends the same command id', async () => {
      const commands = new RecordingCommandSender();
      let failures = 1;
      commands.respond = () =>
        failures-- > 0 ? { ok: false, status: 504, code: 'COMMAND_TIMEOUT', message: 'no reply' } : accepted;
      await startHost(jetStream(), commands).start();
      const orderId = uuidv7();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      await h.append(`widgetorder-${orderId}`, 'WidgetOrdered', { orderId, expiresAt: later });

      await until('reserve resent', () => commands.ofType('ReserveWidget').length === 2);

      const ids = commands.ofType('ReserveWidget').map((command) => command.metadata.commandId);
      expect(ids).toEqual([
        deterministicCommandId(`widget-${orderId}`, 'reserve'),
        deterministicCommandId(`widget-${orderId}`, 'reserve'),
      ]);
      expect(await h.stream(`widget-${orderId}`)).toHaveLength(1);
    });

    it('sends over NATS request/reply: a 4xx reply is not retried, no reply in time is', async () => {
      // command-api's side of the wire, answering as Nest's NATS server does: `{ id, response, isDisposed }`.
      const received: CommandEnvelope[] = [];
      let silentOnce = true;
      const responder = nc.subscribe(`${prefix}.commands.*`, {
        callback: (error, message) => {
          if (error) return;
          const packet = message.json<{ id: string; data: CommandEnvelope }>();
          const command = packet.data;
          received.push(command);
          const { orderId } = command.data as { orderId: string };
          if (orderId === refused) {
            message.respond(
              JSON.stringify({
                id: packet.id,
                response: { ok: false, status: 409, code: 'WIDGET_GONE', message: 'gone' },
                isDisposed: true,
              }),
            );
            return;
          }
          if (silentOnce) {
            silentOnce = false; // The first request for `slow` gets no reply at all.
            return;
          }
          message.respond(JSON.stringify({ id: packet.id, response: accepted, isDisposed: true }));
        },
      });
      cleanups.push(async () => {
        responder.unsubscribe();
        await Promise.resolve();
      });
      const sender = new NatsCommandSender({ servers: TEST_NATS_URL, prefix, defaultTimeoutMs: 300 });
      cleanups.push(() => sender.close());
      const refused = uuidv7();
      const slow = uuidv7();
      await startHost(jetStream(), sender).start();
      const later = new Date(Date.now() + 3_600_000).toISOString();
      await h.append(`widgetorder-${refused}`, 'WidgetOrdered', { orderId: refused, expiresAt: later });
      await h.append(`widgetorder-${slow}`, 'WidgetOrdered', { orderId: slow, expiresAt: later });

      await until(
        'the unanswered command sent again',
        () =>
          received.filter((command) => (command.data as { orderId: string }).orderId === slow).length === 2,
      );

      const sentFor = (orderId: string) =>
        received
          .filter((command) => (command.data as { orderId: string }).orderId === orderId)
          .map((command) => command.metadata.commandId);
      expect(sentFor(refused)).toEqual([deterministicCommandId(`widget-${refused}`, 'reserve')]);
      expect(sentFor(slow)).toEqual([
        deterministicCommandId(`widget-${slow}`, 'reserve'),
        deterministicCommandId(`widget-${slow}`, 'reserve'),
      ]);
      expect(
        await metricValue(registry, 'tally_process_commands_total', {
          type: 'ReserveWidget',
          outcome: 'rejected',
        }),
      ).toBe(1);
      expect(
        await metricValue(registry, 'tally_process_commands_total', {
          type: 'ReserveWidget',
          outcome: 'failed',
        }),
      ).toBe(1);
    });
  });
});
