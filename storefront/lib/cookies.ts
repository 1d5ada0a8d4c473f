/**
 * Names of the cookies the storefront keeps on its own origin. The first three are the same names the APIs
 * use (`@tally/platform` auth/cookies.ts), so a browser talking to either sees one session.
 */
export const ACCESS_COOKIE = 'tally_access';
export const REFRESH_COOKIE = 'tally_refresh';
/** The guest cart's signed token `<cartId>.<signature>`, as the API issued it. */
export const CART_COOKIE = 'tally_cart';
/** A signed-in customer's cart id: a hint only, the API checks ownership on every call. */
export const CUSTOMER_CART_COOKIE = 'tally_customer_cart';
/** The consistency token of the shopper's last command, so the next pages wait until they show its effect. */
export const CONSISTENCY_COOKIE = 'tally_consistency';
/** Double-submit CSRF secret (see csrf.ts). */
export const CSRF_COOKIE = 'tally_csrf';

export const ACCESS_TTL_SECONDS = 15 * 60;
export const REFRESH_TTL_SECONDS = 7 * 24 * 60 * 60;
export const CART_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Long enough for the next page or two; a stale token only makes a read wait until it has passed. */
export const CONSISTENCY_TTL_SECONDS = 60;

/** Header the APIs read the cart token from. */
export const CART_TOKEN_HEADER = 'Tally-Cart-Token';
export const CONSISTENCY_HEADER = 'Tally-Consistency';
