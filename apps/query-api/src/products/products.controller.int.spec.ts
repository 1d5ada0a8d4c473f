import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate, PgliteSqlClient, type SqlClient } from '@tally/database';
import { productStreamId, searchStreamId } from '@tally/domain';
import {
  type Checkpoint,
  type EventStore,
  eventStoreMigrations,
  type JsonValue,
  PostgresEventStore,
  type RecordedEvent,
  uuidv7,
} from '@tally/event-store';
import { loadConfig, type ProblemDetails } from '@tally/platform';
import { catalogProjection, ProjectionRunner, stockProjection } from '@tally/read-models';
import {
  authHeader,
  createTestSchema,
  TEST_AUTH_SECRET,
  type TestWarehouse,
  testWarehouse,
  uniqueName,
} from '@tally/testing';
import pino from 'pino';
import { categoryListSchema } from '../categories/categories.schemas';
import { createQueryApi, queryApiMigrations } from '../query-api.app';
import { productSchema, productSearchResultSchema, productSuggestionsSchema } from './products.schemas';
import { ZeroResultSearches } from './zero-result-searches';

// query-api's catalog reads in-process (app.inject) over real PostgreSQL and over PGlite (embedded mode),
// with the real event store and projection runner; and the one thing it writes: shoppers' searches
// (ADR 0010).

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const usd = (amount: number) => ({ amount, currency: 'USD' });

/** An event store whose appends fail, to show a failed recording never fails the search. */
class FailingAppends {
  constructor(private readonly inner: EventStore) {}
  append(): Promise<never> {
    return Promise.reject(new Error('event store unavailable'));
  }
  readStream(...args: Parameters<EventStore['readStream']>) {
    return this.inner.readStream(...args);
  }
}

/** A fresh database schema on one of the two databases Tally runs on. */
interface Backend {
  readonly name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(): Promise<{ client: SqlClient; drop(): Promise<void> }>;
}

let pglite: PgliteSqlClient | undefined;
const BACKENDS: readonly Backend[] = [
  {
    name: 'PostgreSQL',
    setUp: () => Promise.resolve(),
    tearDown: () => Promise.resolve(),
    open: () => createTestSchema('query_products'),
  },
  {
    // One PGlite for the file (it takes seconds to boot), a fresh schema per test.
    name: 'PGlite',
    async setUp() {
      pglite = await PgliteSqlClient.open();
    },
    async tearDown() {
      await pglite?.close();
    },
    async open() {
      const client = pglite;
      if (!client) throw new Error('PGlite backend used before setUp');
      const schema = uniqueName('query_products');
      await client.exec(`CREATE SCHEMA ${schema}; SET search_path = ${schema}, public;`);
      return {
        client,
        drop: () => client.exec(`SET search_path = public; DROP SCHEMA ${schema} CASCADE;`),
      };
    },
  },
];

describe.each(BACKENDS)('query-api products and categories on $name', (backend) => {
  let db: { client: SqlClient; drop(): Promise<void> };
  let store: PostgresEventStore;
  let runner: ProjectionRunner;
  let app: NestFastifyApplication;
  let token: Checkpoint;
  // A warehouse schema and analyst role of this test's own: query-api opens the warehouse at start.
  let warehouse: TestWarehouse;
  const sku = { runners: `RUN-${uuidv7().slice(-8)}`, draft: `DRAFT-${uuidv7().slice(-8)}` };

  const startApp = async (eventStore: EventStore) => {
    app = await createQueryApi({
      config: loadConfig({ ...warehouse.settings }),
      sql: db.client,
      eventStore,
      logger: pino({ level: 'silent' }),
      authSecret: TEST_AUTH_SECRET,
      close: () => Promise.resolve(),
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  };

  beforeAll(() => backend.setUp(), 60_000); // PGlite takes seconds to boot.
  afterAll(() => backend.tearDown());
  beforeEach(async () => {
    db = await backend.open();
    warehouse = testWarehouse(uniqueName('query_products'));
    await migrate(db.client, [eventStoreMigrations, ...queryApiMigrations]);
    store = new PostgresEventStore(db.client);
    runner = new ProjectionRunner({
      sql: db.client,
      store,
      projections: [catalogProjection, stockProjection],
      logger: silent,
    });
    await runner.start();
    for (const [key, name, published] of [
      ['runners', 'Blue running sneakers', true],
      ['draft', 'Sneaker prototype', false],
    ] as const) {
      const id = sku[key];
      const commandId = uuidv7();
      const metadata = {
        commandId,
        correlationId: commandId,
        causationId: commandId,
        actor: { id: 'test', role: 'admin' },
        occurredAt: '2030-01-02T03:04:05.000Z',
        schemaVersion: 1,
      };
      const events: { type: string; data: JsonValue }[] = [
        {
          type: 'ProductCreated',
          data: {
            sku: id,
            name,
            description: 'Light shoes',
            category: 'Foot Wear',
            attributes: {},
            images: [],
            price: usd(8900),
          },
        },
        ...(published ? [{ type: 'ProductPublished', data: { sku: id } }] : []),
      ];
      ({ checkpoint: token } = await store.append(
        productStreamId(id),
        events.map((event) => ({ eventId: uuidv7(), ...event, metadata })),
        { expectedVersion: 'any' },
      ));
    }
    await startApp(store);
  });

  afterEach(async () => {
    await app.close();
    await runner.stop();
    await store.close();
    await warehouse.drop();
    await db.drop();
  });

  const get = (url: string, credentials: Record<string, string> = {}) =>
    app.inject({ method: 'GET', url, headers: { ...credentials, 'tally-consistency': token } });
  const fields = (body: string) => ((JSON.parse(body) as ProblemDetails).errors ?? []).map((e) => e.field);
  /** Every search event recorded today (UTC), once the recordings started so far have finished. */
  const recorded = async (): Promise<RecordedEvent[]> => {
    await app.get(ZeroResultSearches).settled();
    return store.readStream(searchStreamId(new Date().toISOString()));
  };

  describe('GET /api/v1/products', () => {
    it('finds a product through a typo, for anyone, and records what it found and what it searched', async () => {
      const response = await get('/api/v1/products?q=Sneker&inStock=false');
      expect(response.statusCode).toBe(200);
      const body = productSearchResultSchema.parse(response.json());
      expect(body.items.map((item) => item.sku)).toEqual([sku.runners]);
      expect(body.correctedQuery).toBe('sneakers');

      const events = await recorded();
      expect(events).toHaveLength(1);
      const occurredAt = events[0]?.metadata.occurredAt ?? '';
      expect(events[0]).toEqual(
        expect.objectContaining({
          type: 'ProductSearchReturnedResults',
          data: {
            query: 'Sneker',
            normalizedQuery: 'sneker',
            filters: { category: [], minPrice: null, maxPrice: null, inStock: false },
            occurredAt,
            results: body.total,
            correctedQuery: 'sneakers',
          },
          metadata: expect.objectContaining({
            correlationId: response.headers['x-correlation-id'],
          }) as unknown,
        }),
      );
      expect(body.total).toBe(1);
      expect(events[0]?.streamId).toBe(searchStreamId(occurredAt));
    });

    it('records no correction for words searched as typed', async () => {
      const response = await get('/api/v1/products?q=running%20sneakers');
      expect(productSearchResultSchema.parse(response.json()).correctedQuery).toBeNull();
      expect((await recorded()).map((event) => [event.type, event.data])).toEqual([
        [
          'ProductSearchReturnedResults',
          expect.objectContaining({ normalizedQuery: 'running sneakers', results: 1, correctedQuery: null }),
        ],
      ]);
    });

    it('records a search that found nothing, once, with its filters and the searcher', async () => {
      const customer = authHeader('customer', 'c0ffee00-0000-4000-8000-000000000001');
      const response = await get(
        '/api/v1/products?q=%20Purple%20%20Xylophone%20&category=foot-wear&category=Toys&maxPrice=5000',
        customer,
      );
      expect(response.statusCode).toBe(200);
      expect(productSearchResultSchema.parse(response.json()).total).toBe(0);

      const events = await recorded();
      expect(events).toHaveLength(1);
      const occurredAt = events[0]?.metadata.occurredAt ?? '';
      expect(events[0]).toEqual(
        expect.objectContaining({
          type: 'ProductSearchReturnedNoResults',
          data: {
            query: 'Purple  Xylophone',
            normalizedQuery: 'purple xylophone',
            filters: { category: ['foot-wear', 'Toys'], minPrice: null, maxPrice: 5000, inStock: false },
            occurredAt,
          },
          metadata: expect.objectContaining({
            actor: { id: 'c0ffee00-0000-4000-8000-000000000001', role: 'customer' },
            correlationId: response.headers['x-correlation-id'],
          }) as unknown,
        }),
      );
      expect(events[0]?.streamId).toBe(searchStreamId(occurredAt));
    });

    it('records nothing for later pages, searches without words, or suggestions', async () => {
      await get('/api/v1/products?q=xylophone&page=2');
      await get('/api/v1/products?q=sneakers&page=2');
      await get('/api/v1/products?category=toys');
      await get('/api/v1/products?q=%20%20');
      await get('/api/v1/products/suggestions?q=xylophone');
      expect(await recorded()).toEqual([]);
      // The same search twice is two events: each is one shopper's search.
      await get('/api/v1/products?q=xylophone');
      await get('/api/v1/products?q=xylophone');
      expect((await recorded()).map((event) => event.data)).toEqual([
        expect.objectContaining({ normalizedQuery: 'xylophone' }),
        expect.objectContaining({ normalizedQuery: 'xylophone' }),
      ]);
    });

    it('answers the search even when the event store refuses the recording', async () => {
      await app.close();
      await startApp(new FailingAppends(store) as unknown as EventStore);
      const response = await get('/api/v1/products?q=xylophone');
      expect(response.statusCode).toBe(200);
      expect(productSearchResultSchema.parse(response.json()).total).toBe(0);
      await app.get(ZeroResultSearches).settled();
      expect(await store.readStream(searchStreamId(new Date().toISOString()))).toEqual([]);
    });

    it('lists unpublished products to admins only', async () => {
      const admin = await get('/api/v1/products?includeUnpublished=true&q=prototype', authHeader('admin'));
      expect(admin.statusCode).toBe(200);
      expect(productSearchResultSchema.parse(admin.json()).items.map((item) => item.sku)).toEqual([
        sku.draft,
      ]);

      const guest = await get('/api/v1/products?includeUnpublished=true');
      expect(guest.statusCode).toBe(403);
      expect(fields(guest.body)).toEqual(['query.includeUnpublished']);
      expect((await get('/api/v1/products?includeUnpublished=true', authHeader('customer'))).statusCode).toBe(
        403,
      );
    });

    it('rejects an unknown sort or a bad category with every bad field named', async () => {
      const response = await get('/api/v1/products?sort=cheapest&category=&page=0');
      expect(response.statusCode).toBe(400);
      expect(fields(response.body).sort()).toEqual(['query.category', 'query.page', 'query.sort']);
    });
  });

  describe('GET /api/v1/products/suggestions', () => {
    it('suggests by prefix, and by similarity when nothing starts that way', async () => {
      for (const q of ['sne', 'snek', 'sneker', 'BLUE%20run']) {
        const response = await get(`/api/v1/products/suggestions?q=${q}&limit=5`);
        expect(response.statusCode).toBe(200);
        expect(productSuggestionsSchema.parse(response.json()).suggestions).toEqual([
          {
            sku: sku.runners,
            name: 'Blue running sneakers',
            category: 'Foot Wear',
            categorySlug: 'foot-wear',
            priceMinor: 8900,
            currency: 'USD',
            image: null,
          },
        ]);
      }
      expect(
        productSuggestionsSchema.parse((await get('/api/v1/products/suggestions?q=sne')).json()).query,
      ).toBe('sne');
    });

    it('needs words and a limit in 1..20', async () => {
      for (const url of [
        '/api/v1/products/suggestions',
        '/api/v1/products/suggestions?q=%20',
        '/api/v1/products/suggestions?q=sne&limit=21',
        '/api/v1/products/suggestions?q=sne&limit=0',
      ]) {
        const response = await get(url);
        expect(response.statusCode).toBe(400);
        expect(fields(response.body)).toHaveLength(1);
      }
      expect(fields((await get('/api/v1/products/suggestions?q=sne&limit=99')).body)).toEqual([
        'query.limit',
      ]);
    });
  });

  describe('GET /api/v1/products/{sku}', () => {
    it('hides drafts from everyone but admins', async () => {
      expect((await get(`/api/v1/products/${sku.draft}`)).statusCode).toBe(404);
      expect((await get(`/api/v1/products/${sku.draft}`, authHeader('customer'))).statusCode).toBe(404);
      const admin = await get(`/api/v1/products/${sku.draft}`, authHeader('admin'));
      expect(admin.statusCode).toBe(200);
      expect(productSchema.parse(admin.json()).status).toBe('draft');
      expect((await get(`/api/v1/products/${sku.runners}`)).statusCode).toBe(200);
    });
  });

  describe('GET /api/v1/categories', () => {
    it('lists categories with published products, for anyone', async () => {
      const response = await get('/api/v1/categories');
      expect(response.statusCode).toBe(200);
      expect(categoryListSchema.parse(response.json())).toEqual([
        { name: 'Foot Wear', slug: 'foot-wear', productCount: 1 },
      ]);
    });
  });
});
