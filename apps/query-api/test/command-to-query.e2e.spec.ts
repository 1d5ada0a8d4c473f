import type { ProblemDetails } from '@tally/platform';
import type { CartView, ProductView, SearchProductsResult, StockView } from '@tally/read-models';
import {
  authHeader,
  httpRequest,
  type HttpResponse,
  type RunningTally,
  startEmbedded,
  startFull,
} from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { cartSchema } from '../src/carts/carts.schemas';
import { stockSchema } from '../src/inventory/inventory.schemas';
import { productSchema, productSearchResultSchema } from '../src/products/products.schemas';
import { streamEventsPageSchema } from '../src/streams/streams.schemas';

// Command -> query over HTTP against the built processes, in both modes (DESIGN.md §8): embedded (one
// process on PGlite) and full (each app its own process on a fresh PostgreSQL database). No test sleeps
// for a projection: every read carries the Tally-Consistency token of the write it depends on.

// Jest ignores a project's testTimeout (jest.config.js); starting processes takes longer than 5 s.
jest.setTimeout(120_000);

type StreamPage = ReturnType<typeof streamEventsPageSchema.parse>;

/** The later of two consistency tokens (they order as strings). */
const later = (a: string, b: string) => (a > b ? a : b);

describe.each([
  ['embedded', startEmbedded],
  ['full', startFull],
] as const)('Tally in %s mode', (_mode, start) => {
  let running: RunningTally | undefined;
  /** The Tally this suite started (beforeAll throws, with the process output, when it could not start). */
  const tally = (): RunningTally => running!;

  beforeAll(async () => {
    running = await start();
  });

  afterAll(async () => {
    await running?.stop();
  });

  /** Guest carts this suite opened, with the signed token that proves it holds them. */
  const cartTokens = new Map<string, string>();
  /**
   * How the clients of each route authenticate: a shopper with the cart's token on a guest cart it opened,
   * the shop keeper (an admin) on the catalog, stock, streams and operators' routes.
   */
  const credentialsFor = (path: string): Record<string, string> => {
    if (path === '/api/v1/carts') return {};
    const cartId = /^\/api\/v1\/carts\/([^/?]+)/.exec(path)?.[1];
    const cartToken = cartId === undefined ? undefined : cartTokens.get(cartId);
    return cartToken === undefined ? authHeader('admin') : { 'tally-cart-token': cartToken };
  };

  /** Sends a command and returns its response; fails with the process output when it is not a 2xx. */
  const command = async (
    method: 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResponse & { token: string }> => {
    const response = await httpRequest(method, `${tally().commandApi}${path}`, {
      body,
      headers: { ...credentialsFor(path), ...headers },
    });
    if (response.status >= 300) {
      throw new Error(`${method} ${path} -> ${response.status} ${response.text}\n${tally().output()}`);
    }
    const token = response.headers.get('tally-consistency');
    expect(token).toMatch(/\S/);
    const opened = response.body as { cartId?: string; cartToken?: string };
    if (path === '/api/v1/carts' && opened.cartId && opened.cartToken) {
      cartTokens.set(opened.cartId, opened.cartToken);
    }
    return { ...response, token: token ?? '' };
  };

  const query = <Body>(path: string, token?: string) =>
    httpRequest<Body>('GET', `${tally().queryApi}${path}`, {
      headers: { ...credentialsFor(path), ...(token ? { 'tally-consistency': token } : {}) },
    });

  const createPublished = async (
    sku: string,
    fields: { name: string; description: string; category: string; amount: number },
  ) => {
    const created = await command('POST', '/api/v1/products', {
      sku,
      name: fields.name,
      description: fields.description,
      category: fields.category,
      price: { amount: fields.amount, currency: 'EUR' },
      attributes: { colour: 'brass' },
    });
    expect(created.status).toBe(201);
    return command('POST', `/api/v1/products/${sku}/publish`);
  };

  describe('read-your-writes with the consistency token', () => {
    const sku = `LAMP-${randomUUID().slice(0, 8)}`;

    it('shows a published product, its stock and a cart line right after each command', async () => {
      const published = await createPublished(sku, {
        name: 'Brass Desk Lamp',
        description: 'A brass desk lamp with a linen shade',
        category: 'Lighting',
        amount: 4999,
      });

      const product = await query<ProductView>(`/api/v1/products/${sku}`, published.token);
      expect(product.status).toBe(200);
      expect(productSchema.parse(product.body)).toMatchObject({
        sku,
        name: 'Brass Desk Lamp',
        description: 'A brass desk lamp with a linen shade',
        category: 'Lighting',
        price: { amount: 4999, currency: 'EUR' },
        available: 0,
        status: 'published',
      });
      expect(product.headers.get('etag')).toBe('"2"');

      const received = await command('POST', `/api/v1/inventory/${sku}/receipts`, {
        quantity: 12,
        reference: 'DN-1',
      });
      const stock = await query<StockView>(`/api/v1/inventory/${sku}`, received.token);
      expect(stock.status).toBe(200);
      expect(stockSchema.parse(stock.body)).toEqual({
        sku,
        onHand: 12,
        reserved: 0,
        available: 12,
        version: 1,
      });
      expect(stock.headers.get('etag')).toBe('"1"');
      expect((await query<ProductView>(`/api/v1/products/${sku}`, received.token)).body.available).toBe(12);

      const opened = await command('POST', '/api/v1/carts');
      const { cartId } = opened.body as { cartId: string };
      const empty = await query<CartView>(`/api/v1/carts/${cartId}`, opened.token);
      expect(empty.status).toBe(200);
      expect(empty.body).toMatchObject({ cartId, status: 'open', lines: [], version: 1 });

      // command-api prices the line from the catalog read model: the publish token makes it current.
      const added = await command(
        'POST',
        `/api/v1/carts/${cartId}/items`,
        { sku, quantity: 2 },
        { 'tally-consistency': published.token },
      );
      const cart = await query<CartView>(`/api/v1/carts/${cartId}`, added.token);
      expect(cart.status).toBe(200);
      expect(cartSchema.parse(cart.body)).toMatchObject({
        cartId,
        status: 'open',
        lines: [
          {
            sku,
            name: 'Brass Desk Lamp',
            quantity: 2,
            unitPrice: { amount: 4999, currency: 'EUR' },
            lineTotal: { amount: 9998, currency: 'EUR' },
          },
        ],
        total: { amount: 9998, currency: 'EUR' },
        version: 2,
      });
      expect(cart.headers.get('etag')).toBe('"2"');
    });

    it('honours If-Match with the ETag of the cart read', async () => {
      const opened = await command('POST', '/api/v1/carts');
      const { cartId } = opened.body as { cartId: string };
      const published = await query<ProductView>(`/api/v1/products/${sku}`);
      expect(published.body.status).toBe('published');
      const added = await command('POST', `/api/v1/carts/${cartId}/items`, { sku, quantity: 1 });
      const read = await query<CartView>(`/api/v1/carts/${cartId}`, added.token);
      const etag = read.headers.get('etag') ?? '';
      expect(etag).toBe('"2"');

      const changed = await command(
        'PATCH',
        `/api/v1/carts/${cartId}/items/${sku}`,
        { quantity: 3 },
        { 'if-match': etag },
      );
      const stale = await httpRequest<ProblemDetails>(
        'PATCH',
        `${tally().commandApi}/api/v1/carts/${cartId}/items/${sku}`,
        {
          body: { quantity: 4 },
          headers: { ...credentialsFor(`/api/v1/carts/${cartId}`), 'if-match': etag },
        },
      );
      expect(stale.status).toBe(412);
      expect(stale.headers.get('content-type')).toContain('application/problem+json');

      const after = await query<CartView>(`/api/v1/carts/${cartId}`, changed.token);
      expect(after.body.lines).toEqual([expect.objectContaining({ sku, quantity: 3 })]);
      expect(after.body.total).toEqual({ amount: 3 * 4999, currency: 'EUR' });
      expect(after.headers.get('etag')).toBe('"3"');
    });
  });

  describe('product search', () => {
    const run = randomUUID().slice(0, 6).toUpperCase();
    const sku = (name: string) => `${name}-${run}`;
    let token = '';

    beforeAll(async () => {
      const products = [
        { code: 'TEA1', name: 'Zephyr Teapot', category: 'Teaware', amount: 1500, stock: 5 },
        { code: 'TEA2', name: 'Zephyr Tea Cup', category: 'Teaware', amount: 2500, stock: 0 },
        { code: 'TEA3', name: 'Zephyr Kettle', category: 'Teaware', amount: 7500, stock: 20 },
        { code: 'CAN1', name: 'Zephyr Candle', category: 'Candles', amount: 999, stock: 3 },
        { code: 'CAN2', name: 'Zephyr Lantern', category: 'Candles', amount: 25000, stock: 1 },
      ];
      for (const product of products) {
        const published = await createPublished(sku(product.code), {
          name: product.name,
          description: `Part of the zephyr collection: a ${product.name.toLowerCase()}`,
          category: product.category,
          amount: product.amount,
        });
        token = later(token, published.token);
        if (product.stock > 0) {
          const received = await command('POST', `/api/v1/inventory/${sku(product.code)}/receipts`, {
            quantity: product.stock,
          });
          token = later(token, received.token);
        }
      }
      // A draft is not listed.
      const draft = await command('POST', '/api/v1/products', {
        sku: sku('CAN3'),
        name: 'Zephyr Draft Candle',
        description: 'Part of the zephyr collection, not published yet',
        category: 'Candles',
        price: { amount: 1200, currency: 'EUR' },
      });
      token = later(token, draft.token);
    });

    const search = async (params: string) => {
      const response = await query<SearchProductsResult>(`/api/v1/products?${params}`, token);
      expect(response.status).toBe(200);
      return productSearchResultSchema.parse(response.body);
    };
    const bandCounts = (result: SearchProductsResult) => result.facets.priceBands.map((band) => band.count);

    it('finds by words and counts facets by category and price band', async () => {
      const result = await search('q=zephyr');
      expect(result.total).toBe(5);
      expect(result.items.map((item) => item.sku).sort()).toEqual(
        ['CAN1', 'CAN2', 'TEA1', 'TEA2', 'TEA3'].map(sku).sort(),
      );
      expect(result.facets.categories).toEqual([
        { value: 'Teaware', count: 3 },
        { value: 'Candles', count: 2 },
      ]);
      expect(bandCounts(result)).toEqual([2, 1, 1, 0, 1]);
      expect((await search('q=kettle')).items.map((item) => item.sku)).toEqual([sku('TEA3')]);
    });

    it('filters by category without filtering the category facet', async () => {
      const result = await search('q=zephyr&category=Candles');
      expect(result.total).toBe(2);
      expect(result.items.every((item) => item.category === 'Candles')).toBe(true);
      expect(result.facets.categories).toEqual([
        { value: 'Teaware', count: 3 },
        { value: 'Candles', count: 2 },
      ]);
      expect(bandCounts(result)).toEqual([1, 0, 0, 0, 1]);
    });

    it('filters by price (min inclusive, max exclusive) and stock', async () => {
      const priced = await search('q=zephyr&minPrice=2500&maxPrice=25000');
      expect(priced.items.map((item) => item.sku).sort()).toEqual([sku('TEA2'), sku('TEA3')]);
      expect(priced.facets.categories).toEqual([{ value: 'Teaware', count: 2 }]);
      expect(bandCounts(priced)).toEqual([2, 1, 1, 0, 1]);

      const inStock = await search('q=zephyr&inStock=true');
      expect(inStock.total).toBe(4);
      expect(inStock.items.map((item) => item.sku)).not.toContain(sku('TEA2'));
    });

    it('sorts and pages', async () => {
      const page = await search('q=zephyr&sort=price_asc&pageSize=2&page=2');
      expect(page).toMatchObject({ total: 5, page: 2, pageSize: 2 });
      expect(page.items.map((item) => item.price.amount)).toEqual([2500, 7500]);
    });
  });

  describe('stream history', () => {
    it('returns full envelopes, paged with fromVersion and limit', async () => {
      const sku = `HIST-${randomUUID().slice(0, 8)}`;
      const published = await createPublished(sku, {
        name: 'History Lamp',
        description: 'For the auditor',
        category: 'Lighting',
        amount: 1000,
      });
      expect(published.status).toBe(200);

      const first = await query<StreamPage>(`/api/v1/streams/product-${sku}/events?limit=1`);
      expect(first.status).toBe(200);
      const page = streamEventsPageSchema.parse(first.body);
      expect(page).toMatchObject({
        streamId: `product-${sku}`,
        fromVersion: 1,
        limit: 1,
        nextFromVersion: 2,
      });
      // The schema checked every field's type; the raw body must carry exactly the envelope of DESIGN.md §3.
      const [raw] = first.body.events;
      expect(Object.keys(raw ?? {}).sort()).toEqual([
        'data',
        'eventId',
        'metadata',
        'position',
        'recordedAt',
        'streamId',
        'type',
        'version',
      ]);
      expect(Object.keys(raw?.metadata ?? {}).sort()).toEqual([
        'actor',
        'causationId',
        'commandId',
        'correlationId',
        'occurredAt',
        'schemaVersion',
      ]);
      expect(page.events[0]).toMatchObject({
        streamId: `product-${sku}`,
        version: 1,
        type: 'ProductCreated',
        data: { sku, name: 'History Lamp' },
        metadata: { schemaVersion: 1 },
      });

      const second = await query<StreamPage>(page.next ?? '');
      expect(second.body.events.map((event) => [event.version, event.type])).toEqual([
        [2, 'ProductPublished'],
      ]);
      expect(second.body.events[0]?.position).toBe(published.token);
      expect(second.body.nextFromVersion).toBeNull();

      const all = await query<StreamPage>(`/api/v1/streams/product-${sku}/events`);
      expect(all.body.events).toHaveLength(2);
      expect(all.body.next).toBeNull();
    });
  });

  describe('bad input', () => {
    const expectProblem = (
      response: HttpResponse,
      status: number,
      fields: readonly string[] = [],
    ): ProblemDetails => {
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const problem = response.body as ProblemDetails;
      expect(problem.status).toBe(status);
      expect(problem.type).toMatch(/^urn:tally:problem:/);
      expect(problem.title).toMatch(/\S/);
      expect(response.text).not.toMatch(/\bat .+\.(js|ts):\d+/);
      expect((problem.errors ?? []).map((error) => error.field).sort()).toEqual([...fields].sort());
      return problem;
    };

    it.each([
      ['pageSize=0', ['query.pageSize']],
      ['pageSize=101', ['query.pageSize']],
      ['page=0', ['query.page']],
      ['page=abc', ['query.page']],
      ['minPrice=-1', ['query.minPrice']],
      ['maxPrice=1.5', ['query.maxPrice']],
      ['minPrice=5000&maxPrice=2000', ['query.maxPrice']],
      ['inStock=yes', ['query.inStock']],
      ['sort=cheapest', ['query.sort']],
      ['colour=red', ['query.colour']],
      ['q=a&q=b', ['query.q']],
      ['pageSize=0&page=-1&sort=x&bogus=1', ['query.pageSize', 'query.page', 'query.sort', 'query.bogus']],
    ])('rejects GET /products?%s naming each bad parameter', async (params, fields) => {
      expectProblem(await query(`/api/v1/products?${params}`), 400, fields);
    });

    it('answers unknown SKUs and carts with 404 problems', async () => {
      const sku = `NOPE-${randomUUID().slice(0, 8)}`;
      expect(expectProblem(await query(`/api/v1/products/${sku}`), 404).code).toBe('PRODUCT_NOT_FOUND');
      expect(expectProblem(await query(`/api/v1/inventory/${sku}`), 404).code).toBe('STOCK_NOT_FOUND');
      expect(expectProblem(await query(`/api/v1/carts/${randomUUID()}`), 404).code).toBe('CART_NOT_FOUND');
      expect(expectProblem(await query(`/api/v1/streams/cart-${randomUUID()}/events`), 404).code).toBe(
        'STREAM_NOT_FOUND',
      );
    });

    it('rejects ids that cannot exist with 400 problems naming the path parameter', async () => {
      expectProblem(await query('/api/v1/carts/not-a-uuid'), 400, ['path.cartId']);
      expectProblem(await query('/api/v1/products/bad%20sku'), 400, ['path.sku']);
      expectProblem(await query(`/api/v1/inventory/${'X'.repeat(65)}`), 400, ['path.sku']);
      expectProblem(await query('/api/v1/streams/nodash/events'), 400, ['path.streamId']);
    });

    it('rejects bad stream paging', async () => {
      const stream = `/api/v1/streams/cart-${randomUUID()}/events`;
      expectProblem(await query(`${stream}?limit=0`), 400, ['query.limit']);
      expectProblem(await query(`${stream}?limit=501`), 400, ['query.limit']);
      expectProblem(await query(`${stream}?fromVersion=0&after=1`), 400, [
        'query.fromVersion',
        'query.after',
      ]);
    });

    it('rejects a malformed consistency token and times out on one from the future', async () => {
      expectProblem(await query('/api/v1/products', 'not a token!'), 400, ['header.Tally-Consistency']);
      const started = Date.now();
      const future = await query('/api/v1/products', '99999999999999999999.99999999999999999999');
      expect(expectProblem(future, 503).code).toBe('CONSISTENCY_TIMEOUT');
      expect(future.headers.get('retry-after')).toBe('1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });

  describe('operations', () => {
    it('serves /healthz, /readyz and /metrics on every app', async () => {
      for (const base of [tally().commandApi, tally().queryApi, tally().projectors, tally().sagas]) {
        const health = await httpRequest<{ status: string }>('GET', `${base}/healthz`);
        expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
        const ready = await httpRequest<{ status: string; checks: { name: string; status: string }[] }>(
          'GET',
          `${base}/readyz`,
        );
        expect(ready.status).toBe(200);
        expect(ready.body.status).toBe('ready');
        expect(ready.body.checks).toContainEqual({ name: 'database', status: 'ok' });
        const metrics = await httpRequest('GET', `${base}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.text).toContain('process_cpu_seconds_total');
      }
      const projectorMetrics = (await httpRequest('GET', `${tally().projectors}/metrics`)).text;
      for (const projection of ['catalog', 'stock', 'carts']) {
        expect(projectorMetrics).toMatch(
          new RegExp(`tally_projection_lag_events\\{[^}]*projection="${projection}"`),
        );
        expect(projectorMetrics).toMatch(
          new RegExp(`tally_projection_poison_events_recorded\\{[^}]*projection="${projection}"`),
        );
      }
      expect(projectorMetrics).toContain('tally_projection_poison_events_total');
      const ready = await httpRequest<{ checks: { name: string }[] }>('GET', `${tally().projectors}/readyz`);
      expect(ready.body.checks.map((check) => check.name)).toContain('projections');
    });

    it('lists projections with checkpoint and lag', async () => {
      const response = await httpRequest<{
        items: { name: string; state: string; checkpoint: string; lag: { events: number } }[];
      }>('GET', `${tally().projectors}/api/v1/projections`, { headers: authHeader('admin') });
      expect(response.status).toBe(200);
      expect(response.body.items.map((item) => item.name)).toEqual([
        'catalog',
        'stock',
        'carts',
        'orders',
        'customers',
        'warehouse',
      ]);
      for (const item of response.body.items) {
        expect(item.state).toBe('running');
        expect(typeof item.checkpoint).toBe('string');
        expect(item.lag.events).toBeGreaterThanOrEqual(0);
      }
    });

    it('lists the checkout process manager on the sagas app, running', async () => {
      const response = await httpRequest<{ items: { name: string; state: string }[] }>(
        'GET',
        `${tally().sagas}/api/v1/process-managers`,
        { headers: authHeader('admin') },
      );
      expect(response.status).toBe(200);
      expect(response.body.items).toEqual([
        expect.objectContaining({ name: 'checkout', consumer: 'checkout', state: 'running' }),
      ]);
    });

    it('serves the query API as OpenAPI 3.1', async () => {
      const docs = await httpRequest<{ openapi: string; paths: Record<string, unknown> }>(
        'GET',
        `${tally().queryApi}/api/docs`,
      );
      expect(docs.status).toBe(200);
      expect(docs.body.openapi).toBe('3.1.0');
      expect(Object.keys(docs.body.paths).sort()).toEqual([
        '/api/v1/audit/correlations/{correlationId}',
        '/api/v1/audit/events',
        '/api/v1/audit/integrity',
        '/api/v1/audit/streams/{streamId}',
        '/api/v1/audit/streams/{streamId}/state',
        '/api/v1/audit/streams/{streamId}/state/diff',
        '/api/v1/carts/{cartId}',
        '/api/v1/categories',
        '/api/v1/customers',
        '/api/v1/customers/me',
        '/api/v1/customers/me/cart',
        '/api/v1/inventory/{sku}',
        '/api/v1/orders',
        '/api/v1/orders/{orderId}',
        '/api/v1/products',
        '/api/v1/products/suggestions',
        '/api/v1/products/{sku}',
        '/api/v1/shipping-methods',
        '/api/v1/streams/{streamId}/events',
        '/api/v1/warehouse/metrics/{metric}',
      ]);
    });
  });
});
