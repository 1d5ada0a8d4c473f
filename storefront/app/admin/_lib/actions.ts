'use server';

import { redirect } from 'next/navigation';
import { commandApi, problemMessage, type Problem } from '../../../lib/api';
import { verifyCsrf } from '../../../lib/csrf';
import { text } from '../../../lib/forms';
import { getSession } from '../../../lib/session';
import { parseAmount } from './admin';

/**
 * The admin pages' Server Actions: check the CSRF token and the role, send one command to command-api, and
 * go back to the page with what happened in the URL. The command's consistency token is kept in a cookie
 * (lib/api.ts), so the page read after the redirect waits until it shows the command's effect.
 */

const CSRF_MESSAGE = 'This form has expired or did not come from this site. Reload the page and try again.';

type Params = Readonly<Record<string, string>>;

function to(path: string, params: Params): never {
  const query = new URLSearchParams(params).toString();
  redirect(query ? `${path}?${query}` : path);
}

/**
 * Back to `path` with what went wrong. A bad field (400) is named and tied to its input (API field -> input
 * name); a refusal by the rules (409, 412, 422) is the API's own sentence, e.g. "Order TL-000001 is shipped
 * and can no longer be cancelled".
 */
function failed(path: string, problem: Problem, fields: Params = {}, extra: Params = {}): never {
  const named = problem.status === 400 ? problem.errors[0] : undefined;
  if (!named) to(path, { ...extra, error: problemMessage(problem) });
  const apiField = named.field.replace(/^body\./, '');
  const field = fields[apiField] ?? fields[apiField.split('.')[0] ?? ''] ?? '';
  to(path, { ...extra, error: `${apiField}: ${named.message}`, ...(field ? { field } : {}) });
}

/** CSRF and role first: nothing is sent for a forged or stale form, or for a non-admin. */
async function guard(form: FormData, path: string): Promise<void> {
  if (!(await verifyCsrf(form))) to(path, { error: CSRF_MESSAGE });
  const session = await getSession();
  if (session.kind !== 'account') redirect(`/account/sign-in?next=${encodeURIComponent(path)}`);
  if (session.role !== 'admin') redirect('/');
}

const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function skuOf(form: FormData, back: string): string {
  const sku = text(form, 'sku');
  if (!SKU.test(sku))
    to(back, {
      error: 'SKU: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit.',
      field: 'sku',
    });
  return sku;
}

const productPath = (sku: string) => `/admin/products/${encodeURIComponent(sku)}`;

/** "Create product": a draft in the catalog; the admin then publishes it from its page. */
export async function createProduct(form: FormData): Promise<void> {
  const back = '/admin/products';
  await guard(form, back);
  const sku = skuOf(form, back);
  const amount = parseAmount(text(form, 'price'));
  if (typeof amount === 'string') to(back, { error: `Price: ${amount}`, field: 'price' });
  const created = await commandApi('POST', '/api/v1/products', {
    body: {
      sku,
      name: text(form, 'name'),
      description: text(form, 'description'),
      category: text(form, 'category'),
      price: { amount, currency: text(form, 'currency').toUpperCase() || 'EUR' },
    },
    idempotencyKey: text(form, 'requestId') || undefined,
  });
  if (!created.ok)
    failed(back, created.problem, {
      sku: 'sku',
      name: 'name',
      description: 'description',
      category: 'category',
      price: 'price',
      'price.currency': 'currency',
    });
  to(productPath(sku), { notice: 'Product created as a draft. Publish it to show it to shoppers.' });
}

/** "Save details": name, category and description; `If-Match` the version the admin saw. */
export async function changeProductDetails(form: FormData): Promise<void> {
  const sku = text(form, 'sku');
  const back = productPath(sku);
  await guard(form, back);
  skuOf(form, '/admin/products');
  const changed = await commandApi('PATCH', `/api/v1/products/${encodeURIComponent(sku)}`, {
    body: {
      name: text(form, 'name'),
      category: text(form, 'category'),
      description: text(form, 'description'),
    },
    ifMatch: text(form, 'version') || undefined,
  });
  if (!changed.ok)
    failed(back, changed.problem, { name: 'name', category: 'category', description: 'description' });
  to(back, { notice: 'Details saved.' });
}

/** "Save price": a new price in the product's currency. */
export async function changeProductPrice(form: FormData): Promise<void> {
  const sku = text(form, 'sku');
  const back = productPath(sku);
  await guard(form, back);
  skuOf(form, '/admin/products');
  const amount = parseAmount(text(form, 'price'));
  if (typeof amount === 'string') to(back, { error: `Price: ${amount}`, field: 'price' });
  const changed = await commandApi('PATCH', `/api/v1/products/${encodeURIComponent(sku)}/price`, {
    body: { price: { amount, currency: text(form, 'currency') } },
    ifMatch: text(form, 'version') || undefined,
  });
  if (!changed.ok) failed(back, changed.problem, { price: 'price', 'price.amount': 'price' });
  to(back, { notice: 'Price saved.' });
}

const LIFECYCLE = {
  publish: 'Published: shoppers can see and buy it.',
  unpublish: 'Unpublished: hidden from shoppers.',
  discontinue: 'Discontinued for good.',
} as const;

/** "Publish", "Unpublish", "Discontinue" (the button's value). */
export async function changeProductStatus(form: FormData): Promise<void> {
  const sku = text(form, 'sku');
  const back = productPath(sku);
  await guard(form, back);
  skuOf(form, '/admin/products');
  const action = text(form, 'action');
  if (!(action in LIFECYCLE)) to(back, { error: 'Unknown action.' });
  const done = await commandApi('POST', `/api/v1/products/${encodeURIComponent(sku)}/${action}`);
  if (!done.ok) failed(back, done.problem);
  to(back, { notice: LIFECYCLE[action as keyof typeof LIFECYCLE] });
}

const stockPath = (sku: string) => `/admin/stock?sku=${encodeURIComponent(sku)}`;

function wholeNumber(raw: string): number | undefined {
  return /^-?\d{1,7}$/.test(raw) ? Number(raw) : undefined;
}

/** "Receive stock": goods arrived (a positive quantity, an optional delivery reference). */
export async function receiveStock(form: FormData): Promise<void> {
  const sku = skuOf(form, '/admin/stock');
  const back = '/admin/stock';
  await guard(form, stockPath(sku));
  const quantity = wholeNumber(text(form, 'quantity'));
  if (quantity === undefined || quantity < 1)
    to(back, { sku, error: 'Quantity received: enter a whole number of at least 1.', field: 'quantity' });
  const reference = text(form, 'reference');
  const received = await commandApi('POST', `/api/v1/inventory/${encodeURIComponent(sku)}/receipts`, {
    body: { quantity, ...(reference ? { reference } : {}) },
    idempotencyKey: text(form, 'requestId') || undefined,
  });
  if (!received.ok) failed(back, received.problem, { quantity: 'quantity', reference: 'reference' }, { sku });
  to(back, { sku, notice: `Received ${quantity} units of ${sku}.` });
}

/** "Adjust stock": a correction after a count (positive or negative, never zero), with a reason. */
export async function adjustStock(form: FormData): Promise<void> {
  const sku = skuOf(form, '/admin/stock');
  const back = '/admin/stock';
  await guard(form, stockPath(sku));
  const delta = wholeNumber(text(form, 'delta'));
  if (delta === undefined || delta === 0)
    to(back, { sku, error: 'Change: enter a whole number other than 0, e.g. -2 or 5.', field: 'delta' });
  const adjusted = await commandApi('POST', `/api/v1/inventory/${encodeURIComponent(sku)}/adjustments`, {
    body: { delta, reason: text(form, 'reason') },
    idempotencyKey: text(form, 'requestId') || undefined,
  });
  if (!adjusted.ok) failed(back, adjusted.problem, { delta: 'delta', reason: 'reason' }, { sku });
  to(back, { sku, notice: `Adjusted ${sku} by ${delta > 0 ? '+' : ''}${delta}.` });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function orderIdOf(form: FormData): string {
  const orderId = text(form, 'orderId');
  if (!UUID.test(orderId)) to('/admin/orders', { error: 'Unknown order.' });
  return orderId;
}

const orderPath = (orderId: string) => `/admin/orders/${orderId}`;

/** "Ship": the confirmed order left the warehouse (carrier and tracking number optional). */
export async function shipOrder(form: FormData): Promise<void> {
  const orderId = orderIdOf(form);
  const back = orderPath(orderId);
  await guard(form, back);
  const carrier = text(form, 'carrier');
  const trackingNumber = text(form, 'trackingNumber');
  const shipped = await commandApi('POST', `/api/v1/orders/${orderId}/ship`, {
    body: { ...(carrier ? { carrier } : {}), ...(trackingNumber ? { trackingNumber } : {}) },
  });
  if (!shipped.ok) failed(back, shipped.problem, { carrier: 'carrier', trackingNumber: 'trackingNumber' });
  to(back, { notice: 'Order shipped.' });
}

/** "Mark delivered": the shipped order reached the customer. */
export async function deliverOrder(form: FormData): Promise<void> {
  const orderId = orderIdOf(form);
  const back = orderPath(orderId);
  await guard(form, back);
  const delivered = await commandApi('POST', `/api/v1/orders/${orderId}/deliver`);
  if (!delivered.ok) failed(back, delivered.problem);
  to(back, { notice: 'Order marked delivered.' });
}

/** "Cancel order": not once shipped; the checkout process gives the stock and the payment back. */
export async function cancelOrder(form: FormData): Promise<void> {
  const orderId = orderIdOf(form);
  const back = orderPath(orderId);
  await guard(form, back);
  const cancelled = await commandApi('POST', `/api/v1/orders/${orderId}/cancel`);
  if (!cancelled.ok) failed(back, cancelled.problem);
  to(back, { notice: 'Order cancelled.' });
}

/** "Refund": money back, in full or in part, paid out asynchronously by the payment provider. */
export async function refundOrder(form: FormData): Promise<void> {
  const orderId = orderIdOf(form);
  const back = orderPath(orderId);
  await guard(form, back);
  const amount = parseAmount(text(form, 'amount'));
  if (typeof amount === 'string') to(back, { error: `Refund amount: ${amount}`, field: 'amount' });
  const refunded = await commandApi('POST', `/api/v1/orders/${orderId}/refunds`, {
    body: { amount: { amount, currency: text(form, 'currency') }, reason: text(form, 'reason') },
    idempotencyKey: text(form, 'requestId') || undefined,
  });
  if (!refunded.ok)
    failed(back, refunded.problem, { amount: 'amount', 'amount.amount': 'amount', reason: 'reason' });
  to(back, { notice: 'Refund requested: the provider pays it out shortly.' });
}
