import { fieldErrors, toProblem } from './api';
import { cartTokenFromSetCookie } from './cart';

describe('toProblem', () => {
  it('keeps code, title, detail and the field errors of an RFC 9457 body', () => {
    const problem = toProblem(400, {
      type: 'urn:tally:problem:validation-failed',
      title: 'Bad request',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: 'Some fields are wrong.',
      errors: [
        { field: 'email', message: 'must be an email address' },
        { field: 'body.token', message: 'is invalid' },
        { nonsense: true },
      ],
    });
    expect(problem).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      title: 'Bad request',
      detail: 'Some fields are wrong.',
      errors: [
        { field: 'email', message: 'must be an email address' },
        { field: 'body.token', message: 'is invalid' },
      ],
    });
    expect(fieldErrors(problem)).toEqual({ email: 'must be an email address', token: 'is invalid' });
  });

  it('makes a problem of a body that is not one', () => {
    expect(toProblem(502, 'Bad gateway')).toEqual({
      status: 502,
      code: 'HTTP_502',
      title: 'Something went wrong',
      errors: [],
    });
  });
});

describe('cartTokenFromSetCookie', () => {
  it('finds the cart token among the Set-Cookie headers', () => {
    expect(
      cartTokenFromSetCookie([
        'tally_access=a.b.c; Path=/; HttpOnly',
        'tally_cart=0190-cart.sig%3D; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax',
      ]),
    ).toBe('0190-cart.sig=');
    expect(cartTokenFromSetCookie(['tally_access=a.b.c; Path=/'])).toBeUndefined();
  });
});
