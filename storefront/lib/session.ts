import { createHmac, timingSafeEqual } from 'node:crypto';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import {
  ACCESS_COOKIE,
  ACCESS_TTL_SECONDS,
  CART_COOKIE,
  CART_TTL_SECONDS,
  CONSISTENCY_COOKIE,
  CUSTOMER_CART_COOKIE,
  REFRESH_COOKIE,
  REFRESH_TTL_SECONDS,
} from './cookies';
import { storefrontConfig } from './config';

/** The roles an account can hold (public contract of the APIs). */
export type AccountRole = 'customer' | 'admin' | 'auditor' | 'analyst';

/** Who the shopper is, as far as the storefront's pages are concerned. */
export type Session =
  | { readonly kind: 'guest' }
  | {
      readonly kind: 'account';
      readonly id: string;
      readonly role: AccountRole;
      readonly email: string;
      /** Seconds since the epoch. */
      readonly expiresAt: number;
    };

/** The tokens every auth endpoint (sign-up, sign-in, refresh) returns in its JSON body. */
export interface AuthTokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Seconds the access token lives. */
  readonly expiresIn?: number;
}

const GUEST: Session = { kind: 'guest' };
const ROLES: readonly string[] = ['customer', 'admin', 'auditor', 'analyst'];

/**
 * Reads the access token's claims. The pages use them only to choose what to show (the "Admin" link, the
 * account menu); every API call carries the token itself and the APIs verify it, so a forged cookie shows
 * a link that leads to a 403 and nothing else. When `TALLY_AUTH_SECRET` is known here the signature is
 * checked too.
 */
export function sessionFromAccessToken(token: string | undefined, nowSeconds: number): Session {
  if (!token) return GUEST;
  const parts = token.split('.');
  if (parts.length !== 3) return GUEST;
  const [header, payload, signature] = parts as [string, string, string];
  const secret = process.env.TALLY_AUTH_SECRET;
  if (secret) {
    const expected = Buffer.from(
      createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'),
    );
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return GUEST;
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return GUEST;
  }
  if (typeof claims !== 'object' || claims === null) return GUEST;
  const { sub, role, email, exp } = claims as Record<string, unknown>;
  if (typeof sub !== 'string' || typeof email !== 'string' || typeof exp !== 'number') return GUEST;
  if (typeof role !== 'string' || !ROLES.includes(role)) return GUEST;
  if (exp <= nowSeconds) return GUEST;
  return { kind: 'account', id: sub, role: role as AccountRole, email, expiresAt: exp };
}

/** The current shopper (a guest when not signed in or the access token has expired). */
export async function getSession(): Promise<Session> {
  const jar = await cookies();
  return sessionFromAccessToken(jar.get(ACCESS_COOKIE)?.value, Math.floor(Date.now() / 1000));
}

/** The signed-in account, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireAccount(returnTo: string): Promise<Extract<Session, { kind: 'account' }>> {
  const session = await getSession();
  if (session.kind === 'account') return session;
  redirect(`/account/sign-in?next=${encodeURIComponent(returnTo)}`);
}

/**
 * The signed-in account when it holds one of `roles`; a guest goes to sign-in, another role gets a 404-like
 * redirect home (admin pages do not advertise themselves).
 */
export async function requireRole(
  roles: readonly AccountRole[],
  returnTo: string,
): Promise<Extract<Session, { kind: 'account' }>> {
  const session = await requireAccount(returnTo);
  if (roles.includes(session.role)) return session;
  redirect('/');
}

function cookieBase(): { httpOnly: true; sameSite: 'lax'; secure: boolean; path: '/' } {
  return { httpOnly: true, sameSite: 'lax', secure: storefrontConfig().secureCookies, path: '/' };
}

/**
 * Stores the tokens of a sign-in, sign-up or refresh as httpOnly cookies on the storefront's origin. Only
 * from a Server Action or Route Handler (Next refuses cookie writes while rendering).
 */
export async function storeTokens(tokens: AuthTokens): Promise<void> {
  const jar = await cookies();
  jar.set(ACCESS_COOKIE, tokens.accessToken, {
    ...cookieBase(),
    maxAge: tokens.expiresIn ?? ACCESS_TTL_SECONDS,
  });
  jar.set(REFRESH_COOKIE, tokens.refreshToken, { ...cookieBase(), maxAge: REFRESH_TTL_SECONDS });
}

/** Stores the guest cart's signed token as the API issued it. */
export async function storeCartToken(cartToken: string): Promise<void> {
  const jar = await cookies();
  jar.set(CART_COOKIE, cartToken, { ...cookieBase(), maxAge: CART_TTL_SECONDS });
}

/** Remembers which cart a signed-in customer uses, so pages need not ask the query API each time. */
export async function storeCustomerCartId(cartId: string): Promise<void> {
  const jar = await cookies();
  jar.set(CUSTOMER_CART_COOKIE, cartId, { ...cookieBase(), maxAge: REFRESH_TTL_SECONDS });
}

/** Forgets the cart (after checkout, or when the API no longer knows it). */
export async function forgetCart(): Promise<void> {
  const jar = await cookies();
  jar.delete(CART_COOKIE);
  jar.delete(CUSTOMER_CART_COOKIE);
}

/** Signs the browser out locally: every identity and cart cookie goes. */
export async function clearSession(): Promise<void> {
  const jar = await cookies();
  for (const name of [ACCESS_COOKIE, REFRESH_COOKIE, CART_COOKIE, CUSTOMER_CART_COOKIE, CONSISTENCY_COOKIE])
    jar.delete(name);
}

/** The cart id inside a signed cart token `<cartId>.<signature>` (the API checks the signature). */
export function cartIdOfToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  const dot = token.lastIndexOf('.');
  return dot > 0 ? token.slice(0, dot) : undefined;
}
