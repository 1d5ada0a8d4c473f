import type { OrderView } from '@tally/read-models';
import { authHeader } from './auth';
import { httpRequest, type HttpResponse, type RunningTally } from './tally-process';

/** The body of `POST /api/v1/carts/{cartId}/checkout`. */
export interface CheckoutRequest {
  readonly email: string;
  readonly shippingAddress: {
    readonly name: string;
    readonly line1: string;
    readonly line2?: string;
    readonly city: string;
    readonly postalCode: string;
    readonly country: string;
  };
  readonly shippingMethod: string;
  readonly payment: { readonly paymentMethodId: string };
}

/** A checkout body that command-api accepts; `paymentMethodId` picks the simulated provider's outcome. */
export function checkoutRequest(paymentMethodId = 'pm_card_visa'): CheckoutRequest {
  return {
    email: 'ada@example.com',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
    shippingMethod: 'standard',
    payment: { paymentMethodId },
  };
}

/** A response whose consistency token the next read can wait for. */
export type WriteResponse = HttpResponse & { readonly token: string };

/** Order statuses after which checkout has nothing more to decide for a new order. */
export const SETTLED_ORDER_STATUSES: readonly OrderView['status'][] = ['confirmed', 'cancelled'];

/** The id of the admin account the shop keeper acts as (a token minted with the test secret). */
export const SHOP_KEEPER_ID = '0190d5a8-0000-7000-8000-00000000ad01';

const CART_PATH = /^\/api\/v1\/carts\/([^/?]+)/;
const ORDER_PATH = /^\/api\/v1\/orders\/([^/?]+)/;

/**
 * A shopper and a shop keeper against a running Tally, over HTTP only: stock a product, fill a cart, check
 * it out and follow the order on the query API. Shared by the end-to-end tests and the checkout benchmark.
 *
 * It authenticates as the real clients do: the shop keeper is an admin (a bearer token minted with the
 * test auth secret); the shopper is a guest who proves they hold a cart with the signed cart token that
 * `POST /carts` returned, for the cart's commands and reads and for the order placed from it.
 */
export class ShopClient {
  /** cartId -> its signed guest cart token. */
  private readonly cartTokens = new Map<string, string>();
  /** orderId -> the cart it was placed from. */
  private readonly orderCarts = new Map<string, string>();

  constructor(private readonly tally: Pick<RunningTally, 'commandApi' | 'queryApi' | 'output'>) {}

  /**
   * A command that must succeed (2xx); otherwise throws with the response and the processes' output.
   * Sent with the cart's token on a known cart's paths, as the shop keeper otherwise; `headers` win.
   */
  async command(
    method: 'POST' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ): Promise<WriteResponse> {
    const response = await httpRequest(method, `${this.tally.commandApi}${path}`, {
      body,
      headers: { ...this.credentialsFor(path), ...headers },
    });
    if (response.status >= 300) {
      throw new Error(
        `${method} ${path} -> ${response.status} ${response.text}\n${tail(this.tally.output())}`,
      );
    }
    return { ...response, token: response.headers.get('tally-consistency') ?? '' };
  }

  /** A read on the query API, waiting for `token` when given, with the same credentials as {@link command}. */
  query<Body>(path: string, token?: string): Promise<HttpResponse<Body>> {
    return httpRequest<Body>('GET', `${this.tally.queryApi}${path}`, {
      headers: { ...this.credentialsFor(path), ...(token ? { 'tally-consistency': token } : {}) },
    });
  }

  /** The signed token of a cart this client opened as a guest (what the `tally_cart` cookie holds). */
  cartToken(cartId: string): string | undefined {
    return this.cartTokens.get(cartId);
  }

  /** `{ 'tally-cart-token': … }` for a cart this client opened, else nothing. */
  cartHeaders(cartId: string): Record<string, string> {
    const token = this.cartTokens.get(cartId);
    return token === undefined ? {} : { 'tally-cart-token': token };
  }

  /**
   * The shopper's cart token on a cart (or an order of a cart) this client opened; the shop keeper's admin
   * token on everything else (catalog, stock, shipping, other carts and orders).
   */
  private credentialsFor(path: string): Record<string, string> {
    if (path === '/api/v1/carts' || path.startsWith('/api/v1/carts?')) return {};
    const cartId = CART_PATH.exec(path)?.[1];
    if (cartId !== undefined && this.cartTokens.has(cartId)) return this.cartHeaders(cartId);
    const orderId = ORDER_PATH.exec(path)?.[1];
    const orderCart = orderId === undefined ? undefined : this.orderCarts.get(orderId);
    // Shipping, delivering and refunding are the shop keeper's, whoever placed the order.
    const keeperOnly = /\/(ship|deliver|refunds)$/.test(path);
    if (orderCart !== undefined && !keeperOnly && this.cartTokens.has(orderCart)) {
      return this.cartHeaders(orderCart);
    }
    return authHeader('admin', SHOP_KEEPER_ID);
  }

  /**
   * Creates and publishes `sku` at `price` (minor units, EUR) with `quantity` units in stock, and waits
   * until the catalog shows it, so that carts can price it at once.
   */
  async stockProduct(sku: string, quantity: number, price = 1500): Promise<void> {
    await this.command('POST', '/api/v1/products', {
      sku,
      name: `Product ${sku}`,
      description: `Test product ${sku}`,
      category: 'Test',
      price: { amount: price, currency: 'EUR' },
    });
    const published = await this.command('POST', `/api/v1/products/${sku}/publish`);
    let token = published.token;
    if (quantity > 0) {
      const received = await this.command('POST', `/api/v1/inventory/${sku}/receipts`, {
        quantity,
        reference: 'e2e',
      });
      token = received.token;
    }
    const product = await this.query(`/api/v1/products/${sku}`, token);
    if (product.status !== 200) throw new Error(`product ${sku} not readable: ${product.text}`);
  }

  /** Opens a guest cart (keeping its cart token) and returns its id and token. */
  async openGuestCart(): Promise<{ cartId: string; cartToken: string }> {
    const opened = await this.command('POST', '/api/v1/carts');
    const { cartId, cartToken } = opened.body as { cartId: string; cartToken: string };
    this.cartTokens.set(cartId, cartToken);
    return { cartId, cartToken };
  }

  /** Opens a guest cart with these lines and returns its id. */
  async cart(lines: readonly { readonly sku: string; readonly quantity: number }[]): Promise<string> {
    const { cartId } = await this.openGuestCart();
    for (const line of lines) await this.command('POST', `/api/v1/carts/${cartId}/items`, line);
    return cartId;
  }

  /** `POST /api/v1/carts/{cartId}/checkout` with the cart's token, whatever it answers. */
  async checkout(
    cartId: string,
    body: unknown = checkoutRequest(),
    headers: Readonly<Record<string, string>> = {},
  ): Promise<HttpResponse<{ orderId?: string; code?: string; errors?: { field: string }[] }>> {
    const response = await httpRequest<{ orderId?: string; code?: string; errors?: { field: string }[] }>(
      'POST',
      `${this.tally.commandApi}/api/v1/carts/${cartId}/checkout`,
      { body, headers: { ...this.credentialsFor(`/api/v1/carts/${cartId}/checkout`), ...headers } },
    );
    if (response.status === 202 && response.body.orderId) this.orderCarts.set(response.body.orderId, cartId);
    return response;
  }

  /** Checks the cart out and returns the order id; throws unless the answer is 202. */
  async placeOrder(cartId: string, body: unknown = checkoutRequest()): Promise<string> {
    const response = await this.checkout(cartId, body);
    if (response.status !== 202 || !response.body.orderId) {
      throw new Error(`checkout of ${cartId} -> ${response.status} ${response.text}`);
    }
    return response.body.orderId;
  }

  /**
   * Polls `GET /api/v1/orders/{orderId}` until the order satisfies `done` (default: confirmed or
   * cancelled); fails after `timeoutMs` with the last answer and the processes' output.
   */
  async waitForOrder(
    orderId: string,
    done: (order: OrderView) => boolean = (order) => SETTLED_ORDER_STATUSES.includes(order.status),
    timeoutMs = 60_000,
  ): Promise<OrderView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await this.query<OrderView>(`/api/v1/orders/${orderId}`);
      if (response.status === 200 && done(response.body)) return response.body;
      const last = `${response.status} ${response.text}`;
      if (Date.now() > deadline) {
        throw new Error(
          `order ${orderId} not there after ${timeoutMs} ms; last answer: ${last}\n${tail(this.tally.output())}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Waits until `check` holds, polling every `intervalMs`; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Runs `task` over `items` with at most `limit` at once, keeping the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function tail(text: string, lines = 80): string {
  return text.split('\n').slice(-lines).join('\n');
}
