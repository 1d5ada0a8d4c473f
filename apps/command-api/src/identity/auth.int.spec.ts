import { customerEmailStreamId, customerStreamId } from '@tally/domain';
import { uuidv7, verifyAccessToken } from '@tally/platform';
import { authHeader, TEST_AUTH_SECRET } from '@tally/testing';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';
import { STALE_RESERVATION_MS } from './accounts';
import { emailDigest } from './email';
import { PasswordHasher } from './password-hasher';
import { SIGN_IN_LIMITS } from './sign-in-limiter';
import {
  CapturingMailSender,
  cookieNamed,
  freshEmail,
  strongPassword,
  TestClock,
} from './testing/identity.fixtures';

jest.setTimeout(120_000);

interface Session {
  customerId: string;
  email: string;
  name: string;
  role: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  cartId: string | null;
}

describe('identity: sign-up, sign-in, refresh, sign-out, roles (PostgreSQL)', () => {
  let api: InProcessCommandApi;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    api = await startInProcessCommandApi({ clock, mailSender: new CapturingMailSender() });
  });
  afterEach(async () => {
    await api.close();
  });

  const signUp = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    api.rawRequest('POST', '/api/v1/auth/sign-up', body, headers);
  const signIn = (email: string, password: string, remoteAddress = '127.0.0.1') =>
    api.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ email, password }),
      remoteAddress,
    });
  const refresh = (refreshToken: string) => api.rawRequest('POST', '/api/v1/auth/refresh', { refreshToken });

  async function account(role?: 'admin'): Promise<{ email: string; password: string; session: Session }> {
    const email = freshEmail(role ?? 'customer');
    const password = strongPassword();
    const response = await signUp({ email, password, name: 'Ada Lovelace' });
    expect(response.statusCode).toBe(201);
    const session = response.json<Session>();
    if (role === 'admin') {
      const changed = await api.rawRequest(
        'PUT',
        `/api/v1/customers/${session.customerId}/role`,
        { role: 'admin' },
        authHeader('admin'),
      );
      expect(changed.statusCode).toBe(200);
    }
    return { email, password, session };
  }

  describe('sign-up', () => {
    it('registers a customer, signs them in with cookies, and records no password material', async () => {
      const password = strongPassword();
      const email = freshEmail();
      const response = await signUp({ email: `  ${email.toUpperCase()} `, password, name: ' Ada ' });

      expect(response.statusCode).toBe(201);
      const body = response.json<Session>();
      expect(Object.keys(body).sort()).toEqual(
        ['accessToken', 'cartId', 'customerId', 'email', 'expiresIn', 'name', 'refreshToken', 'role'].sort(),
      );
      expect(body).toMatchObject({ email, name: 'Ada', role: 'customer', expiresIn: 900, cartId: null });
      expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const claims = verifyAccessToken(body.accessToken, TEST_AUTH_SECRET, new Date());
      expect(claims.ok && claims.claims).toMatchObject({ sub: body.customerId, role: 'customer', email });
      expect(cookieNamed(response, 'tally_access')).toMatch(/Max-Age=900; HttpOnly; SameSite=Lax$/);
      expect(cookieNamed(response, 'tally_refresh')).toMatch(
        /^tally_refresh=.+; Path=\/api\/v1\/auth; Max-Age=604800; HttpOnly/,
      );
      expect(response.headers['tally-consistency']).toEqual(expect.any(String));

      const events = await api.stream(customerStreamId(body.customerId));
      expect(events.map((event) => [event.type, event.data])).toEqual([
        ['CustomerRegistered', { customerId: body.customerId, email, name: 'Ada', role: 'customer' }],
      ]);
      // The actor of a sign-up is the new account itself.
      expect(events[0]?.metadata.actor).toEqual({ id: body.customerId, role: 'customer' });
      const reservation = await api.stream(customerEmailStreamId(emailDigest(email)));
      expect(reservation.map((event) => event.data)).toEqual([{ customerId: body.customerId }]);
      const { rows } = await api.sql.query<{ events: string }>(
        'SELECT json_agg(e)::text AS events FROM events e',
      );
      expect(rows[0]?.events).not.toContain(password);
      expect(rows[0]?.events).not.toContain('argon2');
      const { rows: credentials } = await api.sql.query<{ password_hash: string }>(
        'SELECT password_hash FROM customer_credentials WHERE customer_id = $1',
        [body.customerId],
      );
      expect(credentials[0]?.password_hash).toMatch(/^\$argon2id\$/);
    });

    it.each([
      ['too short', 'short-pw-1', 'must be at least 12 characters'],
      ['too long', 'x'.repeat(60) + 'y'.repeat(69), 'must be at most 128 characters'],
      ['a breached password', 'Password1234', 'is one of the most common passwords found in data breaches'],
      ['one repeated character', 'zzzzzzzzzzzzzz', 'must not repeat one character'],
      ['the email local part', 'my-grace.hopper-2026', 'must not contain your email address'],
    ])('rejects a password that is %s with 400 WEAK_PASSWORD', async (_case, password, message) => {
      const response = await signUp({ email: 'grace.hopper@example.com', password, name: 'Grace' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({
        code: 'WEAK_PASSWORD',
        errors: [{ field: 'password', message }],
      });
      expect(await api.eventCount()).toBe(0);
    });

    it('rejects a malformed email with 400 naming the field', async () => {
      const response = await signUp({ email: 'not-an-email', password: strongPassword(), name: 'Ada' });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] });
    });

    it('rejects an email that already has an account, whatever its case, with 409 EMAIL_TAKEN', async () => {
      const { email } = await account();
      const response = await signUp({ email: email.toUpperCase(), password: strongPassword(), name: 'Eve' });
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({ code: 'EMAIL_TAKEN', errors: [{ field: 'email' }] });
    });

    describe('when a sign-up crashed between reserving the email and registering the account', () => {
      const email = 'crashed@example.com';
      const reservedId = uuidv7();
      beforeEach(async () => {
        await api.store.append(
          customerEmailStreamId(emailDigest(email)),
          [
            {
              eventId: uuidv7(),
              type: 'CustomerEmailReserved',
              data: { customerId: reservedId },
              metadata: {
                commandId: uuidv7(),
                correlationId: 'crashed',
                causationId: 'crashed',
                actor: { id: reservedId, role: 'customer' },
                occurredAt: clock.now().toISOString(),
                schemaVersion: 1,
              },
            },
          ],
          { expectedVersion: 'no_stream' },
        );
      });

      it('leaves the email to that sign-up for a while (it may still be running)', async () => {
        const response = await signUp({ email, password: strongPassword(), name: 'Ada' });
        expect(response.statusCode).toBe(409);
      });

      it('lets a later sign-up complete the account instead of blocking the email forever', async () => {
        clock.advance(STALE_RESERVATION_MS);
        const password = strongPassword();
        const response = await signUp({ email, password, name: 'Ada' });
        expect(response.statusCode).toBe(201);
        const { customerId } = response.json<Session>();
        // The abandoned account id is never used: the email is re-reserved for a fresh one.
        expect(customerId).not.toBe(reservedId);
        const reservations = await api.stream(customerEmailStreamId(emailDigest(email)));
        expect(reservations.map((event) => event.data)).toEqual([{ customerId: reservedId }, { customerId }]);
        expect((await signIn(email, password)).statusCode).toBe(200);
      });

      // Regression: two sign-ups completing one abandoned reservation at once could leave the loser's
      // password on the winner's account, so the loser could sign in to it.
      it('lets exactly one of two racing sign-ups take it over, and only the winner signs in', async () => {
        clock.advance(STALE_RESERVATION_MS);
        const passwords = [strongPassword(), strongPassword()];
        const responses = await Promise.all(
          passwords.map((password, index) => signUp({ email, password, name: `Racer ${index}` })),
        );
        expect(responses.map((response) => response.statusCode).sort()).toEqual([201, 409]);
        const winner = responses.findIndex((response) => response.statusCode === 201);
        expect((await signIn(email, passwords[winner]!)).statusCode).toBe(200);
        expect((await signIn(email, passwords[1 - winner]!)).statusCode).toBe(401);
      });
    });

    it("merges the guest cart the request carries into the new customer's cart", async () => {
      const opened = await api.rawRequest('POST', '/api/v1/carts');
      expect(opened.statusCode).toBe(201);
      const { cartToken } = opened.json<{ cartToken: string }>();
      const response = await signUp(
        { email: freshEmail(), password: strongPassword(), name: 'Ada' },
        { cookie: `tally_cart=${cartToken}` },
      );
      expect(response.statusCode).toBe(201);
      const { cartId, customerId } = response.json<Session>();
      expect(cartId).toEqual(expect.any(String));
      expect(cookieNamed(response, 'tally_cart')).toMatch(new RegExp(`^tally_cart=${cartId}\\.`));
      const cart = await api.stream(`cart-${cartId!}`);
      expect(cart[0]).toMatchObject({ type: 'CartOpened', data: { customerId } });
    });

    it('refuses a tampered guest cart token before registering anything', async () => {
      const response = await signUp(
        { email: freshEmail(), password: strongPassword(), name: 'Ada' },
        { 'tally-cart-token': `${uuidv7()}.forged-signature` },
      );
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ code: 'CART_TOKEN_INVALID' });
      expect(await api.eventCount()).toBe(0);
    });
  });

  describe('sign-in', () => {
    it('signs in with the right password, whatever the email case', async () => {
      const { email, password, session } = await account();
      const response = await signIn(email.toUpperCase(), password);
      expect(response.statusCode).toBe(200);
      expect(response.json<Session>()).toMatchObject({
        customerId: session.customerId,
        role: 'customer',
        cartId: null,
      });
      expect(cookieNamed(response, 'tally_access')).toBeDefined();
    });

    it('answers an unknown email and a wrong password alike, after one password verification each', async () => {
      const { email } = await account();
      const verify = jest.spyOn(api.app.get(PasswordHasher), 'verify');

      const wrongPassword = await signIn(email, strongPassword());
      expect(verify).toHaveBeenCalledTimes(1);
      const unknownEmail = await signIn(freshEmail('nobody'), strongPassword());
      expect(verify).toHaveBeenCalledTimes(2);

      const comparable = (response: typeof wrongPassword) => {
        const { correlationId: _c, instance: _i, ...rest } = response.json<Record<string, unknown>>();
        return { status: response.statusCode, body: rest };
      };
      expect(comparable(wrongPassword)).toEqual(comparable(unknownEmail));
      expect(comparable(wrongPassword)).toMatchObject({ status: 401, body: { code: 'INVALID_CREDENTIALS' } });
      // Both verified against an argon2id hash (the unknown email against the dummy one).
      for (const [hash] of verify.mock.calls) expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    });

    it(`locks an account for ${SIGN_IN_LIMITS.windowMs / 60_000} minutes after ${SIGN_IN_LIMITS.perAccount} failures, even for the right password`, async () => {
      const { email, password } = await account();
      for (let attempt = 1; attempt <= SIGN_IN_LIMITS.perAccount; attempt += 1) {
        expect((await signIn(email, 'wrong-password-123')).statusCode).toBe(401);
      }
      const locked = await signIn(email, password);
      expect(locked.statusCode).toBe(429);
      expect(locked.json()).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(15 * 60);

      clock.advance(SIGN_IN_LIMITS.windowMs);
      expect((await signIn(email, password)).statusCode).toBe(200);
    });

    it('starts the account counter afresh after a successful sign-in', async () => {
      const { email, password } = await account();
      for (let attempt = 1; attempt < SIGN_IN_LIMITS.perAccount; attempt += 1)
        expect((await signIn(email, 'wrong-password-123')).statusCode).toBe(401);
      expect((await signIn(email, password)).statusCode).toBe(200);
      for (let attempt = 1; attempt < SIGN_IN_LIMITS.perAccount; attempt += 1)
        expect((await signIn(email, 'wrong-password-123')).statusCode).toBe(401);
      expect((await signIn(email, password)).statusCode).toBe(200);
    });

    it(`limits one IP to ${SIGN_IN_LIMITS.perIp} failures over any accounts`, async () => {
      const ip = '203.0.113.7';
      for (let attempt = 1; attempt <= SIGN_IN_LIMITS.perIp; attempt += 1) {
        expect((await signIn(freshEmail('probe'), 'wrong-password-123', ip)).statusCode).toBe(401);
      }
      const { email, password } = await account();
      const limited = await signIn(email, password, ip);
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBeDefined();
      // Another address is not affected.
      expect((await signIn(email, password, '203.0.113.8')).statusCode).toBe(200);
    });
  });

  describe('refresh tokens', () => {
    it('rotates: a refresh returns a new pair and spends the old token', async () => {
      const { session } = await account();
      const response = await refresh(session.refreshToken);
      expect(response.statusCode).toBe(200);
      const next = response.json<Session>();
      expect(next.refreshToken).not.toBe(session.refreshToken);
      expect(next).toMatchObject({ customerId: session.customerId, role: 'customer', expiresIn: 900 });
      expect(cookieNamed(response, 'tally_refresh')).toContain(next.refreshToken);
    });

    it('accepts the refresh token from the tally_refresh cookie', async () => {
      const { session } = await account();
      const response = await api.rawRequest('POST', '/api/v1/auth/refresh', undefined, {
        cookie: `tally_refresh=${session.refreshToken}`,
      });
      expect(response.statusCode).toBe(200);
    });

    it('revokes the whole family when a spent token is used again', async () => {
      const { session } = await account();
      const next = (await refresh(session.refreshToken)).json<Session>();

      const reused = await refresh(session.refreshToken);
      expect(reused.statusCode).toBe(401);
      expect(reused.json()).toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      // The thief's (or the victim's) newer token died with the family.
      const afterwards = await refresh(next.refreshToken);
      expect(afterwards.statusCode).toBe(401);
      expect(afterwards.json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('rejects an expired token', async () => {
      const { session } = await account();
      clock.advance(7 * 24 * 60 * 60 * 1000);
      const response = await refresh(session.refreshToken);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'REFRESH_TOKEN_INVALID' });
    });

    it('rejects an unknown or missing token', async () => {
      expect((await refresh('not-a-token-we-issued')).json()).toMatchObject({
        code: 'REFRESH_TOKEN_INVALID',
      });
      const missing = await api.rawRequest('POST', '/api/v1/auth/refresh');
      expect(missing.statusCode).toBe(401);
    });

    it('signs out: 204, the family is revoked and the cookies cleared, the cart cookie too', async () => {
      const { session } = await account();
      const response = await api.rawRequest('POST', '/api/v1/auth/sign-out', {
        refreshToken: session.refreshToken,
      });
      expect(response.statusCode).toBe(204);
      expect(cookieNamed(response, 'tally_access')).toContain('Max-Age=0');
      expect(cookieNamed(response, 'tally_refresh')).toContain('Max-Age=0');
      // The next shopper on this browser must not reach the signed-out customer's cart.
      expect(cookieNamed(response, 'tally_cart')).toMatch(
        /^tally_cart=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax$/,
      );
      expect((await refresh(session.refreshToken)).statusCode).toBe(401);
    });
  });

  describe('roles', () => {
    it('lets an admin change a role, effective at the next refresh', async () => {
      const { session } = await account();
      const admin = await account('admin');
      const response = await api.rawRequest(
        'PUT',
        `/api/v1/customers/${session.customerId}/role`,
        { role: 'analyst' },
        {
          authorization: `Bearer ${(await refresh(admin.session.refreshToken)).json<Session>().accessToken}`,
        },
      );
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ customerId: session.customerId, role: 'analyst', version: 2 });
      const [, changed] = await api.stream(customerStreamId(session.customerId));
      expect(changed).toMatchObject({
        type: 'CustomerRoleChanged',
        data: { role: 'analyst', previousRole: 'customer' },
        metadata: { actor: { id: admin.session.customerId, role: 'admin' } },
      });
      expect((await refresh(session.refreshToken)).json<Session>().role).toBe('analyst');
    });

    it('refuses a customer changing roles with 403', async () => {
      const { session } = await account();
      const response = await api.rawRequest(
        'PUT',
        `/api/v1/customers/${session.customerId}/role`,
        { role: 'admin' },
        { authorization: `Bearer ${session.accessToken}` },
      );
      expect(response.statusCode).toBe(403);
      expect(await api.stream(customerStreamId(session.customerId))).toHaveLength(1);
    });

    it('refuses a guest with 401, and answers 404 for an unknown account and 400 for an unknown role', async () => {
      const id = uuidv7();
      expect(
        (await api.rawRequest('PUT', `/api/v1/customers/${id}/role`, { role: 'admin' })).statusCode,
      ).toBe(401);
      const unknown = await api.rawRequest(
        'PUT',
        `/api/v1/customers/${id}/role`,
        { role: 'admin' },
        authHeader('admin'),
      );
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'CUSTOMER_NOT_FOUND' });
      const badRole = await api.rawRequest(
        'PUT',
        `/api/v1/customers/${id}/role`,
        { role: 'root' },
        authHeader('admin'),
      );
      expect(badRole.statusCode).toBe(400);
      expect(badRole.json()).toMatchObject({ errors: [{ field: 'role' }] });
    });
  });
});
