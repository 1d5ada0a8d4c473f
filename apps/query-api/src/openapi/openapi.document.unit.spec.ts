import { buildOpenApiDocument } from './openapi.document';

interface Parameter {
  name: string;
  in: string;
  required: boolean;
}
interface Document {
  openapi: string;
  paths: Record<string, { get: { parameters: Parameter[]; responses: Record<string, unknown> } }>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

describe('query-api OpenAPI document', () => {
  const document = buildOpenApiDocument() as unknown as Document;
  const parameters = (path: string) =>
    document.paths[path]!.get.parameters.map((p) => `${p.in}.${p.name}${p.required ? '!' : ''}`);

  it('is OpenAPI 3.1 with a component for every response shape', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'Cart',
      'CategoryList',
      'EventEnvelope',
      'Money',
      'Order',
      'OrderList',
      'Problem',
      'Product',
      'ProductSearchResult',
      'ProductSuggestions',
      'ShippingMethodList',
      'Stock',
      'StreamEventsPage',
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
});
