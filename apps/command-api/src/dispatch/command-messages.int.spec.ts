import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ORDER_NUMBER_STREAM, orderStreamId } from '@tally/domain';
import { NatsCommandSender, type NatsTestServer, startNatsTestServer } from '@tally/messaging';
import { METRICS_REGISTRY, uuidv7 } from '@tally/platform';
import type { Registry } from 'prom-client';
import { envelope, type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';

jest.setTimeout(120_000);

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const eur = (amount: number) => ({ amount, currency: 'EUR' });

function placeOrder(orderId: string) {
  return envelope('PlaceOrder', {
    orderId,
    cartId: uuidv7(),
    customerId: null,
    email: 'ada@example.com',
    lines: [{ sku: 'LAMP', name: 'Lamp', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) }],
    shippingAddress: { name: 'Ada', line1: '1 Row', city: 'London', postalCode: 'N1', country: 'GB' },
    shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
    taxRateBasisPoints: 2000,
    paymentMethodId: 'pm_card_visa',
  });
}

describe('commands over NATS request/reply (PostgreSQL, NATS)', () => {
  // A subject prefix of its own, so that no other test's command-api answers.
  const prefix = `test_${randomBytes(6).toString('hex')}`;
  let api: InProcessCommandApi;
  let sender: NatsCommandSender;
  let second: NestFastifyApplication;

  beforeAll(async () => {
    api = await startInProcessCommandApi({ env: { NATS_URL, NATS_PREFIX: prefix } });
    // A second instance in the same queue group: each command must still be carried out once.
    second = await api.another();
    sender = new NatsCommandSender({ servers: NATS_URL, prefix, name: 'command-api-test' });
  });

  afterAll(async () => {
    await sender.close();
    await api.close();
  });

  it('answers a command with its outcome, and a redelivery with the same outcome', async () => {
    const orderId = uuidv7();
    const command = placeOrder(orderId);
    const first = await sender.send(command, { timeoutMs: 10_000 });
    expect(first).toEqual({
      ok: true,
      version: 2,
      checkpoint: expect.stringMatching(/^\d{20}\.\d{20}$/) as string,
      result: { orderNumber: 1 },
    });
    const again = await sender.send(command, { timeoutMs: 10_000 });
    expect(again).toEqual(first);
    expect((await api.stream(orderStreamId(orderId))).map((e) => e.type)).toEqual([
      'OrderPlaced',
      'OrderNumberAssigned',
    ]);
    expect(await api.stream(ORDER_NUMBER_STREAM)).toHaveLength(1);
  });

  it('carries each of many concurrent commands out exactly once across the queue group', async () => {
    const orderIds = Array.from({ length: 20 }, () => uuidv7());
    const replies = await Promise.all(
      orderIds.map((id) => sender.send(placeOrder(id), { timeoutMs: 10_000 })),
    );
    expect(replies.every((r) => r.ok)).toBe(true);
    for (const orderId of orderIds) expect(await api.stream(orderStreamId(orderId))).toHaveLength(2);
    // Both instances took a share (all 20 to one of them: odds of one in half a million).
    const placed = async (app: NestFastifyApplication) =>
      (await app.get<Registry>(METRICS_REGISTRY).getSingleMetric('tally_commands_total')?.get())?.values
        .filter((v) => v.labels.type === 'PlaceOrder')
        .reduce((sum, v) => sum + v.value, 0) ?? 0;
    expect(await placed(api.app)).toBeGreaterThan(0);
    expect(await placed(second)).toBeGreaterThan(0);
  });

  it('sends refusals back as replies: a broken rule, a bad field, an unknown command', async () => {
    const before = await api.eventCount();
    expect(await sender.send(envelope('ConfirmOrder', { orderId: uuidv7() }))).toMatchObject({
      ok: false,
      status: 404,
      code: 'ORDER_NOT_FOUND',
    });
    expect(
      await sender.send(envelope('ReserveStock', { sku: 'LAMP', orderId: 'x', quantity: 1 })),
    ).toMatchObject({
      ok: false,
      status: 400,
      field: 'data.orderId',
    });
    expect(await sender.send(envelope('ShipOrder', { orderId: uuidv7() }))).toMatchObject({
      ok: false,
      status: 400,
      code: 'UNKNOWN_COMMAND',
    });
    expect(await api.eventCount()).toBe(before);
  });
});

describe('command-api through a NATS restart (PostgreSQL, private NATS server)', () => {
  let nats: NatsTestServer;
  let api: InProcessCommandApi;
  let sender: NatsCommandSender;

  beforeAll(async () => {
    nats = await startNatsTestServer();
    api = await startInProcessCommandApi({ env: { NATS_URL: nats.url } });
    sender = new NatsCommandSender({ servers: nats.url, name: 'command-api-restart-test' });
  });

  afterAll(async () => {
    await sender.close();
    await api.close();
    await nats.stop();
  });

  const readiness = async () => {
    const response = await api.app.inject({ method: 'GET', url: '/readyz' });
    return {
      status: response.statusCode,
      nats: response
        .json<{ checks: { name: string; status: string }[] }>()
        .checks.find((c) => c.name === 'nats')?.status,
    };
  };

  /** Polls `probe` until it holds, for at most 20 s (reconnection takes a few hundred ms). */
  async function eventually(probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error('condition not reached within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('is not ready while NATS is down, then reconnects and serves commands again', async () => {
    expect(await readiness()).toEqual({ status: 200, nats: 'ok' });
    expect(await sender.send(placeOrder(uuidv7()), { timeoutMs: 10_000 })).toMatchObject({ ok: true });

    await nats.kill();
    await eventually(async () => (await readiness()).status === 503);
    expect((await readiness()).nats).toBe('failing');

    await nats.restart();
    await eventually(async () => (await readiness()).status === 200);
    const orderId = uuidv7();
    let reply = await sender.send(placeOrder(orderId), { timeoutMs: 10_000 });
    // The sender may still be reconnecting itself: it answers 503 until then, and the command is resent.
    for (let attempt = 0; !reply.ok && reply.status === 503 && attempt < 50; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      reply = await sender.send(placeOrder(orderId), { timeoutMs: 10_000 });
    }
    expect(reply).toMatchObject({ ok: true });
    expect(await api.stream(orderStreamId(orderId))).toHaveLength(2);
  });
});
