import { type AppConfig, CART_COOKIE, serializeCookie, signCartToken } from '@tally/platform';

/** A guest cart's cookie lives 30 days: long enough to come back to a cart, short enough to expire. */
export const CART_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

/**
 * The signed token that proves a client holds `cartId`, and the `tally_cart` cookie that carries it
 * (httpOnly, SameSite=Lax; Secure in production, like the session cookies).
 */
export function cartTokenCookie(
  cartId: string,
  secret: string,
  config: Pick<AppConfig, 'NODE_ENV'>,
): { readonly cartToken: string; readonly setCookie: string } {
  const cartToken = signCartToken(cartId, secret);
  return {
    cartToken,
    setCookie: serializeCookie(CART_COOKIE, cartToken, {
      maxAgeSeconds: CART_COOKIE_MAX_AGE_SECONDS,
      secure: config.NODE_ENV === 'production',
    }),
  };
}

/** The `Set-Cookie` that deletes the `tally_cart` cookie (on sign-out: the next shopper on the device starts afresh). */
export function clearedCartTokenCookie(config: Pick<AppConfig, 'NODE_ENV'>): string {
  return serializeCookie(CART_COOKIE, '', { maxAgeSeconds: 0, secure: config.NODE_ENV === 'production' });
}
