import { HttpProblem, toProblem } from '@tally/platform';

/** Where the client put the value a domain error is about, by error code and by domain field name. */
export interface FieldNames {
  /** e.g. `{ PRODUCT_NOT_FOUND: 'path.sku' }`: for errors that carry no field. */
  readonly byCode?: Readonly<Record<string, string>>;
  /** e.g. `{ sku: 'path.sku', 'unitPrice.currency': 'sku' }`: the command's field -> the request's. */
  readonly byField?: Readonly<Record<string, string>>;
}

/**
 * A domain error names command fields (`sku`, `unitPrice.currency`); the client sent a request whose
 * fields may sit elsewhere (`path.sku`) or be derived (`unitPrice` comes from `sku`). Returns the error as
 * a problem naming the request's field; any other error is returned unchanged.
 */
export function inRequestTerms(error: unknown, names: FieldNames): unknown {
  if (!isDomainError(error)) return error;
  const field =
    error.field === undefined ? names.byCode?.[error.code] : (names.byField?.[error.field] ?? error.field);
  if (field === undefined) return error;
  const { problem } = toProblem(error);
  return new HttpProblem(problem.status, problem.code, problem.title, problem.detail, [
    { field, message: error.message },
  ]);
}

/** A typed domain error (`kind`, `code`, maybe `field`), recognised by shape like the problem filter does. */
export function isDomainError(
  error: unknown,
): error is Error & { kind: string; code: string; field?: string } {
  return (
    error instanceof Error &&
    typeof (error as { kind?: unknown }).kind === 'string' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}
