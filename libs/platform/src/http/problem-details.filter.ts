import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type ProblemDetails, problemType, HttpProblem } from './problem';

/**
 * Maps an error of any layer to a problem. Domain and store errors are recognised by shape (`kind`/`code`)
 * rather than class, so the platform does not depend on the domain.
 */
export function toProblem(error: unknown): {
  problem: Omit<ProblemDetails, 'instance' | 'correlationId'>;
  headers: Record<string, string>;
} {
  if (error instanceof HttpProblem) {
    return {
      problem: {
        type: problemType(error.code),
        title: error.title,
        status: error.status,
        detail: error.message,
        code: error.code,
        ...(error.errors ? { errors: error.errors } : {}),
      },
      headers: { ...error.headers },
    };
  }
  if (isDomainError(error)) {
    const status = { illegal_state: 409, not_found: 404, unprocessable: 422 }[error.kind];
    const title = {
      illegal_state: 'Not allowed in the current state',
      not_found: 'Not found',
      unprocessable: 'Unprocessable',
    }[error.kind];
    return {
      problem: {
        type: problemType(error.code),
        title,
        status,
        detail: error.message,
        code: error.code,
        ...(error.field ? { errors: [{ field: error.field, message: error.message }] } : {}),
      },
      headers: {},
    };
  }
  if (isConcurrencyError(error)) {
    return {
      problem: {
        type: problemType('VERSION_MISMATCH'),
        title: 'Version mismatch',
        status: 412,
        detail: 'The resource changed since the version given in If-Match; read it again and retry.',
        code: 'VERSION_MISMATCH',
      },
      headers: {},
    };
  }
  // Nest's Fastify adapter wraps Fastify's own 4xx errors (body parsing, size limit) in an HttpException.
  const fastifyError =
    asFastifyError(error) ?? (error instanceof HttpException ? asFastifyError(error.cause) : undefined);
  if (fastifyError) return { problem: fastifyProblem(fastifyError), headers: {} };
  // Tally code throws HttpProblem, so a Nest NotFoundException comes from the router: no such route.
  if (error instanceof NotFoundException) {
    return {
      problem: {
        type: problemType('ROUTE_NOT_FOUND'),
        title: 'Not found',
        status: 404,
        detail: error.message.replace(/^Cannot (\w+) /, 'No route $1 '),
        code: 'ROUTE_NOT_FOUND',
      },
      headers: {},
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return {
      problem: { type: problemType(`HTTP_${status}`), title: error.message, status, code: `HTTP_${status}` },
      headers: {},
    };
  }
  return {
    problem: {
      type: problemType('INTERNAL'),
      title: 'Internal error',
      status: 500,
      detail: 'An unexpected error occurred; it has been logged with the correlation id.',
      code: 'INTERNAL',
    },
    headers: {},
  };
}

/** Sends a problem response. Never includes a stack trace. */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  error: unknown,
  logger: Logger,
): void {
  const { problem, headers } = toProblem(error);
  const correlationId = request.id;
  // An HttpProblem is an outcome the edge chose (e.g. 503 while a projection catches up), not a bug.
  if (problem.status >= 500 && !(error instanceof HttpProblem)) {
    logger.error({ err: error, correlationId, url: request.url }, 'request failed');
  } else if (problem.status >= 500) {
    logger.warn({ correlationId, code: problem.code, url: request.url }, 'request not served');
  } else {
    logger.debug({ correlationId, code: problem.code }, 'request rejected');
  }
  void reply
    .status(problem.status)
    .headers(headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send({ ...problem, instance: request.url, correlationId } satisfies ProblemDetails);
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), error, this.logger);
  }
}

interface DomainErrorShape {
  kind: 'illegal_state' | 'not_found' | 'unprocessable';
  code: string;
  message: string;
  field?: string;
}

function isDomainError(error: unknown): error is DomainErrorShape {
  if (!(error instanceof Error)) return false;
  const kind = (error as { kind?: unknown }).kind;
  return (
    (kind === 'illegal_state' || kind === 'not_found' || kind === 'unprocessable') &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

function isConcurrencyError(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === 'CONCURRENCY_CONFLICT';
}

interface FastifyErrorShape {
  code: string;
  statusCode: number;
  message: string;
}

function asFastifyError(error: unknown): FastifyErrorShape | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number') {
    return { code, statusCode, message: error.message };
  }
  return undefined;
}

function fastifyProblem(error: FastifyErrorShape): Omit<ProblemDetails, 'instance' | 'correlationId'> {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        type: problemType('BODY_TOO_LARGE'),
        title: 'Body too large',
        status: 413,
        detail: 'The request body exceeds 100 kB.',
        code: 'BODY_TOO_LARGE',
        errors: [{ field: '(body)', message: 'exceeds 100 kB' }],
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        type: problemType('UNSUPPORTED_MEDIA_TYPE'),
        title: 'Unsupported media type',
        status: 415,
        detail: 'Send JSON with Content-Type: application/json.',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        errors: [{ field: 'header.Content-Type', message: 'must be application/json' }],
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return {
        type: problemType('MALFORMED_JSON'),
        title: 'Malformed JSON',
        status: 400,
        detail: 'The request body is not valid JSON.',
        code: 'MALFORMED_JSON',
        errors: [{ field: '(body)', message: 'is not valid JSON' }],
      };
    default: {
      const status = error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      return {
        type: problemType('BAD_REQUEST'),
        title: 'Bad request',
        status,
        detail: error.message,
        code: 'BAD_REQUEST',
      };
    }
  }
}
