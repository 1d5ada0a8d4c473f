import { migrate } from '@tally/database';
import {
  type AddCartItem,
  type CartCommand,
  cartDecider,
  cartStreamId,
  type CommandMetadata,
  type ProductCommand,
  productDecider,
  productStreamId,
} from '@tally/domain';
import {
  type AppendOptions,
  ConcurrencyError,
  type EventStore,
  eventStoreMigrations,
  type NewEvent,
  PostgresEventStore,
} from '@tally/event-store';
import { HttpProblem, isUuid, uuidv7 } from '@tally/platform';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { Registry } from 'prom-client';
import { CommandMetrics } from './command-metrics';
import { Decide } from './decide.command';
import { DeciderCommandHandler } from './decider-command.handler';
import type { RetryPolicy } from './retry-policy';

// Jest ignores testTimeout in project configs; PGlite's first open alone takes seconds.
jest.setTimeout(60_000);

const actor = { id: 'anonymous', role: 'guest' } as const;
const metadata = (overrides: Partial<CommandMetadata> = {}): CommandMetadata => ({
  commandId: uuidv7(),
  correlationId: 'corr-1',
  causationId: 'corr-1',
  actor,
  occurredAt: '2026-11-21T10:00:00.000Z',
  ...overrides,
});

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const fastRetry: RetryPolicy = { maxAttempts: 50, baseDelayMs: 2, maxDelayMs: 20 };

describe('DeciderCommandHandler (PostgreSQL)', () => {
  let schema: TestSchema;
  let store: PostgresEventStore;
  let registry: Registry;
  let metrics: CommandMetrics;
  let handler: DeciderCommandHandler;

  beforeAll(async () => {
    schema = await createTestSchema('command_handler', 12);
    await migrate(schema.client, [eventStoreMigrations]);
    store = new PostgresEventStore(schema.client);
  });

  afterAll(async () => {
    await store.close();
    await schema.drop();
  });

  beforeEach(() => {
    registry = new Registry();
    metrics = new CommandMetrics(registry);
    handler = new DeciderCommandHandler(store, metrics);
  });

  const product = (command: ProductCommand, expectedVersion?: number, on: EventStore = store) =>
    new DeciderCommandHandler(on, metrics).execute(
      new Decide(productDecider, productStreamId(command.data.sku), command, { expectedVersion }),
    );

  const cart = (command: CartCommand, options: { retry?: RetryPolicy; expectedVersion?: number } = {}) =>
    handler.execute(new Decide(cartDecider, cartStreamId(command.data.cartId), command, options));

  const createProduct = (sku: string, meta = metadata()): ProductCommand => ({
    type: 'CreateProduct',
    data: {
      sku,
      name: 'Tee',
      description: 'A tee',
      category: 'shirts',
      attributes: {},
      images: [],
      price: eur(1999),
    },
    metadata: meta,
  });

  const openCart = async () => {
    const cartId = uuidv7();
    await cart({
      type: 'OpenCart',
      data: { cartId, customerId: null, currency: 'EUR' },
      metadata: metadata(),
    });
    return cartId;
  };

  const addItem = (cartId: string, quantity = 1): AddCartItem => ({
    type: 'AddCartItem',
    data: { cartId, sku: 'TEE', name: 'Tee', quantity, unitPrice: eur(1999) },
    metadata: metadata(),
  });

  const counted = async (type: string, outcome: string) => {
    const metric = await registry.getSingleMetric('tally_commands_total')?.get();
    return metric?.values.find((v) => v.labels.type === type && v.labels.outcome === outcome)?.value ?? 0;
  };

  describe('when the command decides events', () => {
    it('appends them in envelopes carrying the command metadata and returns version and checkpoint', async () => {
      const sku = `SKU-${uuidv7()}`;
      const meta = metadata({ correlationId: 'corr-42' });
      const outcome = await product(createProduct(sku, meta));

      const [event] = await store.readStream(productStreamId(sku));
      expect(outcome).toEqual({
        streamId: productStreamId(sku),
        version: 1,
        checkpoint: event?.position,
        appended: 1,
      });
      expect(event?.type).toBe('ProductCreated');
      expect(isUuid(event?.eventId ?? '')).toBe(true);
      expect(event?.eventId[14]).toBe('7');
      expect(event?.metadata).toEqual({
        commandId: meta.commandId,
        correlationId: 'corr-42',
        causationId: meta.commandId,
        actor,
        occurredAt: meta.occurredAt,
        schemaVersion: 1,
      });
      expect(await counted('CreateProduct', 'appended')).toBe(1);
    });
  });

  describe('when the command changes nothing', () => {
    it('appends nothing and answers with the current version and the last event checkpoint', async () => {
      const sku = `SKU-${uuidv7()}`;
      await product(createProduct(sku));
      const published = await product({ type: 'PublishProduct', data: { sku }, metadata: metadata() });
      const again = await product({ type: 'PublishProduct', data: { sku }, metadata: metadata() });

      expect(again).toEqual({ ...published, appended: 0 });
      expect(await store.readStream(productStreamId(sku))).toHaveLength(2);
      expect(await counted('PublishProduct', 'noop')).toBe(1);
    });
  });

  describe('when the same command is delivered again', () => {
    it('answers with the first result and appends nothing', async () => {
      const sku = `SKU-${uuidv7()}`;
      const command = createProduct(sku);
      const first = await product(command);
      await product({ type: 'PublishProduct', data: { sku }, metadata: metadata() });

      const again = await product(command);

      expect(again).toEqual({ ...first, appended: 0 });
      expect(await store.readStream(productStreamId(sku))).toHaveLength(2);
      expect(await counted('CreateProduct', 'duplicate')).toBe(1);
    });
  });

  describe('with an expected version (If-Match)', () => {
    it('appends when it matches', async () => {
      const sku = `SKU-${uuidv7()}`;
      await product(createProduct(sku));
      const outcome = await product({ type: 'PublishProduct', data: { sku }, metadata: metadata() }, 1);
      expect(outcome.version).toBe(2);
    });

    it('rejects a stale version with ConcurrencyError and appends nothing', async () => {
      const sku = `SKU-${uuidv7()}`;
      await product(createProduct(sku));
      await product({ type: 'PublishProduct', data: { sku }, metadata: metadata() });

      await expect(
        product({ type: 'ChangeProductPrice', data: { sku, price: eur(999) }, metadata: metadata() }, 1),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(productStreamId(sku))).toHaveLength(2);
      expect(await counted('ChangeProductPrice', 'version_mismatch')).toBe(1);
    });

    it('treats version 0 as "no stream yet"', async () => {
      const outcome = await product(createProduct(`SKU-${uuidv7()}`), 0);
      expect(outcome.version).toBe(1);
    });

    it('never retries a race it loses: the client named the version it saw', async () => {
      const cartId = await openCart();
      const racing = racingStore(store);
      const racingHandler = new DeciderCommandHandler(racing, metrics);
      await expect(
        racingHandler.execute(
          new Decide(cartDecider, cartStreamId(cartId), addItem(cartId), {
            expectedVersion: 1,
            retry: fastRetry,
          }),
        ),
      ).rejects.toBeInstanceOf(ConcurrencyError);
      expect(racing.appendCalls).toBe(1);
    });
  });

  describe('when another writer appends between load and append', () => {
    it('decides a commuting command again against the fresh stream', async () => {
      const cartId = await openCart();
      const racing = racingStore(store);
      const racingHandler = new DeciderCommandHandler(racing, metrics);

      const outcome = await racingHandler.execute(
        new Decide(cartDecider, cartStreamId(cartId), addItem(cartId, 2), { retry: fastRetry }),
      );

      // Opened (1), the competitor's item (2), ours (3).
      expect(outcome.version).toBe(3);
      expect(racing.appendCalls).toBe(2);
      const quantities = (await store.readStream(cartStreamId(cartId)))
        .filter((e) => e.type === 'CartItemAdded')
        .map((e) => (e.data as { quantity: number }).quantity);
      expect(quantities).toEqual([1, 2]);
      const retries = await registry.getSingleMetric('tally_command_retries_total')?.get();
      expect(retries?.values[0]?.value).toBe(1);
    });

    it('reports CONCURRENT_MODIFICATION for a command that does not commute', async () => {
      const cartId = await openCart();
      await cart(addItem(cartId));
      const racing = racingStore(store);
      const racingHandler = new DeciderCommandHandler(racing, metrics);

      const attempt = racingHandler.execute(
        new Decide(cartDecider, cartStreamId(cartId), {
          type: 'ChangeCartItemQuantity',
          data: { cartId, sku: 'TEE', quantity: 5 },
          metadata: metadata(),
        }),
      );

      await expect(attempt).rejects.toMatchObject({ status: 409, code: 'CONCURRENT_MODIFICATION' });
      await expect(attempt).rejects.toBeInstanceOf(HttpProblem);
      expect(racing.appendCalls).toBe(1);
      expect(await counted('ChangeCartItemQuantity', 'conflict')).toBe(1);
    });
  });

  it('lets concurrent commuting commands on one stream all succeed', async () => {
    const cartId = await openCart();
    const writers = 8;
    const outcomes = await Promise.all(
      Array.from({ length: writers }, () => cart(addItem(cartId), { retry: fastRetry })),
    );

    expect(new Set(outcomes.map((o) => o.version))).toEqual(
      new Set(Array.from({ length: writers }, (_, i) => i + 2)),
    );
    const events = await store.readStream(cartStreamId(cartId));
    expect(events.filter((e) => e.type === 'CartItemAdded')).toHaveLength(writers);
  });

  it('propagates domain errors and appends nothing', async () => {
    const cartId = uuidv7();
    await expect(cart(addItem(cartId))).rejects.toMatchObject({ kind: 'not_found', code: 'CART_NOT_FOUND' });
    expect(await store.readStream(cartStreamId(cartId))).toEqual([]);
    expect(await counted('AddCartItem', 'rejected')).toBe(1);
  });
});

/**
 * The event store as seen by a writer that loses one race: just before its first append, a competitor adds
 * one item to the same cart.
 */
function racingStore(inner: EventStore): EventStore & { appendCalls: number } {
  let appendCalls = 0;
  return {
    get appendCalls() {
      return appendCalls;
    },
    async append(streamId: string, events: readonly NewEvent[], options: AppendOptions) {
      appendCalls += 1;
      if (appendCalls === 1) {
        const cartId = streamId.slice('cart-'.length);
        await inner.append(
          streamId,
          [
            {
              eventId: uuidv7(),
              type: 'CartItemAdded',
              data: { cartId, sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(1999) },
              metadata: { ...metadata(), schemaVersion: 1 },
            },
          ],
          { expectedVersion: 'stream_exists' },
        );
      }
      return inner.append(streamId, events, options);
    },
    readStream: (...args) => inner.readStream(...args),
    readAll: (...args) => inner.readAll(...args),
    subscribe: (...args) => inner.subscribe(...args),
    headCheckpoint: () => inner.headCheckpoint(),
    close: () => Promise.resolve(),
  };
}
