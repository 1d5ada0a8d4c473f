import { randomUUID } from 'node:crypto';
import { authHeader } from '@tally/testing';
import {
  type CommandApiUnderTest,
  type Exchange,
  HARNESS_ADMIN_ID,
  startCommandApi,
} from './command-api.harness';

jest.setTimeout(120_000);

const TOKEN = /^\d{20}\.\d{20}$/;

/** The parts of an OpenAPI document these tests read. */
interface JsonSchema {
  readonly type?: string;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
}
interface OpenApiOperation {
  readonly requestBody?: {
    readonly content: Readonly<Record<string, { readonly schema: JsonSchema } | undefined>>;
  };
  readonly responses: Readonly<
    Record<string, { readonly headers?: object; readonly content?: object } | undefined>
  >;
}
interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>> | undefined>>;
}
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** Asserts a success and returns it; prints the problem otherwise. */
function ok(response: Exchange, status = 200): Exchange {
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response;
}

describe('command-api over HTTP', () => {
  let api: CommandApiUnderTest;
  let sku: string;
  let counter = 0;

  beforeAll(async () => {
    api = await startCommandApi({ CONSISTENCY_TIMEOUT_MS: '1500' });
  });

  afterAll(async () => {
    await api.stop();
  });

  beforeEach(() => {
    counter += 1;
    sku = `E2E-${Date.now().toString(36)}-${counter}`;
  });

  const createProduct = (headers: Record<string, string> = {}) =>
    api.send('POST', '/api/v1/products', {
      json: { sku, name: 'Tee', description: 'A tee', price: eur(1999), category: 'shirts' },
      headers,
    });

  /** A published product the catalog read model already shows; returns the publish token. */
  const publishedProduct = async () => {
    ok(await createProduct(), 201);
    const published = ok(await api.send('POST', `/api/v1/products/${sku}/publish`));
    return published.headers.get('tally-consistency') ?? '';
  };

  const openCart = async () =>
    (ok(await api.send('POST', '/api/v1/carts'), 201).body as { cartId: string }).cartId;

  const streamEvents = async (streamId: string) =>
    (
      await api.sql.query<{ type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }>(
        'SELECT type, data, metadata FROM events WHERE stream_id = $1 ORDER BY version',
        [streamId],
      )
    ).rows;

  describe('products', () => {
    it('creates a product: 201, Location, ETag and a consistency token', async () => {
      const created = ok(await createProduct(), 201);
      expect(created.body).toEqual({ sku, version: 1 });
      expect(created.headers.get('etag')).toBe('"1"');
      expect(created.headers.get('location')).toBe(`/api/v1/products/${sku}`);
      expect(created.headers.get('tally-consistency')).toMatch(TOKEN);
      expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    });

    it('records the command metadata in the event envelope', async () => {
      ok(await createProduct({ 'x-correlation-id': 'e2e-correlation-1' }), 201);
      const [event] = await streamEvents(`product-${sku}`);
      expect(event?.type).toBe('ProductCreated');
      expect(event?.metadata).toMatchObject({
        correlationId: 'e2e-correlation-1',
        // The actor is the account the access token names (the harness acts as an admin).
        actor: { id: HARNESS_ADMIN_ID, role: 'admin' },
        schemaVersion: 1,
      });
      expect(event?.metadata.causationId).toBe(event?.metadata.commandId);
      expect(Date.parse(String(event?.metadata.occurredAt))).not.toBeNaN();
    });

    it('changes details and price, publishes, unpublishes and discontinues, each with the next ETag', async () => {
      ok(await createProduct(), 201);
      const steps: [string, string, unknown][] = [
        ['PATCH', `/api/v1/products/${sku}`, { name: 'Blue tee', attributes: { color: 'blue' } }],
        ['PATCH', `/api/v1/products/${sku}/price`, { price: eur(2499) }],
        ['POST', `/api/v1/products/${sku}/publish`, undefined],
        ['POST', `/api/v1/products/${sku}/unpublish`, undefined],
        ['POST', `/api/v1/products/${sku}/discontinue`, undefined],
      ];
      let version = 1;
      for (const [method, path, json] of steps) {
        const response = ok(await api.send(method, path, json === undefined ? {} : { json }));
        version += 1;
        expect(response.body).toEqual({ sku, version });
        expect(response.headers.get('etag')).toBe(`"${version}"`);
      }
      expect((await streamEvents(`product-${sku}`)).map((e) => e.type)).toEqual([
        'ProductCreated',
        'ProductDetailsChanged',
        'ProductPriceChanged',
        'ProductPublished',
        'ProductUnpublished',
        'ProductDiscontinued',
      ]);
    });

    it('accepts an empty JSON body on an endpoint without one', async () => {
      ok(await createProduct(), 201);
      ok(await api.send('POST', `/api/v1/products/${sku}/publish`, { raw: '' }));
      ok(await api.send('POST', `/api/v1/products/${sku}/unpublish`, { json: {} }));
    });

    it('answers a command that changes nothing with the current version and a committed token', async () => {
      ok(await createProduct(), 201);
      const first = ok(await api.send('POST', `/api/v1/products/${sku}/publish`));
      const again = ok(await api.send('POST', `/api/v1/products/${sku}/publish`));
      expect(again.body).toEqual({ sku, version: 2 });
      expect(again.headers.get('etag')).toBe('"2"');
      expect(again.headers.get('tally-consistency')).toBe(first.headers.get('tally-consistency'));
      expect(await streamEvents(`product-${sku}`)).toHaveLength(2);
    });
  });

  describe('If-Match', () => {
    it('applies the change when the version matches', async () => {
      ok(await createProduct(), 201);
      const response = ok(
        await api.send('POST', `/api/v1/products/${sku}/publish`, { headers: { 'if-match': '"1"' } }),
      );
      expect(response.headers.get('etag')).toBe('"2"');
    });

    it('answers 412 when the stream moved on, and writes nothing', async () => {
      ok(await createProduct(), 201);
      ok(await api.send('POST', `/api/v1/products/${sku}/publish`));
      const stale = await api.send('PATCH', `/api/v1/products/${sku}/price`, {
        json: { price: eur(999) },
        headers: { 'if-match': '"1"' },
      });
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(stale.body.code).toBe('VERSION_MISMATCH');
      expect(await streamEvents(`product-${sku}`)).toHaveLength(2);
    });
  });

  describe('inventory', () => {
    it('receives and adjusts stock of a known SKU', async () => {
      ok(await createProduct(), 201);
      const received = ok(
        await api.send('POST', `/api/v1/inventory/${sku}/receipts`, {
          json: { quantity: 10, reference: 'DN-1' },
        }),
      );
      expect(received.body).toEqual({ sku, version: 1 });
      expect(received.headers.get('etag')).toBe('"1"');
      const adjusted = ok(
        await api.send('POST', `/api/v1/inventory/${sku}/adjustments`, {
          json: { delta: -3, reason: 'damaged' },
        }),
      );
      expect(adjusted.body).toEqual({ sku, version: 2 });
      expect((await streamEvents(`stock-${sku}`)).map((e) => e.data)).toEqual([
        { sku, quantity: 10, reference: 'DN-1' },
        { sku, delta: -3, reason: 'damaged' },
      ]);
    });

    it('lets concurrent receipts all succeed (they commute)', async () => {
      ok(await createProduct(), 201);
      const responses = await Promise.all(
        Array.from({ length: 4 }, () =>
          api.send('POST', `/api/v1/inventory/${sku}/receipts`, { json: { quantity: 1 } }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      expect(responses.map((r) => r.body.version).sort()).toEqual([1, 2, 3, 4]);
    });
  });

  describe('carts', () => {
    it('opens a cart: 201 with a UUID v7 cart id, Location and ETag', async () => {
      const opened = ok(await api.send('POST', '/api/v1/carts', { json: { currency: 'EUR' } }), 201);
      expect(opened.body.cartId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(opened.body.version).toBe(1);
      expect(opened.headers.get('location')).toBe(`/api/v1/carts/${opened.body.cartId}`);
      expect(opened.headers.get('etag')).toBe('"1"');
    });

    it('adds an item priced from the catalog, reading its own write through Tally-Consistency', async () => {
      // No waiting in the test: the token makes command-api wait for the catalog projection itself.
      const token = await publishedProduct();
      const cartId = await openCart();
      const added = ok(
        await api.send('POST', `/api/v1/carts/${cartId}/items`, {
          json: { sku, quantity: 2 },
          headers: { 'tally-consistency': token },
        }),
      );
      expect(added.body).toEqual({ cartId, version: 2 });
      expect(added.headers.get('etag')).toBe('"2"');
      const events = await streamEvents(`cart-${cartId}`);
      expect(events[1]).toMatchObject({
        type: 'CartItemAdded',
        data: { cartId, sku, name: 'Tee', quantity: 2, unitPrice: eur(1999) },
      });
    });

    it('changes a quantity, removes a line and clears the cart', async () => {
      await api.catalogReached(await publishedProduct());
      const cartId = await openCart();
      ok(await api.send('POST', `/api/v1/carts/${cartId}/items`, { json: { sku, quantity: 1 } }));
      const changed = ok(
        await api.send('PATCH', `/api/v1/carts/${cartId}/items/${sku}`, { json: { quantity: 5 } }),
      );
      expect(changed.body).toEqual({ cartId, version: 3 });
      const removed = ok(await api.send('DELETE', `/api/v1/carts/${cartId}/items/${sku}`));
      expect(removed.body).toEqual({ cartId, version: 4 });
      ok(await api.send('POST', `/api/v1/carts/${cartId}/items`, { json: { sku, quantity: 1 } }));
      const cleared = ok(await api.send('DELETE', `/api/v1/carts/${cartId}/items`));
      expect(cleared.body).toEqual({ cartId, version: 6 });
      expect(cleared.headers.get('etag')).toBe('"6"');
    });

    it('answers 503 with Retry-After when the catalog does not reach the token in time', async () => {
      const cartId = await openCart();
      const response = await api.send('POST', `/api/v1/carts/${cartId}/items`, {
        json: { sku, quantity: 1 },
        headers: { 'tally-consistency': '99999999999999999999.99999999999999999999' },
      });
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('CONSISTENCY_TIMEOUT');
      expect(response.headers.get('retry-after')).toBe('1');
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first result to a retry without running the command again', async () => {
      await api.catalogReached(await publishedProduct());
      const cartId = await openCart();
      const request = { json: { sku, quantity: 1 }, headers: { 'idempotency-key': `add-${sku}` } };
      const first = ok(await api.send('POST', `/api/v1/carts/${cartId}/items`, request));
      const retry = ok(await api.send('POST', `/api/v1/carts/${cartId}/items`, request));

      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
      expect(retry.headers.get('tally-consistency')).toBe(first.headers.get('tally-consistency'));
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await streamEvents(`cart-${cartId}`)).filter((e) => e.type === 'CartItemAdded')).toHaveLength(
        1,
      );
    });

    it("replays a 201 with its Location, so a customer's retried POST /carts opens one cart", async () => {
      const request = {
        headers: { ...authHeader('customer', randomUUID()), 'idempotency-key': `open-${sku}` },
      };
      const first = ok(await api.send('POST', '/api/v1/carts', request), 201);
      const retry = ok(await api.send('POST', '/api/v1/carts', request), 201);
      expect(retry.body.cartId).toBe(first.body.cartId);
      expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    });

    it("never replays a guest's POST /carts (nothing identifies the guest; the body holds a cart token)", async () => {
      const request = { headers: { 'idempotency-key': `guest-open-${sku}` } };
      const first = ok(await api.send('POST', '/api/v1/carts', request), 201);
      const other = ok(await api.send('POST', '/api/v1/carts', request), 201);
      expect(other.body.cartId).not.toBe(first.body.cartId);
      expect(other.body.cartToken).not.toBe(first.body.cartToken);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
    });

    it('rejects the same key for a different request with 422 and writes nothing', async () => {
      ok(await createProduct({ 'idempotency-key': `create-${sku}` }), 201);
      const before = await api.eventCount();
      const reused = await api.send('POST', '/api/v1/products', {
        json: { sku: `${sku}-other`, name: 'Other', description: 'Other', price: eur(100), category: 'x' },
        headers: { 'idempotency-key': `create-${sku}` },
      });
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(reused.body.errors?.[0]?.field).toBe('header.Idempotency-Key');
      expect(await api.eventCount()).toBe(before);
    });

    it('answers 409 while the first request with the key is still running', async () => {
      const cartId = await openCart();
      const key = `slow-${sku}`;
      // The first request waits for a token the catalog never reaches (CONSISTENCY_TIMEOUT_MS = 1500).
      const slow = api.send('POST', `/api/v1/carts/${cartId}/items`, {
        json: { sku, quantity: 1 },
        headers: { 'idempotency-key': key, 'tally-consistency': '99999999999999999999.99999999999999999999' },
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const concurrent = await api.send('POST', `/api/v1/carts/${cartId}/items`, {
        json: { sku, quantity: 1 },
        headers: { 'idempotency-key': key, 'tally-consistency': '99999999999999999999.99999999999999999999' },
      });
      expect(concurrent.status).toBe(409);
      expect(concurrent.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
      expect((await slow).status).toBe(503);
    });

    it('lets a request that failed be retried with the same key', async () => {
      const cartId = await openCart();
      const request = { json: { sku, quantity: 1 }, headers: { 'idempotency-key': `late-${sku}` } };
      expect((await api.send('POST', `/api/v1/carts/${cartId}/items`, request)).status).toBe(422);
      await api.catalogReached(await publishedProduct());
      ok(await api.send('POST', `/api/v1/carts/${cartId}/items`, request));
    });
  });

  describe('OpenAPI', () => {
    it('documents every command endpoint from its schemas at /api/docs and /api/docs/openapi.json', async () => {
      const docs = ok(await api.send('GET', '/api/docs'));
      const alias = ok(await api.send('GET', '/api/docs/openapi.json'));
      expect(alias.body).toEqual(docs.body);
      const document = docs.body as unknown as OpenApiDocument;
      expect(document.openapi).toBe('3.1.0');
      const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods ?? {}).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(operations.sort()).toEqual(
        [
          'POST /api/v1/auth/sign-up',
          'POST /api/v1/auth/sign-in',
          'POST /api/v1/auth/refresh',
          'POST /api/v1/auth/sign-out',
          'POST /api/v1/auth/password-reset',
          'POST /api/v1/auth/password-reset/confirm',
          'PUT /api/v1/customers/{customerId}/role',
          'POST /api/v1/products',
          'PATCH /api/v1/products/{sku}',
          'PATCH /api/v1/products/{sku}/price',
          'POST /api/v1/products/{sku}/publish',
          'POST /api/v1/products/{sku}/unpublish',
          'POST /api/v1/products/{sku}/discontinue',
          'POST /api/v1/inventory/{sku}/receipts',
          'POST /api/v1/inventory/{sku}/adjustments',
          'POST /api/v1/carts',
          'POST /api/v1/carts/{cartId}/items',
          'PATCH /api/v1/carts/{cartId}/items/{sku}',
          'DELETE /api/v1/carts/{cartId}/items/{sku}',
          'DELETE /api/v1/carts/{cartId}/items',
          'POST /api/v1/carts/{cartId}/checkout',
          'POST /api/v1/orders/{orderId}/cancel',
          'POST /api/v1/orders/{orderId}/ship',
          'POST /api/v1/orders/{orderId}/deliver',
          'POST /api/v1/orders/{orderId}/refunds',
          'POST /api/v1/payments/webhooks/{provider}',
        ].sort(),
      );
      const create = document.paths['/api/v1/products']?.post;
      const schema = create?.requestBody?.content['application/json']?.schema;
      expect(schema?.additionalProperties).toBe(false);
      expect(schema?.required).toEqual(expect.arrayContaining(['sku', 'name', 'price']));
      expect(schema?.properties?.price?.properties?.amount).toMatchObject({ type: 'integer', minimum: 1 });
      expect(create?.responses['201']?.headers).toHaveProperty('ETag');
      expect(create?.responses['400']?.content).toHaveProperty('application/problem+json');
      // Every documented operation is served: an unknown route would be a 404 ROUTE_NOT_FOUND. (The webhook
      // answers its missing signature with a 400; the auth routes outside the command edge ignore If-Match:
      // refresh without a token is a 401, signing out without a session a 204.)
      const answers: Record<string, number> = {
        'POST /api/v1/auth/refresh': 401,
        'POST /api/v1/auth/sign-out': 204,
      };
      for (const operation of operations) {
        const [method, template] = operation.split(' ') as [string, string];
        const path = template
          .replace('{sku}', 'DOC-CHECK')
          .replace('{cartId}', 'not-a-uuid')
          .replace('{orderId}', 'not-a-uuid')
          .replace('{customerId}', 'not-a-uuid')
          .replace('{provider}', 'simulated');
        const response = await api.send(method, path, { headers: { 'if-match': 'W/"0"' } });
        expect([operation, response.status]).toEqual([operation, answers[operation] ?? 400]);
      }
    });
  });

  describe('metrics', () => {
    it('counts commands by type and outcome and exposes the event store visibility lag', async () => {
      ok(await createProduct(), 201);
      const metrics = await fetch(`${api.baseUrl}/metrics`).then((r) => r.text());
      expect(metrics).toMatch(/tally_commands_total\{type="CreateProduct",outcome="appended"[^}]*\} \d+/);
      expect(metrics).toContain('tally_event_store_visibility_lag_seconds');
    });
  });
});
