import { randomUUID } from 'node:crypto';
import { cartStreamId, orderStreamId, paymentStreamId } from '@tally/domain';
import { type JsonValue, uuidv7 } from '@tally/event-store';
import { type ProblemDetails, shippingMethods, signAccessToken, signCartToken } from '@tally/platform';
import { cartsProjection, ordersProjection } from '@tally/read-models';
import { authHeader, httpRouteCount, routesWithoutRoles, TEST_AUTH_SECRET } from '@tally/testing';
import { type InProcessQueryApi, startInProcessQueryApi } from '../../test/in-process.harness';
import { shippingMethodListSchema } from '../shipping/shipping-methods.schemas';
import { orderListSchema, orderSchema } from './orders.schemas';

// query-api's order and shipping-method reads in-process (q.app.inject) over real PostgreSQL, with the real
// event store and projection runner behind them. Every read waits on the token of the write it follows.

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('query-api orders and shipping methods', () => {
  let q: InProcessQueryApi;

  beforeEach(async () => {
    // A short consistency timeout keeps the 503 case quick; everything else is reached well before it.
    q = await startInProcessQueryApi({
      schema: 'query_orders',
      projections: [ordersProjection, cartsProjection],
      consistencyTimeoutMs: 300,
    });
  });

  afterEach(() => q.close());

  const append = async (streamId: string, events: { type: string; data: Record<string, JsonValue> }[]) => {
    const commandId = uuidv7();
    const { checkpoint } = await q.store.append(
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
    const cartId = randomUUID();
    const token = await append(orderStreamId(orderId), [
      {
        type: 'OrderPlaced',
        data: {
          orderId,
          cartId,
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
    return { orderId, cartId, token };
  };

  /** A read as an admin unless other credentials are given (`{}` for a guest without any). */
  const get = (url: string, token?: string, credentials: Record<string, string> = authHeader('admin')) =>
    q.app.inject({
      method: 'GET',
      url,
      headers: { ...credentials, ...(token ? { 'tally-consistency': token } : {}) },
    });
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
      await q.runner.stop();
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

  describe('who may read orders and carts', () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const asAlice = () => authHeader('customer', alice);
    const asBob = () => authHeader('customer', bob);
    const cartToken = (cartId: string) => ({ 'tally-cart-token': signCartToken(cartId, TEST_AUTH_SECRET) });

    it('lists a customer their own orders only, whatever customerId they ask for', async () => {
      const mine = await place(1, alice);
      await place(2, bob);
      const { token } = await place(3, null);

      const own = await get('/api/v1/orders', token, asAlice());
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({ items: [{ orderId: mine.orderId }], total: 1 });

      const others = await get(`/api/v1/orders?customerId=${bob}`, token, asAlice());
      expect(others.json()).toEqual({ items: [], total: 0, page: 1, pageSize: 20 });
    });

    it('lists every order to an admin, optionally of one customer', async () => {
      await place(1, alice);
      const { token } = await place(2, bob);

      expect((await get('/api/v1/orders', token)).json()).toMatchObject({ total: 2 });
      expect((await get(`/api/v1/orders?customerId=${bob}`, token)).json()).toMatchObject({ total: 1 });
    });

    it('refuses a guest the order list: 401, no data', async () => {
      const { token } = await place(1, alice);

      const response = await get('/api/v1/orders', token, {});

      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'AUTHENTICATION_REQUIRED' });
      expect(response.body).not.toContain('items');
    });

    it("answers 404, no data, to a customer reading another customer's order", async () => {
      const { orderId, token } = await place(1, alice);

      expect((await get(`/api/v1/orders/${orderId}`, token, asAlice())).statusCode).toBe(200);
      const response = await get(`/api/v1/orders/${orderId}`, token, asBob());

      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'ORDER_NOT_FOUND' });
      expect(response.body).not.toContain('shopper@example.com');
    });

    it("shows a guest's order to whoever holds its cart's token, and to nobody else", async () => {
      const { orderId, cartId, token } = await place(1, null);

      expect((await get(`/api/v1/orders/${orderId}`, token, cartToken(cartId))).statusCode).toBe(200);
      expect((await get(`/api/v1/orders/${orderId}`, token, {})).statusCode).toBe(404);
      expect((await get(`/api/v1/orders/${orderId}`, token, cartToken(randomUUID()))).statusCode).toBe(404);
      expect((await get(`/api/v1/orders/${orderId}`, token, asAlice())).statusCode).toBe(404);
    });

    it('refuses a tampered cart token with 403 CART_TOKEN_INVALID and no data', async () => {
      const { orderId, cartId, token } = await place(1, null);
      const forged = `${cartId}.${'A'.repeat(43)}`;

      const viaCookie = await get(`/api/v1/orders/${orderId}`, token, { cookie: `tally_cart=${forged}` });
      const viaHeader = await get(`/api/v1/orders/${orderId}`, token, { 'tally-cart-token': forged });

      expect(viaCookie.statusCode).toBe(403);
      expect(viaCookie.json()).toMatchObject({ code: 'CART_TOKEN_INVALID' });
      expect(fields(viaCookie.body)).toEqual(['cookie.tally_cart']);
      expect(fields(viaHeader.body)).toEqual(['header.Tally-Cart-Token']);
      expect(viaCookie.body).not.toContain('shopper@example.com');
    });

    it('refuses an expired or garbage access token with 401, even on a public route', async () => {
      const { orderId, cartId, token } = await place(1, null);
      const expired = signAccessToken(
        { sub: alice, role: 'customer', email: 'alice@example.test' },
        TEST_AUTH_SECRET,
        new Date(Date.now() - 60 * 60 * 1000),
      );

      const late = await get(`/api/v1/orders/${orderId}`, token, {
        authorization: `Bearer ${expired}`,
        ...cartToken(cartId),
      });
      const garbage = await get(`/api/v1/orders/${orderId}`, token, { authorization: 'Bearer not.a.jwt' });
      const otherSecret = await get('/api/v1/orders', token, {
        authorization: `Bearer ${signAccessToken({ sub: alice, role: 'admin', email: 'a@b.c' }, 'x'.repeat(40), new Date())}`,
      });

      expect([late.statusCode, garbage.statusCode, otherSecret.statusCode]).toEqual([401, 401, 401]);
      expect(late.json()).toMatchObject({ code: 'ACCESS_TOKEN_EXPIRED' });
      expect(garbage.json()).toMatchObject({ code: 'ACCESS_TOKEN_INVALID' });
      expect(late.body).not.toContain('shopper@example.com');
    });

    it('shows a cart only to its customer, the holder of its guest token, or an admin', async () => {
      const guestCart = randomUUID();
      const aliceCart = randomUUID();
      await append(cartStreamId(guestCart), [
        { type: 'CartOpened', data: { cartId: guestCart, customerId: null, currency: 'EUR' } },
      ]);
      const token = await append(cartStreamId(aliceCart), [
        { type: 'CartOpened', data: { cartId: aliceCart, customerId: alice, currency: 'EUR' } },
      ]);
      const status = async (cartId: string, credentials: Record<string, string>) =>
        (await get(`/api/v1/carts/${cartId}`, token, credentials)).statusCode;

      expect(await status(guestCart, cartToken(guestCart))).toBe(200);
      expect(await status(guestCart, {})).toBe(404);
      expect(await status(guestCart, cartToken(aliceCart))).toBe(404);
      expect(await status(guestCart, asAlice())).toBe(404);
      expect(await status(aliceCart, asAlice())).toBe(200);
      expect(await status(aliceCart, asBob())).toBe(404);
      // A customer's cart needs the customer: its token alone (e.g. after signing out) is not enough.
      expect(await status(aliceCart, cartToken(aliceCart))).toBe(404);
      expect(await status(aliceCart, authHeader('admin'))).toBe(200);
      expect(await status(randomUUID(), authHeader('admin'))).toBe(404);
      const denied = await get(`/api/v1/carts/${aliceCart}`, token, asBob());
      expect(denied.json()).toMatchObject({ code: 'CART_NOT_FOUND' });
      expect(denied.body).not.toContain(alice);
    });
  });

  it('declares the roles of every HTTP route (none is open by accident)', () => {
    expect(httpRouteCount(q.app)).toBeGreaterThan(5);
    expect(routesWithoutRoles(q.app)).toEqual([]);
  });
});
