import { problemDetailsSchema } from '@tally/platform';
import { z } from 'zod';
import { consistencyTokenHeader, idempotencyKeyHeader, ifMatchHeader } from './command-headers';

/** One endpoint, described from the same zod schemas that validate it. */
export interface ApiOperation {
  readonly method: 'post' | 'patch' | 'delete';
  /** OpenAPI path template, e.g. `/api/v1/products/{sku}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Default true when `body` is given. */
  readonly bodyRequired?: boolean;
  readonly success: {
    readonly status: 200 | 201 | 202;
    readonly description: string;
    readonly schema: z.ZodType;
  };
  /** Problem statuses besides 400 (always possible), e.g. 404, 409, 412, 422. */
  readonly problems: readonly number[];
  /** Reads a read model while building the command, so `Tally-Consistency` applies. */
  readonly readsReadModels?: boolean;
  /**
   * A provider's webhook rather than a command: authenticated by its `Stripe-Signature` header, answered
   * without the command headers (`Idempotency-Key`, `If-Match`, `ETag`, `Tally-Consistency`).
   */
  readonly webhook?: boolean;
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

/** The OpenAPI 3.1 document of command-api. */
export function buildOpenApiDocument(operations: readonly ApiOperation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) {
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
    } else {
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

    const successHeaders: Record<string, unknown> = operation.webhook
      ? {}
      : {
          ETag: {
            description: 'Strong entity tag of the stream version, e.g. `"3"`',
            schema: { type: 'string' },
          },
          'Tally-Consistency': {
            description: 'Consistency token: send it to query-api to read your write',
            schema: { type: 'string' },
          },
        };
    if (operation.success.status !== 200) {
      successHeaders.Location = {
        description: 'Where to read the created resource (query API)',
        schema: { type: 'string' },
      };
    }
    const responses: Record<string, unknown> = {
      [operation.success.status]: {
        description: operation.success.description,
        headers: successHeaders,
        content: { 'application/json': { schema: schemaOf(operation.success.schema, 'output') } },
      },
    };
    // Any request may carry a bad access token (401).
    const problemStatuses = [...new Set([400, 401, 413, 415, ...operation.problems])].sort((a, b) => a - b);
    for (const status of problemStatuses) {
      responses[status] = {
        description: PROBLEM_TEXT[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }

    const path = (paths[operation.path] ??= {});
    path[operation.method] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: [operation.tag],
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
        "Commands that change Tally: catalog, inventory, carts, checkout and orders, and the payment provider's " +
        'webhooks. Every command success carries the stream version (`ETag`) and a consistency token ' +
        '(`Tally-Consistency`); every error is an RFC 9457 problem.',
    },
    paths,
    components: { schemas: { Problem: schemaOf(problemDetailsSchema, 'output') } },
  };
}
