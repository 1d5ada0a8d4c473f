import { toProblem } from './problem-details.filter';
import { HttpProblem, ValidationProblem } from './problem';

class CartAlreadyCheckedOut extends Error {
  readonly kind = 'illegal_state';
  readonly code = 'CART_ALREADY_CHECKED_OUT';
  readonly field = undefined;
}
class CartLineNotFound extends Error {
  readonly kind = 'not_found';
  readonly code = 'CART_LINE_NOT_FOUND';
  readonly field = 'sku';
}
class CartCurrencyMismatch extends Error {
  readonly kind = 'unprocessable';
  readonly code = 'CART_CURRENCY_MISMATCH';
  readonly field = 'unitPrice.currency';
}

describe('toProblem', () => {
  it.each([
    [new CartAlreadyCheckedOut('checked out'), 409, 'CART_ALREADY_CHECKED_OUT'],
    [new CartLineNotFound('no line'), 404, 'CART_LINE_NOT_FOUND'],
    [new CartCurrencyMismatch('currency'), 422, 'CART_CURRENCY_MISMATCH'],
  ])('maps domain error %p to its status', (error, status, code) => {
    const { problem } = toProblem(error);
    expect(problem.status).toBe(status);
    expect(problem.code).toBe(code);
    expect(problem.type).toBe(`urn:tally:problem:${code.toLowerCase().replace(/_/g, '-')}`);
  });

  it('names the field a domain error is about', () => {
    expect(toProblem(new CartLineNotFound('no line')).problem.errors).toEqual([
      { field: 'sku', message: 'no line' },
    ]);
  });

  it('maps a concurrency conflict to 412', () => {
    const error = Object.assign(new Error('conflict'), { code: 'CONCURRENCY_CONFLICT' });
    expect(toProblem(error).problem.status).toBe(412);
  });

  it('maps Fastify body errors', () => {
    const tooLarge = Object.assign(new Error('big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    const badJson = Object.assign(new Error('bad'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    const mediaType = Object.assign(new Error('type'), {
      code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      statusCode: 415,
    });
    expect(toProblem(tooLarge).problem).toMatchObject({ status: 413, errors: [{ field: '(body)' }] });
    expect(toProblem(badJson).problem).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect(toProblem(mediaType).problem).toMatchObject({ status: 415 });
  });

  it('keeps headers of an HttpProblem', () => {
    const error = new HttpProblem(503, 'NOT_CONSISTENT_YET', 'Not consistent yet', undefined, undefined, {
      'retry-after': '1',
    });
    expect(toProblem(error)).toMatchObject({ problem: { status: 503 }, headers: { 'retry-after': '1' } });
  });

  it('passes validation problems through with every field', () => {
    const error = new ValidationProblem([{ field: 'quantity', message: 'too small' }]);
    expect(toProblem(error).problem).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'quantity' }],
    });
  });

  it('hides the details of unexpected errors', () => {
    const { problem } = toProblem(new TypeError('secret internals at /srv/x.ts:12'));
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain('secret');
  });
});
