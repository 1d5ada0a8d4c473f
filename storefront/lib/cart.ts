import { cookies } from 'next/headers';
import { commandApi, queryApi, type ApiResult } from './api';
import { CART_COOKIE, CUSTOMER_CART_COOKIE } from './cookies';
import { cartIdOfToken, getSession, storeCartToken, storeCustomerCartId } from './session';
import type { Cart } from './types';

/**
 * Which carts the shopper may be filling, most specific first. A guest's cart is named by its signed token in
 * `tally_cart`; a customer's by the id remembered in `tally_customer_cart`, else by asking query-api for
 * their open cart. The APIs decide access on every call; these cookies only save a lookup.
 */
async function candidateCartIds(): Promise<string[]> {
  const jar = await cookies();
  const ids: string[] = [];
  const fromToken = cartIdOfToken(jar.get(CART_COOKIE)?.value);
  if (fromToken) ids.push(fromToken);
  const session = await getSession();
  if (session.kind !== 'account') return ids;
  const hint = jar.get(CUSTOMER_CART_COOKIE)?.value;
  if (hint && !ids.includes(hint)) ids.push(hint);
  if (ids.length > 0) return ids;
  const mine = await queryApi<{ cartId: string }>('/api/v1/customers/me/cart');
  if (mine.ok) ids.push(mine.data.cartId);
  return ids;
}

/** The id of the shopper's cart, if they have one (it may be checked out already). */
export async function currentCartId(): Promise<string | undefined> {
  return (await candidateCartIds())[0];
}

/** The shopper's open cart, or undefined when there is none (never opened, checked out, or not theirs). */
export async function loadCart(): Promise<Cart | undefined> {
  for (const cartId of await candidateCartIds()) {
    const result = await queryApi<Cart>(`/api/v1/carts/${encodeURIComponent(cartId)}`);
    if (result.ok && result.data.status === 'open') return result.data;
  }
  return undefined;
}

/** Opens a cart for the shopper (guest or customer) and remembers it. From a Server Action only. */
export async function openCart(): Promise<ApiResult<{ cartId: string; cartToken?: string }>> {
  const result = await commandApi<{ cartId: string; cartToken?: string }>('POST', '/api/v1/carts', {
    body: {},
    withoutCartToken: true,
  });
  if (!result.ok) return result;
  const token = result.data.cartToken ?? cartTokenFromSetCookie(result.setCookies);
  if (token) await storeCartToken(token);
  else {
    // A customer's cart: the guest (or merged) cart token must no longer shadow it.
    (await cookies()).delete(CART_COOKIE);
    await storeCustomerCartId(result.data.cartId);
  }
  return result;
}

/** The `tally_cart` value an API response set, if any ('' when it cleared it). */
export function cartTokenFromSetCookie(setCookies: readonly string[]): string | undefined {
  for (const header of setCookies) {
    const [pair] = header.split(';');
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0 || pair.slice(0, eq).trim() !== CART_COOKIE) continue;
    const value = decodeURIComponent(pair.slice(eq + 1).trim());
    return value;
  }
  return undefined;
}
