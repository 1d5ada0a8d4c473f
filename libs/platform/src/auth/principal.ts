import type { Actor } from '@tally/domain';
import { HttpProblem } from '../http/problem';
import { ACCESS_COOKIE, CART_COOKIE, CART_TOKEN_HEADER, parseCookies } from './cookies';
import { signValue, verifyAccessToken, verifySignedValue } from './signed-tokens';

/** Roles a signed-in account can hold. */
export const ACCOUNT_ROLES = ['customer', 'admin', 'auditor', 'analyst'] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];
/** Who may call a route: an account role, or `guest` for anyone (signed in or not). */
export type RouteRole = AccountRole | 'guest';

/** Who is making a request, as verified from its access token (or a guest without one). */
export type Principal =
  | { readonly kind: 'guest' }
  | { readonly kind: 'account'; readonly id: string; readonly role: AccountRole; readonly email: string };

export const GUEST: Principal = { kind: 'guest' };

/** The actor recorded in event metadata for a principal. */
export function actorOf(principal: Principal): Actor {
  return principal.kind === 'guest'
    ? { id: 'anonymous', role: 'guest' }
    : { id: principal.id, role: principal.role };
}

/** Minimal view of a request: headers only, so both Fastify and plain Node requests fit. */
export interface RequestHeaders {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Reads the principal from `Authorization: Bearer <jwt>` or the `tally_access` cookie. No token: a guest.
 * A token that is present but invalid or expired is a 401 (the client must refresh or sign in again), never
 * a silent downgrade to guest.
 */
export function principalFromRequest(request: RequestHeaders, secret: string, now: Date): Principal {
  const token = bearerToken(request) ?? parseCookies(header(request, 'cookie')).get(ACCESS_COOKIE);
  if (!token) return GUEST;
  const verified = verifyAccessToken(token, secret, now);
  if (verified.ok) {
    const { sub, role, email } = verified.claims;
    return { kind: 'account', id: sub, role, email };
  }
  throw new HttpProblem(
    401,
    verified.reason === 'expired' ? 'ACCESS_TOKEN_EXPIRED' : 'ACCESS_TOKEN_INVALID',
    'Unauthorized',
    verified.reason === 'expired'
      ? 'The access token has expired; refresh it or sign in again.'
      : 'The access token is not valid; sign in again.',
    [{ field: 'header.Authorization', message: `access token ${verified.reason.replace('_', ' ')}` }],
    { 'www-authenticate': 'Bearer' },
  );
}

const CART_PURPOSE = 'cart';

/** The signed token that proves a client holds a guest cart (cookie `tally_cart` or header `Tally-Cart-Token`). */
export function signCartToken(cartId: string, secret: string): string {
  return signValue(cartId, secret, CART_PURPOSE);
}

/**
 * The cart id a request proves it holds, from `Tally-Cart-Token` or the `tally_cart` cookie; `undefined`
 * when it carries none. A token that fails its signature is a 403 naming where it came from: a tampered
 * cookie is never trusted and never ignored silently.
 */
export function cartTokenFromRequest(request: RequestHeaders, secret: string): string | undefined {
  const fromHeader = header(request, CART_TOKEN_HEADER);
  const value = fromHeader ?? parseCookies(header(request, 'cookie')).get(CART_COOKIE);
  if (value === undefined || value === '') return undefined;
  const cartId = verifySignedValue(value, secret, CART_PURPOSE);
  if (cartId !== null) return cartId;
  throw new HttpProblem(
    403,
    'CART_TOKEN_INVALID',
    'Forbidden',
    'The cart token has been tampered with or was not issued by this shop.',
    [
      {
        field: fromHeader === undefined ? `cookie.${CART_COOKIE}` : 'header.Tally-Cart-Token',
        message: 'signature does not match',
      },
    ],
  );
}

function bearerToken(request: RequestHeaders): string | undefined {
  const value = header(request, 'authorization');
  if (!value) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (!match) {
    throw new HttpProblem(
      401,
      'ACCESS_TOKEN_INVALID',
      'Unauthorized',
      'Authorization must be "Bearer <token>".',
      [{ field: 'header.Authorization', message: 'must be "Bearer <token>"' }],
    );
  }
  return match[1];
}

function header(request: RequestHeaders, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
