import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { declaredRoles, problemDetailsSchema, type RouteRole } from '@tally/platform';
import { z } from 'zod';
import { consistencyTokenHeader, idempotencyKeyHeader, ifMatchHeader } from './command-headers';

/** A problem response an operation documents with its own text (its codes), e.g. 401 INVALID_CREDENTIALS. */
export interface ApiProblem {
  readonly status: number;
  readonly description: string;
}

/**
 * What an operation accepts as proof of who is asking, besides its `@Roles` (which say whether an anonymous
 * caller gets in at all).
 */
export interface ApiCredentials {
  /** The access token (Bearer or the `tally_access` cookie). Default true; false where it is ignored. */
  readonly account?: boolean;
  /** A guest cart's token (`Tally-Cart-Token` header or the `tally_cart` cookie). */
  readonly cartToken?: boolean;
  /** The refresh token's cookie `tally_refresh` (or the body). */
  readonly refreshToken?: boolean;
  /**
   * One of the credentials is needed even though the route admits guests: the cart commands answer 404 to
   * a caller who holds neither the cart's token nor its owner's account.
   */
  readonly required?: boolean;
}

/** One endpoint, described from the same zod schemas that validate it. */
export interface ApiOperation {
  readonly method: 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/api/v1/products/{sku}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Default true when `body` is given. */
  readonly bodyRequired?: boolean;
  readonly success:
    | {
        readonly status: 200 | 201 | 202;
        readonly description: string;
        readonly schema: z.ZodType;
      }
    | { readonly status: 204; readonly description: string };
  /** Problem statuses besides 400, 401, 413 and 415 (always possible), e.g. 404, 409, 412, 422. */
  readonly problems: readonly (number | ApiProblem)[];
  /** Reads a read model while building the command, so `Tally-Consistency` applies. */
  readonly readsReadModels?: boolean;
  /**
   * A provider's webhook rather than a command: authenticated by its `Stripe-Signature` header, answered
   * without the command headers (`Idempotency-Key`, `If-Match`, `ETag`, `Tally-Consistency`).
   */
  readonly webhook?: boolean;
  /**
   * Default true: the route runs through the command edge (`Idempotency-Key`, `If-Match` in; `ETag`,
   * `Tally-Consistency` out). False for routes that append no event of their own (refresh, sign-out).
   */
  readonly commandHeaders?: boolean;
  /** Whether a success carries `Location`; default for 201 and 202. */
  readonly location?: boolean;
  /** What the success's `Set-Cookie` sets, when it sets any. */
  readonly setCookie?: string;
  /** The route's `@Roles`, as the roles guard reads them ({@link withDeclaredRoles}): become `security`. */
  readonly roles?: readonly RouteRole[];
  readonly credentials?: ApiCredentials;
}

const PROBLEM_TEXT: Record<number, string> = {
  400: 'Invalid request: malformed JSON or headers, fields that fail validation (each listed in `errors`), or a webhook whose signature is missing, wrong or replayed',
  401: 'The access token (Authorization: Bearer, or the tally_access cookie) is invalid or expired, or the route needs a signed-in account',
  403: 'Not allowed for your role, naming another customer, or a tampered cart token (CART_TOKEN_INVALID)',
  404: 'Unknown resource, or a cart or order you may not use (the same answer, so ids cannot be probed)',
  409: 'Not allowed in the current state, a concurrent modification, or an idempotency key still in use',
  412: 'If-Match does not match the current version',
  413: 'Body larger than 100 kB',
  415: 'Body is not application/json',
  422: 'Well-formed but unprocessable (e.g. unknown SKU or shipping method, refund above what was captured, reused idempotency key)',
  429: 'Too many attempts: wait for `Retry-After` seconds',
  503: 'The read models did not reach the Tally-Consistency token in time',
};

/** JSON Schema 2020-12 (what OpenAPI 3.1 uses) of what a client sends. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _drop, ...json } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    reused: 'inline',
  });
  return json;
}

function headerParameter(name: string, schema: z.ZodType) {
  const json = schemaOf(schema, 'input');
  return { name, in: 'header', required: false, description: json.description, schema: json };
}

type SecurityRequirement = Readonly<Record<string, readonly string[]>>;
const ACCOUNT: readonly SecurityRequirement[] = [{ bearerAuth: [] }, { accessCookie: [] }];
const CART_TOKEN: readonly SecurityRequirement[] = [{ cartToken: [] }, { cartCookie: [] }];

/** The credentials a client may present (`components.securitySchemes`). */
export const securitySchemes = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'Access token (HS256 JWT, 15 min) from sign-up, sign-in or refresh: `Authorization: Bearer <token>`',
  },
  accessCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tally_access',
    description:
      'The same access token as the httpOnly cookie browsers get from sign-up, sign-in and refresh',
  },
  refreshCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tally_refresh',
    description: 'Refresh token (7 days, rotated on every use); sent only to `/api/v1/auth`',
  },
  cartToken: {
    type: 'apiKey',
    in: 'header',
    name: 'Tally-Cart-Token',
    description:
      'Signed token of a guest cart, from `POST /api/v1/carts` (`cartToken`): proves you hold the cart',
  },
  cartCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'tally_cart',
    description: 'The same guest cart token as the httpOnly cookie set by `POST /api/v1/carts`',
  },
} as const;

/**
 * OpenAPI `security` of an operation: its alternatives, `{}` when a caller without credentials gets in.
 * Admitting `guest` means anyone; otherwise an access token with one of the roles is needed.
 */
function securityOf(operation: ApiOperation): SecurityRequirement[] | undefined {
  if (operation.roles === undefined) return undefined;
  if (operation.webhook) return [{}];
  const credentials = operation.credentials ?? {};
  const anyone = operation.roles.includes('guest');
  return [
    ...(anyone && !credentials.required ? [{}] : []),
    ...(anyone && credentials.cartToken ? CART_TOKEN : []),
    ...(anyone && credentials.refreshToken ? [{ refreshCookie: [] }] : []),
    ...(credentials.account === false ? [] : ACCOUNT),
  ];
}

/** Role names for the operation's description (the scheme list cannot say which roles a token needs). */
function rolesNote(operation: ApiOperation): string {
  if (operation.roles === undefined || operation.roles.includes('guest')) return '';
  return `Needs an access token with the role ${operation.roles.join(' or ')}.`;
}

/**
 * The operations with the `@Roles` their routes declare, read from the controllers the way the roles guard
 * reads them, so the document cannot drift from what is enforced. An operation no controller serves is a
 * bug in the document and throws.
 */
export function withDeclaredRoles(
  operations: readonly ApiOperation[],
  controllers: readonly (new (...args: never[]) => object)[],
): ApiOperation[] {
  const reflector = new Reflector();
  const routes = new Map<string, readonly RouteRole[] | undefined>();
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')]
        .flatMap((part) => part.split('/'))
        .filter((part) => part !== '')
        .map((part) => (part.startsWith(':') ? `{${part.slice(1)}}` : part))
        .join('/')}`;
      routes.set(
        `${RequestMethod[method].toLowerCase()} ${path}`,
        declaredRoles(reflector, handler as ReflectionTarget, controller),
      );
    }
  }
  return operations.map((operation) => {
    const route = `${operation.method} ${operation.path}`;
    if (!routes.has(route))
      throw new Error(`documented operation ${operation.operationId} has no route ${route}`);
    return { ...operation, roles: routes.get(route) };
  });
}

type ReflectionTarget = Parameters<typeof declaredRoles>[1];

function problemOf(problem: number | ApiProblem): ApiProblem {
  return typeof problem === 'number'
    ? { status: problem, description: PROBLEM_TEXT[problem] ?? 'Problem' }
    : problem;
}

/** The OpenAPI 3.1 document of command-api. */
export function buildOpenApiDocument(operations: readonly ApiOperation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
    const commandHeaders = !operation.webhook && (operation.commandHeaders ?? true);
    const parameters: unknown[] = [];
    for (const [name, schema] of Object.entries(operation.params?.shape ?? {})) {
      parameters.push({ name, in: 'path', required: true, schema: schemaOf(schema as z.ZodType, 'input') });
    }
    if (operation.webhook) {
      parameters.push({
        name: 'Stripe-Signature',
        in: 'header',
        required: true,
        description:
          '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with the webhook secret; older than 300 s is a replay',
        schema: { type: 'string' },
      });
    }
    if (commandHeaders) {
      parameters.push(headerParameter('Idempotency-Key', idempotencyKeyHeader));
      parameters.push(headerParameter('If-Match', ifMatchHeader));
    }
    if (operation.readsReadModels)
      parameters.push(headerParameter('Tally-Consistency', consistencyTokenHeader));
    parameters.push({
      name: 'X-Correlation-Id',
      in: 'header',
      required: false,
      description: 'Echoed back and recorded in the events; generated when absent',
      schema: { type: 'string' },
    });

    const { success } = operation;
    const successHeaders: Record<string, unknown> = commandHeaders
      ? {
          ETag: {
            description: 'Strong entity tag of the stream version, e.g. `"3"`',
            schema: { type: 'string' },
          },
          'Tally-Consistency': {
            description: 'Consistency token: send it to query-api to read your write',
            schema: { type: 'string' },
          },
        }
      : {};
    if (operation.location ?? (success.status === 201 || success.status === 202)) {
      successHeaders.Location = {
        description: 'Where to read the created resource (query API)',
        schema: { type: 'string' },
      };
    }
    if (operation.setCookie !== undefined) {
      successHeaders['Set-Cookie'] = { description: operation.setCookie, schema: { type: 'string' } };
    }
    const responses: Record<string, unknown> = {
      [success.status]: {
        description: success.description,
        headers: successHeaders,
        ...('schema' in success
          ? { content: { 'application/json': { schema: schemaOf(success.schema, 'output') } } }
          : {}),
      },
    };
    // Any request may be malformed, too large, not JSON, or carry a bad access token (401). An operation's
    // own text for a status (its codes) replaces the general one.
    const problems = new Map<number, ApiProblem>();
    for (const problem of [400, 401, 413, 415, ...operation.problems].map(problemOf)) {
      problems.set(problem.status, problem);
    }
    for (const { status, description } of [...problems.values()].sort((a, b) => a.status - b.status)) {
      responses[status] = {
        description,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }

    const security = securityOf(operation);
    const path = (paths[operation.path] ??= {});
    path[operation.method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(rolesNote(operation) === '' ? {} : { description: rolesNote(operation) }),
      tags: [operation.tag],
      ...(security === undefined ? {} : { security }),
      parameters,
      ...(operation.body
        ? {
            requestBody: {
              required: operation.bodyRequired ?? true,
              content: { 'application/json': { schema: schemaOf(operation.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tally command API',
      version: '1',
      description:
        "Commands that change Tally: identity, catalog, inventory, carts, checkout and orders, and the payment provider's " +
        'webhooks. Every command success carries the stream version (`ETag`) and a consistency token ' +
        '(`Tally-Consistency`); every error is an RFC 9457 problem.',
    },
    paths,
    components: {
      schemas: { Problem: schemaOf(problemDetailsSchema, 'output') },
      securitySchemes,
    },
  };
}
