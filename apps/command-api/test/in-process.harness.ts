import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate, type PgSqlClient } from '@tally/database';
import { type EventStore, PostgresEventStore, type RecordedEvent } from '@tally/event-store';
import type { CommandEnvelope, CommandReply } from '@tally/messaging';
import type { PaymentProvider } from '@tally/payments';
import { createLogger, type Infrastructure, loadConfig } from '@tally/platform';
import { authHeader, createTestSchema, TEST_AUTH_SECRET, type TestSchema } from '@tally/testing';
import type { LightMyRequestResponse } from 'fastify';
import {
  type CommandApiOptions,
  commandApiMigrations,
  commandDispatcherOf,
  createCommandApi,
} from '../src/command-api.app';

/**
 * command-api built in this process (not the built `dist/` one) on a fresh PostgreSQL schema: what
 * integration tests drive through `app.inject` and the dispatcher, beside the same event store.
 */
export interface InProcessCommandApi {
  readonly app: NestFastifyApplication;
  readonly schema: TestSchema;
  readonly sql: PgSqlClient;
  readonly store: EventStore;
  /** The process managers' entry point, as embedded mode calls it. */
  dispatch(envelope: unknown): Promise<CommandReply>;
  /**
   * `app.inject` with a JSON body, authenticated as the clients of each route are: the cart token of a
   * guest cart this harness opened on that cart's routes, an admin's bearer token on everything else
   * (catalog, stock, orders). `headers` win; see {@link rawRequest} to send no credentials at all.
   */
  request(
    method: string,
    url: string,
    json?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** `app.inject` with a JSON body and exactly these headers (no credentials added). */
  rawRequest(
    method: string,
    url: string,
    json?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** The signed token of a guest cart opened through {@link request}. */
  cartToken(cartId: string): string | undefined;
  /** Every event of a stream. */
  stream(streamId: string): Promise<RecordedEvent[]>;
  /** Events in the store, over all streams. */
  eventCount(): Promise<number>;
  /** Another command-api "process" on the same schema (its own allocator, metrics and handlers). */
  another(options?: CommandApiOptions): Promise<NestFastifyApplication>;
  close(): Promise<void>;
}

/** The admin account the harness acts as on catalog, stock and order routes. */
export const HARNESS_ADMIN_ID = '0190d5a8-0000-7000-8000-00000000ad02';

export async function startInProcessCommandApi(
  options: CommandApiOptions & { readonly env?: Readonly<Record<string, string>> } = {},
): Promise<InProcessCommandApi> {
  const schema = await createTestSchema('command_api', 20);
  await migrate(schema.client, commandApiMigrations);
  const store = new PostgresEventStore(schema.client, { pollIntervalMs: 50 });
  const infrastructure: Infrastructure = {
    config: loadConfig({ LOG_LEVEL: 'silent', NODE_ENV: 'test', ...options.env }),
    sql: schema.client,
    eventStore: store,
    logger: createLogger('silent', 'command-api-test'),
    authSecret: TEST_AUTH_SECRET,
    close: () => Promise.resolve(),
  };
  const apps: NestFastifyApplication[] = [];
  const build = async (appOptions: CommandApiOptions) => {
    const built = await createCommandApi(infrastructure, appOptions);
    await built.init();
    await built.getHttpAdapter().getInstance().ready();
    apps.push(built);
    return built;
  };
  let app: NestFastifyApplication;
  try {
    app = await build(options);
  } catch (error) {
    await schema.drop();
    throw error;
  }
  const dispatcher = commandDispatcherOf(app);
  const cartTokens = new Map<string, string>();
  const rawRequest: InProcessCommandApi['rawRequest'] = (method, url, json, headers = {}) =>
    app.inject({
      method: method as 'POST',
      url,
      headers: json === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(json === undefined ? {} : { payload: JSON.stringify(json) }),
    });
  const credentialsFor = (url: string): Record<string, string> => {
    if (url === '/api/v1/carts') return {};
    const cartId = /^\/api\/v1\/carts\/([^/?]+)/.exec(url)?.[1];
    const token = cartId === undefined ? undefined : cartTokens.get(cartId);
    return token === undefined ? authHeader('admin', HARNESS_ADMIN_ID) : { 'tally-cart-token': token };
  };
  return {
    app,
    schema,
    sql: schema.client,
    store,
    dispatch: dispatcher,
    async request(method, url, json, headers = {}) {
      const response = await rawRequest(method, url, json, { ...credentialsFor(url), ...headers });
      if (method === 'POST' && url === '/api/v1/carts' && response.statusCode === 201) {
        const { cartId, cartToken } = response.json<{ cartId: string; cartToken?: string }>();
        if (cartToken !== undefined) cartTokens.set(cartId, cartToken);
      }
      return response;
    },
    rawRequest,
    cartToken: (cartId) => cartTokens.get(cartId),
    stream: (streamId) => store.readStream(streamId),
    async eventCount() {
      const { rows } = await schema.client.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM events',
      );
      return rows[0]?.count ?? 0;
    },
    another: (appOptions = options) => build(appOptions),
    async close() {
      for (const built of apps.reverse()) await built.close();
      await store.close();
      await schema.drop();
    },
  };
}

/** A command envelope as a process manager sends it (fresh ids unless given). */
export function envelope(
  type: string,
  data: Record<string, unknown>,
  metadata: Partial<{ commandId: string; correlationId: string; occurredAt: string }> = {},
): CommandEnvelope<string, Record<string, unknown>> {
  return {
    type,
    data,
    metadata: {
      commandId: metadata.commandId ?? crypto.randomUUID(),
      correlationId: metadata.correlationId ?? 'checkout-test',
      causationId: metadata.correlationId ?? 'checkout-test',
      actor: { id: 'checkout', role: 'system' },
      occurredAt: metadata.occurredAt ?? new Date().toISOString(),
    },
  };
}

/** A payment provider that counts the calls it forwards (the money moves in the real one behind it). */
export function countingProvider(
  inner: PaymentProvider,
): PaymentProvider & { readonly calls: Record<string, number> } {
  const calls: Record<string, number> = { authorize: 0, capture: 0, void: 0, refund: 0 };
  const count = (operation: string) => {
    calls[operation] = (calls[operation] ?? 0) + 1;
  };
  return {
    name: inner.name,
    calls,
    authorize: (request) => (count('authorize'), inner.authorize(request)),
    capture: (request) => (count('capture'), inner.capture(request)),
    void: (request) => (count('void'), inner.void(request)),
    refund: (request) => (count('refund'), inner.refund(request)),
    parseWebhook: (rawBody, headers, now) => inner.parseWebhook(rawBody, headers, now),
  };
}
