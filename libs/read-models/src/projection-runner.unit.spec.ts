import { isTransientError, TransientProjectionError } from './projection-runner';

const sqlError = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

describe('isTransientError', () => {
  it.each([
    ['a lost connection', sqlError('08006')],
    ['a server shutdown', sqlError('57P01')],
    ['a serialization failure', sqlError('40001')],
    ['a deadlock', sqlError('40P01')],
    ['a statement timeout', sqlError('57014')],
    ['too many connections', sqlError('53300')],
    ['a missing table (migrations not applied)', sqlError('42P01')],
    ['a refused socket', sqlError('ECONNREFUSED')],
    ['a terminated pg connection', new Error('Connection terminated unexpectedly')],
    ['a handler declaring it', new TransientProjectionError('search index down')],
    ['a wrapped transient cause', new Error('batch failed', { cause: sqlError('08001') })],
  ])('treats %s as infrastructure', (_name, error) => {
    expect(isTransientError(error)).toBe(true);
  });

  it.each([
    ['bad input data', sqlError('22P02')],
    ['a unique violation', sqlError('23505')],
    ['a check violation', sqlError('23514')],
    ['a plain error', new TypeError("Cannot read properties of undefined (reading 'amount')")],
    ['a thrown string', 'nope'],
    ['undefined', undefined],
  ])('treats %s as a poison event', (_name, error) => {
    expect(isTransientError(error)).toBe(false);
  });
});
