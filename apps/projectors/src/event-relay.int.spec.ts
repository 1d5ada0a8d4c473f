import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { migrate } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore, uuidv7 } from '@tally/event-store';
import { startNatsTestServer, type NatsTestServer } from '@tally/messaging';
import { type Infrastructure, loadConfig } from '@tally/platform';
import { createTestSchema, type TestSchema, type TestWarehouse, testWarehouse } from '@tally/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import { createProjectors, projectorsMigrations } from './projectors.app';

// The projectors app with NATS_URL set (full mode): it relays the store to JetStream, under NATS_PREFIX. A
// private nats-server per test, which it may kill and restart.
jest.setTimeout(60_000);

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('projectors relay', () => {
  let db: TestSchema;
  let nats: NatsTestServer;
  let infrastructure: Infrastructure;
  let warehouse: TestWarehouse;
  let app: NestFastifyApplication | undefined;

  beforeEach(async () => {
    nats = await startNatsTestServer();
    db = await createTestSchema('projectors_relay');
    warehouse = testWarehouse(db.schema, db.url);
    const store = new PostgresEventStore(db.client, { pollIntervalMs: 100 });
    infrastructure = {
      config: loadConfig({
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        NATS_PREFIX: 'relaytest',
        ...warehouse.settings,
      }),
      sql: db.client,
      eventStore: store,
      logger: pino({ level: 'silent' }),
      authSecret: 'tally-test-auth-secret-0123456789abcdef',
      close: () => store.close(),
    };
    await migrate(db.client, [eventStoreMigrations, ...projectorsMigrations]);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await infrastructure.close();
    await warehouse.drop();
    await db.drop();
    await nats.stop();
  });

  async function start(options?: { relay?: boolean }): Promise<NestFastifyApplication> {
    app = await createProjectors(infrastructure, options);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return app;
  }

  const get = (url: string) => {
    if (!app) throw new Error('app not started');
    return app.inject({ method: 'GET', url });
  };

  async function append(): Promise<string> {
    const eventId = uuidv7();
    await infrastructure.eventStore.append(
      `cart-${uuidv7()}`,
      [
        {
          eventId,
          type: 'CartOpened',
          data: { cartId: 'c', customerId: null, openedAt: '2030-01-01T00:00:00.000Z' },
          metadata: {
            commandId: eventId,
            correlationId: eventId,
            causationId: eventId,
            actor: { id: 'test', role: 'system' },
            occurredAt: '2030-01-01T00:00:00.000Z',
            schemaVersion: 1,
          },
        },
      ],
      { expectedVersion: 'no_stream' },
    );
    return eventId;
  }

  it('relays committed events to JetStream, with readiness and metrics', async () => {
    await start();
    await until('relay ready', async () => (await get('/readyz')).statusCode === 200);
    expect((await get('/readyz')).json()).toMatchObject({
      checks: [
        { name: 'database', status: 'ok' },
        { name: 'projections', status: 'ok' },
        { name: 'relay', status: 'ok' },
      ],
    });

    const eventId = await append();

    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      await until('the event in the stream', async () => {
        const stored = await jsm.streams.getMessage('RELAYTEST_EVENTS', { seq: 1 }).catch(() => null);
        return stored?.header.get('Nats-Msg-Id') === eventId;
      });
      const stored = await jsm.streams.getMessage('RELAYTEST_EVENTS', { seq: 1 });
      expect(stored?.subject).toBe('relaytest.events.cart.CartOpened');
    } finally {
      await nc.close();
    }
    expect((await get('/metrics')).body).toMatch(/^tally_relay_/m);
  });

  it('reports not ready while NATS is down, and relays once it is back', async () => {
    await nats.kill();
    await start();
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.json<{ checks: unknown[] }>().checks).toContainEqual({
      name: 'relay',
      status: 'failing',
      detail: expect.stringMatching(/^waiting for NATS/) as string,
    });

    await nats.restart();
    await until('relay ready', async () => (await get('/readyz')).statusCode === 200);
  });

  it('shuts down cleanly while still waiting for NATS', async () => {
    await nats.kill();
    const started = await start();
    await started.close();
    app = undefined;
  });

  it('runs no relay when told not to (embedded mode), even with NATS_URL set', async () => {
    await start({ relay: false });
    const ready = await get('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      checks: [
        { name: 'database', status: 'ok' },
        { name: 'projections', status: 'ok' },
      ],
    });
    expect((await get('/metrics')).body).not.toMatch(/^tally_relay_/m);
  });
});
