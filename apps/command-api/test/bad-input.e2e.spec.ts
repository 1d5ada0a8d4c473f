import { type CommandApiUnderTest, type SendOptions, startCommandApi } from './command-api.harness';

/**
 * The bad-input contract (issue 2): every endpoint answers malformed JSON, unknown fields, missing fields,
 * zero/negative/non-integer/huge numbers, unknown SKUs or carts, ids that are not UUIDs and bodies over
 * 100 kB with a 4xx problem naming the field, and writes no event.
 */

interface BadRequest {
  readonly name: string;
  readonly status: number;
  /** The field `errors[]` must name. */
  readonly field: string;
  readonly code?: string;
  /** Overrides the endpoint's path. */
  readonly path?: string;
  readonly send: SendOptions;
}

interface Endpoint {
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** A body that would be accepted; undefined for endpoints without one. */
  readonly valid?: Record<string, unknown>;
  /** Whether a request without a body is bad (`(body)` is required). */
  readonly bodyRequired: boolean;
  readonly cases: readonly BadRequest[];
}

const SKU = 'E2E-TEE'; // published, 10 units in stock, one unit in the cart
const DRAFT_SKU = 'E2E-DRAFT'; // created, never published
const UNKNOWN_SKU = 'E2E-NOPE';
const UNKNOWN_CART = '01939c5e-7e4b-7c3a-9d1e-3f5a2b8c4d6e';
const MAX_PRICE = 100_000_000_00;
const tooLarge = JSON.stringify({ padding: 'x'.repeat(101 * 1024) });

/** Body-field cases: each value of `field` replaced (or removed, with `undefined`) in the valid body. */
function fieldCases(
  valid: Record<string, unknown>,
  field: string,
  values: readonly (readonly [string, unknown])[],
): BadRequest[] {
  return values.map(([label, value]) => ({
    name: `${field} ${label}`,
    status: 400,
    field,
    code: 'VALIDATION_FAILED',
    send: { json: withField(valid, field, value) },
  }));
}

function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const others = Object.fromEntries(Object.entries(body).filter(([key]) => key !== head));
  if (rest.length > 0) {
    return {
      ...others,
      [head]: withField((body[head] ?? {}) as Record<string, unknown>, rest.join('.'), value),
    };
  }
  return value === undefined ? others : { ...others, [head]: value };
}

const missing = ['missing', undefined] as const;
const quantityValues = (max: number) =>
  [
    ['zero', 0],
    ['negative', -1],
    ['non-integer', 1.5],
    ['above the maximum', max + 1],
    ['huge', 1e300],
    ['a string', '2'],
    ['null', null],
    missing,
  ] as const;

const validProduct = {
  sku: 'E2E-NEW',
  name: 'New tee',
  description: 'A new tee',
  price: { amount: 1999, currency: 'EUR' },
  category: 'shirts',
};

function productPathCases(suffix: string, send: SendOptions = {}): BadRequest[] {
  return [
    {
      name: 'a malformed SKU in the path',
      status: 400,
      field: 'path.sku',
      path: `/api/v1/products/-bad%20sku${suffix}`,
      send,
    },
    {
      name: 'an unknown SKU',
      status: 404,
      field: 'path.sku',
      code: 'PRODUCT_NOT_FOUND',
      path: `/api/v1/products/${UNKNOWN_SKU}${suffix}`,
      send,
    },
  ];
}

const endpoints: readonly Endpoint[] = [
  {
    method: 'POST',
    path: '/api/v1/products',
    valid: validProduct,
    bodyRequired: true,
    cases: [
      ...fieldCases(validProduct, 'sku', [
        ['empty', ''],
        ['with a space', 'a b'],
        ['starting with a dash', '-a'],
        ['too long', 'a'.repeat(65)],
        ['a number', 42],
        missing,
      ]),
      ...fieldCases(validProduct, 'name', [
        ['empty', ''],
        ['blank', '   '],
        ['too long', 'n'.repeat(201)],
        ['a number', 1],
        missing,
      ]),
      ...fieldCases(validProduct, 'description', [missing, ['empty', '']]),
      ...fieldCases(validProduct, 'category', [missing, ['blank', ' ']]),
      ...fieldCases(validProduct, 'price', [missing, ['a number', 1999]]),
      ...fieldCases(validProduct, 'price.amount', [
        ['zero', 0],
        ['negative', -100],
        ['non-integer', 19.99],
        ['above the maximum', MAX_PRICE + 1],
        ['huge', 1e20],
        ['a string', '1999'],
        missing,
      ]),
      ...fieldCases(validProduct, 'price.currency', [
        ['lower case', 'eur'],
        ['four letters', 'EURO'],
        missing,
      ]),
      ...fieldCases(validProduct, 'attributes.color', [['a number', 5]]),
      ...fieldCases(validProduct, 'images.0', [['empty', '']]).map((c) => ({
        ...c,
        send: { json: { ...validProduct, images: [''] } },
      })),
      {
        name: 'an existing SKU',
        status: 409,
        field: 'sku',
        code: 'PRODUCT_ALREADY_EXISTS',
        send: { json: { ...validProduct, sku: SKU } },
      },
    ],
  },
  {
    method: 'PATCH',
    path: `/api/v1/products/${SKU}`,
    valid: { name: 'Renamed' },
    bodyRequired: true,
    cases: [
      { name: 'no change at all', status: 400, field: '(body)', send: { json: {} } },
      ...fieldCases({ name: 'Renamed' }, 'name', [
        ['empty', ''],
        ['too long', 'n'.repeat(201)],
      ]),
      ...fieldCases({ name: 'Renamed' }, 'category', [['a number', 7]]),
      ...productPathCases('', { json: { name: 'Renamed' } }),
    ],
  },
  {
    method: 'PATCH',
    path: `/api/v1/products/${SKU}/price`,
    valid: { price: { amount: 2999, currency: 'EUR' } },
    bodyRequired: true,
    cases: [
      ...fieldCases({ price: { amount: 2999, currency: 'EUR' } }, 'price.amount', [
        ['zero', 0],
        ['negative', -1],
        ['non-integer', 29.99],
        ['above the maximum', MAX_PRICE + 1],
        ['huge', 1e300],
        missing,
      ]),
      ...fieldCases({ price: { amount: 2999, currency: 'EUR' } }, 'price.currency', [['lower case', 'usd']]),
      ...fieldCases({ price: { amount: 2999, currency: 'EUR' } }, 'price', [missing]),
      {
        name: 'another currency than the product',
        status: 422,
        field: 'price.currency',
        code: 'PRODUCT_PRICE_CURRENCY_MISMATCH',
        send: { json: { price: { amount: 2999, currency: 'USD' } } },
      },
      ...productPathCases('/price', { json: { price: { amount: 2999, currency: 'EUR' } } }),
    ],
  },
  ...['publish', 'unpublish', 'discontinue'].map((action): Endpoint => ({
    method: 'POST',
    path: `/api/v1/products/${SKU}/${action}`,
    bodyRequired: false,
    cases: productPathCases(`/${action}`),
  })),
  {
    method: 'POST',
    path: `/api/v1/inventory/${SKU}/receipts`,
    valid: { quantity: 5 },
    bodyRequired: true,
    cases: [
      ...fieldCases({ quantity: 5 }, 'quantity', quantityValues(1_000_000)),
      ...fieldCases({ quantity: 5 }, 'reference', [
        ['empty', ''],
        ['too long', 'r'.repeat(101)],
      ]),
      {
        name: 'a malformed SKU in the path',
        status: 400,
        field: 'path.sku',
        path: '/api/v1/inventory/a%20b/receipts',
        send: { json: { quantity: 5 } },
      },
      {
        name: 'an unknown SKU',
        status: 422,
        field: 'path.sku',
        code: 'UNKNOWN_SKU',
        path: `/api/v1/inventory/${UNKNOWN_SKU}/receipts`,
        send: { json: { quantity: 5 } },
      },
    ],
  },
  {
    method: 'POST',
    path: `/api/v1/inventory/${SKU}/adjustments`,
    valid: { delta: -1, reason: 'count' },
    bodyRequired: true,
    cases: [
      ...fieldCases({ delta: -1, reason: 'count' }, 'delta', [
        ['zero', 0],
        ['non-integer', -1.5],
        ['below the minimum', -1_000_001],
        ['above the maximum', 1_000_001],
        ['huge', -1e300],
        ['a string', '-1'],
        missing,
      ]),
      ...fieldCases({ delta: -1, reason: 'count' }, 'reason', [
        ['empty', ''],
        ['blank', '  '],
        ['too long', 'r'.repeat(501)],
        missing,
      ]),
      {
        name: 'taking more than is available',
        status: 409,
        field: 'delta',
        code: 'INSUFFICIENT_STOCK',
        send: { json: { delta: -1_000_000, reason: 'count' } },
      },
      {
        name: 'an unknown SKU',
        status: 422,
        field: 'path.sku',
        code: 'UNKNOWN_SKU',
        path: `/api/v1/inventory/${UNKNOWN_SKU}/adjustments`,
        send: { json: { delta: 1, reason: 'found' } },
      },
    ],
  },
  {
    method: 'POST',
    path: '/api/v1/carts',
    valid: { currency: 'EUR' },
    bodyRequired: false,
    cases: [
      ...fieldCases({ currency: 'EUR' }, 'currency', [
        ['lower case', 'eur'],
        ['a number', 978],
      ]),
      ...fieldCases({ currency: 'EUR' }, 'customerId', [
        ['not a UUID', 'customer-1'],
        ['a number', 1],
      ]),
    ],
  },
];

// Endpoints whose path holds the cart (filled in once the fixture cart exists).
function cartEndpoints(cartId: string): Endpoint[] {
  const items = `/api/v1/carts/${cartId}/items`;
  const cartIdCases = (suffix: string, send: SendOptions): BadRequest[] => [
    {
      name: 'a cart id that is not a UUID',
      status: 400,
      field: 'path.cartId',
      path: `/api/v1/carts/cart-1${suffix}`,
      send,
    },
    {
      name: 'an unknown cart',
      status: 404,
      field: 'path.cartId',
      code: 'CART_NOT_FOUND',
      path: `/api/v1/carts/${UNKNOWN_CART}${suffix}`,
      send,
    },
  ];
  return [
    {
      method: 'POST',
      path: items,
      valid: { sku: SKU, quantity: 1 },
      bodyRequired: true,
      cases: [
        ...fieldCases({ sku: SKU, quantity: 1 }, 'quantity', quantityValues(99)),
        ...fieldCases({ sku: SKU, quantity: 1 }, 'sku', [['malformed', 'a b'], missing]),
        {
          name: 'an unknown SKU',
          status: 422,
          field: 'sku',
          code: 'UNKNOWN_SKU',
          send: { json: { sku: UNKNOWN_SKU, quantity: 1 } },
        },
        {
          name: 'a product that is not published',
          status: 409,
          field: 'sku',
          code: 'PRODUCT_NOT_AVAILABLE',
          send: { json: { sku: DRAFT_SKU, quantity: 1 } },
        },
        {
          name: 'a line above 99 units',
          status: 409,
          field: 'quantity',
          code: 'CART_LINE_QUANTITY_EXCEEDED',
          send: { json: { sku: SKU, quantity: 99 } },
        },
        ...cartIdCases('/items', { json: { sku: SKU, quantity: 1 } }),
      ],
    },
    {
      method: 'PATCH',
      path: `${items}/${SKU}`,
      valid: { quantity: 2 },
      bodyRequired: true,
      cases: [
        ...fieldCases({ quantity: 2 }, 'quantity', quantityValues(99)),
        {
          name: 'a malformed SKU in the path',
          status: 400,
          field: 'path.sku',
          path: `${items}/a%20b`,
          send: { json: { quantity: 2 } },
        },
        {
          name: 'a SKU that is not in the cart',
          status: 404,
          field: 'path.sku',
          code: 'CART_LINE_NOT_FOUND',
          path: `${items}/${DRAFT_SKU}`,
          send: { json: { quantity: 2 } },
        },
        ...cartIdCases(`/items/${SKU}`, { json: { quantity: 2 } }),
      ],
    },
    {
      method: 'DELETE',
      path: `${items}/${SKU}`,
      bodyRequired: false,
      cases: [
        {
          name: 'a malformed SKU in the path',
          status: 400,
          field: 'path.sku',
          path: `${items}/-x`,
          send: {},
        },
        {
          name: 'a SKU that is not in the cart',
          status: 404,
          field: 'path.sku',
          code: 'CART_LINE_NOT_FOUND',
          path: `${items}/${DRAFT_SKU}`,
          send: {},
        },
        ...cartIdCases(`/items/${SKU}`, {}),
      ],
    },
    { method: 'DELETE', path: items, bodyRequired: false, cases: cartIdCases('/items', {}) },
  ];
}

/** Cases every endpoint gets: broken bodies and broken command headers. */
function commonCases(endpoint: Endpoint): BadRequest[] {
  const valid = endpoint.valid === undefined ? {} : { json: endpoint.valid };
  const cases: BadRequest[] = [
    {
      name: 'malformed JSON',
      status: 400,
      field: '(body)',
      code: 'MALFORMED_JSON',
      send: { raw: '{"quantity": 1,' },
    },
    {
      name: 'a prototype-poisoning body',
      status: 400,
      field: '(body)',
      code: 'MALFORMED_JSON',
      send: { raw: '{"__proto__": {"admin": true}}' },
    },
    {
      name: 'a text/plain body',
      status: 415,
      field: 'header.Content-Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      send: { raw: 'quantity=1', contentType: 'text/plain' },
    },
    {
      name: 'a form body',
      status: 415,
      field: 'header.Content-Type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      send: { raw: 'quantity=1', contentType: 'application/x-www-form-urlencoded' },
    },
    {
      name: 'a body over 100 kB',
      status: 413,
      field: '(body)',
      code: 'BODY_TOO_LARGE',
      send: { raw: tooLarge },
    },
    {
      name: 'an unknown field',
      status: 400,
      field: 'bogus',
      code: 'VALIDATION_FAILED',
      send: { json: { ...endpoint.valid, bogus: true } },
    },
    { name: 'a JSON array', status: 400, field: '(body)', send: { json: [endpoint.valid ?? {}] } },
    { name: 'JSON null', status: 400, field: '(body)', send: { raw: 'null' } },
    {
      name: 'a weak If-Match',
      status: 400,
      field: 'header.If-Match',
      send: { ...valid, headers: { 'if-match': 'W/"1"' } },
    },
    {
      name: 'an If-Match that is not a version',
      status: 400,
      field: 'header.If-Match',
      send: { ...valid, headers: { 'if-match': '"abc"' } },
    },
    {
      name: 'an Idempotency-Key over 255 characters',
      status: 400,
      field: 'header.Idempotency-Key',
      send: { ...valid, headers: { 'idempotency-key': 'k'.repeat(256) } },
    },
    {
      name: 'a malformed Tally-Consistency',
      status: 400,
      field: 'header.Tally-Consistency',
      send: { ...valid, headers: { 'tally-consistency': 'latest' } },
    },
  ];
  if (endpoint.bodyRequired) {
    cases.push({ name: 'no body', status: 400, field: '(body)', send: {} });
    cases.push({ name: 'an empty JSON body', status: 400, field: '(body)', send: { raw: '' } });
  }
  return cases;
}

jest.setTimeout(120_000);

describe('command-api bad input', () => {
  let api: CommandApiUnderTest;
  let cartId: string;

  beforeAll(async () => {
    api = await startCommandApi();
    const ok = async (method: string, path: string, json?: unknown) => {
      const response = await api.send(method, path, json === undefined ? {} : { json });
      if (response.status >= 300) throw new Error(`${method} ${path}: ${JSON.stringify(response.body)}`);
      return response;
    };
    await ok('POST', '/api/v1/products', { ...validProduct, sku: SKU });
    await ok('POST', '/api/v1/products', { ...validProduct, sku: DRAFT_SKU });
    const published = await ok('POST', `/api/v1/products/${SKU}/publish`);
    await ok('POST', `/api/v1/inventory/${SKU}/receipts`, { quantity: 10 });
    await api.catalogReached(published.headers.get('tally-consistency') ?? '');
    cartId = ((await ok('POST', '/api/v1/carts')).body as { cartId: string }).cartId;
    await ok('POST', `/api/v1/carts/${cartId}/items`, { sku: SKU, quantity: 1 });
  });

  afterAll(async () => {
    await api.stop();
  });

  // Built lazily: the cart endpoints need the fixture cart's id.
  const table = () =>
    [...endpoints, ...cartEndpoints(cartId)].flatMap((endpoint) =>
      [...commonCases(endpoint), ...endpoint.cases].map((bad) => ({ endpoint, bad })),
    );

  it('covers every endpoint with every kind of bad input', () => {
    const routes = new Set(table().map(({ endpoint }) => `${endpoint.method} ${endpoint.path}`));
    expect(routes.size).toBe(13);
    expect(table().length).toBeGreaterThan(250);
  });

  it('answers each bad request with a problem naming the field, and writes no event', async () => {
    const failures: string[] = [];
    for (const { endpoint, bad } of table()) {
      const label = `${endpoint.method} ${bad.path ?? endpoint.path} with ${bad.name}`;
      const before = await api.eventCount();
      const response = await api.send(endpoint.method, bad.path ?? endpoint.path, bad.send);
      const after = await api.eventCount();
      const fields = (response.body.errors ?? []).map((e) => e.field);
      const problems = [
        response.status !== bad.status && `status ${response.status}, expected ${bad.status}`,
        !response.headers.get('content-type')?.startsWith('application/problem+json') &&
          `content type ${response.headers.get('content-type')}`,
        !fields.includes(bad.field) && `errors name ${JSON.stringify(fields)}, expected ${bad.field}`,
        bad.code !== undefined &&
          response.body.code !== bad.code &&
          `code ${String(response.body.code)}, expected ${bad.code}`,
        after !== before && `${after - before} event(s) written`,
        JSON.stringify(response.body).includes('    at ') && 'a stack trace in the body',
      ].filter(Boolean);
      if (problems.length > 0)
        failures.push(`${label}: ${problems.join('; ')} -- ${JSON.stringify(response.body)}`);
    }
    expect(failures).toEqual([]);
  });

  it('names every bad field of one request at once', async () => {
    const response = await api.send('POST', '/api/v1/carts/not-a-uuid/items', {
      json: { sku: 'a b', quantity: 0, bogus: 1 },
    });
    expect(response.status).toBe(400);
    expect((response.body.errors ?? []).map((e) => e.field).sort()).toEqual([
      'bogus',
      'path.cartId',
      'quantity',
      'sku',
    ]);
  });
});
