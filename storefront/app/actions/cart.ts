'use server';

import { redirect } from 'next/navigation';
import { commandApi } from '../../lib/api';
import { loadCart, openCart } from '../../lib/cart';
import { verifyCsrf } from '../../lib/csrf';
import { csrfFailed, problemState, text, type FormState } from '../../lib/forms';

const MAX_QUANTITY = 99;

function quantityOf(form: FormData, name: string): number | string {
  const raw = text(form, name);
  if (!/^\d{1,3}$/.test(raw)) return 'Enter a whole number.';
  const quantity = Number(raw);
  if (quantity < 1 || quantity > MAX_QUANTITY) return `Enter a number from 1 to ${MAX_QUANTITY}.`;
  return quantity;
}

/**
 * "Add to cart": opens a cart on the first add (a guest's gets its signed token as a cookie), puts the
 * units in, and shows the cart, which waits for this command's consistency token.
 */
export async function addToCart(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const sku = text(form, 'sku');
  const quantity = quantityOf(form, 'quantity');
  const values = { quantity: text(form, 'quantity') };
  if (typeof quantity === 'string')
    return { status: 'error', message: 'Check the quantity.', fieldErrors: { quantity }, values };

  let cartId = (await loadCart())?.cartId;
  if (!cartId) {
    const opened = await openCart();
    if (!opened.ok) return problemState(opened.problem, values);
    cartId = opened.data.cartId;
  }
  const added = await commandApi(`POST`, `/api/v1/carts/${encodeURIComponent(cartId)}/items`, {
    body: { sku, quantity },
  });
  if (!added.ok) return problemState(added.problem, values);
  redirect('/cart');
}

/** Sets a cart line's quantity (the cart page's "Update <name>"). */
export async function updateCartLine(form: FormData): Promise<void> {
  if (!(await verifyCsrf(form))) redirect('/cart?error=csrf');
  const sku = text(form, 'sku');
  const quantity = quantityOf(form, 'quantity');
  if (typeof quantity === 'string') redirect(`/cart?error=quantity&sku=${encodeURIComponent(sku)}`);
  const cart = await loadCart();
  if (!cart) redirect('/cart?error=gone');
  const changed = await commandApi(
    'PATCH',
    `/api/v1/carts/${encodeURIComponent(cart.cartId)}/items/${encodeURIComponent(sku)}`,
    { body: { quantity } },
  );
  if (!changed.ok)
    redirect(`/cart?error=${encodeURIComponent(changed.problem.code)}&sku=${encodeURIComponent(sku)}`);
  redirect(`/cart?notice=updated&sku=${encodeURIComponent(sku)}`);
}

/** Takes a line out of the cart (the cart page's "Remove <name>"). */
export async function removeCartLine(form: FormData): Promise<void> {
  if (!(await verifyCsrf(form))) redirect('/cart?error=csrf');
  const sku = text(form, 'sku');
  const cart = await loadCart();
  if (!cart) redirect('/cart?error=gone');
  const removed = await commandApi(
    'DELETE',
    `/api/v1/carts/${encodeURIComponent(cart.cartId)}/items/${encodeURIComponent(sku)}`,
  );
  if (!removed.ok)
    redirect(`/cart?error=${encodeURIComponent(removed.problem.code)}&sku=${encodeURIComponent(sku)}`);
  redirect(`/cart?notice=removed&sku=${encodeURIComponent(sku)}`);
}
