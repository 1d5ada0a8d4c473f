import { type FieldProblem, parseRequest, ValidationProblem } from '@tally/platform';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/**
 * Validates a request's path parameters and body together, so one 400 names every bad field of both
 * (`path.cartId` and `quantity` at once).
 */
export function parseCommandRequest<P extends z.ZodType, B extends z.ZodType>(
  request: FastifyRequest,
  schemas: { readonly path: P; readonly body: B },
): { path: z.infer<P>; body: z.infer<B> } {
  const errors: FieldProblem[] = [];
  const attempt = <S extends z.ZodType>(schema: S, value: unknown, part: 'path' | 'body') => {
    try {
      return parseRequest(schema, value, part);
    } catch (error) {
      if (!(error instanceof ValidationProblem)) throw error;
      errors.push(...(error.errors ?? []));
      return undefined;
    }
  };
  const path = attempt(schemas.path, request.params, 'path');
  const body = attempt(schemas.body, request.body, 'body');
  if (errors.length > 0) throw new ValidationProblem(errors);
  return { path: path as z.infer<P>, body: body as z.infer<B> };
}
