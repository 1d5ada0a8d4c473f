import { createHmac } from 'node:crypto';
import { cartIdOfToken, sessionFromAccessToken } from './session';

const SECRET = 'storefront-unit-test-secret-of-at-least-32-chars';
const NOW = 1_800_000_000;

function token(claims: Record<string, unknown>, secret = SECRET): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

const claims = { sub: 'c-1', role: 'admin', email: 'ada@example.com', iat: NOW - 10, exp: NOW + 600 };

describe('sessionFromAccessToken', () => {
  const previous = process.env.TALLY_AUTH_SECRET;
  afterEach(() => {
    if (previous === undefined) delete process.env.TALLY_AUTH_SECRET;
    else process.env.TALLY_AUTH_SECRET = previous;
  });

  it('reads the account from a live token', () => {
    process.env.TALLY_AUTH_SECRET = SECRET;
    expect(sessionFromAccessToken(token(claims), NOW)).toEqual({
      kind: 'account',
      id: 'c-1',
      role: 'admin',
      email: 'ada@example.com',
      expiresAt: NOW + 600,
    });
  });

  it('is a guest without a token, with an expired one, or with a malformed one', () => {
    expect(sessionFromAccessToken(undefined, NOW)).toEqual({ kind: 'guest' });
    expect(sessionFromAccessToken(token({ ...claims, exp: NOW }), NOW)).toEqual({ kind: 'guest' });
    expect(sessionFromAccessToken('not-a-jwt', NOW)).toEqual({ kind: 'guest' });
    expect(sessionFromAccessToken('a.%%%.c', NOW)).toEqual({ kind: 'guest' });
  });

  it('is a guest when the role is not one Tally knows', () => {
    expect(sessionFromAccessToken(token({ ...claims, role: 'root' }), NOW)).toEqual({ kind: 'guest' });
  });

  it('refuses a token signed with another secret when the secret is known here', () => {
    process.env.TALLY_AUTH_SECRET = SECRET;
    expect(sessionFromAccessToken(token(claims, 'x'.repeat(40)), NOW)).toEqual({ kind: 'guest' });
  });
});

describe('cartIdOfToken', () => {
  it('takes the id before the last dot of a signed cart token', () => {
    expect(cartIdOfToken('0190a0b0-0000-7000-8000-000000000001.c2lnbmF0dXJl')).toBe(
      '0190a0b0-0000-7000-8000-000000000001',
    );
  });

  it('has no id for a missing or unsigned token', () => {
    expect(cartIdOfToken(undefined)).toBeUndefined();
    expect(cartIdOfToken('nodot')).toBeUndefined();
    expect(cartIdOfToken('.sig')).toBeUndefined();
  });
});
