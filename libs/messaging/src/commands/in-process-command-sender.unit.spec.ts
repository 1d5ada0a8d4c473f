import type { CommandEnvelope, CommandReply } from './command.types';
import { InProcessCommandSender } from './in-process-command-sender';

const command: CommandEnvelope = {
  type: 'ReserveStock',
  data: { sku: 'KIT-001', quantity: 2, at: new Date('2030-01-02T03:04:05.000Z') },
  metadata: {
    commandId: '0190a3c4-7e5b-8c1d-9a2b-3c4d5e6f7a8b',
    correlationId: 'order-1',
    causationId: 'event-1',
    actor: { id: 'checkout', role: 'system' },
    occurredAt: '2030-01-02T03:04:05.000Z',
  },
};

const accepted: CommandReply = {
  ok: true,
  version: 3,
  checkpoint: '00000000000000000001.00000000000000000002',
};

describe('InProcessCommandSender', () => {
  it('hands the command to the registered dispatcher as NATS would carry it, and returns its reply', async () => {
    const received: unknown[] = [];
    const sender = new InProcessCommandSender();
    sender.register((sent) => {
      received.push(sent);
      return Promise.resolve(accepted);
    });
    await expect(sender.send(command)).resolves.toEqual(accepted);
    // A copy through JSON: the dispatcher never shares objects with the sender, dates become strings.
    expect(received).toEqual([JSON.parse(JSON.stringify(command))]);
    expect(received[0]).not.toBe(command);
  });

  it('passes a rejection through as it is', async () => {
    const rejected: CommandReply = {
      ok: false,
      status: 409,
      code: 'STOCK_NOT_AVAILABLE',
      message: 'Only 1 left',
      field: 'quantity',
    };
    const sender = new InProcessCommandSender(() => Promise.resolve(rejected));
    await expect(sender.send(command)).resolves.toEqual(rejected);
  });

  it('answers 503 while no dispatcher is registered', async () => {
    await expect(new InProcessCommandSender().send(command)).resolves.toMatchObject({
      ok: false,
      status: 503,
      code: 'COMMAND_HANDLER_UNAVAILABLE',
    });
  });

  it('answers 504 COMMAND_TIMEOUT when the dispatcher does not answer in time', async () => {
    const sender = new InProcessCommandSender(() => new Promise<CommandReply>(() => undefined));
    await expect(sender.send(command, { timeoutMs: 20 })).resolves.toMatchObject({
      ok: false,
      status: 504,
      code: 'COMMAND_TIMEOUT',
    });
  });

  it('answers 502 when the dispatcher throws or answers something that is not a reply', async () => {
    const throwing = new InProcessCommandSender(() => Promise.reject(new Error('bug')));
    await expect(throwing.send(command)).resolves.toMatchObject({
      ok: false,
      status: 502,
      code: 'COMMAND_FAILED',
    });
    const odd = new InProcessCommandSender(() => Promise.resolve({ fine: true } as unknown as CommandReply));
    await expect(odd.send(command)).resolves.toMatchObject({
      ok: false,
      status: 502,
      code: 'COMMAND_BAD_REPLY',
    });
  });
});
