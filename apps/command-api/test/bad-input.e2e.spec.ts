import Stripe from 'stripe';
import { type CommandApiUnderTest, type SendOptions, startCommandApi } from './command-api.harness';

/**
 * The bad-input contract (issues 2 and 3): every endpoint answers malformed JSON, unknown fields, missing
 * fields, zero/negative/non-integer/huge numbers, unknown SKUs, carts or orders, ids that are not UUIDs and
 * bodies over 100 kB with a 4xx problem naming the field, and writes no event. Checkout also refuses empty,
 * unknown and checked-out carts, malformed emails and addresses and unknown shipping methods; the payment
 * webhook refuses bad signatures and replayed timestamps.
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
  /** A provider's webhook: signed raw body instead of JSON and command headers (its own common cases). */
  readonly webhook?: boolean;
  readonly cases: readonly BadRequest[];
}

const SKU = 'E2E-TEE'; // published, 10 units in stock, one unit in the cart
const DRAFT_SKU = 'E2E-DRAFT'; // created, never published
const UNKNOWN_SKU = 'E2E-NOPE';
const UNKNOWN_CART = '01939c5e-7e4b-7c3a-9d1e-3f5a2b8c4d6e';
const UNKNOWN_ORDER = '01939c5e-7e4b-7c3a-9d1e-3f5a2b8c4d6f';
const WEBHOOK_SECRET = 'whsec_e2e_bad_input';
// Only the SDK's signing helper is used: no request reaches Stripe.
const stripe = new Stripe('sk_test_tally_e2e_signing_only');
const MAX_PRICE = 100_000_000_00;
const tooLarge = JSON.stringify({ padding: 'x'.repeat(101 * 1024) });

/** A payment outcome as the simulated provider reports it (for a payment that does not exist here). */
const webhookEvent = JSON.stringify({
  id: 'evt_sim_e2e',
  object: 'event',
  type: 'payment.authorized',
  created: Math.floor(Date.now() / 1000),
  data: {
    paymentId: UNKNOWN_ORDER,
    orderId: UNKNOWN_ORDER,
    providerPaymentId: 'pi_sim_e2e',
    amount: { amount: 5288, currency: 'EUR' },
  },
});

const signature = (payload: string, secret = WEBHOOK_SECRET, secondsAgo = 0) =>
  stripe.webhooks.generateTestHeaderString({
    payload,
    secret,
    timestamp: Math.floor(Date.now() / 1000) - secondsAgo,
  });

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
  ...orderEndpoints(),
  webhookEndpoint(),
];

// Order commands: no order exists in this run (orders are placed by the checkout process), so an
// otherwise valid request names the unknown order.
function orderEndpoints(): Endpoint[] {
  const orderIdCases = (suffix: string, send: SendOptions): BadRequest[] => [
    {
      name: 'an order id that is not a UUID',
      status: 400,
      field: 'path.orderId',
      path: `/api/v1/orders/order-1${suffix}`,
      send,
    },
    {
      name: 'an unknown order',
      status: 404,
      field: 'path.orderId',
      code: 'ORDER_NOT_FOUND',
      path: `/api/v1/orders/${UNKNOWN_ORDER}${suffix}`,
      send,
    },
  ];
  const validRefund = { amount: { amount: 500, currency: 'EUR' }, reason: 'Damaged' };
  const validShipment = { carrier: 'DHL', trackingNumber: '0034043416' };
  return [
    ...['cancel', 'deliver'].map((action): Endpoint => ({
      method: 'POST',
      path: `/api/v1/orders/${UNKNOWN_ORDER}/${action}`,
      bodyRequired: false,
      cases: orderIdCases(`/${action}`, {}),
    })),
    {
      method: 'POST',
      path: `/api/v1/orders/${UNKNOWN_ORDER}/ship`,
      valid: validShipment,
      bodyRequired: false,
      cases: [
        ...fieldCases(validShipment, 'carrier', [
          ['empty', ''],
          ['too long', 'c'.repeat(101)],
          ['a number', 1],
        ]),
        ...fieldCases(validShipment, 'trackingNumber', [['too long', 't'.repeat(101)]]),
        ...orderIdCases('/ship', { json: validShipment }),
      ],
    },
    {
      method: 'POST',
      path: `/api/v1/orders/${UNKNOWN_ORDER}/refunds`,
      valid: validRefund,
      bodyRequired: true,
      cases: [
        ...fieldCases(validRefund, 'amount', [missing, ['a number', 500]]),
        ...fieldCases(validRefund, 'amount.amount', [
          ['zero', 0],
          ['negative', -1],
          ['non-integer', 4.5],
          ['huge', 1e300],
          ['a string', '500'],
          missing,
        ]),
        ...fieldCases(validRefund, 'amount.currency', [['lower case', 'eur'], missing]),
        ...fieldCases(validRefund, 'reason', [['empty', ''], ['too long', 'r'.repeat(501)], missing]),
        ...orderIdCases('/refunds', { json: validRefund }),
      ],
    },
  ];
}

// The webhook reads its body as signed bytes: every refusal comes from the signature, the size limit, the
// media type or the provider in the path, and none records anything.
function webhookEndpoint(): Endpoint {
  const bad = (
    name: string,
    send: SendOptions,
    status = 400,
    code = 'WEBHOOK_SIGNATURE_INVALID',
  ): BadRequest => ({
    name,
    status,
    field: status === 400 ? 'header.Stripe-Signature' : '(body)',
    code,
    send,
  });
  return {
    method: 'POST',
    path: '/api/v1/payments/webhooks/simulated',
    bodyRequired: true,
    webhook: true,
    cases: [
      bad('no signature', { raw: webhookEvent }),
      bad('no body and no signature', {}),
      bad('malformed JSON without a signature', { raw: '{"id":' }),
      bad('a signature made with another secret', {
        raw: webhookEvent,
        headers: { 'stripe-signature': signature(webhookEvent, 'whsec_someone_else') },
      }),
      bad('a malformed signature header', { raw: webhookEvent, headers: { 'stripe-signature': 'v1=abc' } }),
      bad('a body changed after signing', {
        raw: webhookEvent.replace('5288', '1'),
        headers: { 'stripe-signature': signature(webhookEvent) },
      }),
      bad(
        'a replayed timestamp (signed 10 minutes ago)',
        { raw: webhookEvent, headers: { 'stripe-signature': signature(webhookEvent, WEBHOOK_SECRET, 600) } },
        400,
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      ),
      {
        name: 'a correctly signed body that is not an event',
        status: 400,
        field: '(body)',
        code: 'WEBHOOK_PAYLOAD_INVALID',
        send: { raw: '{"id":', headers: { 'stripe-signature': signature('{"id":') } },
      },
      {
        name: 'a text/plain body',
        status: 415,
        field: 'header.Content-Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        send: { raw: webhookEvent, contentType: 'text/plain' },
      },
      {
        name: 'a body over 100 kB',
        status: 413,
        field: '(body)',
        code: 'BODY_TOO_LARGE',
        send: { raw: tooLarge },
      },
      {
        name: 'an unknown provider',
        status: 404,
        field: 'path.provider',
        code: 'UNKNOWN_PAYMENT_PROVIDER',
        path: '/api/v1/payments/webhooks/paypal',
        send: { raw: webhookEvent, headers: { 'stripe-signature': signature(webhookEvent) } },
      },
      {
        name: 'a provider that is not the configured one',
        status: 404,
        field: 'path.provider',
        code: 'PAYMENT_PROVIDER_NOT_CONFIGURED',
        path: '/api/v1/payments/webhooks/stripe',
        send: { raw: webhookEvent, headers: { 'stripe-signature': signature(webhookEvent) } },
      },
    ],
  };
}

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

/** Carts the checkout cases need besides the fixture cart (which has one line and stays open). */
interface CheckoutCarts {
  readonly empty: string;
  readonly checkedOut: string;
  readonly inDollars: string;
}

// Endpoints whose path holds the cart (filled in once the fixture carts exist).
function cartEndpoints(cartId: string, carts: CheckoutCarts): Endpoint[] {
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
    {
      method: 'POST',
      path: `/api/v1/carts/${cartId}/checkout`,
      valid: validCheckout,
      bodyRequired: true,
      cases: [
        ...fieldCases(validCheckout, 'email', [
          missing,
          ['malformed', 'ada@'],
          ['without a domain', 'ada'],
          ['a number', 42],
          ['too long', `${'a'.repeat(250)}@example.com`],
        ]),
        ...fieldCases(validCheckout, 'shippingAddress', [missing, ['a string', 'London']]),
        ...['name', 'line1', 'city', 'postalCode', 'country'].flatMap((field) =>
          fieldCases(validCheckout, `shippingAddress.${field}`, [missing, ['blank', '  ']]),
        ),
        ...fieldCases(validCheckout, 'shippingAddress.line1', [['too long', 'l'.repeat(201)]]),
        ...fieldCases(validCheckout, 'shippingAddress.line2', [['a number', 3]]),
        ...fieldCases(validCheckout, 'shippingAddress.country', [
          ['not ISO 3166-1 (UK)', 'UK'],
          ['unassigned', 'XX'],
          ['lower case', 'gb'],
          ['three letters', 'GBR'],
        ]),
        ...fieldCases(validCheckout, 'shippingMethod', [missing, ['a number', 1]]),
        ...fieldCases(validCheckout, 'payment', [missing]),
        ...fieldCases(validCheckout, 'payment.paymentMethodId', [
          missing,
          ['card data', '4242424242424242'],
          ['with a space', 'pm_card visa'],
        ]),
        {
          name: 'an unknown shipping method',
          status: 422,
          field: 'shippingMethod',
          code: 'UNKNOWN_SHIPPING_METHOD',
          send: { json: { ...validCheckout, shippingMethod: 'teleport' } },
        },
        {
          name: 'a shipping method in another currency than the cart',
          status: 422,
          field: 'shippingMethod',
          code: 'SHIPPING_METHOD_CURRENCY_MISMATCH',
          path: `/api/v1/carts/${carts.inDollars}/checkout`,
          send: { json: validCheckout },
        },
        {
          name: 'an empty cart',
          status: 409,
          field: 'path.cartId',
          code: 'CART_EMPTY',
          path: `/api/v1/carts/${carts.empty}/checkout`,
          send: { json: validCheckout },
        },
        {
          name: 'a cart already checked out',
          status: 409,
          field: 'path.cartId',
          code: 'CART_ALREADY_CHECKED_OUT',
          path: `/api/v1/carts/${carts.checkedOut}/checkout`,
          send: { json: validCheckout },
        },
        ...cartIdCases('/checkout', { json: validCheckout }),
      ],
    },
  ];
}

/** Cases every command endpoint gets: broken bodies and broken command headers. */
function commonCases(endpoint: Endpoint): BadRequest[] {
  if (endpoint.webhook) return [];
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
  let carts: CheckoutCarts;

  beforeAll(async () => {
    api = await startCommandApi({ SIMULATED_WEBHOOK_SECRET: WEBHOOK_SECRET });
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
    const openCart = async (currency = 'EUR') =>
      ((await ok('POST', '/api/v1/carts', { currency })).body as { cartId: string }).cartId;
    cartId = await openCart();
    await ok('POST', `/api/v1/carts/${cartId}/items`, { sku: SKU, quantity: 1 });
    carts = { empty: await openCart(), checkedOut: await openCart(), inDollars: await openCart('USD') };
    await ok('POST', `/api/v1/carts/${carts.checkedOut}/items`, { sku: SKU, quantity: 1 });
    await ok('POST', `/api/v1/carts/${carts.checkedOut}/checkout`, validCheckout);
  });

  afterAll(async () => {
    await api.stop();
  });

  // Built lazily: the cart endpoints need the fixture cart's id.
  const table = () =>
    [...endpoints, ...cartEndpoints(cartId, carts)].flatMap((endpoint) =>
      [...commonCases(endpoint), ...endpoint.cases].map((bad) => ({ endpoint, bad })),
    );

  it('covers every endpoint with every kind of bad input', () => {
    const routes = new Set(table().map(({ endpoint }) => `${endpoint.method} ${endpoint.path}`));
    expect(routes.size).toBe(19);
    expect(table().length).toBeGreaterThan(400);
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
