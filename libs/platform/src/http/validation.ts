import type { z } from 'zod';
import { type FieldProblem, ValidationProblem } from './problem';

export type RequestPart = 'body' | 'query' | 'path' | 'header';

/**
 * Parses one part of a request against its schema, or throws a 400 {@link ValidationProblem} naming every bad
 * field. Field names are dotted paths within the part (`quantity`, `price.amount`); path and header
 * problems are prefixed so the client knows where to look (`path.sku`, `header.If-Match`).
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, part: RequestPart): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldProblem[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        errors.push({ field: qualify(part, [...path, key]), message: 'is not a known field' });
      continue;
    }
    errors.push({ field: qualify(part, path), message: describeIssue(issue, value, path) });
  }
  throw new ValidationProblem(errors);
}

function qualify(part: RequestPart, path: readonly string[]): string {
  const joined = path.join('.');
  if (part === 'body') return joined || '(body)';
  return joined ? `${part}.${joined}` : part;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown, path: readonly string[]): string {
  if (issue.code === 'invalid_type' && valueAt(root, path) === undefined) return 'is required';
  return issue.message;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
