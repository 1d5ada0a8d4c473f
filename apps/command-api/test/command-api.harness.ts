import { PgSqlClient } from '@tally/database';
import { PostgresEventStore } from '@tally/event-store';
import { catalogProjection, ProjectionRunner, waitForProjections } from '@tally/read-models';
import {
  authHeader,
  createTestDatabase,
  freePort,
  spawnTally,
  TEST_AUTH_SECRET,
  type TallyProcess,
} from '@tally/testing';

/** The admin account the harness acts as on catalog, stock and order routes. */
export const HARNESS_ADMIN_ID = '0190d5a8-0000-7000-8000-00000000ad03';

/** One HTTP exchange as a test sees it. */
export interface Exchange {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (problem details for errors); `{}` when there is none. */
  readonly body: ResponseBody;
}

/** The fields of command responses and problems that tests look at. */
export interface ResponseBody {
  readonly [field: string]: unknown;
  readonly sku?: string;
  readonly cartId?: string;
  readonly version?: number;
  readonly code?: string;
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

export interface SendOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  readonly json?: unknown;
  /** Sent as is, with `contentType` (default application/json). */
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Send exactly `headers`, with no credentials added. Otherwise a request carries the cart token of a
   * guest cart this harness opened on that cart's routes, and an admin's bearer token everywhere else.
   */
  readonly anonymous?: boolean;
}

/**
 * The built command-api (`dist/apps/command-api/src/main.js`) as its own process on a fresh PostgreSQL
 * database, plus what a test needs beside it: the same database (to count events) and the catalog
 * projection (so that adding to a cart can price items).
 */
export interface CommandApiUnderTest {
  readonly baseUrl: string;
  readonly sql: PgSqlClient;
  send(method: string, path: string, options?: SendOptions): Promise<Exchange>;
  /** Events in the store, over all streams. */
  eventCount(): Promise<number>;
  /** Waits until the catalog read model has applied everything up to `token`. */
  catalogReached(token: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startCommandApi(
  env: Readonly<Record<string, string>> = {},
): Promise<CommandApiUnderTest> {
  const database = await createTestDatabase('command_api_e2e');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const process = spawnTally('command-api', {
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '4',
    HOST: '127.0.0.1',
    COMMAND_API_PORT: String(port),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    // Tokens the tests mint (the harness's admin, customers) verify with this secret.
    TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
    ...env,
  });
  try {
    await waitUntilReady(process, `${baseUrl}/readyz`);
  } catch (error) {
    await process.stop();
    await database.drop();
    throw error;
  }

  // command-api migrated the database (event store, read models, its own tables) before it became ready.
  const sql = new PgSqlClient({ connectionString: database.url, maxConnections: 4 });
  const store = new PostgresEventStore(sql, { pollIntervalMs: 50 });
  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const projections = new ProjectionRunner({ sql, store, projections: [catalogProjection], logger: silent });
  await projections.start();

  const cartTokens = new Map<string, string>();
  const credentialsFor = (path: string): Record<string, string> => {
    if (path === '/api/v1/carts') return {};
    const cartId = /^\/api\/v1\/carts\/([^/?]+)/.exec(path)?.[1];
    const token = cartId === undefined ? undefined : cartTokens.get(cartId);
    return token === undefined ? authHeader('admin', HARNESS_ADMIN_ID) : { 'tally-cart-token': token };
  };

  return {
    baseUrl,
    sql,
    async send(method, path, options = {}) {
      const headers: Record<string, string> = {
        ...(options.anonymous ? {} : credentialsFor(path)),
        ...options.headers,
      };
      let body: string | undefined;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      } else if (options.raw !== undefined) {
        body = options.raw;
        headers['content-type'] ??= options.contentType ?? 'application/json';
      }
      const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
      const text = await response.text();
      const parsed = text ? (JSON.parse(text) as ResponseBody) : {};
      const { cartId, cartToken } = parsed;
      if (method === 'POST' && path === '/api/v1/carts' && cartId && typeof cartToken === 'string') {
        cartTokens.set(cartId, cartToken);
      }
      return { status: response.status, headers: response.headers, body: parsed };
    },
    async eventCount() {
      const { rows } = await sql.query<{ count: number }>('SELECT count(*)::int AS count FROM events');
      return rows[0]?.count ?? 0;
    },
    async catalogReached(token) {
      if (!(await waitForProjections(sql, ['catalog'], token, { timeoutMs: 10_000 }))) {
        throw new Error(`catalog projection did not reach ${token}`);
      }
    },
    async stop() {
      await projections.stop();
      await store.close();
      await sql.close();
      await process.stop();
      await database.drop();
    },
  };
}

async function waitUntilReady(process: TallyProcess, url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!process.running) throw new Error(`command-api exited before it was ready:\n${process.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`command-api not ready after ${timeoutMs} ms:\n${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
