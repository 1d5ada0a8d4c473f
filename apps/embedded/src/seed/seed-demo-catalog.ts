import { loadConfig, resolveAuthSecret, signAccessToken } from '@tally/platform';
import type { DemoProduct } from './demo-catalog';
import type { ProgressBar } from './progress';

export interface SeedOptions {
  /** command-api's base URL, e.g. `http://127.0.0.1:3001`. */
  readonly commandApiUrl: string;
  readonly products: readonly DemoProduct[];
  readonly progress?: ProgressBar;
  /** Products seeded at once (default 4). */
  readonly concurrency?: number;
  /**
   * The secret the apps verify tokens with (`Infrastructure.authSecret`): the seed acts as an admin with a
   * token signed by it. Default: the secret this process's environment resolves to.
   */
  readonly authSecret?: string;
}

/** The account the seed acts as: an admin of its own, so its events say who wrote the demo catalog. */
export const SEED_ADMIN = { id: '0190d5a8-0000-7000-8000-5eed00000001', email: 'seed@tally.local' } as const;

/** The outcome of seeding: how many products, and the consistency token of the last write. */
export interface SeedResult {
  readonly products: number;
  readonly requests: number;
  /** The greatest `Tally-Consistency` of every response: read models that passed it show the whole catalog. */
  readonly token: string;
}

/**
 * Seeds the demo catalog through the command path: real HTTP requests to command-api, so every product has
 * real events (created, published, received, adjusted). Each request carries a deterministic
 * `Idempotency-Key`, so running it again after an interruption repeats nothing.
 */
export async function seedDemoCatalog(options: SeedOptions): Promise<SeedResult> {
  const { commandApiUrl, products, progress } = options;
  const secret = options.authSecret ?? resolveAuthSecret(loadConfig(process.env));
  // Minted per request: a large catalog may take longer than one access token lives.
  const authorization = () =>
    `Bearer ${signAccessToken({ sub: SEED_ADMIN.id, role: 'admin', email: SEED_ADMIN.email }, secret, new Date())}`;
  let token = '';
  let requests = 0;
  const send = async (path: string, key: string, body?: unknown): Promise<void> => {
    requests += 1;
    const written = await post(`${commandApiUrl}${path}`, `seed-v1:${key}`, authorization(), body);
    if (written > token) token = written;
  };

  const seedOne = async (product: DemoProduct) => {
    const { stock, ...details } = product;
    const sku = encodeURIComponent(product.sku);
    await send('/api/v1/products', `${product.sku}:create`, details);
    await send(`/api/v1/products/${sku}/publish`, `${product.sku}:publish`);
    if (stock.kind === 'emptied') {
      await send(`/api/v1/inventory/${sku}/receipts`, `${product.sku}:receipt:1`, {
        quantity: stock.received,
        reference: 'DEMO-DELIVERY-1',
      });
      await send(`/api/v1/inventory/${sku}/adjustments`, `${product.sku}:adjustment:1`, {
        delta: -stock.received,
        reason: 'Stock count: none left',
      });
    } else if (stock.kind === 'received') {
      for (const [index, quantity] of stock.deliveries.entries()) {
        await send(`/api/v1/inventory/${sku}/receipts`, `${product.sku}:receipt:${index + 1}`, {
          quantity,
          reference: `DEMO-DELIVERY-${index + 1}`,
        });
      }
    }
    progress?.tick();
  };

  const queue = [...products];
  const worker = async () => {
    for (let product = queue.shift(); product; product = queue.shift()) await seedOne(product);
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  progress?.finish();
  return { products: products.length, requests, token };
}

/** POSTs JSON and returns the response's `Tally-Consistency`; retries a few times on 503 or a lost connection. */
async function post(
  url: string,
  idempotencyKey: string,
  authorization: string,
  body?: unknown,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: {
          authorization,
          'idempotency-key': idempotencyKey,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      if (attempt < 3) continue;
      throw new Error(`Seeding failed: POST ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (response.ok) {
      await response.body?.cancel();
      return response.headers.get('tally-consistency') ?? '';
    }
    const text = await response.text();
    if (response.status === 503 && attempt < 3) continue;
    throw new Error(`Seeding failed: POST ${url} answered ${response.status}: ${text}`);
  }
}
