import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate, quoteIdentifier, type SqlClient } from '@tally/database';
import { cartStreamId, productStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type AppConfig, loadConfig } from '@tally/platform';
import { waitForProjections } from '@tally/read-models';
import {
  authHeader,
  createTestSchema,
  TEST_AUTH_SECRET,
  testInfrastructure,
  type TestSchema,
  type TestWarehouse,
  testWarehouse,
} from '@tally/testing';
import { WAREHOUSE_VIEWS } from '@tally/warehouse';
import pino from 'pino';
import { cartWithTwoMugs } from '../../../../libs/read-models/src/testing/cart.fixtures';
import { appendEvents } from '../../../../libs/read-models/src/testing/read-models.harness';
import { createProjectors, projectorsMigrations } from '../projectors.app';
import { AbandonedCartSweeper } from './abandoned-cart-sweeper';
import { RunningWarehouse } from './running-warehouse';

// The projectors app on PostgreSQL, in a test schema, with the warehouse in a schema of its own.
jest.setTimeout(60_000);

/** The default business time of the harness's events. */
const OCCURRED_AT = '2030-01-02T03:04:05.000Z';

describe('projectors and the warehouse', () => {
  let db: TestSchema;
  let testWh: TestWarehouse;
  let config: AppConfig;
  let store: PostgresEventStore;
  let app: NestFastifyApplication;
  let warehouse: SqlClient;
  let cartId: string;
  let sku: string;

  const inject = (method: 'GET' | 'POST', url: string) =>
    app.inject({ method, url, headers: authHeader('admin') });

  /** Appends a product and a cart holding two of it; resolves once the warehouse has projected them. */
  async function shop(): Promise<void> {
    await appendEvents(store, productStreamId(sku), [
      {
        type: 'ProductCreated',
        data: {
          sku,
          name: 'Mug',
          description: 'A mug',
          category: 'kitchen',
          attributes: {},
          images: [],
          price: { amount: 1200, currency: 'EUR' },
        },
      },
    ]);
    const events = cartWithTwoMugs(cartId).map((event) =>
      event.type === 'CartItemAdded' ? { ...event, data: { ...(event.data as object), sku } } : event,
    );
    const token = await appendEvents(store, cartStreamId(cartId), events);
    expect(await waitForProjections(warehouse, ['warehouse'], token, { timeoutMs: 20_000 })).toBe(true);
  }

  beforeEach(async () => {
    db = await createTestSchema('projectors_wh', 4);
    testWh = testWarehouse(db.schema, db.url);
    await migrate(db.client, [eventStoreMigrations, ...projectorsMigrations]);
    store = new PostgresEventStore(db.client);
    config = loadConfig({
      DATABASE_URL: db.url,
      TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
      ...testWh.settings,
      TALLY_AUDIT_CHECKPOINT_SECONDS: '0',
      TALLY_AUDIT_VERIFY_SECONDS: '0',
    });
    app = await createProjectors(testInfrastructure({ config, sql: db.client, eventStore: store }));
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    warehouse = app.get(RunningWarehouse).handle.sql;
    cartId = randomUUID();
    sku = `WH-${randomUUID().slice(0, 8).toUpperCase()}`;
  });

  afterEach(async () => {
    await app.close();
    await store.close();
    await testWh.drop();
    await db.drop();
  });

  it('projects events into the warehouse schema and lists the warehouse with the projections', async () => {
    await shop();

    const { rows: activity } = await warehouse.query<{ activity: string; quantity: number | null }>(
      'SELECT activity, quantity FROM fact_cart_activity WHERE cart_id = $1 ORDER BY activity',
      [cartId],
    );
    expect(activity).toEqual([
      { activity: 'add', quantity: 2 },
      { activity: 'open', quantity: null },
    ]);
    const { rows: products } = await warehouse.query('SELECT sku, category, version FROM dim_product');
    expect(products).toEqual([{ sku, category: 'kitchen', version: 1 }]);
    // The main schema holds the read models and their checkpoints, not the warehouse's.
    const { rows: mainCheckpoints } = await db.client.query(
      `SELECT name FROM projection_checkpoints WHERE name = 'warehouse'`,
    );
    expect(mainCheckpoints).toEqual([]);

    const listed = await inject('GET', '/api/v1/projections');
    expect(listed.json<{ items: { name: string }[] }>().items.map((item) => item.name)).toEqual([
      'catalog',
      'stock',
      'carts',
      'orders',
      'customers',
      'warehouse',
    ]);
    expect((await inject('GET', '/api/v1/projections/warehouse')).json()).toMatchObject({
      name: 'warehouse',
      state: 'running',
      eventsProcessed: 3,
      rebuild: null,
    });
  });

  it('rebuilds the warehouse blue/green over its own client, with its views and analyst grants', async () => {
    await shop();
    // A live row the projection would never write: only a rebuild from the events repairs it.
    await warehouse.query(`UPDATE dim_product SET name = 'stale' WHERE sku = $1`, [sku]);

    expect((await inject('POST', '/api/v1/projections/warehouse/rebuild')).statusCode).toBe(202);
    const rebuild = await until(async () => {
      const status = (await inject('GET', '/api/v1/projections/warehouse')).json<{
        rebuild: { state: string; inThisProcess: boolean; eventsProcessed: number } | null;
      }>();
      return status.rebuild?.state === 'switched' && !status.rebuild.inThisProcess
        ? status.rebuild
        : undefined;
    });
    expect(rebuild.eventsProcessed).toBe(3);

    const { rows } = await warehouse.query<{ name: string }>('SELECT name FROM dim_product WHERE sku = $1', [
      sku,
    ]);
    expect(rows).toEqual([{ name: 'Mug' }]);
    const views = await warehouse.query<{ viewname: string }>(
      'SELECT viewname FROM pg_views WHERE schemaname = current_schema() ORDER BY viewname',
    );
    expect(views.rows.map((view) => view.viewname)).toEqual([...WAREHOUSE_VIEWS].sort());
    const seenByAnalyst = await warehouse.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${quoteIdentifier(config.TALLY_ANALYST_DB_ROLE)}`);
      const funnel = await tx.query<{ carts_opened: number }>(
        'SELECT carts_opened::int AS carts_opened FROM metric_funnel_daily',
      );
      const lines = await tx.query('SELECT * FROM dim_product');
      return { funnel: funnel.rows, products: lines.rowCount };
    });
    expect(seenByAnalyst).toEqual({ funnel: [{ carts_opened: 1 }], products: 1 });

    // The runner goes on into the switched tables.
    const token = await appendEvents(store, cartStreamId(cartId), [
      { type: 'CartItemRemoved', data: { cartId, sku } },
    ]);
    expect(await waitForProjections(warehouse, ['warehouse'], token, { timeoutMs: 20_000 })).toBe(true);
    const removed = await warehouse.query(
      `SELECT 1 FROM fact_cart_activity WHERE cart_id = $1 AND activity = 'remove'`,
      [cartId],
    );
    expect(removed.rowCount).toBe(1);

    const verified = await inject('POST', '/api/v1/projections/warehouse/verify');
    expect(verified.json()).toMatchObject({ projection: 'warehouse', identical: true });
  });

  it('sweeps an idle cart into an abandonment once the warehouse has caught up', async () => {
    const sweeper = (now: string) =>
      new AbandonedCartSweeper({
        sql: warehouse,
        store,
        projection: app.get(RunningWarehouse).projection,
        idleMinutes: config.TALLY_WAREHOUSE_CART_IDLE_MINUTES,
        logger: pino({ level: 'silent' }),
        now: () => new Date(now),
      });
    await shop();

    // Within the idle time: nothing to record.
    expect(await sweeper('2030-01-02T03:30:00.000Z').sweep()).toBe(0);
    expect(await sweeper('2030-01-02T06:00:00.000Z').sweep()).toBe(1);
    const { rows } = await warehouse.query<{ activity_id: string; occurred_at: Date }>(
      `SELECT activity_id, occurred_at FROM fact_cart_activity WHERE cart_id = $1 AND activity = 'abandon'`,
      [cartId],
    );
    const abandonedAt = new Date(Date.parse(OCCURRED_AT) + 60 * 60_000);
    expect(rows).toEqual([
      { activity_id: `abandon:${cartId}:${abandonedAt.toISOString()}`, occurred_at: abandonedAt },
    ]);
    // Once recorded, never twice.
    expect(await sweeper('2030-01-02T07:00:00.000Z').sweep()).toBe(0);
  });

  it('does not sweep while the warehouse has events of its types still to project', async () => {
    await app.close();
    // The app (and its runners) stopped: the next cart's events wait unprojected.
    app = await createProjectorsStopped();
    const token = await appendEvents(store, cartStreamId(cartId), cartWithTwoMugs(cartId));
    // Readable, as the runner would read them (another session's open transaction can hold the log back).
    await until(async () => ((await store.headCheckpoint()) >= token ? true : undefined));
    const sweeper = new AbandonedCartSweeper({
      sql: warehouse,
      store,
      projection: app.get(RunningWarehouse).projection,
      idleMinutes: 60,
      logger: pino({ level: 'silent' }),
      now: () => new Date('2030-01-09T00:00:00.000Z'),
    });
    expect(await sweeper.sweep()).toBeUndefined();
  });

  /** The app built again but not started (no runner, no sweep), its warehouse open. */
  async function createProjectorsStopped(): Promise<NestFastifyApplication> {
    const next = await createProjectors(testInfrastructure({ config, sql: db.client, eventStore: store }));
    warehouse = next.get(RunningWarehouse).handle.sql;
    return next;
  }
});

/** Polls `probe` until it returns a value (bounded; a projection rebuild runs in the background). */
async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
