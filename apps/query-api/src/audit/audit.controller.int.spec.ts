import { randomUUID } from 'node:crypto';
import { type JsonValue, uuidv7 } from '@tally/event-store';
import type { ProblemDetails } from '@tally/platform';
import { authHeader, routesWithoutRoles } from '@tally/testing';
import { type InProcessQueryApi, startInProcessQueryApi } from '../../test/in-process.harness';
import { searchStatement } from './audit-log';
import {
  auditEventsPageSchema,
  auditEventsQuery,
  auditStreamSchema,
  correlationStorySchema,
  integrityStatusSchema,
  stateDiffSchema,
  streamStateSchema,
} from './audit.schemas';

const GENESIS = '0'.repeat(64);
const eur = (amount: number) => ({ amount, currency: 'EUR' });

interface Cause {
  readonly correlationId?: string;
  readonly actor?: { id: string; role: string };
}

describe('query-api audit', () => {
  let q: InProcessQueryApi;

  beforeEach(async () => {
    q = await startInProcessQueryApi({ schema: 'query_audit', projections: [] });
  });

  afterEach(() => q.close());

  /** Appends events to a stream in one batch, with the given correlation and actor, as command-api would. */
  const append = async (
    streamId: string,
    events: [string, Record<string, JsonValue>][],
    cause: Cause = {},
  ) => {
    const commandId = uuidv7();
    return q.store.append(
      streamId,
      events.map(([type, data]) => ({
        eventId: uuidv7(),
        type,
        data,
        metadata: {
          commandId,
          correlationId: cause.correlationId ?? randomUUID(),
          causationId: commandId,
          actor: cause.actor ?? { id: 'shopper-1', role: 'guest' },
          occurredAt: new Date().toISOString(),
          schemaVersion: 1,
        },
      })),
      { expectedVersion: 'any' },
    );
  };

  const get = (url: string, headers: Record<string, string> = authHeader('auditor')) =>
    q.app.inject({ method: 'GET', url, headers });

  const fieldsOf = (body: string) => (JSON.parse(body) as ProblemDetails).errors?.map((error) => error.field);

  /** A cart: opened, two lines added one append each, the first line's quantity changed. */
  const cartHistory = async (cartId = uuidv7(), cause: Cause = {}) => {
    const streamId = `cart-${cartId}`;
    await append(streamId, [['CartOpened', { cartId, customerId: null, currency: 'EUR' }]], cause);
    await append(
      streamId,
      [['CartItemAdded', { cartId, sku: 'MUG', name: 'Mug', quantity: 1, unitPrice: eur(900) }]],
      cause,
    );
    await append(
      streamId,
      [['CartItemAdded', { cartId, sku: 'TEA', name: 'Tea', quantity: 2, unitPrice: eur(450) }]],
      cause,
    );
    await append(
      streamId,
      [['CartItemQuantityChanged', { cartId, sku: 'MUG', quantity: 4, previousQuantity: 1 }]],
      cause,
    );
    return { cartId, streamId };
  };

  describe('GET /api/v1/audit/streams/{streamId}', () => {
    it('returns every event with who, when, why and its link in the hash chain', async () => {
      const correlationId = randomUUID();
      const { streamId } = await cartHistory(undefined, {
        correlationId,
        actor: { id: 'ada', role: 'customer' },
      });

      const response = await get(`/api/v1/audit/streams/${streamId}`);

      expect(response.statusCode).toBe(200);
      const body = auditStreamSchema.parse(response.json());
      expect(body.streamId).toBe(streamId);
      expect(body.version).toBe(4);
      expect(body.events.map((event) => [event.version, event.type])).toEqual([
        [1, 'CartOpened'],
        [2, 'CartItemAdded'],
        [3, 'CartItemAdded'],
        [4, 'CartItemQuantityChanged'],
      ]);
      const stored = await q.store.readStream(streamId);
      body.events.forEach((event, i) => {
        const original = stored[i]!;
        expect(event).toMatchObject({
          eventId: original.eventId,
          position: original.position,
          recordedAt: original.recordedAt,
          occurredAt: original.metadata.occurredAt,
          actor: { id: 'ada', role: 'customer' },
          commandId: original.metadata.commandId,
          correlationId,
          causationId: original.metadata.causationId,
          hash: original.hash,
        });
        expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
        expect(event.previousHash).toBe(i === 0 ? GENESIS : body.events[i - 1]!.hash);
      });
    });

    it('pages with fromVersion and limit, the head version staying the stream’s', async () => {
      const { streamId } = await cartHistory();

      const page = auditStreamSchema.parse(
        (await get(`/api/v1/audit/streams/${streamId}?fromVersion=2&limit=2`)).json(),
      );

      expect(page.version).toBe(4);
      expect(page.events.map((event) => event.version)).toEqual([2, 3]);
      expect(page.events[0]!.previousHash).not.toBe(GENESIS);
    });

    it('answers 404 for an unknown stream and 400 naming a bad parameter', async () => {
      expect((await get(`/api/v1/audit/streams/cart-${uuidv7()}`)).statusCode).toBe(404);
      const badId = await get('/api/v1/audit/streams/not%20a%20stream');
      expect(badId.statusCode).toBe(400);
      expect(fieldsOf(badId.body)).toEqual(['path.streamId']);
      const badLimit = await get(`/api/v1/audit/streams/cart-${uuidv7()}?limit=0&colour=red`);
      expect(badLimit.statusCode).toBe(400);
      expect(fieldsOf(badLimit.body)?.sort()).toEqual(['query.colour', 'query.limit']);
    });
  });

  describe('GET /api/v1/audit/events', () => {
    it('filters by type, actor, correlation id, stream and time, in recorded order', async () => {
      const correlationId = randomUUID();
      const a = await cartHistory(undefined, { correlationId, actor: { id: 'ada', role: 'customer' } });
      const b = await cartHistory(undefined, { actor: { id: 'bob', role: 'customer' } });

      const search = async (query: string) => {
        const response = await get(`/api/v1/audit/events?${query}`);
        expect(response.statusCode).toBe(200);
        return auditEventsPageSchema.parse(response.json());
      };
      const ids = (page: { items: { streamId: string; version: number }[] }) =>
        page.items.map((event) => `${event.streamId}@${event.version}`);

      expect(ids(await search('type=CartItemAdded'))).toEqual([
        `${a.streamId}@2`,
        `${a.streamId}@3`,
        `${b.streamId}@2`,
        `${b.streamId}@3`,
      ]);
      expect(ids(await search('actor=bob'))).toEqual([1, 2, 3, 4].map((v) => `${b.streamId}@${v}`));
      expect(ids(await search(`correlationId=${correlationId}`))).toEqual(
        [1, 2, 3, 4].map((v) => `${a.streamId}@${v}`),
      );
      expect(ids(await search(`streamId=${b.streamId}&type=CartOpened`))).toEqual([`${b.streamId}@1`]);
      expect(ids(await search('actor=ada&type=CartItemQuantityChanged'))).toEqual([`${a.streamId}@4`]);

      // A time range: from b's first event on, up to b's third.
      const bEvents = await q.store.readStream(b.streamId);
      const from = bEvents[0]!.recordedAt;
      const to = bEvents[2]!.recordedAt;
      const inRange = await search(`from=${from}&to=${to}`);
      const expected = [...(await q.store.readStream(a.streamId)), ...bEvents]
        .filter((event) => event.recordedAt >= from && event.recordedAt <= to)
        .map((event) => `${event.streamId}@${event.version}`);
      expect(ids(inRange)).toEqual(expected);
      expect(ids(inRange)).toEqual(expect.arrayContaining([1, 2, 3].map((v) => `${b.streamId}@${v}`)));
    });

    it('pages: page and pageSize, hasMore until the last page', async () => {
      const { streamId } = await cartHistory();
      const page = async (n: number) =>
        auditEventsPageSchema.parse(
          (await get(`/api/v1/audit/events?streamId=${streamId}&page=${n}&pageSize=3`)).json(),
        );

      const first = await page(1);
      const second = await page(2);

      expect(first).toMatchObject({ page: 1, pageSize: 3, hasMore: true });
      expect(first.items.map((event) => event.version)).toEqual([1, 2, 3]);
      expect(second).toMatchObject({ page: 2, pageSize: 3, hasMore: false });
      expect(second.items.map((event) => event.version)).toEqual([4]);
      expect((await page(3)).items).toEqual([]);
    });

    it.each([
      ['', ['query.from']],
      ['page=0&type=CartOpened', ['query.page']],
      ['pageSize=201&type=CartOpened', ['query.pageSize']],
      ['from=yesterday', ['query.from']],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', ['query.to']],
      ['type=Cart%20Opened', ['query.type']],
      ['correlationId=a%20b', ['query.correlationId']],
      ['streamId=nope', ['query.streamId']],
      ['type=CartOpened&sort=desc', ['query.sort']],
    ])('answers 400 to ?%s naming %j', async (query, fields) => {
      const response = await get(`/api/v1/audit/events?${query}`);
      expect(response.statusCode).toBe(400);
      expect(fieldsOf(response.body)).toEqual(fields);
    });

    it('serves each filter from its audit index', async () => {
      // A few thousand events over many streams, types, actors and correlations (ten events each), so that
      // each index is worth using.
      for (let batch = 0; batch < 30; batch++) {
        const orderId = uuidv7();
        await q.store.append(
          `order-${orderId}`,
          Array.from({ length: 100 }, (_, i) => {
            const group = `${batch}-${Math.floor(i / 10)}`;
            return {
              eventId: uuidv7(),
              type: `Noise${group.replace('-', 'x')}Recorded`,
              data: { orderId, i },
              metadata: {
                commandId: orderId,
                correlationId: `bulk-${group}`,
                causationId: orderId,
                actor: { id: `actor-${group}`, role: 'system' },
                occurredAt: new Date().toISOString(),
                schemaVersion: 1,
              },
            };
          }),
          { expectedVersion: 'no_stream' },
        );
      }
      await q.db.client.query('ANALYZE events');
      const plan = async (query: Record<string, string>) => {
        const { sql, params } = searchStatement(auditEventsQuery.parse(query));
        const { rows } = await q.db.client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      };

      expect(await plan({ type: 'Noise7x3Recorded' })).toMatch(/events_type_recorded/);
      expect(await plan({ correlationId: 'bulk-7-3' })).toMatch(/events_correlation/);
      expect(await plan({ actor: 'actor-7-3' })).toMatch(/events_actor/);
      expect(await plan({ from: new Date(Date.now() + 60_000).toISOString() })).toMatch(/events_recorded_at/);
    });
  });

  describe('GET /api/v1/audit/streams/{streamId}/state', () => {
    const state = async (streamId: string, query: string) => {
      const response = await get(`/api/v1/audit/streams/${streamId}/state?${query}`);
      expect(response.statusCode).toBe(200);
      return streamStateSchema.parse(response.json());
    };

    it('folds the stream with the cart decider up to a version', async () => {
      const { cartId, streamId } = await cartHistory();

      const atThree = await state(streamId, 'version=3');

      expect(atThree).toMatchObject({ streamId, aggregate: 'cart', version: 3 });
      expect(atThree.state).toEqual({
        cartId,
        currency: 'EUR',
        customerId: null,
        lines: [
          { name: 'Mug', quantity: 1, sku: 'MUG', unitPrice: eur(900) },
          { name: 'Tea', quantity: 2, sku: 'TEA', unitPrice: eur(450) },
        ],
        status: 'open',
      });
      expect(atThree.recordedAt).toBe((await q.store.readStream(streamId))[2]!.recordedAt);
      expect((await state(streamId, 'version=4')).state).toMatchObject({
        lines: [
          { sku: 'MUG', quantity: 4 },
          { sku: 'TEA', quantity: 2 },
        ],
      });
    });

    it('gives the same state as of a version’s recorded time as at that version', async () => {
      const { streamId } = await cartHistory();
      const events = await q.store.readStream(streamId);

      for (const event of events) {
        const byTime = await state(streamId, `asOf=${encodeURIComponent(event.recordedAt)}`);
        // Appends in the same millisecond share a recorded time: as of it, the later one is in too.
        const lastAtThatTime = events.filter((other) => other.recordedAt <= event.recordedAt).at(-1)!;
        const byVersion = await state(streamId, `version=${lastAtThatTime.version}`);
        expect(byTime).toEqual({ ...byVersion, asOf: event.recordedAt });
      }
    });

    it('is version 0 with the initial state before the stream existed', async () => {
      const { streamId } = await cartHistory();
      const before = new Date(
        Date.parse((await q.store.readStream(streamId))[0]!.recordedAt) - 1,
      ).toISOString();

      expect(await state(streamId, `asOf=${before}`)).toEqual({
        streamId,
        aggregate: 'cart',
        version: 0,
        recordedAt: null,
        asOf: before,
        state: { status: 'none' },
      });
      expect(await state(streamId, 'version=0')).toMatchObject({ version: 0, state: { status: 'none' } });
    });

    it('answers 404 for an unknown stream or a version beyond the head', async () => {
      const { streamId } = await cartHistory();
      expect((await get(`/api/v1/audit/streams/cart-${uuidv7()}/state?version=1`)).statusCode).toBe(404);
      const beyond = await get(`/api/v1/audit/streams/${streamId}/state?version=5`);
      expect(beyond.statusCode).toBe(404);
      expect(fieldsOf(beyond.body)).toEqual(['query.version']);
    });

    it('answers 422 naming the stream kind when no decider folds it', async () => {
      await append('order-numbers', [['OrderNumberAllocated', { orderId: uuidv7() }]]);

      const response = await get('/api/v1/audit/streams/order-numbers/state?version=1');

      expect(response.statusCode).toBe(422);
      const problem = response.json<ProblemDetails>();
      expect(problem.code).toBe('STREAM_NOT_FOLDABLE');
      expect(problem.detail).toContain('"order-numbers"');
      expect(problem.errors?.map((error) => error.field)).toEqual(['streamId']);
    });

    it.each([
      ['', ['query.asOf']],
      ['asOf=2026-01-01T00:00:00Z&version=1', ['query.version']],
      ['asOf=2026-13-01', ['query.asOf']],
      ['version=-1', ['query.version']],
    ])('answers 400 to ?%s naming %j', async (query, fields) => {
      const response = await get(`/api/v1/audit/streams/cart-${uuidv7()}/state?${query}`);
      expect(response.statusCode).toBe(400);
      expect(fieldsOf(response.body)).toEqual(fields);
    });
  });

  describe('GET /api/v1/audit/streams/{streamId}/state/diff', () => {
    it('lists what changed between two versions and the events in between', async () => {
      const { streamId } = await cartHistory();
      const events = await q.store.readStream(streamId);

      const response = await get(`/api/v1/audit/streams/${streamId}/state/diff?from=2&to=4`);

      expect(response.statusCode).toBe(200);
      const diff = stateDiffSchema.parse(response.json());
      expect(diff.from).toEqual({ version: 2, recordedAt: events[1]!.recordedAt });
      expect(diff.to).toEqual({ version: 4, recordedAt: events[3]!.recordedAt });
      expect(diff.changes).toEqual([
        { path: '/lines/0/quantity', op: 'replace', from: 1, to: 4 },
        { path: '/lines/1', op: 'add', to: { name: 'Tea', quantity: 2, sku: 'TEA', unitPrice: eur(450) } },
      ]);
      expect(diff.events.map((event) => event.version)).toEqual([3, 4]);
      expect(diff.events[0]!.previousHash).toBe(events[1]!.hash);
    });

    it('takes times as well as versions, and from the beginning (0)', async () => {
      const { streamId } = await cartHistory();
      const events = await q.store.readStream(streamId);
      const last = events.filter((event) => event.recordedAt <= events[1]!.recordedAt).at(-1)!.version;

      const byTime = stateDiffSchema.parse(
        (await get(`/api/v1/audit/streams/${streamId}/state/diff?from=0&to=${events[1]!.recordedAt}`)).json(),
      );
      const byVersion = stateDiffSchema.parse(
        (await get(`/api/v1/audit/streams/${streamId}/state/diff?from=0&to=${last}`)).json(),
      );

      expect(byTime).toEqual(byVersion);
      expect(byTime.from).toEqual({ version: 0, recordedAt: null });
      expect(byTime.changes).toContainEqual({ path: '/status', op: 'replace', from: 'none', to: 'open' });
    });

    it('answers 400 when from is after to or a point is neither a version nor a time, 404 beyond the head', async () => {
      const { streamId } = await cartHistory();
      const backwards = await get(`/api/v1/audit/streams/${streamId}/state/diff?from=3&to=1`);
      expect(backwards.statusCode).toBe(400);
      expect(fieldsOf(backwards.body)).toEqual(['query.from']);
      const garbage = await get(`/api/v1/audit/streams/${streamId}/state/diff?from=1&to=soon`);
      expect(garbage.statusCode).toBe(400);
      expect(fieldsOf(garbage.body)).toEqual(['query.to']);
      const missing = await get(`/api/v1/audit/streams/${streamId}/state/diff?to=1`);
      expect(fieldsOf(missing.body)).toEqual(['query.from']);
      const beyond = await get(`/api/v1/audit/streams/${streamId}/state/diff?from=1&to=9`);
      expect(beyond.statusCode).toBe(404);
      expect(fieldsOf(beyond.body)).toEqual(['query.to']);
      expect((await get(`/api/v1/audit/streams/cart-${uuidv7()}/state/diff?from=0&to=1`)).statusCode).toBe(
        404,
      );
    });
  });

  describe('GET /api/v1/audit/correlations/{correlationId}', () => {
    it('tells the story across streams in global order', async () => {
      const correlationId = randomUUID();
      const orderId = uuidv7();
      const cartId = uuidv7();
      await append(`cart-${cartId}`, [['CartOpened', { cartId, customerId: null, currency: 'EUR' }]]);
      await append(`cart-${cartId}`, [['CartCheckedOut', { cartId, orderId }]], { correlationId });
      await append(`order-${orderId}`, [['OrderPlaced', { orderId }]], { correlationId });
      await append(`stock-MUG`, [['StockReserved', { sku: 'MUG', orderId, quantity: 1 }]], { correlationId });
      await append(`order-${orderId}`, [['OrderStockReserved', { orderId }]], { correlationId });

      const response = await get(`/api/v1/audit/correlations/${correlationId}`);

      expect(response.statusCode).toBe(200);
      const story = correlationStorySchema.parse(response.json());
      expect(story.streams).toEqual([`cart-${cartId}`, `order-${orderId}`, 'stock-MUG']);
      expect(story.events.map((event) => event.type)).toEqual([
        'CartCheckedOut',
        'OrderPlaced',
        'StockReserved',
        'OrderStockReserved',
      ]);
      const positions = story.events.map((event) => event.position);
      expect([...positions].sort()).toEqual(positions);
      expect(story.truncated).toBe(false);
    });

    it('answers 404 for an unknown correlation id and 400 for a malformed one', async () => {
      expect((await get(`/api/v1/audit/correlations/${randomUUID()}`)).statusCode).toBe(404);
      const bad = await get('/api/v1/audit/correlations/a%20b');
      expect(bad.statusCode).toBe(400);
      expect(fieldsOf(bad.body)).toEqual(['path.correlationId']);
    });
  });

  describe('GET /api/v1/audit/integrity', () => {
    it('is empty before any checkpoint or verification', async () => {
      const response = await get('/api/v1/audit/integrity');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ lastCheckpoint: null, lastVerification: null });
    });

    it('reports the newest signed checkpoint and verification run', async () => {
      const insertCheckpoint = (sequence: number, root: string) =>
        q.db.client.query(
          `INSERT INTO audit_checkpoints (sequence, up_to, leaf_count, root, frontier, created_at, key_id, public_key, signature)
           VALUES ($1, $2, $3, $4, '[]', $5, 'k1', 'cHVi', 'c2ln')`,
          [
            sequence,
            `pos-${sequence}`,
            sequence * 10,
            root,
            new Date(Date.UTC(2026, 0, sequence)).toISOString(),
          ],
        );
      await insertCheckpoint(1, 'a'.repeat(64));
      await insertCheckpoint(2, 'b'.repeat(64));
      const insertVerification = (finishedAt: string, ok: boolean, breaks: object) =>
        q.db.client.query(
          `INSERT INTO audit_verifications (started_at, finished_at, scope, checkpoint_sequence, events_checked, streams_checked, ok, breaks)
           VALUES ($1, $1, 'all', 2, 20, 3, $2, $3::jsonb)`,
          [finishedAt, ok, JSON.stringify(breaks)],
        );
      const broken = { streamId: 'cart-x', version: 2, kind: 'altered', message: 'hash mismatch' };
      const checkpointBreak = { sequence: 2, kind: 'root', message: 'root differs' };
      await insertVerification('2026-01-03T00:00:00.000Z', true, { streams: [], checkpoints: [] });
      await insertVerification('2026-01-04T00:00:00.000Z', false, {
        streams: [broken],
        checkpoints: [checkpointBreak],
      });

      const response = await get('/api/v1/audit/integrity');

      expect(response.statusCode).toBe(200);
      expect(integrityStatusSchema.parse(response.json())).toEqual({
        lastCheckpoint: {
          sequence: 2,
          upTo: 'pos-2',
          leafCount: 20,
          root: 'b'.repeat(64),
          createdAt: '2026-01-02T00:00:00.000Z',
          keyId: 'k1',
          publicKey: 'cHVi',
          signature: 'c2ln',
        },
        lastVerification: {
          startedAt: '2026-01-04T00:00:00.000Z',
          finishedAt: '2026-01-04T00:00:00.000Z',
          scope: 'all',
          ok: false,
          eventsChecked: 20,
          streamsChecked: 3,
          checkpointSequence: 2,
          breaks: { streams: [broken], checkpoints: [checkpointBreak] },
        },
      });
    });
  });

  describe('access', () => {
    const routes = (streamId: string) => [
      `/api/v1/audit/streams/${streamId}`,
      '/api/v1/audit/events?type=CartOpened',
      `/api/v1/audit/streams/${streamId}/state?version=1`,
      `/api/v1/audit/streams/${streamId}/state/diff?from=0&to=1`,
      `/api/v1/audit/correlations/${randomUUID()}`,
      '/api/v1/audit/integrity',
    ];

    it('admits auditors only: 401 without a token, 403 for every other role', async () => {
      const { streamId } = await cartHistory();
      for (const url of routes(streamId)) {
        expect([url, (await get(url, {})).statusCode]).toEqual([url, 401]);
        for (const role of ['customer', 'admin', 'analyst'] as const) {
          expect([url, role, (await get(url, authHeader(role))).statusCode]).toEqual([url, role, 403]);
        }
        expect([url, (await get(url)).statusCode]).not.toEqual([url, 403]);
      }
      expect(routesWithoutRoles(q.app)).toEqual([]);
    });
  });
});
