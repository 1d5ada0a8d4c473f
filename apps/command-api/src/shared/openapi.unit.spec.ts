import { buildOpenApiDocument } from './openapi';
import { commandApiOperations } from './docs.controller';

describe('buildOpenApiDocument', () => {
  const document = buildOpenApiDocument(commandApiOperations) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; responses: object }>>;
  };

  it('is OpenAPI 3.1 with one operation per command endpoint', () => {
    expect(document.openapi).toBe('3.1.0');
    const count = Object.values(document.paths).reduce(
      (sum, methods) => sum + Object.keys(methods).length,
      0,
    );
    expect(count).toBe(commandApiOperations.length);
    expect(new Set(commandApiOperations.map((o) => o.operationId)).size).toBe(commandApiOperations.length);
  });

  it('declares every path template parameter and the command headers (the signature for webhooks)', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(methods)) {
        const inPath = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        expect(inPath.sort()).toEqual(templated.sort());
        const headers = operation.parameters.filter((p) => p.in === 'header').map((p) => p.name);
        expect(headers).toEqual(
          expect.arrayContaining(
            path.includes('/webhooks/') ? ['Stripe-Signature'] : ['Idempotency-Key', 'If-Match'],
          ),
        );
      }
    }
  });

  it('describes checkout, the order commands and the payment webhook', () => {
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/carts/{cartId}/checkout',
        '/api/v1/orders/{orderId}/cancel',
        '/api/v1/orders/{orderId}/ship',
        '/api/v1/orders/{orderId}/deliver',
        '/api/v1/orders/{orderId}/refunds',
        '/api/v1/payments/webhooks/{provider}',
      ]),
    );
    const checkout = document.paths['/api/v1/carts/{cartId}/checkout']?.post as unknown as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
      responses: Record<string, unknown>;
    };
    expect(checkout.requestBody.content['application/json'].schema.required.sort()).toEqual([
      'email',
      'payment',
      'shippingAddress',
      'shippingMethod',
    ]);
    expect(Object.keys(checkout.responses)).toEqual(expect.arrayContaining(['202', '404', '409', '422']));
  });

  it('documents problem responses for every operation', () => {
    for (const methods of Object.values(document.paths)) {
      for (const operation of Object.values(methods)) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '413', '415']));
      }
    }
  });
});
