import { signAccessToken, signValue, verifyAccessToken, verifySignedValue } from './signed-tokens';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';
const NOW = new Date('2026-11-21T10:00:00Z');
const claims = { sub: 'c-1', role: 'customer' as const, email: 'ada@example.com' };

describe('access tokens', () => {
  it('verifies a token it signed and returns its claims', () => {
    const verified = verifyAccessToken(signAccessToken(claims, SECRET, NOW), SECRET, NOW);
    expect(verified).toEqual({
      ok: true,
      claims: { ...claims, iat: NOW.getTime() / 1000, exp: NOW.getTime() / 1000 + 900 },
    });
  });

  it('expires 15 minutes after issue', () => {
    const token = signAccessToken(claims, SECRET, NOW);
    const almost = new Date(NOW.getTime() + 899_000);
    const expired = new Date(NOW.getTime() + 900_000);
    expect(verifyAccessToken(token, SECRET, almost).ok).toBe(true);
    expect(verifyAccessToken(token, SECRET, expired)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a token signed with another secret', () => {
    const token = signAccessToken(claims, 'another-secret-of-at-least-thirty-two-chars', NOW);
    expect(verifyAccessToken(token, SECRET, NOW)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects a token whose claims were edited (role raised to admin)', () => {
    const [header, , signature] = signAccessToken(claims, SECRET, NOW).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin', iat: 0, exp: 9e9 })).toString(
      'base64url',
    );
    expect(verifyAccessToken(`${header}.${forged}.${signature}`, SECRET, NOW)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects the "none" algorithm and garbage', () => {
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = signAccessToken(claims, SECRET, NOW).split('.')[1];
    expect(verifyAccessToken(`${none}.${payload}.`, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyAccessToken('not-a-token', SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('rejects a well-signed token with an unknown role', () => {
    const token = signAccessToken({ ...claims, role: 'root' as 'admin' }, SECRET, NOW);
    expect(verifyAccessToken(token, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('signed values', () => {
  it('round-trips and refuses tampering, another purpose or another secret', () => {
    const signed = signValue('cart-1', SECRET, 'cart');
    expect(verifySignedValue(signed, SECRET, 'cart')).toBe('cart-1');
    expect(verifySignedValue(signed.replace('cart-1', 'cart-2'), SECRET, 'cart')).toBeNull();
    expect(verifySignedValue(signed, SECRET, 'other')).toBeNull();
    expect(verifySignedValue(signed, 'another-secret-of-at-least-thirty-two-chars', 'cart')).toBeNull();
    expect(verifySignedValue('no-signature', SECRET, 'cart')).toBeNull();
  });
});
