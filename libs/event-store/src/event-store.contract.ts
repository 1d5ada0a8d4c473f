import { randomBytes } from 'node:crypto';
import { ConcurrencyError, InvalidAppendError } from './errors';
import { uuidv7 } from './event-id';
import { computeEventHash, GENESIS_HASH } from './event-hash';
import type {
  AppendResult,
  Checkpoint,
  EventStore,
  ExpectedVersion,
  JsonValue,
  NewEvent,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './event-store.port';

/** A transaction on another connection that has appended an event and stays open until `commit`. */
export interface HeldTransaction {
  commit(): Promise<void>;
}

/** One adapter under test, on a fresh database (or schema); built before and torn down after each test. */
export interface EventStoreFixture {
  readonly store: EventStore;
  /** Another store over its own connection(s) to the same database, for concurrent writers. */
  connect?(): Promise<EventStore>;
  /** Appends `event` to `streamId` inside a transaction on another connection, left open until `commit`. */
  holdOpenTransaction?(streamId: string, event: NewEvent): Promise<HeldTransaction>;
  teardown(): Promise<void>;
}

export interface EventStoreContractOptions {
  /** Scales the concurrent-writers test: 1 = 20,000 events over 2,000 streams (the default). */
  readonly scale?: number;
  /**
   * Tests this adapter cannot run, with the reason printed and shown in the skipped test's name.
   * `hashChain`: the adapter leaves `RecordedEvent.hash` undefined (ADR 0012).
   */
  readonly skip?: { readonly heldTransaction?: string; readonly hashChain?: string };
}

const HELD_TRANSACTION_MS = 2000;
const WAIT_LIMIT_MS = 90_000;
// Explicit, because a project-level `testTimeout` is not applied by Jest.
const HOOK_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 30_000;
const LONG_TEST_TIMEOUT_MS = 120_000;

/**
 * The behaviour every {@link EventStore} adapter must show (DESIGN.md §4). Each adapter's `*.int.spec.ts`
 * calls this with a factory for a fresh store. Tests never assume the store is empty: they read from the
 * head at their start and look only at their own (random) streams and event types.
 */
export function eventStoreContract(
  name: string,
  factory: () => Promise<EventStoreFixture>,
  options: EventStoreContractOptions = {},
): void {
  const scale = options.scale ?? 1;

  describe(`EventStore contract: ${name}`, () => {
    jest.setTimeout(TEST_TIMEOUT_MS);
    let fixture: EventStoreFixture;
    let store: EventStore;
    const open: Subscription[] = [];

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    }, HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await Promise.all(open.splice(0).map((subscription) => subscription.stop()));
      await fixture.teardown();
    }, HOOK_TIMEOUT_MS);

    /** Subscribes, keeps the events of `streams`, and lets a test wait for what it expects. */
    function collect(
      subscribeOptions: SubscribeOptions,
      streams: ReadonlySet<string> | ((id: string) => boolean),
    ) {
      const keep = typeof streams === 'function' ? streams : (id: string) => streams.has(id);
      const events: RecordedEvent[] = [];
      const nexts: Checkpoint[] = [];
      const batchSizes: number[] = [];
      const waiters = new Set<() => void>();
      const subscription = store.subscribe(subscribeOptions, async (batch, next) => {
        batchSizes.push(batch.length);
        for (const event of batch) if (keep(event.streamId)) events.push(event);
        nexts.push(next);
        for (const check of [...waiters]) check();
        return Promise.resolve();
      });
      open.push(subscription);
      const until = (done: () => boolean, what: string) =>
        new Promise<void>((resolve, reject) => {
          if (done()) {
            resolve();
            return;
          }
          const finish = (error?: Error) => {
            clearTimeout(timer);
            waiters.delete(check);
            if (error) reject(error);
            else resolve();
          };
          const check = () => {
            if (done()) finish();
          };
          const timer = setTimeout(() => {
            finish(new Error(`Gave up waiting for ${what}: ${events.length} events received`));
          }, WAIT_LIMIT_MS);
          waiters.add(check);
          void subscription.failed.then(finish);
        });
      return { events, nexts, batchSizes, subscription, until };
    }

    /** Every event of `streams` after `after`, page by page, as a projection would read them. */
    async function readAllOf(
      after: Checkpoint,
      streams: ReadonlySet<string>,
      limit = 100,
      types?: readonly string[],
    ): Promise<{ events: RecordedEvent[]; pages: RecordedEvent[][]; next: Checkpoint }> {
      const events: RecordedEvent[] = [];
      const pages: RecordedEvent[][] = [];
      let next = after;
      for (;;) {
        const page = await store.readAll({ after: next, limit, ...(types ? { types } : {}) });
        expect(page.events.length).toBeLessThanOrEqual(limit);
        expect(page.next >= next).toBe(true);
        pages.push(page.events);
        events.push(...page.events.filter((event) => streams.has(event.streamId)));
        if (page.next === next) return { events, pages, next };
        next = page.next;
      }
    }

    describe('append', () => {
      it('creates a stream with no_stream and returns its version and a checkpoint', async () => {
        const stream = streamId('cart');
        const result = await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        expect(result.nextVersion).toBe(1);
        expect(typeof result.checkpoint).toBe('string');
        expect(result.checkpoint > '').toBe(true);
      });

      it('rejects no_stream when the stream exists', async () => {
        const stream = streamId('cart');
        await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const attempt = store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        await expect(attempt).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(attempt).rejects.toMatchObject({ streamId: stream, actual: 1 });
      });

      it('accepts the current version and rejects a stale or a future one without leaving a gap', async () => {
        const stream = streamId('order');
        await store.append(stream, [newEvent('OrderPlaced'), newEvent('OrderPaid')], {
          expectedVersion: 'no_stream',
        });
        await expect(
          store.append(stream, [newEvent('OrderShipped')], { expectedVersion: 1 }),
        ).rejects.toMatchObject({ name: 'ConcurrencyError', actual: 2, expected: 1 });
        await expect(
          store.append(stream, [newEvent('OrderShipped')], { expectedVersion: 5 }),
        ).rejects.toMatchObject({ name: 'ConcurrencyError', actual: 2, expected: 5 });
        expect(await store.append(stream, [newEvent('OrderShipped')], { expectedVersion: 2 })).toMatchObject({
          nextVersion: 3,
        });
        expect((await store.readStream(stream)).map((event) => event.version)).toEqual([1, 2, 3]);
      });

      it('treats expected version 0 as no_stream', async () => {
        const stream = streamId('cart');
        expect(await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 0 })).toMatchObject({
          nextVersion: 1,
        });
        await expect(
          store.append(stream, [newEvent('CartOpened')], { expectedVersion: 0 }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
      });

      it('accepts stream_exists on an existing stream and rejects it on a missing one', async () => {
        const stream = streamId('stock');
        const missing = store.append(stream, [newEvent('StockAdjusted')], {
          expectedVersion: 'stream_exists',
        });
        await expect(missing).rejects.toBeInstanceOf(ConcurrencyError);
        await expect(missing).rejects.toMatchObject({ actual: 'no_stream' });
        await store.append(stream, [newEvent('StockReceived')], { expectedVersion: 'no_stream' });
        expect(
          await store.append(stream, [newEvent('StockAdjusted')], { expectedVersion: 'stream_exists' }),
        ).toMatchObject({ nextVersion: 2 });
      });

      it('accepts any on a missing and on an existing stream', async () => {
        const stream = streamId('stock');
        expect(
          await store.append(stream, [newEvent('StockReceived')], { expectedVersion: 'any' }),
        ).toMatchObject({
          nextVersion: 1,
        });
        expect(
          await store.append(stream, [newEvent('StockAdjusted')], { expectedVersion: 'any' }),
        ).toMatchObject({
          nextVersion: 2,
        });
      });

      it('stores a batch atomically with consecutive versions in batch order', async () => {
        const stream = streamId('order');
        const batch = [newEvent('OrderPlaced'), newEvent('OrderPaid'), newEvent('OrderShipped')];
        const result = await store.append(stream, batch, { expectedVersion: 'no_stream' });
        expect(result.nextVersion).toBe(3);
        const stored = await store.readStream(stream);
        expect(stored.map((event) => [event.eventId, event.version])).toEqual(
          batch.map((event, i) => [event.eventId, i + 1]),
        );
        expect(stored.at(-1)!.position).toBe(result.checkpoint);
        expect(isStrictlyIncreasing(stored.map((event) => event.position))).toBe(true);
      });

      it('rejects an empty batch and a batch holding the same event id twice', async () => {
        const stream = streamId('cart');
        await expect(store.append(stream, [], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
          InvalidAppendError,
        );
        const event = newEvent('CartOpened');
        await expect(store.append(stream, [event, event], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
          InvalidAppendError,
        );
        expect(await store.readStream(stream)).toEqual([]);
      });

      // (d) an idempotent retry returns the first result and stores nothing new
      it('returns the first result when the same events are appended again, whatever the expectation', async () => {
        const stream = streamId('payment');
        const batch = [newEvent('PaymentAuthorized'), newEvent('PaymentCaptured')];
        const first = await store.append(stream, batch, { expectedVersion: 'no_stream' });
        const forms: ExpectedVersion[] = ['no_stream', 0, 2, 'any', 'stream_exists', 7];
        for (const expectedVersion of forms) {
          expect(await store.append(stream, batch, { expectedVersion })).toEqual(first);
        }
        expect(await store.append(stream, [batch[0]!], { expectedVersion: 'any' })).toEqual({
          nextVersion: 1,
          checkpoint: (await store.readStream(stream))[0]!.position,
        });
        const stored = await store.readStream(stream);
        expect(stored.map((event) => event.eventId)).toEqual(batch.map((event) => event.eventId));
        const after = await readAllOf(first.checkpoint, new Set([stream]));
        expect(after.events).toEqual([]);
      });

      it('returns the first result to a retry after a concurrent writer moved the stream', async () => {
        const stream = streamId('cart');
        const opened = newEvent('CartOpened');
        const first = await store.append(stream, [opened], { expectedVersion: 'no_stream' });
        await store.append(stream, [newEvent('ItemAdded')], { expectedVersion: 1 });
        expect(await store.append(stream, [opened], { expectedVersion: 'no_stream' })).toEqual(first);
        expect(await store.append(stream, [opened], { expectedVersion: 0 })).toEqual(first);
        expect((await store.readStream(stream)).map((event) => event.version)).toEqual([1, 2]);
      });

      it('rejects a batch of which only some events are stored, or stored in another stream', async () => {
        const stream = streamId('cart');
        const opened = newEvent('CartOpened');
        await store.append(stream, [opened], { expectedVersion: 'no_stream' });
        await expect(
          store.append(stream, [opened, newEvent('ItemAdded')], { expectedVersion: 1 }),
        ).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(
          store.append(streamId('cart'), [opened], { expectedVersion: 'no_stream' }),
        ).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await store.readStream(stream)).toHaveLength(1);
      });

      // (c) optimistic concurrency under a real race
      it('lets exactly one of 20 concurrent appends at the same expected version win', async () => {
        const stream = streamId('stock');
        await store.append(stream, [newEvent('StockReceived')], { expectedVersion: 'no_stream' });
        const writers = await writerStores(fixture, 20);
        const outcomes = await Promise.allSettled(
          writers.map((writer) => writer.append(stream, [newEvent('StockReserved')], { expectedVersion: 1 })),
        );
        const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const lost = outcomes.filter((outcome) => outcome.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(won[0]!.value).toMatchObject({ nextVersion: 2 });
        expect(lost).toHaveLength(19);
        for (const outcome of lost) expect(outcome.reason).toBeInstanceOf(ConcurrencyError);
        expect(await store.readStream(stream)).toHaveLength(2);
      });

      it('serialises concurrent any and stream_exists appends to one stream without losing any', async () => {
        const stream = streamId('stock');
        await store.append(stream, [newEvent('StockReceived')], { expectedVersion: 'no_stream' });
        const writers = await writerStores(fixture, 20);
        const results = await Promise.all(
          writers.map((writer, i) =>
            writer.append(stream, [newEvent('StockAdjusted')], {
              expectedVersion: i % 2 === 0 ? 'any' : 'stream_exists',
            }),
          ),
        );
        expect(results.map((result) => result.nextVersion).sort((a, b) => a - b)).toEqual(
          range(20).map((i) => i + 2),
        );
        expect((await store.readStream(stream)).map((event) => event.version)).toEqual(
          range(21).map((i) => i + 1),
        );
      });
    });

    describe('hash chain', () => {
      const chainTitle =
        "chains every event's hash to the previous one in its stream, through batches and concurrent writers";
      const chainSkip = options.skip?.hashChain;
      if (chainSkip) {
        console.warn(`EventStore contract (${name}): "${chainTitle}" is skipped: ${chainSkip}`);
        it.skip(`${chainTitle} (skipped: ${chainSkip})`, () => {
          // Never runs: registered so that the skip and its reason show in every report.
        });
        return;
      }

      it(chainTitle, async () => {
        const start = await store.headCheckpoint();
        const batched = streamId('order');
        const contended = streamId('stock');
        const awkward = streamId('product');
        await store.append(
          batched,
          range(3).map(() => newEvent('ItemAdded')),
          { expectedVersion: 'no_stream' },
        );
        await store.append(
          batched,
          range(2).map(() => newEvent('ItemRemoved')),
          { expectedVersion: 3 },
        );
        await store.append(batched, [newEvent('CartCheckedOut')], { expectedVersion: 'any' });
        // Writers race for the head of one stream; every loser re-reads the head and chains from it.
        const writers = await writerStores(fixture, 12);
        await Promise.all(
          writers.map((writer, i) =>
            writer.append(
              contended,
              range(1 + (i % 3)).map(() => newEvent('StockAdjusted', { writer: i })),
              { expectedVersion: 'any' },
            ),
          ),
        );
        await store.append(
          awkward,
          AWKWARD_DATA.map((data) => newEvent('ProductNoted', data)),
          { expectedVersion: 'no_stream' },
        );

        const byStream = new Map<string, RecordedEvent[]>();
        for (const stream of [batched, contended, awkward]) {
          const events = await store.readStream(stream);
          byStream.set(stream, events);
          let previous = GENESIS_HASH;
          for (const event of events) {
            expect({ version: event.version, hash: event.hash }).toEqual({
              version: event.version,
              hash: computeEventHash(previous, event),
            });
            previous = event.hash!;
          }
        }
        expect(byStream.get(batched)).toHaveLength(6);
        expect(byStream.get(contended)).toHaveLength(range(12).reduce((sum, i) => sum + 1 + (i % 3), 0));
        // As JSON carries them (-0 arrives as 0).
        expect(byStream.get(awkward)?.map((event) => event.data)).toEqual(
          JSON.parse(JSON.stringify(AWKWARD_DATA)) as unknown,
        );
        // The global read carries the same hashes.
        const streams = new Set(byStream.keys());
        const { events: global } = await readAllOf(start, streams, 7);
        const stored = new Map([...byStream.values()].flat().map((event) => [event.eventId, event.hash]));
        expect(global).toHaveLength(stored.size);
        for (const event of global) expect(event.hash).toBe(stored.get(event.eventId));
      });
    });

    describe('readStream', () => {
      it('returns [] for an unknown stream', async () => {
        expect(await store.readStream(streamId('cart'))).toEqual([]);
      });

      it('returns the full envelope of each event', async () => {
        const stream = streamId('order');
        const event = newEvent('OrderPlaced', {
          total: { amount: 1250, currency: 'EUR' },
          note: 'a "quoted" \\ note',
        });
        const result = await store.append(stream, [event], { expectedVersion: 'no_stream' });
        const [stored] = await store.readStream(stream);
        expect(stored).toEqual({
          ...event,
          streamId: stream,
          version: 1,
          position: result.checkpoint,
          recordedAt: expect.any(String) as unknown,
          ...(options.skip?.hashChain ? {} : { hash: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown }),
        });
        expect(new Date(stored!.recordedAt).toISOString()).toBe(stored!.recordedAt);
        if (options.skip?.hashChain) expect(stored!.hash).toBeUndefined();
        else expect(stored!.hash).toBe(computeEventHash(GENESIS_HASH, stored!));
      });

      it('keeps any JSON value as data, including null', async () => {
        const stream = streamId('product');
        const values: JsonValue[] = [null, 42, 'text', true, [1, 'a', null], { nested: { list: [] } }];
        await store.append(
          stream,
          values.map((value) => newEvent('ProductNoted', value)),
          { expectedVersion: 'no_stream' },
        );
        expect((await store.readStream(stream)).map((event) => event.data)).toEqual(values);
      });

      it('reads a version range', async () => {
        const stream = streamId('cart');
        await store.append(
          stream,
          range(6).map(() => newEvent('ItemAdded')),
          { expectedVersion: 'no_stream' },
        );
        const versions = async (fromVersion?: number, toVersion?: number) =>
          (
            await store.readStream(stream, {
              ...(fromVersion === undefined ? {} : { fromVersion }),
              ...(toVersion === undefined ? {} : { toVersion }),
            })
          ).map((event) => event.version);
        expect(await versions(3)).toEqual([3, 4, 5, 6]);
        expect(await versions(undefined, 2)).toEqual([1, 2]);
        expect(await versions(2, 4)).toEqual([2, 3, 4]);
        expect(await versions(5, 4)).toEqual([]);
        expect(await versions(7)).toEqual([]);
      });

      it('reads the stream as of an instant', async () => {
        const stream = streamId('cart');
        const first = await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const [opened] = await store.readStream(stream);
        expect(opened!.position).toBe(first.checkpoint);
        // Append until the store's clock has moved past the first event (no sleeping).
        let version = 1;
        let latest = opened!;
        while (latest.recordedAt === opened!.recordedAt && version < 100_000) {
          await store.append(stream, [newEvent('ItemAdded')], { expectedVersion: version });
          version += 1;
          latest = (await store.readStream(stream, { fromVersion: version }))[0]!;
        }
        const asOf = new Date(opened!.recordedAt);
        const then = await store.readStream(stream, { asOf });
        expect(then.length).toBeGreaterThanOrEqual(1);
        expect(then.length).toBeLessThan(version);
        expect(then.every((event) => event.recordedAt <= opened!.recordedAt)).toBe(true);
        expect(await store.readStream(stream, { asOf: new Date(asOf.getTime() - 1) })).toEqual([]);
        expect(await store.readStream(stream, { asOf: new Date(latest.recordedAt) })).toHaveLength(version);
      });
    });

    describe('readAll', () => {
      it('pages through the global log in append order, next following the last event', async () => {
        const start = await store.headCheckpoint();
        const streams = [streamId('cart'), streamId('cart'), streamId('order')];
        const appended: string[] = [];
        const versions = new Map<string, number>();
        for (let i = 0; i < 25; i++) {
          const stream = streams[i % 3]!;
          const event = newEvent('ItemAdded', { i });
          const version = versions.get(stream) ?? 0;
          await store.append(stream, [event], { expectedVersion: version });
          versions.set(stream, version + 1);
          appended.push(event.eventId);
        }
        const { events, pages } = await readAllOf(start, new Set(streams), 10);
        expect(events.map((event) => event.eventId)).toEqual(appended);
        expect(isStrictlyIncreasing(pages.flat().map((event) => event.position))).toBe(true);
        const page = await store.readAll({ after: start, limit: 10 });
        expect(page.events).toHaveLength(10);
        expect(page.next).toBe(page.events.at(-1)!.position);
      });

      it('filters by type and moves next past the events of other types it scanned', async () => {
        const start = await store.headCheckpoint();
        const wanted = eventType('ItemAdded');
        const other = eventType('ItemRemoved');
        const stream = streamId('cart');
        const sequence = [wanted, other, wanted, other, other];
        const results: AppendResult[] = [];
        for (const [i, type] of sequence.entries()) {
          results.push(await store.append(stream, [newEvent(type)], { expectedVersion: i }));
        }
        const all = await readAllOf(start, new Set([stream]), 100, [wanted]);
        expect(all.events.map((event) => event.version)).toEqual([1, 3]);
        expect(all.pages.flat().every((event) => event.type === wanted)).toBe(true);
        expect(all.next >= results.at(-1)!.checkpoint).toBe(true);

        const firstPage = await store.readAll({ after: start, limit: 1, types: [wanted] });
        expect(firstPage.events.map((event) => event.version)).toEqual([1]);
        expect(firstPage.next).toBe(firstPage.events[0]!.position);
        const secondPage = await store.readAll({ after: firstPage.next, limit: 1, types: [wanted] });
        expect(secondPage.events.map((event) => event.version)).toEqual([3]);
        const rest = await store.readAll({ after: secondPage.next, limit: 10, types: [wanted] });
        expect(rest.events).toEqual([]);
        expect(rest.next >= results.at(-1)!.checkpoint).toBe(true);
      });

      it('reaches the checkpoint an append returned (consistency token)', async () => {
        const start = await store.headCheckpoint();
        const stream = streamId('cart');
        const result = await store.append(stream, [newEvent('CartOpened'), newEvent('ItemAdded')], {
          expectedVersion: 'no_stream',
        });
        const { events, next } = await readAllOf(start, new Set([stream]), 1);
        expect(events.map((event) => event.position)).toContain(result.checkpoint);
        expect(events.at(-1)!.position).toBe(result.checkpoint);
        expect(next >= result.checkpoint).toBe(true);
      });

      it('returns next = after and no events when nothing follows', async () => {
        const stream = streamId('cart');
        await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const { next } = await readAllOf(await store.headCheckpoint(), new Set([stream]));
        const again = await store.readAll({ after: next, limit: 10 });
        expect(again.events.filter((event) => event.streamId === stream)).toEqual([]);
        expect(again.next >= next).toBe(true);
      });
    });

    describe('headCheckpoint', () => {
      it('is at or after the last append, and nothing of ours follows it', async () => {
        const stream = streamId('cart');
        const result = await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const head = await store.headCheckpoint();
        expect(head >= result.checkpoint).toBe(true);
        expect((await readAllOf(head, new Set([stream]))).events).toEqual([]);
      });
    });

    describe('subscribe', () => {
      it('catches up, then delivers live appends, in readAll order', async () => {
        const start = await store.headCheckpoint();
        const stream = streamId('cart');
        await store.append(
          stream,
          range(3).map(() => newEvent('ItemAdded')),
          { expectedVersion: 'no_stream' },
        );
        const collector = collect({ after: start }, new Set([stream]));
        await collector.until(() => collector.events.length >= 3, 'the catch-up');
        await store.append(stream, [newEvent('ItemAdded')], { expectedVersion: 3 });
        await store.append(stream, [newEvent('ItemRemoved')], { expectedVersion: 4 });
        await collector.until(() => collector.events.length >= 5, 'the live events');
        expect(collector.events.map((event) => event.version)).toEqual([1, 2, 3, 4, 5]);
        const { events } = await readAllOf(start, new Set([stream]));
        expect(collector.events).toEqual(events);
        expect(isNonDecreasing(collector.nexts)).toBe(true);
      });

      it('starts after a given checkpoint and respects the batch size', async () => {
        const stream = streamId('order');
        await store.append(
          stream,
          range(2).map(() => newEvent('OrderLineAdded')),
          { expectedVersion: 'no_stream' },
        );
        const [, second] = await store.readStream(stream);
        await store.append(
          stream,
          range(7).map(() => newEvent('OrderLineAdded')),
          { expectedVersion: 2 },
        );
        const collector = collect({ after: second!.position, batchSize: 2 }, new Set([stream]));
        await collector.until(() => collector.events.length >= 7, 'the events after the checkpoint');
        expect(collector.events.map((event) => event.version)).toEqual([3, 4, 5, 6, 7, 8, 9]);
        expect(Math.max(...collector.batchSizes)).toBeLessThanOrEqual(2);
      });

      it('delivers only the requested types while next moves past the others', async () => {
        const start = await store.headCheckpoint();
        const wanted = eventType('PaymentCaptured');
        const other = eventType('PaymentAuthorized');
        const stream = streamId('payment');
        const collector = collect({ after: start, types: [wanted] }, new Set([stream]));
        await store.append(stream, [newEvent(other)], { expectedVersion: 'no_stream' });
        await store.append(stream, [newEvent(wanted)], { expectedVersion: 1 });
        const last = await store.append(stream, [newEvent(other)], { expectedVersion: 2 });
        await collector.until(
          () => collector.events.length >= 1 && collector.nexts.some((next) => next >= last.checkpoint),
          'next to pass the last event',
        );
        expect(collector.events.map((event) => [event.type, event.version])).toEqual([[wanted, 2]]);
      });

      it('stops delivering once stop() resolves', async () => {
        const start = await store.headCheckpoint();
        const stream = streamId('cart');
        await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const stopped = collect({ after: start }, new Set([stream]));
        const witness = collect({ after: start }, new Set([stream]));
        await stopped.until(() => stopped.events.length >= 1, 'the first event');
        await stopped.subscription.stop();
        await store.append(stream, [newEvent('CartAbandoned')], { expectedVersion: 1 });
        await witness.until(() => witness.events.length >= 2, 'the witness to see the later event');
        expect(stopped.events.map((event) => event.version)).toEqual([1]);
      });

      it('reports a handler failure through failed', async () => {
        const start = await store.headCheckpoint();
        const stream = streamId('cart');
        await store.append(stream, [newEvent('CartOpened')], { expectedVersion: 'no_stream' });
        const boom = new Error('projection failed');
        const subscription = store.subscribe({ after: start }, async (events) => {
          if (events.some((event) => event.streamId === stream)) throw boom;
          return Promise.resolve();
        });
        open.push(subscription);
        expect(await subscription.failed).toBe(boom);
        await subscription.stop();
      });

      // (a) no gaps, no duplicates, per-stream order, under concurrent writers
      it(
        `delivers every event exactly once and in order while 16 writers append ${Math.round(20_000 * scale)} events`,
        async () => {
          const streamCount = Math.max(16, Math.round(2000 * scale));
          const perStream = 10;
          const writerCount = 16;
          const streams = range(streamCount).map(() => streamId('cart'));
          const ours = new Set(streams);
          const start = await store.headCheckpoint();
          const collector = collect({ after: start, batchSize: 250 }, ours);
          const writers = await writerStores(fixture, writerCount);
          const appended = new Set<string>();
          await Promise.all(
            writers.map(async (writer, w) => {
              const mine = streams.filter((_, i) => i % writerCount === w);
              const versions = new Map(mine.map((stream) => [stream, 0]));
              let remaining = mine.length * perStream;
              for (let turn = 0; remaining > 0; turn++) {
                const stream = mine[turn % mine.length]!;
                const version = versions.get(stream)!;
                if (version === perStream) continue;
                const size = Math.min(1 + (turn % 3), perStream - version);
                const batch = range(size).map(() => newEvent('ItemAdded', { writer: w, turn }));
                const result = await writer.append(stream, batch, {
                  expectedVersion: version === 0 ? 'no_stream' : version,
                });
                if (result.nextVersion !== version + size) throw new Error(`Unexpected version on ${stream}`);
                for (const event of batch) appended.add(event.eventId);
                versions.set(stream, version + size);
                remaining -= size;
              }
            }),
          );
          const total = streamCount * perStream;
          expect(appended.size).toBe(total);
          await collector.until(() => collector.events.length >= total, `all ${total} events`);

          const delivered = collector.events;
          expect(delivered).toHaveLength(total);
          expect(new Set(delivered.map((event) => event.eventId))).toEqual(appended);
          expect(isStrictlyIncreasing(delivered.map((event) => event.position))).toBe(true);
          expect(isNonDecreasing(collector.nexts)).toBe(true);
          const versionsSeen = new Map<string, number[]>();
          for (const event of delivered) {
            const seen = versionsSeen.get(event.streamId) ?? [];
            seen.push(event.version);
            versionsSeen.set(event.streamId, seen);
          }
          const expectedVersions = range(perStream).map((i) => i + 1);
          for (const stream of streams) expect(versionsSeen.get(stream)).toEqual(expectedVersions);
          const { events: readBack } = await readAllOf(start, ours, 1000);
          expect(readBack.map((event) => event.eventId)).toEqual(delivered.map((event) => event.eventId));
        },
        LONG_TEST_TIMEOUT_MS,
      );

      // (b) a long transaction delays delivery of later commits but nothing is skipped
      const heldTitle =
        'holds back events committed after an open transaction until it commits, skipping nothing';
      const heldSkip = options.skip?.heldTransaction;
      if (heldSkip) {
        console.warn(`EventStore contract (${name}): "${heldTitle}" is skipped: ${heldSkip}`);
        it.skip(`${heldTitle} (skipped: ${heldSkip})`, () => {
          // Never runs: registered so that the skip and its reason show in every report.
        });
      } else {
        it(
          heldTitle,
          async () => {
            if (!fixture.holdOpenTransaction)
              throw new Error(`${name}: the fixture cannot hold a transaction open`);
            const start = await store.headCheckpoint();
            const before = streamId('cart');
            const held = streamId('order');
            const later = range(5).map(() => streamId('cart'));
            const ours = new Set([before, held, ...later]);
            const collector = collect({ after: start }, ours);
            await store.append(
              before,
              range(3).map(() => newEvent('ItemAdded')),
              { expectedVersion: 'no_stream' },
            );
            await collector.until(
              () => collector.events.length >= 3,
              'the events before the open transaction',
            );

            const heldEvent = newEvent('OrderPlaced');
            const transaction = await fixture.holdOpenTransaction(held, heldEvent);
            let committed = false;
            try {
              for (const stream of later) {
                await store.append(stream, [newEvent('ItemAdded'), newEvent('ItemAdded')], {
                  expectedVersion: 'no_stream',
                });
              }
              // The one deliberate wait of the suite: the open transaction must hold everything after it back.
              await new Promise((resolve) => setTimeout(resolve, HELD_TRANSACTION_MS));
              expect(collector.events.map((event) => event.streamId)).toEqual([before, before, before]);
              const visible = await readAllOf(collector.nexts.at(-1)!, ours);
              expect(visible.events).toEqual([]);
              await transaction.commit();
              committed = true;
            } finally {
              if (!committed) await transaction.commit().catch(() => undefined);
            }

            await collector.until(
              () => collector.events.length >= 3 + 1 + 10,
              'the held and the later events',
            );
            const delivered = collector.events;
            expect(delivered).toHaveLength(14);
            expect(new Set(delivered.map((event) => event.eventId)).size).toBe(14);
            expect(delivered[3]!.eventId).toBe(heldEvent.eventId);
            expect(delivered.slice(4).map((event) => event.streamId)).toEqual(
              later.flatMap((stream) => [stream, stream]),
            );
            expect(isStrictlyIncreasing(delivered.map((event) => event.position))).toBe(true);
          },
          LONG_TEST_TIMEOUT_MS,
        );
      }
    });
  });
}

async function writerStores(fixture: EventStoreFixture, count: number): Promise<EventStore[]> {
  const connect = fixture.connect;
  if (!connect) return range(count).map(() => fixture.store);
  return Promise.all(range(count).map(() => connect()));
}

/** A fresh stream id of DESIGN.md §3's shape: `<aggregate>-<uuid>`. */
export function streamId(aggregate: string): string {
  return `${aggregate}-${uuidv7()}`;
}

/** A PascalCase event type unique to one test, so type filters see only that test's events. */
function eventType(base: string): string {
  return `${base}X${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** A new event with a fresh UUID v7 id and complete metadata. */
export function newEvent(type: string, data: JsonValue = {}): NewEvent {
  const id = uuidv7();
  return {
    eventId: id,
    type,
    data,
    metadata: {
      commandId: uuidv7(),
      correlationId: id,
      causationId: id,
      actor: { id: 'contract-test', role: 'system' },
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

/**
 * Data whose canonical JSON is easy to get wrong: exponents, negative zero, escapes, non-ASCII text and
 * keys, nesting and empty containers. JSON.stringify writes 1e21 as `1e+21`; the store prints it in full.
 */
const AWKWARD_DATA: JsonValue[] = [
  { amount: 123.45, tiny: 1e-7, tinier: 1.5e-7, huge: 1e21, zero: -0, max: Number.MAX_SAFE_INTEGER },
  { 'a "quoted" \\ key': 'tab\there\nnew line \u0001 \u001f \u007f', é: 'café ☕ 😀', z: 'ä', aa: 'Ω' },
  { nested: { list: [[], {}, [null, true, false], { b: 1, a: [2, { d: 'x', c: 'y' }] }] } },
  ['€', 0.1 + 0.2, -5e-324, 2 ** 70],
  'a plain string',
  null,
];

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function isStrictlyIncreasing(values: readonly string[]): boolean {
  return values.every((value, i) => i === 0 || values[i - 1]! < value);
}

function isNonDecreasing(values: readonly string[]): boolean {
  return values.every((value, i) => i === 0 || values[i - 1]! <= value);
}
