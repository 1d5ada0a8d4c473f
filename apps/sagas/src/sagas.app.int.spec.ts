import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { checkoutStreamId } from '@tally/domain';
import { uuidv7 } from '@tally/event-store';
import { InProcessEventConsumers, startNatsTestServer, type NatsTestServer } from '@tally/messaging';
import { type Infrastructure, loadConfig } from '@tally/platform';
import { authHeader, routesWithoutRoles, TEST_AUTH_SECRET } from '@tally/testing';
import { createSagas } from './sagas.app';
import { RecordingCommandSender, type SagasHarness, startSagasHarness, until } from './testing/sagas.harness';

// The sagas app around the runtime: wiring, readiness, the process-manager list and metrics.
describe('sagas app', () => {
  let h: SagasHarness;
  let app: NestFastifyApplication | undefined;
  let nats: NatsTestServer | undefined;

  beforeEach(async () => {
    h = await startSagasHarness(['checkout']);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await nats?.stop();
    nats = undefined;
    await h.close();
  });

  function infrastructure(env: Record<string, string> = {}): Infrastructure {
    return {
      config: loadConfig({ DATABASE_URL: h.db.url, ...env }),
      sql: h.db.client,
      eventStore: h.store,
      logger: h.logger,
      authSecret: TEST_AUTH_SECRET,
      close: () => Promise.resolve(),
    };
  }

  async function init(created: NestFastifyApplication): Promise<NestFastifyApplication> {
    app = created;
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  /** A read as an admin (operators' routes are theirs) unless other credentials are given. */
  const get = (url: string, headers: Record<string, string> = authHeader('admin')) => {
    if (!app) throw new Error('no app');
    return app.inject({ method: 'GET', url, headers });
  };

  it('runs checkout over in-process consumers: ready, listed, counted, and places the order', async () => {
    const commands = new RecordingCommandSender();
    await init(
      await createSagas(infrastructure(), {
        consumers: new InProcessEventConsumers({ store: h.store, sql: h.db.client }),
        commands,
      }),
    );
    expect((await get('/readyz')).json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'database', status: 'ok' },
        { name: 'process-managers', status: 'ok' },
      ],
    });

    const orderId = uuidv7();
    await h.append(`cart-${uuidv7()}`, 'CartCheckedOut', {
      cartId: uuidv7(),
      orderId,
      lines: [],
      total: { amount: 0, currency: 'EUR' },
      customerId: null,
      checkout: {
        email: 'ada@example.com',
        shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'London', postalCode: 'N1', country: 'GB' },
        shippingMethod: { id: 'standard', name: 'Standard', price: { amount: 495, currency: 'EUR' } },
        paymentMethodId: 'pm_card_visa',
      },
    });
    await until('PlaceOrder sent', () => commands.ofType('PlaceOrder').length === 1);
    expect((await h.stream(checkoutStreamId(orderId))).map((record) => record.type)).toEqual([
      'CheckoutEventObserved',
    ]);

    const list = await get('/api/v1/process-managers');
    expect(list.statusCode).toBe(200);
    // Operators' routes are for admins only; every route declares who may call it.
    expect((await get('/api/v1/process-managers', authHeader('auditor'))).statusCode).toBe(403);
    expect((await get('/api/v1/process-managers', {})).statusCode).toBe(401);
    expect(routesWithoutRoles(app!)).toEqual([]);
    expect(list.json()).toMatchObject({
      items: [
        { name: 'checkout', consumer: 'checkout', state: 'running', instances: { active: 1, terminal: 0 } },
      ],
    });
    const metrics = (await get('/metrics')).body;
    expect(metrics).toMatch(/tally_process_active_instances\{[^}]*process="checkout"[^}]*\} 1/);
    expect(metrics).toMatch(
      /tally_process_events_total\{[^}]*process="checkout",outcome="recorded"[^}]*\} 1/,
    );
    expect(metrics).toMatch(
      /tally_process_commands_total\{[^}]*type="PlaceOrder",outcome="accepted"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/tally_process_timeouts_pending\{[^}]*\} 0/);
  });

  it('refuses to start on its own without NATS_URL, naming it', async () => {
    await expect(createSagas(infrastructure())).rejects.toThrow(/^NATS_URL: required/);
  });

  it('on its own, serves readiness while NATS is unreachable and becomes ready once it is up', async () => {
    nats = await startNatsTestServer();
    await nats.kill();
    await init(await createSagas(infrastructure({ NATS_URL: nats.url })));

    const waiting = await get('/readyz');
    expect(waiting.statusCode).toBe(503);
    const check = waiting
      .json<{ checks: { name: string; status: string; detail?: string }[] }>()
      .checks.find((candidate) => candidate.name === 'process-managers');
    expect(check?.status).toBe('failing');
    expect(check?.detail).toMatch(/^checkout starting \(waiting for NATS/);

    await nats.restart();
    await until('ready', async () => (await get('/readyz')).statusCode === 200);
    expect((await get('/api/v1/process-managers')).json()).toMatchObject({
      items: [{ name: 'checkout', state: 'running' }],
    });
  });

  it('on its own, shuts down cleanly while still waiting for NATS', async () => {
    nats = await startNatsTestServer();
    await nats.kill();
    await init(await createSagas(infrastructure({ NATS_URL: nats.url })));
    await app?.close();
    app = undefined;
  });
});
