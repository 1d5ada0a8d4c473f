import { PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { declaredRoles } from '@tally/platform';
import { AuditController } from '../audit/audit.controller';
import { CartsController } from '../carts/carts.controller';
import { CategoriesController } from '../categories/categories.controller';
import { CustomersController } from '../customers/customers.controller';
import { InventoryController } from '../inventory/inventory.controller';
import { OrdersController } from '../orders/orders.controller';
import { ProductsController } from '../products/products.controller';
import { ShippingMethodsController } from '../shipping/shipping-methods.controller';
import { StreamsController } from '../streams/streams.controller';
import { WarehouseMetricsController } from '../warehouse/warehouse-metrics.controller';
import { buildOpenApiDocument } from './openapi.document';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
}
interface Document {
  openapi: string;
  paths: Record<
    string,
    {
      get: {
        parameters: Parameter[];
        responses: Record<string, unknown>;
        security: Record<string, string[]>[];
        description?: string;
      };
    }
  >;
  components: {
    schemas: Record<string, Record<string, unknown>>;
    securitySchemes: Record<string, Record<string, unknown>>;
  };
}

describe('query-api OpenAPI document', () => {
  const document = buildOpenApiDocument() as unknown as Document;
  const parameters = (path: string) =>
    document.paths[path]!.get.parameters.map((p) => `${p.in}.${p.name}${p.required ? '!' : ''}`);

  it('is OpenAPI 3.1 with a component for every response shape', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'AbandonmentMetric',
      'AuditEvent',
      'AuditEventsPage',
      'AuditStream',
      'Cart',
      'CategoryList',
      'CorrelationStory',
      'Customer',
      'CustomerCart',
      'CustomerList',
      'EventEnvelope',
      'FunnelMetric',
      'IntegrityStatus',
      'Money',
      'Order',
      'OrderList',
      'OrdersMetric',
      'Problem',
      'Product',
      'ProductSearchResult',
      'ProductSuggestions',
      'RevenueMetric',
      'ShippingMethodList',
      'StateDiff',
      'Stock',
      'StockTurnsMetric',
      'StreamEventsPage',
      'StreamState',
      'TopProductsMetric',
      'WarehouseMetric',
      'ZeroResultSearchesMetric',
    ]);
    for (const schema of Object.values(document.components.schemas)) {
      expect(schema).not.toHaveProperty('$id');
      expect(schema).not.toHaveProperty('$schema');
    }
  });

  it('documents the parameters the endpoints validate', () => {
    expect(parameters('/api/v1/products')).toEqual([
      'query.q',
      'query.category',
      'query.minPrice',
      'query.maxPrice',
      'query.inStock',
      'query.sort',
      'query.page',
      'query.pageSize',
      'query.includeUnpublished',
      'header.Tally-Consistency',
    ]);
    expect(parameters('/api/v1/carts/{cartId}')).toEqual(['path.cartId!', 'header.Tally-Consistency']);
    expect(parameters('/api/v1/orders')).toEqual([
      'query.customerId',
      'query.status',
      'query.page',
      'query.pageSize',
      'header.Tally-Consistency',
    ]);
    expect(parameters('/api/v1/orders/{orderId}')).toEqual(['path.orderId!', 'header.Tally-Consistency']);
    expect(parameters('/api/v1/shipping-methods')).toEqual([]);
    expect(Object.keys(document.paths['/api/v1/orders/{orderId}']!.get.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '503',
    ]);
    expect(Object.keys(document.paths['/api/v1/shipping-methods']!.get.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
    ]);
    expect(parameters('/api/v1/streams/{streamId}/events')).toEqual([
      'path.streamId!',
      'query.fromVersion',
      'query.limit',
    ]);
    expect(Object.keys(document.paths['/api/v1/products/{sku}']!.get.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '503',
    ]);
  });

  it('documents the customers reads', () => {
    expect(parameters('/api/v1/customers')).toEqual([
      'query.role',
      'query.page',
      'query.pageSize',
      'header.Tally-Consistency',
    ]);
    expect(parameters('/api/v1/customers/me')).toEqual(['header.Tally-Consistency']);
    expect(Object.keys(document.paths['/api/v1/customers/me']!.get.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '503',
    ]);
    expect(document.paths['/api/v1/customers/me/cart']!.get.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/CustomerCart' } } },
    });
    expect(document.components.schemas.Customer?.required).toEqual(
      expect.arrayContaining(['customerId', 'email', 'name', 'role', 'registeredAt']),
    );
  });

  it('documents the warehouse metrics: the metric names, the range, and what a 404 means', () => {
    expect(parameters('/api/v1/warehouse/metrics/{metric}')).toEqual([
      'path.metric!',
      'query.from',
      'query.to',
      'query.limit',
    ]);
    const operation = document.paths['/api/v1/warehouse/metrics/{metric}']!.get as unknown as {
      parameters: { name: string; schema: { enum?: string[] } }[];
      responses: Record<string, { description: string }>;
    };
    expect(operation.parameters[0]!.schema.enum).toEqual([
      'revenue',
      'orders',
      'funnel',
      'abandonment',
      'top-products',
      'zero-result-searches',
      'stock-turns',
    ]);
    expect(Object.keys(operation.responses)).toEqual(['200', '400', '401', '403', '404']);
    expect(operation.responses['404']!.description).toMatch(/^METRIC_NOT_FOUND/);
  });

  it('declares the credentials and, per operation, which of them it takes', () => {
    expect(document.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      accessCookie: { type: 'apiKey', in: 'cookie', name: 'tally_access' },
      cartToken: { type: 'apiKey', in: 'header', name: 'Tally-Cart-Token' },
      cartCookie: { type: 'apiKey', in: 'cookie', name: 'tally_cart' },
    });
    const security = (path: string) => document.paths[path]!.get.security;
    const account = [{ bearerAuth: [] }, { accessCookie: [] }];
    expect(security('/api/v1/products')).toEqual([{}, ...account]);
    expect(security('/api/v1/customers')).toEqual(account);
    expect(security('/api/v1/customers/me')).toEqual(account);
    expect(security('/api/v1/streams/{streamId}/events')).toEqual(account);
    expect(security('/api/v1/carts/{cartId}')).toEqual([{ cartToken: [] }, { cartCookie: [] }, ...account]);
    expect(security('/api/v1/orders/{orderId}')).toEqual([{ cartToken: [] }, { cartCookie: [] }, ...account]);
  });

  it("documents exactly the controllers' GET routes, anonymous access only where they admit guests", () => {
    const reflector = new Reflector();
    const routes = new Map<string, readonly string[] | undefined>();
    for (const controller of [
      AuditController,
      CartsController,
      CategoriesController,
      CustomersController,
      InventoryController,
      OrdersController,
      ProductsController,
      ShippingMethodsController,
      StreamsController,
      WarehouseMetricsController,
    ]) {
      const base = String(Reflect.getMetadata(PATH_METADATA, controller));
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, unknown>)[name] as () => unknown;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (name === 'constructor' || sub === undefined) continue;
        const path = `/${[base, sub]
          .flatMap((part) => part.split('/'))
          .filter(Boolean)
          .map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part))
          .join('/')}`;
        routes.set(path, declaredRoles(reflector, handler, controller));
      }
    }
    expect(Object.keys(document.paths).sort()).toEqual([...routes.keys()].sort());
    for (const [path, roles] of routes) {
      const operation = document.paths[path]!.get;
      const anyone = roles?.includes('guest') ?? false;
      const opensToAnyone = operation.security.some((entry) => Object.keys(entry).length === 0);
      const holder = path === '/api/v1/carts/{cartId}' || path === '/api/v1/orders/{orderId}';
      expect([path, opensToAnyone]).toEqual([path, anyone && !holder]);
      expect([path, operation.description]).toEqual([
        path,
        anyone ? undefined : `Needs an access token with the role ${roles?.join(' or ')}.`,
      ]);
    }
  });
});
