import { cartStreamId } from '@tally/domain';
import { uuidv7 } from '@tally/platform';
import { catalogProjection, ProjectionRunner, waitForProjections } from '@tally/read-models';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';

jest.setTimeout(120_000);

const validCheckout = {
  email: 'ada@example.com',
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: '12 Analytical Row',
    line2: 'Flat 3',
    city: 'London',
    postalCode: 'N1 9GU',
    country: 'GB',
  },
  shippingMethod: 'standard',
  payment: { paymentMethodId: 'pm_card_visa' },
};

/** The valid body with the value at a dotted path replaced (or removed, with `undefined`). */
function withField(path: string, value: unknown): Record<string, unknown> {
  const body = structuredClone(validCheckout) as Record<string, unknown>;
  const keys = path.split('.');
  let parent = body;
  for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = keys.at(-1) ?? '';
  if (value === undefined) Reflect.deleteProperty(parent, last);
  else parent[last] = value;
  return body;
}

describe('POST /api/v1/carts/{cartId}/checkout (PostgreSQL)', () => {
  let api: InProcessCommandApi;
  const SKU = `TEE-${Date.now().toString(36)}`;

  beforeAll(async () => {
    api = await startInProcessCommandApi();
    const created = await api.request('POST', '/api/v1/products', {
      sku: SKU,
      name: 'Tee',
      description: 'A tee',
      category: 'Shirts',
      price: { amount: 1999, currency: 'EUR' },
    });
    const published = await api.request('POST', `/api/v1/products/${SKU}/publish`);
    expect([created.statusCode, published.statusCode]).toEqual([201, 200]);
    // Adding to a cart prices the item from the catalog read model: project the catalog once.
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const runner = new ProjectionRunner({
      sql: api.sql,
      store: api.store,
      projections: [catalogProjection],
      logger: silent,
    });
    await runner.start();
    const token = published.headers['tally-consistency'] as string;
    expect(await waitForProjections(api.sql, ['catalog'], token, { timeoutMs: 10_000 })).toBe(true);
    await runner.stop();
  });

  afterAll(async () => {
    await api.close();
  });

  async function cart(options: { items?: number; currency?: string } = {}): Promise<string> {
    const opened = await api.request('POST', '/api/v1/carts', { currency: options.currency ?? 'EUR' });
    expect(opened.statusCode).toBe(201);
    const { cartId } = opened.json<{ cartId: string }>();
    if ((options.items ?? 1) > 0) {
      const added = await api.request('POST', `/api/v1/carts/${cartId}/items`, {
        sku: SKU,
        quantity: options.items ?? 1,
      });
      expect(added.statusCode).toBe(200);
    }
    return cartId;
  }

  const checkout = (cartId: string, body: unknown = validCheckout, headers: Record<string, string> = {}) =>
    api.request('POST', `/api/v1/carts/${cartId}/checkout`, body, headers);

  it('checks the cart out for a new order: 202 with the order id, the cart ETag and a consistency token', async () => {
    const cartId = await cart({ items: 2 });
    const response = await checkout(cartId);

    expect(response.statusCode).toBe(202);
    const { orderId } = response.json<{ orderId: string }>();
    expect(response.json()).toEqual({ orderId, cartId, version: 3 });
    expect(response.headers.etag).toBe('"3"');
    expect(response.headers['tally-consistency']).toMatch(/^\d{20}\.\d{20}$/);
    expect(response.headers.location).toBe(`/api/v1/orders/${orderId}`);
    const checkedOut = (await api.stream(cartStreamId(cartId))).at(-1);
    expect(checkedOut?.type).toBe('CartCheckedOut');
    expect(checkedOut?.data).toMatchObject({
      orderId,
      customerId: null,
      total: { amount: 3998, currency: 'EUR' },
      checkout: {
        email: 'ada@example.com',
        shippingAddress: validCheckout.shippingAddress,
        // The method as priced now, from the catalogue of shipping methods.
        shippingMethod: {
          id: 'standard',
          name: 'Standard delivery',
          price: { amount: 490, currency: 'EUR' },
        },
        paymentMethodId: 'pm_card_visa',
      },
    });
  });

  describe('bad input: a 4xx problem naming the field, and no event', () => {
    const badBodies: readonly (readonly [string, string, unknown])[] = [
      ['a missing email', 'email', undefined],
      ['a malformed email', 'email', 'ada@'],
      ['an email that is not a string', 'email', 42],
      ['a missing address', 'shippingAddress', undefined],
      ...(['name', 'line1', 'city', 'postalCode', 'country'] as const).flatMap((field) => [
        [`a missing address ${field}`, `shippingAddress.${field}`, undefined] as const,
        [`a blank address ${field}`, `shippingAddress.${field}`, '  '] as const,
      ]),
      ['an address line over 200 characters', 'shippingAddress.line1', 'x'.repeat(201)],
      ['a country that is not ISO 3166-1 (UK)', 'shippingAddress.country', 'UK'],
      ['an unassigned country code', 'shippingAddress.country', 'XX'],
      ['a lower-case country code', 'shippingAddress.country', 'gb'],
      ['a three-letter country code', 'shippingAddress.country', 'GBR'],
      ['an unknown address field', 'shippingAddress.state', 'CA'],
      ['a missing shipping method', 'shippingMethod', undefined],
      ['a missing payment', 'payment', undefined],
      ['a missing payment method', 'payment.paymentMethodId', undefined],
      ['card data instead of a payment method', 'payment.paymentMethodId', '4242424242424242'],
      ['a payment method with a space', 'payment.paymentMethodId', 'pm_card visa'],
      ['an unknown field', 'coupon', 'FREE'],
    ];

    it.each(badBodies)('%s -> 400 naming %s', async (_name, field, value) => {
      const cartId = await cart();
      const before = await api.eventCount();
      const response = await checkout(cartId, withField(field, value));
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
      expect(await api.eventCount()).toBe(before);
    });

    it.each([
      [
        'an unknown shipping method',
        () => cart(),
        withField('shippingMethod', 'teleport'),
        422,
        'UNKNOWN_SHIPPING_METHOD',
        'shippingMethod',
      ],
      [
        'a shipping method in another currency than the cart',
        () => cart({ items: 0, currency: 'USD' }),
        validCheckout,
        422,
        'SHIPPING_METHOD_CURRENCY_MISMATCH',
        'shippingMethod',
      ],
      ['an empty cart', () => cart({ items: 0 }), validCheckout, 409, 'CART_EMPTY', 'path.cartId'],
      [
        'an unknown cart',
        () => Promise.resolve(uuidv7()),
        validCheckout,
        404,
        'CART_NOT_FOUND',
        'path.cartId',
      ],
      [
        'a cart id that is not a UUID',
        () => Promise.resolve('cart-1'),
        validCheckout,
        400,
        'VALIDATION_FAILED',
        'path.cartId',
      ],
    ] as const)('%s -> %i %s naming %s', async (_name, makeCart, body, status, code, field) => {
      const cartId = await makeCart();
      const before = await api.eventCount();
      const response = await checkout(cartId, body);
      expect(response.statusCode).toBe(status);
      expect(response.json()).toMatchObject({
        status,
        code,
        errors: expect.arrayContaining([expect.objectContaining({ field })]) as unknown,
      });
      expect(await api.eventCount()).toBe(before);
    });

    it('an already checked-out cart -> 409 CART_ALREADY_CHECKED_OUT naming path.cartId', async () => {
      const cartId = await cart();
      expect((await checkout(cartId)).statusCode).toBe(202);
      const before = await api.eventCount();
      const again = await checkout(cartId);
      expect(again.statusCode).toBe(409);
      expect(again.json()).toMatchObject({
        code: 'CART_ALREADY_CHECKED_OUT',
        errors: [{ field: 'path.cartId' }],
      });
      expect(await api.eventCount()).toBe(before);
    });

    it('names every bad field of one request at once', async () => {
      const response = await checkout('nope', {
        email: 'x',
        shippingAddress: { ...validCheckout.shippingAddress, country: 'ZZ', city: '' },
        shippingMethod: 'standard',
        payment: { paymentMethodId: 'card' },
      });
      expect(response.statusCode).toBe(400);
      expect(
        response
          .json<{ errors: { field: string }[] }>()
          .errors.map((e) => e.field)
          .sort(),
      ).toEqual([
        'email',
        'path.cartId',
        'payment.paymentMethodId',
        'shippingAddress.city',
        'shippingAddress.country',
      ]);
    });
  });

  describe('exactly one order per cart', () => {
    it('of 10 concurrent checkouts of one cart, one is accepted and nine are refused with 409', async () => {
      const cartId = await cart();
      const responses = await Promise.all(Array.from({ length: 10 }, () => checkout(cartId)));
      const statuses = responses.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([202, ...Array<number>(9).fill(409)]);
      for (const refused of responses.filter((r) => r.statusCode === 409)) {
        expect(['CART_ALREADY_CHECKED_OUT', 'CONCURRENT_MODIFICATION']).toContain(
          refused.json<{ code: string }>().code,
        );
      }
      const checkedOut = (await api.stream(cartStreamId(cartId))).filter((e) => e.type === 'CartCheckedOut');
      expect(checkedOut).toHaveLength(1);
      const accepted = responses.find((r) => r.statusCode === 202);
      expect((checkedOut[0]?.data as { orderId: string }).orderId).toBe(
        accepted?.json<{ orderId: string }>().orderId,
      );
    });

    it('answers a retry with the same Idempotency-Key with the same order id', async () => {
      const cartId = await cart();
      const key = { 'idempotency-key': uuidv7() };
      const first = await checkout(cartId, validCheckout, key);
      const retry = await checkout(cartId, validCheckout, key);
      expect(retry.statusCode).toBe(202);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual(first.json());
    });

    it('reports the stored order id to a keyed retry that reaches the cart again after a crash', async () => {
      const cartId = await cart();
      const key = { 'idempotency-key': uuidv7() };
      const first = await checkout(cartId, validCheckout, key);
      // The first request's result was never recorded (its process died after the append).
      await api.sql.query('DELETE FROM command_idempotency_keys WHERE key = $1', [key['idempotency-key']]);
      const retry = await checkout(cartId, validCheckout, key);
      expect(retry.statusCode).toBe(202);
      expect(retry.headers['idempotent-replayed']).toBeUndefined();
      expect(retry.json()).toEqual(first.json());
      expect(
        (await api.stream(cartStreamId(cartId))).filter((e) => e.type === 'CartCheckedOut'),
      ).toHaveLength(1);
    });
  });
});
