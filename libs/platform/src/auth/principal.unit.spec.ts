import { HttpProblem } from '../http/problem';
import { parseCookies, serializeCookie } from './cookies';
import { actorOf, cartTokenFromRequest, principalFromRequest, signCartToken } from './principal';
import { signAccessToken } from './signed-tokens';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const NOW = new Date('2026-11-21T10:00:00Z');
const token = signAccessToken({ sub: 'c-1', role: 'admin', email: 'a@example.com' }, SECRET, NOW);

function problemOf(run: () => unknown): HttpProblem {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected an HttpProblem');
}

describe('principalFromRequest', () => {
  it('is a guest without a token', () => {
    const principal = principalFromRequest({ headers: {} }, SECRET, NOW);
    expect(principal).toEqual({ kind: 'guest' });
    expect(actorOf(principal)).toEqual({ id: 'anonymous', role: 'guest' });
  });

  it('reads a bearer token, or the tally_access cookie', () => {
    const expected = { kind: 'account', id: 'c-1', role: 'admin', email: 'a@example.com' };
    expect(principalFromRequest({ headers: { authorization: `Bearer ${token}` } }, SECRET, NOW)).toEqual(
      expected,
    );
    expect(principalFromRequest({ headers: { cookie: `x=1; tally_access=${token}` } }, SECRET, NOW)).toEqual(
      expected,
    );
  });

  it('answers 401 naming the header for an expired or forged token, never a silent guest', () => {
    const later = new Date(NOW.getTime() + 3_600_000);
    const expired = problemOf(() =>
      principalFromRequest({ headers: { authorization: `Bearer ${token}` } }, SECRET, later),
    );
    expect([expired.status, expired.code, expired.errors?.[0]?.field]).toEqual([
      401,
      'ACCESS_TOKEN_EXPIRED',
      'header.Authorization',
    ]);
    const forged = problemOf(() =>
      principalFromRequest({ headers: { authorization: `Bearer ${token}x` } }, SECRET, NOW),
    );
    expect([forged.status, forged.code]).toEqual([401, 'ACCESS_TOKEN_INVALID']);
    const scheme = problemOf(() =>
      principalFromRequest({ headers: { authorization: 'Basic abc' } }, SECRET, NOW),
    );
    expect(scheme.code).toBe('ACCESS_TOKEN_INVALID');
  });
});

describe('cartTokenFromRequest', () => {
  const cartToken = signCartToken('0193b1b2-0000-7000-8000-000000000001', SECRET);

  it('reads the cart id from the header or the cookie', () => {
    expect(cartTokenFromRequest({ headers: { 'tally-cart-token': cartToken } }, SECRET)).toBe(
      '0193b1b2-0000-7000-8000-000000000001',
    );
    expect(
      cartTokenFromRequest({ headers: { cookie: `tally_cart=${encodeURIComponent(cartToken)}` } }, SECRET),
    ).toBe('0193b1b2-0000-7000-8000-000000000001');
    expect(cartTokenFromRequest({ headers: {} }, SECRET)).toBeUndefined();
  });

  it('answers 403 naming the cookie when the cart cookie was tampered with', () => {
    const tampered = cartToken.replace('0001', '0002');
    const problem = problemOf(() =>
      cartTokenFromRequest({ headers: { cookie: `tally_cart=${tampered}` } }, SECRET),
    );
    expect([problem.status, problem.code, problem.errors?.[0]?.field]).toEqual([
      403,
      'CART_TOKEN_INVALID',
      'cookie.tally_cart',
    ]);
  });
});

describe('cookies', () => {
  it('serializes an HttpOnly SameSite cookie and parses it back', () => {
    const header = serializeCookie('tally_cart', 'a.b=c', { maxAgeSeconds: 60, secure: true });
    expect(header).toBe('tally_cart=a.b%3Dc; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure');
    expect(parseCookies('tally_cart=a.b%3Dc; other="x"').get('tally_cart')).toBe('a.b=c');
    expect(parseCookies('a=1; a=2').get('a')).toBe('1');
  });
});
