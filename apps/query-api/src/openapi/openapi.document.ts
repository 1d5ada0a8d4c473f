import { z } from 'zod';
import {
  auditEventSchema,
  auditEventsPageSchema,
  auditEventsQuery,
  auditStreamPathParams,
  auditStreamQuery,
  auditStreamSchema,
  correlationPathParams,
  correlationStorySchema,
  integrityStatusSchema,
  stateDiffQuery,
  stateDiffSchema,
  streamStateQuery,
  streamStateSchema,
} from '../audit/audit.schemas';
import { cartPathParams, cartSchema } from '../carts/carts.schemas';
import { categoryListSchema } from '../categories/categories.schemas';
import { stockPathParams, stockSchema } from '../inventory/inventory.schemas';
import { listOrdersQuery, orderListSchema, orderPathParams, orderSchema } from '../orders/orders.schemas';
import {
  productPathParams,
  productSchema,
  productSearchResultSchema,
  productSuggestionsSchema,
  searchProductsQuery,
  suggestProductsQuery,
} from '../products/products.schemas';
import type { RouteRole } from '@tally/platform';
import {
  customerCartSchema,
  customerListSchema,
  customerSchema,
  listCustomersQuery,
} from '../customers/customers.schemas';
import { consistencyHeaderSchema, moneySchema, problemSchema } from '../shared.schemas';
import { shippingMethodListSchema, shippingMethodsQuery } from '../shipping/shipping-methods.schemas';
import {
  abandonmentMetricSchema,
  funnelMetricSchema,
  metricPathParams,
  metricQuery,
  ordersMetricSchema,
  revenueMetricSchema,
  stockTurnsMetricSchema,
  topProductsMetricSchema,
  warehouseMetricSchema,
  zeroResultSearchesMetricSchema,
} from '../warehouse/warehouse-metrics.schemas';
import {
  eventEnvelopeSchema,
  streamEventsPageSchema,
  streamEventsQuery,
  streamPathParams,
} from '../streams/streams.schemas';

type JsonSchema = Record<string, unknown>;

interface Operation {
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly pathParams?: z.ZodType;
  readonly query?: z.ZodType;
  /** Projections a Tally-Consistency token waits for; none = the header is not accepted. */
  readonly consistency?: string;
  readonly response: string;
  readonly etag?: boolean;
  /** The route's `@Roles` (the unit spec checks them against the controllers): become `security`. */
  readonly roles: readonly RouteRole[];
  /**
   * Readable by whoever holds the guest cart's token (besides its customer and admins); anyone else gets
   * the 404 an unknown id gets.
   */
  readonly cartHolder?: boolean;
  /**
   * What the route's 404 means when it is not the unknown id of its path (the caller's own account or
   * cart, an unknown metric).
   */
  readonly notFound?: string;
}

const ACCOUNT_ROLES_ALL: readonly RouteRole[] = ['customer', 'admin', 'auditor', 'analyst'];

const operations: readonly Operation[] = [
  {
    path: '/api/v1/products',
    summary:
      'Search published products (typos corrected), ranked by relevance then popularity, with facet counts ' +
      'by category and price band; a search with words that finds nothing is recorded for analysts',
    tag: 'catalog',
    query: searchProductsQuery,
    consistency: 'catalog and stock',
    response: 'ProductSearchResult',
    roles: ['guest'],
  },
  {
    path: '/api/v1/products/suggestions',
    summary: 'Products to suggest while the shopper types: word prefixes first, similar words otherwise',
    tag: 'catalog',
    query: suggestProductsQuery,
    consistency: 'catalog',
    response: 'ProductSuggestions',
    roles: ['guest'],
  },
  {
    path: '/api/v1/categories',
    summary: 'Categories with published products: name, URL slug and product count',
    tag: 'catalog',
    consistency: 'catalog',
    response: 'CategoryList',
    roles: ['guest'],
  },
  {
    path: '/api/v1/products/{sku}',
    summary: 'One product (any status) with its available stock',
    tag: 'catalog',
    pathParams: productPathParams,
    consistency: 'catalog and stock',
    response: 'Product',
    etag: true,
    roles: ['guest'],
  },
  {
    path: '/api/v1/carts/{cartId}',
    summary: 'One cart with its lines and total',
    tag: 'carts',
    pathParams: cartPathParams,
    consistency: 'carts',
    response: 'Cart',
    etag: true,
    roles: ['guest'],
    cartHolder: true,
  },
  {
    path: '/api/v1/inventory/{sku}',
    summary: 'Stock level of one SKU',
    tag: 'inventory',
    pathParams: stockPathParams,
    consistency: 'catalog and stock',
    response: 'Stock',
    etag: true,
    roles: ['guest'],
  },
  {
    path: '/api/v1/orders',
    summary: 'Orders, newest first, optionally of one customer and/or in one status, paged',
    tag: 'orders',
    query: listOrdersQuery,
    consistency: 'orders',
    response: 'OrderList',
    roles: ACCOUNT_ROLES_ALL,
  },
  {
    path: '/api/v1/orders/{orderId}',
    summary: 'One order with its lines, totals, payment state, shipment and timeline of events',
    tag: 'orders',
    pathParams: orderPathParams,
    consistency: 'orders',
    response: 'Order',
    etag: true,
    roles: ['guest'],
    cartHolder: true,
  },
  {
    path: '/api/v1/shipping-methods',
    summary: 'The shipping methods a shopper can choose at checkout, with their prices',
    tag: 'checkout',
    query: shippingMethodsQuery,
    response: 'ShippingMethodList',
    roles: ['guest'],
  },
  {
    path: '/api/v1/streams/{streamId}/events',
    summary: 'Full event envelopes of one stream, in version order, paged (read from the event store)',
    tag: 'audit',
    pathParams: streamPathParams,
    query: streamEventsQuery,
    response: 'StreamEventsPage',
    roles: ['admin', 'auditor'],
  },
  {
    path: '/api/v1/customers',
    summary: 'Accounts, newest first, optionally with one role, paged',
    tag: 'identity',
    query: listCustomersQuery,
    consistency: 'customers',
    response: 'CustomerList',
    roles: ['admin'],
  },
  {
    path: '/api/v1/customers/me',
    summary: 'The account the access token names',
    tag: 'identity',
    consistency: 'customers',
    response: 'Customer',
    roles: ACCOUNT_ROLES_ALL,
    notFound:
      "CUSTOMER_NOT_FOUND: the read model does not have the account yet (send the sign-up response's Tally-Consistency)",
  },
  {
    path: '/api/v1/customers/me/cart',
    summary: "The signed-in account's newest open cart (the one a sign-in merged the guest cart into)",
    tag: 'identity',
    consistency: 'carts',
    response: 'CustomerCart',
    roles: ACCOUNT_ROLES_ALL,
    notFound: 'CART_NOT_FOUND: the account has no open cart',
  },
  {
    path: '/api/v1/audit/streams/{streamId}',
    summary:
      'Every event of one stream with actor, times, command, correlation and causation ids and hash chain',
    tag: 'audit',
    pathParams: auditStreamPathParams,
    query: auditStreamQuery,
    response: 'AuditStream',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/audit/events',
    summary:
      'Events by type, actor, correlation id, stream and recorded time, paged, by recorded time then position ' +
      '(at least one filter or `from`)',
    tag: 'audit',
    query: auditEventsQuery,
    response: 'AuditEventsPage',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/audit/streams/{streamId}/state',
    summary:
      "The stream's state as of a time or after a version, folded by its decider (version 0 before it existed; " +
      '422 for a stream kind without a decider)',
    tag: 'audit',
    pathParams: auditStreamPathParams,
    query: streamStateQuery,
    response: 'StreamState',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/audit/streams/{streamId}/state/diff',
    summary:
      'What changed in the state between two versions or times (JSON Pointers), and the events between',
    tag: 'audit',
    pathParams: auditStreamPathParams,
    query: stateDiffQuery,
    response: 'StateDiff',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/audit/correlations/{correlationId}',
    summary: 'Every event of one correlation id (e.g. one checkout) across streams, in global order',
    tag: 'audit',
    pathParams: correlationPathParams,
    response: 'CorrelationStory',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/audit/integrity',
    summary: 'The newest signed checkpoint and the newest `audit verify` run',
    tag: 'audit',
    response: 'IntegrityStatus',
    roles: ['auditor'],
  },
  {
    path: '/api/v1/warehouse/metrics/{metric}',
    summary:
      'One metric over a range of UTC days, from the warehouse metric views (docs/warehouse.md): revenue, ' +
      'orders, funnel, abandonment, top-products, zero-result-searches or stock-turns',
    tag: 'warehouse',
    pathParams: metricPathParams,
    query: metricQuery,
    response: 'WarehouseMetric',
    roles: ['analyst'],
    notFound: 'METRIC_NOT_FOUND: no metric of that name',
  },
];

type SecurityRequirement = Readonly<Record<string, readonly string[]>>;
const ACCOUNT: readonly SecurityRequirement[] = [{ bearerAuth: [] }, { accessCookie: [] }];

/** The credentials a client may present (`components.securitySchemes`), as command-api issues them. */
const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Access token (HS256 JWT, 15 min) from command-api sign-up, sign-in or refresh',
  },
  accessCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tally_access',
    description: 'The same access token as the httpOnly cookie browsers hold',
  },
  cartToken: {
    type: 'apiKey',
    in: 'header',
    name: 'Tally-Cart-Token',
    description: "Signed token of a guest cart (`cartToken` of command-api's `POST /api/v1/carts`)",
  },
  cartCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tally_cart',
    description: 'The same guest cart token as the httpOnly cookie',
  },
} as const;

/**
 * OpenAPI `security`: the alternatives, `{}` when anyone may read. A cart holder's read needs one of the
 * credentials (a guest cart's token, or the account owning it or an admin's); a role-restricted read needs
 * an access token.
 */
function securityOf(operation: Operation): SecurityRequirement[] {
  if (operation.cartHolder) return [{ cartToken: [] }, { cartCookie: [] }, ...ACCOUNT];
  if (operation.roles.includes('guest')) return [{}, ...ACCOUNT];
  return [...ACCOUNT];
}

/** The OpenAPI 3.1 document of query-api, generated from the same zod schemas that validate requests. */
export function buildOpenApiDocument(): JsonSchema {
  const registry = z.registry<{ id: string }>();
  registry.add(moneySchema, { id: 'Money' });
  registry.add(problemSchema, { id: 'Problem' });
  registry.add(productSchema, { id: 'Product' });
  registry.add(productSearchResultSchema, { id: 'ProductSearchResult' });
  registry.add(productSuggestionsSchema, { id: 'ProductSuggestions' });
  registry.add(categoryListSchema, { id: 'CategoryList' });
  registry.add(cartSchema, { id: 'Cart' });
  registry.add(stockSchema, { id: 'Stock' });
  registry.add(orderSchema, { id: 'Order' });
  registry.add(orderListSchema, { id: 'OrderList' });
  registry.add(shippingMethodListSchema, { id: 'ShippingMethodList' });
  registry.add(eventEnvelopeSchema, { id: 'EventEnvelope' });
  registry.add(streamEventsPageSchema, { id: 'StreamEventsPage' });
  registry.add(customerSchema, { id: 'Customer' });
  registry.add(customerListSchema, { id: 'CustomerList' });
  registry.add(customerCartSchema, { id: 'CustomerCart' });
  registry.add(auditEventSchema, { id: 'AuditEvent' });
  registry.add(auditStreamSchema, { id: 'AuditStream' });
  registry.add(auditEventsPageSchema, { id: 'AuditEventsPage' });
  registry.add(streamStateSchema, { id: 'StreamState' });
  registry.add(stateDiffSchema, { id: 'StateDiff' });
  registry.add(correlationStorySchema, { id: 'CorrelationStory' });
  registry.add(integrityStatusSchema, { id: 'IntegrityStatus' });
  registry.add(revenueMetricSchema, { id: 'RevenueMetric' });
  registry.add(ordersMetricSchema, { id: 'OrdersMetric' });
  registry.add(funnelMetricSchema, { id: 'FunnelMetric' });
  registry.add(abandonmentMetricSchema, { id: 'AbandonmentMetric' });
  registry.add(topProductsMetricSchema, { id: 'TopProductsMetric' });
  registry.add(zeroResultSearchesMetricSchema, { id: 'ZeroResultSearchesMetric' });
  registry.add(stockTurnsMetricSchema, { id: 'StockTurnsMetric' });
  registry.add(warehouseMetricSchema, { id: 'WarehouseMetric' });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, JsonSchema>;
  };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }

  const paths: Record<string, unknown> = {};
  for (const operation of operations) {
    paths[operation.path] = { get: toOperation(operation) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tally query API',
      version: '1',
      description:
        'Reads from read models (and, for streams, the event store). Send the `Tally-Consistency` header of a command response to read your own writes. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    paths,
    components: { schemas, securitySchemes },
  };
}

function toOperation(operation: Operation): JsonSchema {
  const parameters = [
    ...parametersOf(operation.pathParams, 'path'),
    ...parametersOf(operation.query, 'query'),
    ...(operation.consistency ? parametersOf(consistencyHeaderSchema, 'header') : []).map((parameter) => ({
      ...parameter,
      description: `Checkpoint from a command response: wait (bounded) until the ${operation.consistency} read model(s) have passed it, else 503 with Retry-After.`,
    })),
  ];
  const problem = (description: string) => ({
    description,
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
  const restricted = !operation.roles.includes('guest');
  return {
    summary: operation.summary,
    ...(restricted
      ? { description: `Needs an access token with the role ${operation.roles.join(' or ')}.` }
      : {}),
    tags: [operation.tag],
    security: securityOf(operation),
    parameters,
    responses: {
      '200': {
        description: 'OK',
        ...(operation.etag
          ? { headers: { ETag: { description: 'Stream version, quoted', schema: { type: 'string' } } } }
          : {}),
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${operation.response}` } } },
      },
      '400': problem('Invalid parameter; `errors` names each one (`query.pageSize`, `path.cartId`)'),
      '401': problem(
        'Invalid or expired access token (Authorization: Bearer, or the tally_access cookie), or sign-in required',
      ),
      '403': problem('Not allowed for your role, or a tampered cart token (CART_TOKEN_INVALID)'),
      ...(operation.notFound
        ? { '404': problem(operation.notFound) }
        : operation.pathParams
          ? { '404': problem('Unknown id, or a cart or order you may not read (the same answer)') }
          : {}),
      ...(operation.consistency
        ? { '503': problem('Read model not consistent with the token in time') }
        : {}),
    },
  };
}

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query' | 'header'): JsonSchema[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}
