import { AggregateNotFoundError, UnprocessableCommandError } from '@tally/domain';
import { HttpProblem } from '@tally/platform';
import { inRequestTerms } from './domain-error-fields';

class ThingNotFound extends AggregateNotFoundError {
  readonly code = 'THING_NOT_FOUND';
}
class BadPrice extends UnprocessableCommandError {
  readonly code = 'BAD_PRICE';
}

describe('inRequestTerms', () => {
  it('names the request field of an error that carries none, by code', () => {
    const problem = inRequestTerms(new ThingNotFound('no such thing'), {
      byCode: { THING_NOT_FOUND: 'path.id' },
    });
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem).toMatchObject({
      status: 404,
      code: 'THING_NOT_FOUND',
      errors: [{ field: 'path.id', message: 'no such thing' }],
    });
  });

  it('renames a command field to the request field', () => {
    const problem = inRequestTerms(new BadPrice('wrong currency', 'unitPrice.currency'), {
      byField: { 'unitPrice.currency': 'sku' },
    });
    expect(problem).toMatchObject({ status: 422, code: 'BAD_PRICE', errors: [{ field: 'sku' }] });
  });

  it('keeps a field that needs no renaming', () => {
    expect(inRequestTerms(new BadPrice('too low', 'quantity'), {})).toMatchObject({
      status: 422,
      errors: [{ field: 'quantity' }],
    });
  });

  it('leaves other errors alone', () => {
    const error = new Error('boom');
    expect(inRequestTerms(error, { byCode: { X: 'y' } })).toBe(error);
    const unnamed = new ThingNotFound('no such thing');
    expect(inRequestTerms(unnamed, {})).toBe(unnamed);
  });
});
