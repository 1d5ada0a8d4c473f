import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Ctx,
  MessagePattern,
  NatsContext,
  Payload,
  RpcException,
  Transport,
  type MicroserviceOptions,
} from '@nestjs/microservices';
import { deterministicCommandId } from '../deterministic-id';
import { commandSubject, commandSubjectPattern } from '../subjects';
import { TEST_NATS_URL, uniqueMessaging } from '../testing/messaging.harness';
import type { CommandEnvelope, CommandReply } from './command.types';
import { NatsCommandSender } from './nats-command-sender';

const envelope = (type: string, data: unknown = {}): CommandEnvelope => ({
  type,
  data,
  metadata: {
    commandId: deterministicCommandId('checkout-1', type),
    correlationId: 'order-1',
    causationId: 'event-1',
    actor: { id: 'checkout', role: 'system' },
    occurredAt: '2030-01-02T03:04:05.000Z',
  },
});

/**
 * A minimal command-api stand-in: one `@MessagePattern` on the wildcard command subject, as the real
 * command-api exposes it. The class is built per test because the pattern holds the test's prefix.
 */
async function startCommandServer(prefix: string, received: { subject: string; command: CommandEnvelope }[]) {
  @Controller()
  class CommandsController {
    @MessagePattern(commandSubjectPattern(prefix))
    async handle(@Payload() command: CommandEnvelope, @Ctx() context: NatsContext): Promise<CommandReply> {
      received.push({ subject: context.getSubject(), command });
      switch (command.type) {
        case 'ReserveStock':
          return {
            ok: true,
            version: 4,
            checkpoint: '00000000000000000009.00000000000000000012',
            result: { n: 1 },
          };
        case 'CancelOrder':
          return { ok: false, status: 409, code: 'ORDER_NOT_CANCELLABLE', message: 'The order has shipped' };
        case 'SlowCommand':
          await new Promise((resolve) => setTimeout(resolve, 500));
          return { ok: true, version: 1, checkpoint: '' };
        case 'BrokenCommand':
          throw new RpcException({ message: 'handler exploded' });
        default:
          return { ok: false, status: 400, code: 'UNKNOWN_COMMAND', message: command.type, field: 'type' };
      }
    }
  }

  @Module({ controllers: [CommandsController] })
  class CommandsModule {}

  const app: INestMicroservice = await NestFactory.createMicroservice<MicroserviceOptions>(CommandsModule, {
    transport: Transport.NATS,
    options: { servers: [TEST_NATS_URL], queue: `${prefix}-command-api` },
    logger: false,
  });
  await app.listen();
  return app;
}

describe('NatsCommandSender', () => {
  let prefix: string;
  let server: INestMicroservice | undefined;
  let sender: NatsCommandSender;
  const received: { subject: string; command: CommandEnvelope }[] = [];

  beforeEach(async () => {
    prefix = uniqueMessaging().prefix;
    received.length = 0;
    server = await startCommandServer(prefix, received);
    sender = new NatsCommandSender({ servers: TEST_NATS_URL, prefix });
  });

  afterEach(async () => {
    await sender.close();
    await server?.close();
  });

  it('sends the envelope on <prefix>.commands.<Type> to a Nest @MessagePattern handler and returns its reply', async () => {
    const command = envelope('ReserveStock', { sku: 'KIT-001', quantity: 2 });
    await expect(sender.send(command, { timeoutMs: 5000 })).resolves.toEqual({
      ok: true,
      version: 4,
      checkpoint: '00000000000000000009.00000000000000000012',
      result: { n: 1 },
    });
    expect(received).toEqual([{ subject: commandSubject('ReserveStock', prefix), command }]);
  });

  it("returns command-api's rejection as it is", async () => {
    await expect(sender.send(envelope('CancelOrder'))).resolves.toEqual({
      ok: false,
      status: 409,
      code: 'ORDER_NOT_CANCELLABLE',
      message: 'The order has shipped',
    });
  });

  it('answers 504 COMMAND_TIMEOUT when the reply does not come in time, without throwing', async () => {
    await expect(sender.send(envelope('SlowCommand'), { timeoutMs: 200 })).resolves.toMatchObject({
      ok: false,
      status: 504,
      code: 'COMMAND_TIMEOUT',
    });
  });

  it('answers 503 at once when nobody serves the subject (NATS no responders)', async () => {
    const elsewhere = new NatsCommandSender({ servers: TEST_NATS_URL, prefix: `${prefix}x` });
    try {
      await expect(elsewhere.send(envelope('ReserveStock'), { timeoutMs: 30_000 })).resolves.toMatchObject({
        ok: false,
        status: 503,
        code: 'COMMAND_HANDLER_UNAVAILABLE',
      });
    } finally {
      await elsewhere.close();
    }
  });

  it('answers 502 COMMAND_FAILED when the handler throws instead of replying', async () => {
    const reply = await sender.send(envelope('BrokenCommand'));
    expect(reply).toMatchObject({ ok: false, status: 502, code: 'COMMAND_FAILED' });
    expect(reply.ok ? '' : reply.message).toContain('handler exploded');
  });

  it('answers 503 when NATS cannot be reached', async () => {
    const unreachable = new NatsCommandSender({ servers: 'nats://127.0.0.1:1', prefix });
    try {
      await expect(unreachable.send(envelope('ReserveStock'), { timeoutMs: 2000 })).resolves.toMatchObject({
        ok: false,
        status: 503,
        code: 'COMMAND_HANDLER_UNAVAILABLE',
      });
    } finally {
      await unreachable.close();
    }
  });
});
