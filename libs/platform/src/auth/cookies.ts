/** Names of the cookies and headers that carry identity. Public contract: the storefront and clients use them. */
export const ACCESS_COOKIE = 'tally_access';
export const REFRESH_COOKIE = 'tally_refresh';
/** The guest cart: `<cartId>.<signature>` (see {@link signCartToken}). */
export const CART_COOKIE = 'tally_cart';
/** Header alternative to the cart cookie, for API clients. */
export const CART_TOKEN_HEADER = 'tally-cart-token';

/** Parses a `Cookie` header. Later duplicates do not override the first (RFC 6265 §5.4 order). */
export function parseCookies(header: string | undefined): ReadonlyMap<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (cookies.has(name)) continue;
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
}

export interface CookieOptions {
  readonly maxAgeSeconds: number;
  /** `Secure` flag: on in production (HTTPS). */
  readonly secure: boolean;
  readonly path?: string;
  readonly sameSite?: 'Lax' | 'Strict';
}

/** A `Set-Cookie` value: always HttpOnly; SameSite=Lax unless told otherwise. `maxAgeSeconds: 0` clears it. */
export function serializeCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/'}`,
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    `SameSite=${options.sameSite ?? 'Lax'}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}
