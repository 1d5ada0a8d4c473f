import { z } from 'zod';
import { ValidationProblem } from './problem';
import { parseRequest } from './validation';

const body = z.strictObject({
  sku: z.string().min(1),
  quantity: z.number().int().min(1).max(99),
  price: z.strictObject({ amount: z.number().int().positive(), currency: z.string().regex(/^[A-Z]{3}$/) }),
});

function problemOf(run: () => unknown): ValidationProblem {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationProblem) return error;
    throw error;
  }
  throw new Error('expected a ValidationProblem');
}

describe('parseRequest', () => {
  it('returns the parsed value when valid', () => {
    const value = { sku: 'A-1', quantity: 2, price: { amount: 100, currency: 'EUR' } };
    expect(parseRequest(body, value, 'body')).toEqual(value);
  });

  it('names every bad field at once, with dotted paths', () => {
    const problem = problemOf(() =>
      parseRequest(body, { quantity: 0, price: { amount: 1.5, currency: 'eur' } }, 'body'),
    );
    expect(problem.status).toBe(400);
    expect(problem.errors?.map((e) => e.field).sort()).toEqual([
      'price.amount',
      'price.currency',
      'quantity',
      'sku',
    ]);
    expect(problem.errors?.find((e) => e.field === 'sku')?.message).toBe('is required');
  });

  it('names unknown fields', () => {
    const problem = problemOf(() =>
      parseRequest(
        body,
        { sku: 'A', quantity: 1, price: { amount: 1, currency: 'EUR', tax: 1 }, extra: true },
        'body',
      ),
    );
    expect([...(problem.errors ?? [])].sort((a, b) => a.field.localeCompare(b.field))).toEqual([
      { field: 'extra', message: 'is not a known field' },
      { field: 'price.tax', message: 'is not a known field' },
    ]);
  });

  it('prefixes path, query and header fields with their location', () => {
    const problem = problemOf(() => parseRequest(z.object({ cartId: z.uuid() }), { cartId: 'nope' }, 'path'));
    expect(problem.errors?.[0]?.field).toBe('path.cartId');
  });

  it('reports a body that is not an object', () => {
    const problem = problemOf(() => parseRequest(body, 'text', 'body'));
    expect(problem.errors?.[0]?.field).toBe('(body)');
  });
});
