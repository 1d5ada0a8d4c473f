import { z } from 'zod';

/** One bad input field: a dotted path (`shippingAddress.country`, `items.0.quantity`) and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** An RFC 9457 problem details body as Tally sends it. */
export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  /** Stable, machine-readable error code (e.g. `VALIDATION_FAILED`, `CART_ALREADY_CHECKED_OUT`). */
  readonly code: string;
  /** Every bad field, for 400 responses (and for domain errors about one field). */
  readonly errors?: readonly FieldProblem[];
  readonly correlationId?: string;
}

/**
 * An error that already knows its HTTP problem. Anything the edge rejects before the domain runs
 * (validation, preconditions, waiting for a projection) throws one of these.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    detail?: string,
    readonly errors?: readonly FieldProblem[],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
  }
}

/** 400: the request does not match its schema; `errors` lists every bad field. */
export class ValidationProblem extends HttpProblem {
  constructor(errors: readonly FieldProblem[], detail = 'The request has invalid fields.') {
    super(400, 'VALIDATION_FAILED', 'Invalid request', detail, errors);
  }
}

export const problemType = (code: string): string =>
  `urn:tally:problem:${code.toLowerCase().replace(/_/g, '-')}`;

/** The problem body as a schema, for the OpenAPI documents of every app (mirrors {@link ProblemDetails}). */
export const problemDetailsSchema = z
  .object({
    type: z.string().meta({ example: 'urn:tally:problem:validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().meta({ description: 'Stable machine-readable code', example: 'VALIDATION_FAILED' }),
    errors: z
      .array(
        z.object({
          field: z.string().meta({
            example: 'price.amount',
            description: 'Body field, or `path.x` / `query.x` / `header.X` for other parts of the request',
          }),
          message: z.string(),
        }),
      )
      .optional()
      .describe('Every bad field'),
    correlationId: z.string().optional().describe('The X-Correlation-Id of the request, for support'),
  })
  .meta({ description: 'RFC 9457 problem details' });

/**
 * 503: the read models a request depends on did not reach its `Tally-Consistency` token in time. The client
 * retries after `Retry-After` rather than getting a stale answer (DESIGN.md §6).
 */
export class ConsistencyTimeout extends HttpProblem {
  constructor(projections: readonly string[], timeoutMs: number) {
    super(
      503,
      'CONSISTENCY_TIMEOUT',
      'Read model not yet consistent',
      `The ${projections.join(' and ')} read model(s) did not reach the Tally-Consistency token within ${timeoutMs} ms; retry shortly.`,
      // No field is wrong: the token is valid, the read models have not reached it yet.
      undefined,
      { 'retry-after': '1' },
    );
  }
}
