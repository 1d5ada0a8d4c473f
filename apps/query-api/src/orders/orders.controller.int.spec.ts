import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate } from '@tally/database';
import { orderStreamId, paymentStreamId } from '@tally/domain';
import { eventStoreMigrations, type JsonValue, PostgresEventStore, uuidv7 } from '@tally/event-store';
import { loadConfig, type ProblemDetails, shippingMethods } from '@tally/platform';
import { ordersProjection, ProjectionRunner } from '@tally/read-models';
import { createTestSchema, type TestSchema } from '@tally/testing';
import pino from 'pino';
import { createQueryApi, queryApiMigrations } from '../query-api.app';
import { shippingMethodListSchema } from '../shipping/shipping-methods.schemas';
import { orderListSchema, orderSchema } from './orders.schemas';

// query-api's order and shipping-method reads in-process (app.inject) over real PostgreSQL, with the real
// event store and projection runner behind them. Every read waits on the token of the write it follows.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('query-api orders and shipping methods', () => {
  let db: TestSchema;
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let app: NestFastifyApplication;

  beforeEach(async () => {
    db = await createTestSchema('query_orders');
    await migrate(db.client, [eventStoreMigrations, ...queryApiMigrations]);
    store = new PostgresEventStore(db.client);
    runner = new ProjectionRunner({ sql: db.client, store, projections: [ordersProjection], logger: silent });
    await runner.start();
    app = await createQueryApi({
      // A short consistency timeout keeps the 503 case quick; everything else is reached well before it.
      config: loadConfig({ CONSISTENCY_TIMEOUT_MS: '300' }),
      sql: db.client,
      eventStore: store,
      logger: pino({ level: 'silent' }),
      authSecret: 'tally-test-auth-secret-0123456789abcdef',
      close: () => Promise.resolve(),
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterEach(async () => {
    await app.close();
    await runner.stop();
    await store.close();
    await db.drop();
  });

  const append = async (streamId: string, events: { type: string; data: Record<string, JsonValue> }[]) => {
    const commandId = uuidv7();
    const { checkpoint } = await store.append(
      streamId,
      events.map((event) => ({
        eventId: uuidv7(),
        type: event.type,
        data: event.data,
        metadata: {
          commandId,
          correlationId: commandId,
          causationId: commandId,
          actor: { id: 'test', role: 'system' },
          occurredAt: '2030-01-02T03:04:05.000Z',
          schemaVersion: 1,
        },
      })),
      { expectedVersion: 'any' },
    );
    return checkpoint;
  };

  /** Places an order (for `customerId`, at `day` of January 2030) and returns its id and the token. */
  const place = async (day: number, customerId: string | null = null) => {
    const orderId = randomUUID();
    const token = await append(orderStreamId(orderId), [
      {
        type: 'OrderPlaced',
        data: {
          orderId,
          cartId: randomUUID(),
          customerId,
          email: 'shopper@example.com',
          lines: [{ sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: eur(1200), lineTotal: eur(1200) }],
          shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: 'D', country: 'DE' },
          shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
          taxRateBasisPoints: 2000,
          totals: { subtotal: eur(1200), shipping: eur(490), tax: eur(338), total: eur(2028) },
          paymentMethodId: 'pm_card_visa',
          placedAt: `2030-01-${String(day).padStart(2, '0')}T12:00:00.000Z`,
        },
      },
    ]);
    return { orderId, token };
  };

  const get = (url: string, token?: string) =>
    app.inject({ method: 'GET', url, headers: token ? { 'tally-consistency': token } : {} });
  const fields = (body: string) => ((JSON.parse(body) as ProblemDetails).errors ?? []).map((e) => e.field);

  describe('GET /api/v1/orders/{orderId}', () => {
    it('reads an order with its payment state right after the write, with the order version as ETag', async () => {
      const { orderId } = await place(1);
      const paymentId = randomUUID();
      await append(orderStreamId(orderId), [
        { type: 'OrderNumberAssigned', data: { orderId, orderNumber: 9, formatted: 'TL-000009' } },
      ]);
      const token = await append(paymentStreamId(paymentId), [
        {
          type: 'PaymentInitiated',
          data: {
            paymentId,
            orderId,
            amount: eur(2028),
            provider: 'simulated',
            paymentMethodId: 'pm_card_visa',
          },
        },
        {
          type: 'PaymentAuthorized',
          data: { paymentId, orderId, providerPaymentId: 'pi_9', amount: eur(2028) },
        },
      ]);

      const response = await get(`/api/v1/orders/${orderId}`, token);

      expect(response.statusCode).toBe(200);
      expect(response.headers.etag).toBe('"2"');
      expect(orderSchema.parse(response.json())).toMatchObject({
        orderId,
        orderNumber: 'TL-000009',
        status: 'pending',
        totals: { total: eur(2028) },
        payment: { status: 'authorized', amountAuthorized: eur(2028) },
        version: 2,
      });
      expect(response.json<{ timeline: { summary: string }[] }>().timeline.map((e) => e.summary)).toEqual([
        'Order placed: 1 item, total €20.28',
        'Order number TL-000009 assigned',
        'Payment of €20.28 started with the simulated provider',
        'Payment authorized (€20.28)',
      ]);
    });

    it('is a 404 problem for an order never placed', async () => {
      const orderId = randomUUID();
      const response = await get(`/api/v1/orders/${orderId}`);

      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ status: 404, code: 'ORDER_NOT_FOUND' });
    });

    it('is a 400 naming path.orderId for an id that is not a UUID', async () => {
      const response = await get('/api/v1/orders/not-an-order');

      expect(response.statusCode).toBe(400);
      expect(fields(response.body)).toEqual(['path.orderId']);
    });

    it('is a 503 with Retry-After when the orders read model does not reach the token in time', async () => {
      await runner.stop();
      const { orderId, token } = await place(1);

      const response = await get(`/api/v1/orders/${orderId}`, token);

      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ code: 'CONSISTENCY_TIMEOUT' });
    });
  });

  describe('GET /api/v1/orders', () => {
    const customer = randomUUID();
    let ids: string[];
    let token: string;

    beforeEach(async () => {
      ids = [];
      for (const [day, owner] of [
        [1, customer],
        [2, null],
        [3, customer],
      ] as const) {
        const placed = await place(day, owner);
        ids.push(placed.orderId);
        token = placed.token;
      }
      token = await append(orderStreamId(ids[2]!), [{ type: 'OrderConfirmed', data: { orderId: ids[2]! } }]);
    });

    it('lists orders newest first with the default page', async () => {
      const response = await get('/api/v1/orders', token);

      expect(response.statusCode).toBe(200);
      const list = orderListSchema.parse(response.json());
      expect(list.items.map((item) => item.orderId)).toEqual([ids[2], ids[1], ids[0]]);
      expect(list).toMatchObject({ total: 3, page: 1, pageSize: 20 });
      expect(list.items[0]).toEqual({
        orderId: ids[2],
        orderNumber: null,
        status: 'confirmed',
        total: eur(2028),
        placedAt: '2030-01-03T12:00:00.000Z',
      });
    });

    it('filters by customer and status and pages', async () => {
      const ofCustomer = await get(`/api/v1/orders?customerId=${customer}&pageSize=1&page=2`, token);
      expect(ofCustomer.json()).toEqual({
        items: [expect.objectContaining({ orderId: ids[0] })],
        total: 2,
        page: 2,
        pageSize: 1,
      });

      const pending = await get(`/api/v1/orders?customerId=${customer}&status=pending`, token);
      expect(pending.json<{ items: { orderId: string }[] }>().items.map((item) => item.orderId)).toEqual([
        ids[0],
      ]);
    });

    it('is a 400 naming every bad parameter', async () => {
      const response = await get(
        '/api/v1/orders?customerId=alice&status=paid&page=0&pageSize=101&sort=newest',
        token,
      );

      expect(response.statusCode).toBe(400);
      expect(fields(response.body).sort()).toEqual([
        'query.customerId',
        'query.page',
        'query.pageSize',
        'query.sort',
        'query.status',
      ]);
      expect(fields((await get('/api/v1/orders?pageSize=1e1')).body)).toEqual(['query.pageSize']);
    });
  });

  describe('GET /api/v1/shipping-methods', () => {
    it('lists the configured shipping methods with their prices', async () => {
      const response = await get('/api/v1/shipping-methods');

      expect(response.statusCode).toBe(200);
      expect(shippingMethodListSchema.parse(response.json())).toEqual({ items: shippingMethods() });
      expect(response.json()).toMatchObject({
        items: expect.arrayContaining([
          expect.objectContaining({ id: 'standard', price: eur(490) }),
        ]) as unknown,
      });
    });

    it('is a 400 naming an unknown parameter', async () => {
      const response = await get('/api/v1/shipping-methods?country=DE');

      expect(response.statusCode).toBe(400);
      expect(fields(response.body)).toEqual(['query.country']);
    });
  });
});
