import { Controller, Post } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { commandApiOperations } from './docs.controller';
import { buildOpenApiDocument, withDeclaredRoles } from './openapi';

interface Operation {
  parameters: { name: string; in: string }[];
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
  requestBody?: { required: boolean; content: { 'application/json': { schema: Schema } } };
  security?: Record<string, string[]>[];
  description?: string;
}
interface Schema {
  required?: string[];
  properties?: Record<string, Schema>;
  type?: string | string[];
}

describe('buildOpenApiDocument', () => {
  const document = buildOpenApiDocument(commandApiOperations) as {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { securitySchemes: Record<string, Record<string, unknown>> };
  };
  const operation = (method: string, path: string): Operation => {
    const found = document.paths[path]?.[method];
    if (!found) throw new Error(`no ${method} ${path}`);
    return found;
  };
  const account = [{ bearerAuth: [] }, { accessCookie: [] }];
  const cartHolder = [{ cartToken: [] }, { cartCookie: [] }, ...account];

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
    // Refresh, sign-out and password reset append no event of their own: they skip the command edge.
    const outsideEdge = ['refresh', 'sign-out', 'password-reset', 'password-reset/confirm'].map(
      (route) => `/api/v1/auth/${route}`,
    );
    for (const [path, methods] of Object.entries(document.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const operation of Object.values(methods)) {
        const inPath = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        expect(inPath.sort()).toEqual(templated.sort());
        const headers = operation.parameters.filter((p) => p.in === 'header').map((p) => p.name);
        if (outsideEdge.includes(path)) {
          expect([path, headers]).toEqual([path, ['X-Correlation-Id']]);
          continue;
        }
        expect(headers).toEqual(
          expect.arrayContaining(
            path.includes('/webhooks/') ? ['Stripe-Signature'] : ['Idempotency-Key', 'If-Match'],
          ),
        );
      }
    }
  });

  it('documents every identity route with its request, response and problems', () => {
    const signUp = operation('post', '/api/v1/auth/sign-up');
    expect(signUp.requestBody?.content['application/json'].schema.required?.sort()).toEqual([
      'email',
      'name',
      'password',
    ]);
    expect(signUp.responses['201']?.content?.['application/json']?.schema.required).toEqual(
      expect.arrayContaining(['accessToken', 'refreshToken', 'cartId', 'customerId', 'expiresIn']),
    );
    expect(signUp.responses['201']).not.toHaveProperty('headers.Location');
    expect(signUp.responses['201']).toHaveProperty('headers.Set-Cookie');
    expect(signUp.responses['409']?.description).toContain('EMAIL_TAKEN');
    expect(signUp.responses['400']?.description).toContain('WEAK_PASSWORD');

    const signIn = operation('post', '/api/v1/auth/sign-in');
    expect(signIn.responses['401']?.description).toContain('INVALID_CREDENTIALS');
    expect(signIn.responses['429']?.description).toContain('TOO_MANY_ATTEMPTS');
    expect(signIn.responses['403']?.description).toContain('CART_TOKEN_INVALID');

    const refresh = operation('post', '/api/v1/auth/refresh');
    expect(refresh.requestBody?.required).toBe(false);
    expect(refresh.responses['401']?.description).toMatch(/REFRESH_TOKEN_INVALID.*REFRESH_TOKEN_REUSED/);
    expect(refresh.responses['200']).not.toHaveProperty('headers.ETag');

    for (const path of ['/api/v1/auth/sign-out', '/api/v1/auth/password-reset/confirm']) {
      const noBody = operation('post', path).responses['204'];
      expect([path, noBody?.description]).toEqual([path, expect.any(String)]);
      expect(noBody).not.toHaveProperty('content');
    }
    expect(operation('post', '/api/v1/auth/password-reset/confirm').responses['400']?.description).toContain(
      'RESET_TOKEN_INVALID',
    );
    expect(operation('post', '/api/v1/auth/password-reset').responses).toHaveProperty('202');

    const role = operation('put', '/api/v1/customers/{customerId}/role');
    expect(role.requestBody?.content['application/json'].schema.properties?.role).toMatchObject({
      enum: ['customer', 'admin', 'auditor', 'analyst'],
    });
    expect(Object.keys(role.responses)).toEqual(expect.arrayContaining(['200', '403', '404', '412']));
  });

  it("documents the guest cart's token on POST /carts", () => {
    const open = operation('post', '/api/v1/carts');
    expect(open.responses['201']?.content?.['application/json']?.schema.properties).toHaveProperty(
      'cartToken',
    );
    expect(open.responses['201']).toHaveProperty('headers.Set-Cookie');
    expect(open.security).toEqual([{}, ...account]);
  });

  it('declares the credentials, and on each operation those its @Roles admit', () => {
    expect(document.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      accessCookie: { type: 'apiKey', in: 'cookie', name: 'tally_access' },
      refreshCookie: { type: 'apiKey', in: 'cookie', name: 'tally_refresh' },
      cartToken: { type: 'apiKey', in: 'header', name: 'Tally-Cart-Token' },
      cartCookie: { type: 'apiKey', in: 'cookie', name: 'tally_cart' },
    });
    for (const { operationId, roles } of commandApiOperations) {
      expect([operationId, roles]).toEqual([operationId, expect.any(Array)]);
    }
    expect(operation('post', '/api/v1/products').security).toEqual(account);
    expect(operation('post', '/api/v1/products').description).toBe(
      'Needs an access token with the role admin.',
    );
    expect(operation('put', '/api/v1/customers/{customerId}/role').security).toEqual(account);
    expect(operation('post', '/api/v1/orders/{orderId}/ship').security).toEqual(account);
    expect(operation('post', '/api/v1/orders/{orderId}/cancel').security).toEqual(cartHolder);
    expect(operation('post', '/api/v1/carts/{cartId}/items').security).toEqual(cartHolder);
    expect(operation('post', '/api/v1/carts/{cartId}/checkout').security).toEqual(cartHolder);
    expect(operation('post', '/api/v1/auth/sign-in').security).toEqual([
      {},
      { cartToken: [] },
      { cartCookie: [] },
    ]);
    expect(operation('post', '/api/v1/auth/refresh').security).toEqual([{}, { refreshCookie: [] }]);
    expect(operation('post', '/api/v1/payments/webhooks/{provider}').security).toEqual([{}]);
  });

  it('reads roles from the routes and refuses to document a route that does not exist', () => {
    @Controller('api/v1/things')
    @Roles('admin')
    class ThingsController {
      @Post(':thingId/poke')
      @Roles('customer', 'analyst')
      poke(): string {
        return 'poked';
      }
    }
    const base = {
      method: 'post' as const,
      operationId: 'pokeThing',
      summary: 'Poke',
      tag: 'things',
      success: { status: 204 as const, description: 'Poked' },
      problems: [],
    };
    expect(
      withDeclaredRoles([{ ...base, path: '/api/v1/things/{thingId}/poke' }], [ThingsController])[0]?.roles,
    ).toEqual(['customer', 'analyst']);
    expect(() =>
      withDeclaredRoles([{ ...base, path: '/api/v1/things/{thingId}' }], [ThingsController]),
    ).toThrow('documented operation pokeThing has no route post /api/v1/things/{thingId}');
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
