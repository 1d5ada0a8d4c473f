import { randomUUID } from 'node:crypto';
import { cartStreamId, type CartState, cartDecider, type CartEvent } from '@tally/domain';
import { GUEST, signAccessToken, uuidv7 } from '@tally/platform';
import { catalogProjection, cartsProjection, ProjectionRunner, waitForProjections } from '@tally/read-models';
import { authHeader, httpRouteCount, routesWithoutRoles, TEST_AUTH_SECRET } from '@tally/testing';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';
import type { CommandContext } from '../shared/command-edge';
import { CartMerger } from './cart-merger';
import { CartHandler } from './cart.handler';

jest.setTimeout(120_000);

// Who may do what to carts and orders on command-api, and the merge of a guest cart at sign-in, in process
// over real PostgreSQL. Every refusal is checked to write nothing and to leak nothing.

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

const checkoutBody = {
  email: 'ada@example.com',
  shippingAddress: { name: 'Ada', line1: '1 Row', city: 'London', postalCode: 'N1', country: 'GB' },
  shippingMethod: 'standard',
  payment: { paymentMethodId: 'pm_card_visa' },
};

describe('cart and order access (PostgreSQL)', () => {
  let api: InProcessCommandApi;
  let runner: ProjectionRunner;
  const TEE = `TEE-${Date.now().toString(36)}`;
  const MUG = `MUG-${Date.now().toString(36)}`;
  const alice = randomUUID();
  const bob = randomUUID();
  const asAlice = () => authHeader('customer', alice);
  const asBob = () => authHeader('customer', bob);

  beforeAll(async () => {
    api = await startInProcessCommandApi();
    runner = new ProjectionRunner({
      sql: api.sql,
      store: api.store,
      projections: [catalogProjection, cartsProjection],
      logger: silent,
    });
    await runner.start();
    let token = '';
    for (const [sku, price] of [
      [TEE, 1999],
      [MUG, 900],
    ] as const) {
      const created = await api.request('POST', '/api/v1/products', {
        sku,
        name: sku,
        description: sku,
        category: 'Test',
        price: { amount: price, currency: 'EUR' },
      });
      const published = await api.request('POST', `/api/v1/products/${sku}/publish`);
      expect([created.statusCode, published.statusCode]).toEqual([201, 200]);
      token = published.headers['tally-consistency'] as string;
    }
    expect(await waitForProjections(api.sql, ['catalog'], token, { timeoutMs: 10_000 })).toBe(true);
  });

  afterAll(async () => {
    await runner.stop();
    await api.close();
  });

  /** Opens a guest cart with `quantity` tees; returns its id and token. */
  const guestCart = async (quantity = 1, sku = TEE) => {
    const opened = await api.rawRequest('POST', '/api/v1/carts');
    expect(opened.statusCode).toBe(201);
    const { cartId, cartToken } = opened.json<{ cartId: string; cartToken: string }>();
    const added = await api.rawRequest(
      'POST',
      `/api/v1/carts/${cartId}/items`,
      { sku, quantity },
      { 'tally-cart-token': cartToken },
    );
    expect(added.statusCode).toBe(200);
    return { cartId, cartToken, checkpoint: added.headers['tally-consistency'] as string };
  };

  const customerCart = async (headers: Record<string, string>, quantity = 1, sku = TEE) => {
    const opened = await api.rawRequest('POST', '/api/v1/carts', undefined, headers);
    expect(opened.statusCode).toBe(201);
    const { cartId } = opened.json<{ cartId: string }>();
    const added = await api.rawRequest('POST', `/api/v1/carts/${cartId}/items`, { sku, quantity }, headers);
    expect(added.statusCode).toBe(200);
    return { cartId, checkpoint: added.headers['tally-consistency'] as string };
  };

  const state = async (cartId: string): Promise<CartState> => {
    let current: CartState = cartDecider.initialState;
    for (const event of await api.stream(cartStreamId(cartId))) {
      current = cartDecider.evolve(current, { type: event.type, data: event.data } as CartEvent);
    }
    return current;
  };

  describe('POST /api/v1/carts', () => {
    it('gives a guest a guest cart, its token in the body and a 30-day httpOnly tally_cart cookie', async () => {
      const response = await api.rawRequest('POST', '/api/v1/carts');

      expect(response.statusCode).toBe(201);
      const { cartId, cartToken } = response.json<{ cartId: string; cartToken: string }>();
      expect(cartToken.startsWith(`${cartId}.`)).toBe(true);
      expect(response.headers['set-cookie']).toBe(
        `tally_cart=${encodeURIComponent(cartToken)}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax`,
      );
      expect((await api.stream(cartStreamId(cartId)))[0]?.data).toMatchObject({ customerId: null });
    });

    it('gives a signed-in customer a cart of their own, with no guest token', async () => {
      const response = await api.rawRequest('POST', '/api/v1/carts', { currency: 'EUR' }, asAlice());

      expect(response.statusCode).toBe(201);
      const body = response.json<{ cartId: string; cartToken?: string }>();
      expect(body.cartToken).toBeUndefined();
      expect(response.headers['set-cookie']).toBeUndefined();
      const [opened] = await api.stream(cartStreamId(body.cartId));
      expect(opened?.data).toMatchObject({ customerId: alice });
      expect(opened?.metadata.actor).toEqual({ id: alice, role: 'customer' });
    });

    it('refuses to open a cart for another customer (403 naming customerId), writing nothing', async () => {
      const before = await api.eventCount();

      const asCustomer = await api.rawRequest('POST', '/api/v1/carts', { customerId: bob }, asAlice());
      const asGuest = await api.rawRequest('POST', '/api/v1/carts', { customerId: bob });

      for (const response of [asCustomer, asGuest]) {
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ code: 'FORBIDDEN', errors: [{ field: 'customerId' }] });
      }
      expect(await api.eventCount()).toBe(before);
    });

    it('lets an admin open a cart for any customer', async () => {
      const response = await api.rawRequest(
        'POST',
        '/api/v1/carts',
        { customerId: bob },
        authHeader('admin'),
      );

      expect(response.statusCode).toBe(201);
      const { cartId } = response.json<{ cartId: string }>();
      expect((await api.stream(cartStreamId(cartId)))[0]?.data).toMatchObject({ customerId: bob });
    });
  });

  describe('cart commands and checkout', () => {
    const commands = (cartId: string) =>
      [
        ['POST', `/api/v1/carts/${cartId}/items`, { sku: TEE, quantity: 1 }],
        ['PATCH', `/api/v1/carts/${cartId}/items/${TEE}`, { quantity: 2 }],
        ['DELETE', `/api/v1/carts/${cartId}/items/${TEE}`, undefined],
        ['DELETE', `/api/v1/carts/${cartId}/items`, undefined],
        ['POST', `/api/v1/carts/${cartId}/checkout`, checkoutBody],
      ] as const;

    it('lets the holder of a guest cart token change and check out that cart', async () => {
      const { cartId, cartToken } = await guestCart(1);
      const viaCookie = { cookie: `tally_cart=${encodeURIComponent(cartToken)}` };

      const changed = await api.rawRequest(
        'PATCH',
        `/api/v1/carts/${cartId}/items/${TEE}`,
        { quantity: 3 },
        viaCookie,
      );
      const checkedOut = await api.rawRequest('POST', `/api/v1/carts/${cartId}/checkout`, checkoutBody, {
        'tally-cart-token': cartToken,
      });

      expect([changed.statusCode, checkedOut.statusCode]).toEqual([200, 202]);
    });

    it.each([
      ['no credentials', () => ({})],
      ['the token of another cart', () => ({ 'tally-cart-token': 'other' })],
      ['a customer', () => authHeader('customer', alice)],
    ])('answers 404 CART_NOT_FOUND to %s on a guest cart, writing nothing', async (_, credentials) => {
      const { cartId } = await guestCart(1);
      const other = (await guestCart(1)).cartToken;
      const headers = credentials();
      const sent = 'tally-cart-token' in headers ? { 'tally-cart-token': other } : headers;
      const before = await api.eventCount();

      for (const [method, url, body] of commands(cartId)) {
        const response = await api.rawRequest(method, url, body, sent);
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ code: 'CART_NOT_FOUND', errors: [{ field: 'path.cartId' }] });
      }
      expect(await api.eventCount()).toBe(before);
    });

    it("answers 404 to a customer commanding another customer's cart, even with its token", async () => {
      const { cartId } = await customerCart(asAlice());
      const before = await api.eventCount();

      for (const [method, url, body] of commands(cartId)) {
        const response = await api.rawRequest(method, url, body, asBob());
        expect(response.statusCode).toBe(404);
        expect(response.body).not.toContain(alice);
        const guest = await api.rawRequest(method, url, body, {});
        expect(guest.statusCode).toBe(404);
      }
      expect(await api.eventCount()).toBe(before);
    });

    it("lets the customer, and an admin, use the customer's cart", async () => {
      const { cartId } = await customerCart(asAlice());

      const byAdmin = await api.rawRequest(
        'POST',
        `/api/v1/carts/${cartId}/items`,
        { sku: MUG, quantity: 1 },
        authHeader('admin'),
      );
      const byAlice = await api.rawRequest(
        'POST',
        `/api/v1/carts/${cartId}/checkout`,
        checkoutBody,
        asAlice(),
      );

      expect([byAdmin.statusCode, byAlice.statusCode]).toEqual([200, 202]);
      const last = (await api.stream(cartStreamId(cartId))).at(-1);
      expect(last?.data).toMatchObject({ customerId: alice });
    });

    it('refuses a tampered cart token with 403 CART_TOKEN_INVALID naming where it came from', async () => {
      const { cartId, cartToken } = await guestCart(1);
      const forged = `${cartToken.slice(0, -2)}xx`;
      const before = await api.eventCount();

      const cookie = await api.rawRequest(
        'POST',
        `/api/v1/carts/${cartId}/items`,
        { sku: TEE, quantity: 1 },
        {
          cookie: `tally_cart=${forged}`,
        },
      );
      const header = await api.rawRequest('POST', `/api/v1/carts/${cartId}/checkout`, checkoutBody, {
        'tally-cart-token': forged,
      });

      expect([cookie.statusCode, header.statusCode]).toEqual([403, 403]);
      expect(cookie.json()).toMatchObject({
        code: 'CART_TOKEN_INVALID',
        errors: [{ field: 'cookie.tally_cart' }],
      });
      expect(header.json()).toMatchObject({
        code: 'CART_TOKEN_INVALID',
        errors: [{ field: 'header.Tally-Cart-Token' }],
      });
      expect(cookie.body).not.toContain(TEE);
      expect(await api.eventCount()).toBe(before);
    });

    it('refuses an expired or garbage access token with 401', async () => {
      const { cartId, cartToken } = await guestCart(1);
      const expired = signAccessToken(
        { sub: alice, role: 'customer', email: 'a@example.test' },
        TEST_AUTH_SECRET,
        new Date(Date.now() - 60 * 60 * 1000),
      );

      const late = await api.rawRequest(
        'POST',
        `/api/v1/carts/${cartId}/items`,
        { sku: TEE, quantity: 1 },
        {
          authorization: `Bearer ${expired}`,
          'tally-cart-token': cartToken,
        },
      );
      const garbage = await api.rawRequest('POST', '/api/v1/carts', undefined, {
        authorization: 'Bearer garbage',
      });
      const notBearer = await api.rawRequest('POST', '/api/v1/carts', undefined, {
        authorization: 'Basic abc',
      });

      expect([late.statusCode, garbage.statusCode, notBearer.statusCode]).toEqual([401, 401, 401]);
      expect(late.json()).toMatchObject({
        code: 'ACCESS_TOKEN_EXPIRED',
        errors: [{ field: 'header.Authorization' }],
      });
    });
  });

  describe('catalog, stock and order commands', () => {
    it('refuses product and stock commands to anyone but an admin (403 / 401), writing nothing', async () => {
      const before = await api.eventCount();
      const product = {
        sku: 'NOPE-1',
        name: 'n',
        description: 'd',
        category: 'c',
        price: { amount: 1, currency: 'EUR' },
      };

      const byCustomer = await api.rawRequest('POST', '/api/v1/products', product, asAlice());
      const byAuditor = await api.rawRequest(
        'POST',
        `/api/v1/products/${TEE}/publish`,
        undefined,
        authHeader('auditor'),
      );
      const stock = await api.rawRequest(
        'POST',
        `/api/v1/inventory/${TEE}/receipts`,
        { quantity: 5, reference: 'x' },
        asAlice(),
      );
      const byGuest = await api.rawRequest('POST', '/api/v1/products', product);

      expect([byCustomer.statusCode, byAuditor.statusCode, stock.statusCode, byGuest.statusCode]).toEqual([
        403, 403, 403, 401,
      ]);
      expect(byCustomer.json()).toMatchObject({ code: 'FORBIDDEN' });
      expect(await api.eventCount()).toBe(before);
    });

    it('lets the owner (or an admin) cancel an order, answers 404 to others, and keeps shipping for admins', async () => {
      const { cartId } = await customerCart(asAlice());
      const placed = await api.rawRequest(
        'POST',
        `/api/v1/carts/${cartId}/checkout`,
        checkoutBody,
        asAlice(),
      );
      const { orderId } = placed.json<{ orderId: string }>();
      // The order is placed by the checkout process; here it is placed directly from the checked-out cart.
      const checkedOut = (await api.stream(cartStreamId(cartId))).at(-1)!;
      const data = checkedOut.data as { lines: unknown[]; total: { amount: number; currency: string } };
      await api.store.append(
        `order-${orderId}`,
        [
          {
            eventId: uuidv7(),
            type: 'OrderPlaced',
            data: {
              orderId,
              cartId,
              customerId: alice,
              email: 'ada@example.com',
              lines: data.lines as never,
              shippingAddress: checkoutBody.shippingAddress,
              shippingMethod: { id: 'standard', name: 'Standard', price: { amount: 490, currency: 'EUR' } },
              taxRateBasisPoints: 0,
              totals: {
                subtotal: data.total,
                shipping: { amount: 490, currency: 'EUR' },
                tax: { amount: 0, currency: 'EUR' },
                total: { amount: data.total.amount + 490, currency: 'EUR' },
              },
              paymentMethodId: 'pm_card_visa',
              placedAt: new Date().toISOString(),
            },
            metadata: {
              commandId: uuidv7(),
              correlationId: 'test',
              causationId: 'test',
              actor: { id: 'checkout', role: 'system' },
              occurredAt: new Date().toISOString(),
              schemaVersion: 1,
            },
          },
        ],
        { expectedVersion: 'no_stream' },
      );

      const byBob = await api.rawRequest('POST', `/api/v1/orders/${orderId}/cancel`, undefined, asBob());
      const byGuest = await api.rawRequest('POST', `/api/v1/orders/${orderId}/cancel`, undefined, {});
      const shipByAlice = await api.rawRequest(
        'POST',
        `/api/v1/orders/${orderId}/ship`,
        undefined,
        asAlice(),
      );
      expect([byBob.statusCode, byGuest.statusCode, shipByAlice.statusCode]).toEqual([404, 404, 403]);
      expect(byBob.json()).toMatchObject({ code: 'ORDER_NOT_FOUND', errors: [{ field: 'path.orderId' }] });
      expect(byBob.body).not.toContain('ada@example.com');

      const byAlice = await api.rawRequest('POST', `/api/v1/orders/${orderId}/cancel`, undefined, asAlice());
      expect(byAlice.statusCode).toBe(200);
      expect((await api.stream(`order-${orderId}`)).at(-1)?.metadata.actor).toEqual({
        id: alice,
        role: 'customer',
      });
    });
  });

  describe('CartMerger (sign-in)', () => {
    const context = (): CommandContext => ({
      metadata: {
        commandId: uuidv7(),
        correlationId: 'sign-in',
        causationId: 'sign-in',
        actor: { id: 'anonymous', role: 'guest' },
        occurredAt: new Date().toISOString(),
      },
      expectedVersion: undefined,
      consistencyToken: undefined,
      principal: GUEST,
    });
    const merger = () => api.app.get(CartMerger);
    const linesOf = async (cartId: string) => {
      const cart = await state(cartId);
      return cart.status === 'none' ? [] : cart.lines.map((line) => [line.sku, line.quantity]);
    };

    it("merges a guest cart into the customer's newest open cart: quantities summed, the guest cart closed", async () => {
      const customer = randomUUID();
      const mine = await customerCart(authHeader('customer', customer), 2, TEE);
      expect(await waitForProjections(api.sql, ['carts'], mine.checkpoint, { timeoutMs: 10_000 })).toBe(true);
      const guest = await guestCart(3, TEE);
      await api.rawRequest(
        'POST',
        `/api/v1/carts/${guest.cartId}/items`,
        { sku: MUG, quantity: 1 },
        {
          'tally-cart-token': guest.cartToken,
        },
      );

      const result = await merger().merge({ guestCartId: guest.cartId, customerId: customer }, context());

      expect(result.cartId).toBe(mine.cartId);
      expect(result.checkpoint).toMatch(/^\d{20}\.\d{20}$/);
      expect(await linesOf(mine.cartId)).toEqual([
        [TEE, 5],
        [MUG, 1],
      ]);
      expect((await api.stream(cartStreamId(mine.cartId))).at(-1)).toMatchObject({
        type: 'CartsMerged',
        data: { cartId: mine.cartId, sourceCartId: guest.cartId },
      });
      expect(await state(guest.cartId)).toMatchObject({ status: 'merged', targetCartId: mine.cartId });

      // The closed guest cart can no longer be changed or checked out, even with its token.
      const add = await api.rawRequest(
        'POST',
        `/api/v1/carts/${guest.cartId}/items`,
        { sku: TEE, quantity: 1 },
        {
          'tally-cart-token': guest.cartToken,
        },
      );
      const checkout = await api.rawRequest('POST', `/api/v1/carts/${guest.cartId}/checkout`, checkoutBody, {
        'tally-cart-token': guest.cartToken,
      });
      expect([add.statusCode, checkout.statusCode]).toEqual([409, 409]);
      expect(checkout.json()).toMatchObject({
        code: 'CART_ALREADY_MERGED',
        errors: [{ field: 'path.cartId' }],
      });
    });

    it('opens a cart for a customer who has none, and a repeated merge changes nothing', async () => {
      const customer = randomUUID();
      const guest = await guestCart(2, MUG);

      const first = await merger().merge({ guestCartId: guest.cartId, customerId: customer }, context());
      const events = await api.eventCount();
      const again = await merger().merge({ guestCartId: guest.cartId, customerId: customer }, context());

      expect(again.cartId).toBe(first.cartId);
      expect(await api.eventCount()).toBe(events);
      expect(await state(first.cartId)).toMatchObject({ status: 'open', customerId: customer });
      expect(await linesOf(first.cartId)).toEqual([[MUG, 2]]);
    });

    it('completes a merge that crashed after closing the guest cart, into the same cart, once', async () => {
      const customer = randomUUID();
      const target = await customerCart(authHeader('customer', customer), 1, MUG);
      const guest = await guestCart(98, MUG);
      // The first half only, as a crash would leave it.
      const closed = await api.app.get(CartHandler).execute(
        {
          type: 'CloseCartForMerge',
          data: { cartId: guest.cartId, targetCartId: target.cartId },
          metadata: context().metadata,
        },
        context(),
      );
      expect(closed.appended).toBe(1);

      const result = await merger().merge({ guestCartId: guest.cartId, customerId: customer }, context());

      expect(result.cartId).toBe(target.cartId);
      // 1 + 98 is capped at 99 rather than refused.
      expect(await linesOf(target.cartId)).toEqual([[MUG, 99]]);
      const merges = (await api.stream(cartStreamId(target.cartId))).filter((e) => e.type === 'CartsMerged');
      expect(merges).toHaveLength(1);
    });

    it("merges nothing from a cart that is not a guest's open cart", async () => {
      const customer = randomUUID();
      const own = await customerCart(authHeader('customer', customer), 1, TEE);
      const someoneElses = await customerCart(asBob(), 4, MUG);
      const checkedOut = await guestCart(1, TEE);
      await api.rawRequest('POST', `/api/v1/carts/${checkedOut.cartId}/checkout`, checkoutBody, {
        'tally-cart-token': checkedOut.cartToken,
      });

      const fromOwn = await merger().merge({ guestCartId: own.cartId, customerId: customer }, context());
      expect(fromOwn.cartId).toBe(own.cartId);
      const before = await linesOf(own.cartId);
      const fromOther = await merger().merge(
        { guestCartId: someoneElses.cartId, customerId: customer },
        context(),
      );
      const fromCheckedOut = await merger().merge(
        { guestCartId: checkedOut.cartId, customerId: customer },
        context(),
      );
      const fromNothing = await merger().merge(
        { guestCartId: randomUUID(), customerId: customer },
        context(),
      );

      for (const result of [fromOther, fromCheckedOut, fromNothing]) {
        expect(await state(result.cartId)).toMatchObject({ status: 'open', customerId: customer });
        expect(result.cartId).not.toBe(someoneElses.cartId);
      }
      expect(await linesOf(own.cartId)).toEqual(before);
      expect(await state(someoneElses.cartId)).toMatchObject({ status: 'open', customerId: bob });
      expect(await linesOf(someoneElses.cartId)).toEqual([[MUG, 4]]);
      expect(await state(checkedOut.cartId)).toMatchObject({ status: 'checked_out' });
    });
  });

  it('declares the roles of every HTTP route (none is open by accident)', () => {
    expect(httpRouteCount(api.app)).toBeGreaterThan(10);
    expect(routesWithoutRoles(api.app)).toEqual([]);
  });
});
