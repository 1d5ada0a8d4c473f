import { deterministicCommandId, deterministicEventId } from '@tally/messaging';
import { uuidv7 } from '@tally/event-store';
import {
  accepted,
  ManualClock,
  metricValue,
  RecordingCommandSender,
  type SagasHarness,
  startSagasHarness,
} from '../testing/sagas.harness';
import { widgetDefinition } from '../testing/widget.process';
import { CommandDeliveryError } from './process-runtime';
import { TimeoutPoller } from './timeout-poller';

const widget = widgetDefinition();
const HOUR = 3_600_000;

describe('ProcessRuntime (PostgreSQL)', () => {
  let h: SagasHarness;
  let commands: RecordingCommandSender;
  let clock: ManualClock;

  beforeEach(async () => {
    h = await startSagasHarness();
    commands = new RecordingCommandSender();
    clock = new ManualClock();
  });

  afterEach(async () => {
    await h.close();
  });

  const ordered = (orderId: string, expiresInMs = HOUR) =>
    h.append(`widgetorder-${orderId}`, 'WidgetOrdered', {
      orderId,
      expiresAt: new Date(clock.now().getTime() + expiresInMs).toISOString(),
    });

  describe('record, then react', () => {
    it('records the input in the instance stream and sends the reaction with deterministic metadata', async () => {
      const runtime = h.runtime(widget, commands, { now: clock.now });
      const orderId = uuidv7();
      const input = await ordered(orderId);

      await runtime.handle(input);

      const records = await h.stream(`widget-${orderId}`);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        eventId: deterministicEventId(`widget-${orderId}`, input.eventId),
        type: 'WidgetEventObserved',
        data: {
          type: 'WidgetOrdered',
          data: input.data,
          eventId: input.eventId,
          streamId: input.streamId,
          version: 1,
          occurredAt: input.metadata.occurredAt,
        },
        metadata: { causationId: input.eventId, correlationId: input.metadata.correlationId },
      });
      expect(commands.sent).toEqual([
        {
          type: 'ReserveWidget',
          data: { orderId },
          metadata: {
            commandId: deterministicCommandId(`widget-${orderId}`, 'reserve'),
            correlationId: input.metadata.correlationId,
            causationId: input.eventId,
            actor: { id: 'widget', role: 'system' },
            occurredAt: clock.now().toISOString(),
          },
        },
      ]);
      expect(await metricValue(h.registry, 'tally_process_events_total', { outcome: 'recorded' })).toBe(1);
      expect(
        await metricValue(h.registry, 'tally_process_commands_total', {
          type: 'ReserveWidget',
          outcome: 'accepted',
        }),
      ).toBe(1);
    });

    it('records a redelivered input once and sends the same commands with the same ids again', async () => {
      const runtime = h.runtime(widget, commands, { now: clock.now });
      const orderId = uuidv7();
      const input = await ordered(orderId);
      await runtime.handle(input);
      await runtime.handle(await h.append(`widgetstock-${orderId}`, 'WidgetReserved', { orderId }));

      await runtime.handle(input);

      expect((await h.stream(`widget-${orderId}`)).map((record) => record.data)).toMatchObject([
        { type: 'WidgetOrdered' },
        { type: 'WidgetReserved' },
      ]);
      // The redelivery reacts from the state before the first record: reserve again, not nothing.
      expect(commands.sent.map((command) => [command.type, command.metadata.commandId])).toEqual([
        ['ReserveWidget', deterministicCommandId(`widget-${orderId}`, 'reserve')],
        ['ShipWidget', deterministicCommandId(`widget-${orderId}`, 'ship')],
        ['ReserveWidget', deterministicCommandId(`widget-${orderId}`, 'reserve')],
      ]);
      expect(await metricValue(h.registry, 'tally_process_events_total', { outcome: 'duplicate' })).toBe(1);
    });

    it('sends on redelivery what a crash after the append left unsent', async () => {
      const orderId = uuidv7();
      const input = await ordered(orderId);
      // The process dies between recording the input and sending its command.
      commands.respond = () => {
        throw new Error('process killed');
      };
      await expect(h.runtime(widget, commands).handle(input)).rejects.toThrow(CommandDeliveryError);
      expect(await h.stream(`widget-${orderId}`)).toHaveLength(1);

      const after = new RecordingCommandSender();
      await h.runtime(widget, after).handle(input);

      expect(await h.stream(`widget-${orderId}`)).toHaveLength(1);
      expect(after.sent.map((command) => command.metadata.commandId)).toEqual([
        deterministicCommandId(`widget-${orderId}`, 'reserve'),
      ]);
    });

    it('ignores an input that names no instance', async () => {
      const runtime = h.runtime(widget, commands);
      const input = await h.append(`widgetorder-${uuidv7()}`, 'WidgetOrdered', { expiresAt: 'x' });

      await runtime.handle(input);

      expect(commands.sent).toEqual([]);
      expect(await metricValue(h.registry, 'tally_process_events_total', { outcome: 'ignored' })).toBe(1);
    });

    it('keeps every record when handlers of one instance race (retries on the stream version)', async () => {
      const orderId = uuidv7();
      const inputs = await Promise.all(
        Array.from({ length: 8 }, (_, n) => h.append(`widgetnote-${orderId}`, 'WidgetNoted', { orderId, n })),
      );
      // Separate runtimes, as if separate processes: nothing serialises them but the stream version.
      await Promise.all(inputs.map((input) => h.runtime(widget, commands).handle(input)));

      const records = await h.stream(`widget-${orderId}`);
      expect(records).toHaveLength(8);
      expect(new Set(commands.ofType('NoteWidget').map((command) => command.metadata.commandId)).size).toBe(
        8,
      );
    });
  });

  describe('command replies', () => {
    it('does not retry a command a domain rule refused (4xx): the input counts as handled', async () => {
      commands.respond = () => ({ ok: false, status: 409, code: 'WIDGET_GONE', message: 'no such widget' });
      const orderId = uuidv7();

      await h.runtime(widget, commands).handle(await ordered(orderId));

      expect(commands.sent).toHaveLength(1);
      expect(
        await metricValue(h.registry, 'tally_process_commands_total', {
          type: 'ReserveWidget',
          outcome: 'rejected',
        }),
      ).toBe(1);
      const [status] = (
        await h.db.client.query<{ status: string }>(
          'SELECT status FROM process_instances WHERE instance = $1',
          [orderId],
        )
      ).rows;
      expect(status).toEqual({ status: 'active' });
    });

    it.each([
      ['no reply in time', { status: 504, code: 'COMMAND_TIMEOUT' }],
      ['nobody serving commands', { status: 503, code: 'COMMAND_HANDLER_UNAVAILABLE' }],
      ['a lost race on the target stream', { status: 409, code: 'CONCURRENT_MODIFICATION' }],
    ])('hands the input back on %s, and the redelivery sends the same command', async (_, failure) => {
      commands.respond = () => ({ ok: false, message: 'try later', ...failure });
      const orderId = uuidv7();
      const input = await ordered(orderId);
      const runtime = h.runtime(widget, commands);

      await expect(runtime.handle(input)).rejects.toThrow(CommandDeliveryError);
      commands.respond = () => accepted;
      await runtime.handle(input);

      const ids = commands.sent.map((command) => command.metadata.commandId);
      expect(ids).toHaveLength(2);
      expect(ids[1]).toBe(ids[0]);
      expect(await metricValue(h.registry, 'tally_process_events_total', { outcome: 'failed' })).toBe(1);
    });
  });

  describe('durable timeouts', () => {
    const pending = async () =>
      (
        await h.db.client.query<{ key: string; fired: boolean; cancelled: boolean }>(
          `SELECT key, fired_at IS NOT NULL AS fired, cancelled_at IS NOT NULL AS cancelled FROM process_timeouts`,
        )
      ).rows;

    function poller(runtime = h.runtime(widget, commands, { now: clock.now })) {
      return new TimeoutPoller({ runtime, tables: h.tables, logger: h.logger, now: clock.now });
    }

    it('fires a timeout once when it is due, through the same record-then-react path', async () => {
      const orderId = uuidv7();
      const runtime = h.runtime(widget, commands, { now: clock.now });
      await runtime.handle(await ordered(orderId, 15 * 60_000));
      expect(await pending()).toEqual([{ key: 'expire', fired: false, cancelled: false }]);
      expect(await metricValue(h.registry, 'tally_process_timeouts_pending')).toBe(1);
      const timer = poller(runtime);

      expect(await timer.pollOnce()).toBe(0);
      clock.advance(15 * 60_000);
      expect(await timer.pollOnce()).toBe(1);
      expect(await timer.pollOnce()).toBe(0);

      expect(commands.ofType('CancelWidget')).toHaveLength(1);
      const records = await h.stream(`widget-${orderId}`);
      expect(records.map((record) => record.type)).toEqual(['WidgetEventObserved', 'WidgetTimeoutFired']);
      expect(records[1]?.eventId).toBe(deterministicEventId(`widget-${orderId}`, 'timeout:expire'));
      expect(await pending()).toEqual([{ key: 'expire', fired: true, cancelled: false }]);
      expect(await metricValue(h.registry, 'tally_process_timeouts_pending')).toBe(0);
    });

    it('survives a restart: a new runtime and poller over the same tables fire it', async () => {
      const orderId = uuidv7();
      await h.runtime(widget, commands, { now: clock.now }).handle(await ordered(orderId, 60_000));
      clock.advance(60_000);

      const afterRestart = new RecordingCommandSender();
      expect(await poller(h.runtime(widget, afterRestart, { now: clock.now })).pollOnce()).toBe(1);

      expect(afterRestart.ofType('CancelWidget')).toHaveLength(1);
    });

    it('records a timeout delivered twice (crash before it was marked fired) once', async () => {
      const orderId = uuidv7();
      const runtime = h.runtime(widget, commands, { now: clock.now });
      await runtime.handle(await ordered(orderId, 60_000));
      clock.advance(60_000);
      const [due] = await h.tables.due('widget', clock.now(), 10);
      if (!due) throw new Error('timeout not due');

      await runtime.fire(due);
      await runtime.fire(due);

      expect((await h.stream(`widget-${orderId}`)).map((record) => record.type)).toEqual([
        'WidgetEventObserved',
        'WidgetTimeoutFired',
      ]);
      const cancels = commands.ofType('CancelWidget').map((command) => command.metadata.commandId);
      expect(cancels).toEqual([
        deterministicCommandId(`widget-${orderId}`, 'cancel'),
        deterministicCommandId(`widget-${orderId}`, 'cancel'),
      ]);
    });

    it('cancels the pending timeouts of an instance that finished first', async () => {
      const orderId = uuidv7();
      const runtime = h.runtime(widget, commands, { now: clock.now });
      await runtime.handle(await ordered(orderId, 60_000));
      await runtime.handle(await h.append(`widgetstock-${orderId}`, 'WidgetReserved', { orderId }));
      await runtime.handle(await h.append(`widgetorder-${orderId}`, 'WidgetShipped', { orderId }));
      clock.advance(60_000);

      expect(await poller(runtime).pollOnce()).toBe(0);

      expect(await pending()).toEqual([{ key: 'expire', fired: false, cancelled: true }]);
      expect(commands.ofType('CancelWidget')).toEqual([]);
    });

    it('does not revive a fired timeout when its scheduling reaction runs again', async () => {
      const orderId = uuidv7();
      const runtime = h.runtime(widget, commands, { now: clock.now });
      const input = await ordered(orderId, 60_000);
      await runtime.handle(input);
      clock.advance(60_000);
      await poller(runtime).pollOnce();

      await runtime.handle(input);

      expect(await pending()).toEqual([{ key: 'expire', fired: true, cancelled: false }]);
    });

    it('wakes before its interval when a sooner timeout is scheduled', async () => {
      const orderId = uuidv7();
      const wake: { timer?: TimeoutPoller } = {};
      // Real clock here: the poller's own timer is what is under test.
      const runtime = h.runtime(widget, commands, { onScheduled: (dueAt) => wake.timer?.wake(dueAt) });
      const timer = new TimeoutPoller({ runtime, tables: h.tables, logger: h.logger, intervalMs: 3_600_000 });
      wake.timer = timer;
      timer.start();
      try {
        await runtime.handle(
          await h.append(`widgetorder-${orderId}`, 'WidgetOrdered', {
            orderId,
            expiresAt: new Date(Date.now() + 50).toISOString(),
          }),
        );
        const deadline = Date.now() + 20_000;
        while (commands.ofType('CancelWidget').length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
        expect(commands.ofType('CancelWidget')).toHaveLength(1);
      } finally {
        await timer.stop();
      }
    });
  });

  describe('resume', () => {
    it('performs what an unfinished instance still has to do, with the same command ids', async () => {
      const orderId = uuidv7();
      await h.runtime(widget, commands).handle(await ordered(orderId));
      await h
        .runtime(widget, commands)
        .handle(await h.append(`widgetstock-${orderId}`, 'WidgetReserved', { orderId }));

      const afterRestart = new RecordingCommandSender();
      await h.runtime(widget, afterRestart).resume(orderId);

      expect(afterRestart.sent.map((command) => [command.type, command.metadata.commandId])).toEqual([
        ['ShipWidget', deterministicCommandId(`widget-${orderId}`, 'ship')],
      ]);
      expect(afterRestart.sent[0]?.metadata.correlationId).toBe(`corr-widgetorder-${orderId}`);
    });
  });
});
