import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate, PgliteSqlClient } from '@tally/database';
import { cartStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type Infrastructure, loadConfig } from '@tally/platform';
import { waitForProjections } from '@tally/read-models';
import { authHeader, routesWithoutRoles, TEST_AUTH_SECRET } from '@tally/testing';
import { WAREHOUSE_VIEWS } from '@tally/warehouse';
import pino from 'pino';
import { cartWithTwoMugs } from '../../../libs/read-models/src/testing/cart.fixtures';
import { appendEvents } from '../../../libs/read-models/src/testing/read-models.harness';
import { createProjectors, projectorsMigrations } from './projectors.app';
import { RunningWarehouse } from './warehouse/running-warehouse';

// The operators' projection endpoints through the in-process app, on in-memory PGlite as in embedded mode.
jest.setTimeout(60_000);

describe('projections endpoints', () => {
  let sql: PgliteSqlClient;
  let store: PostgresEventStore;
  let app: NestFastifyApplication;
  let cartId: string;

  const inject = async (
    method: 'GET' | 'POST',
    url: string,
    headers: Record<string, string> = authHeader('admin'),
  ) => app.inject({ method, url, headers });

  beforeEach(async () => {
    sql = await PgliteSqlClient.open();
    store = new PostgresEventStore(sql);
    const infrastructure: Infrastructure = {
      config: loadConfig({}),
      sql,
      eventStore: store,
      logger: pino({ level: 'silent' }),
      authSecret: TEST_AUTH_SECRET,
      close: () => sql.close(),
    };
    await migrate(sql, [eventStoreMigrations, ...projectorsMigrations]);
    cartId = randomUUID();
    const checkpoint = await appendEvents(store, cartStreamId(cartId), cartWithTwoMugs(cartId));
    app = await createProjectors(infrastructure);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    expect(await waitForProjections(sql, ['carts'], checkpoint, { timeoutMs: 10_000 })).toBe(true);
  });

  afterEach(async () => {
    await app.close();
    await sql.close();
  });

  it('shows one projection, and names an unknown one in a 404 problem', async () => {
    const status = await inject('GET', '/api/v1/projections/carts');
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      name: 'carts',
      state: 'running',
      eventsProcessed: 2,
      rebuild: null,
    });

    for (const [method, url] of [
      ['GET', '/api/v1/projections/nope'],
      ['POST', '/api/v1/projections/nope/rebuild'],
      ['POST', '/api/v1/projections/nope/verify'],
    ] as const) {
      const missing = await inject(method, url);
      expect(missing.statusCode).toBe(404);
      expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
      const problem = missing.json<{ code: string; errors: { field: string; message: string }[] }>();
      expect(problem).toMatchObject({ code: 'PROJECTION_NOT_FOUND', errors: [{ field: 'path.name' }] });
      expect(problem.errors[0]?.message).toContain('catalog, stock, carts, orders, customers');
    }
    expect(
      (await inject('POST', '/api/v1/projections/carts/rebuild', authHeader('customer'))).statusCode,
    ).toBe(403);
    expect((await inject('POST', '/api/v1/projections/carts/verify', {})).statusCode).toBe(401);
    expect(routesWithoutRoles(app)).toEqual([]);
  });

  it('rebuilds in the background, refusing a second rebuild meanwhile, and reports the switch', async () => {
    // Holding PGlite's one connection keeps the background rebuild from progressing while we ask again.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    const blocker = sql.transaction(async () => {
      holding();
      await gate;
    });
    await held;
    const started = await inject('POST', '/api/v1/projections/carts/rebuild');
    const again = await inject('POST', '/api/v1/projections/carts/rebuild');
    release();
    await blocker;

    expect(started.statusCode).toBe(202);
    expect(started.json()).toEqual({
      projection: 'carts',
      state: 'running',
      status: '/api/v1/projections/carts',
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'PROJECTION_REBUILD_RUNNING' });

    type Rebuild = { state: string; inThisProcess: boolean; eventsProcessed: number } | null;
    const rebuildStatus = async () =>
      (await inject('GET', '/api/v1/projections/carts')).json<{ rebuild: Rebuild }>().rebuild;
    let rebuild = await rebuildStatus();
    // Polls the status endpoint, as an operator would, until the background rebuild has switched.
    for (let polls = 0; polls < 500 && (rebuild?.state !== 'switched' || rebuild.inThisProcess); polls++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rebuild = await rebuildStatus();
    }
    expect(rebuild).toMatchObject({
      state: 'switched',
      inThisProcess: false,
      eventsProcessed: 2,
      error: null,
    });
  });

  it('verifies a projection against the events and reports a corrupted row', async () => {
    const healthy = await inject('POST', '/api/v1/projections/carts/verify');
    expect(healthy.statusCode).toBe(200);
    expect(healthy.json()).toMatchObject({
      projection: 'carts',
      identical: true,
      tables: [
        { table: 'carts', liveRows: 1, rebuiltRows: 1 },
        { table: 'cart_lines', liveRows: 1, rebuiltRows: 1 },
      ],
    });

    await sql.query('DELETE FROM cart_lines WHERE cart_id = $1', [cartId]);
    const corrupted = await inject('POST', '/api/v1/projections/carts/verify');
    expect(corrupted.statusCode).toBe(200);
    expect(corrupted.json()).toMatchObject({
      identical: false,
      tables: [
        { table: 'carts', missing: 0, unexpected: 0 },
        {
          table: 'cart_lines',
          liveRows: 0,
          rebuiltRows: 1,
          missing: 1,
          unexpected: 0,
          samples: { missing: [{ cart_id: cartId, sku: 'MUG', quantity: '2' }], unexpected: [] },
        },
      ],
    });
  });

  it('rebuilds the warehouse in its schema of the shared PGlite database, views included', async () => {
    const warehouse = app.get(RunningWarehouse).handle.sql;
    const head = await store.headCheckpoint();
    expect(await waitForProjections(warehouse, ['warehouse'], head, { timeoutMs: 10_000 })).toBe(true);
    await warehouse.query(`UPDATE fact_cart_activity SET quantity = 99 WHERE cart_id = $1`, [cartId]);

    expect((await inject('POST', '/api/v1/projections/warehouse/rebuild')).statusCode).toBe(202);
    type Rebuild = { state: string; inThisProcess: boolean; eventsProcessed: number } | null;
    const rebuildStatus = async () =>
      (await inject('GET', '/api/v1/projections/warehouse')).json<{ rebuild: Rebuild }>().rebuild;
    let rebuild = await rebuildStatus();
    for (let polls = 0; polls < 500 && (rebuild?.state !== 'switched' || rebuild.inThisProcess); polls++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      rebuild = await rebuildStatus();
    }
    expect(rebuild).toMatchObject({ state: 'switched', eventsProcessed: 2 });

    const { rows } = await warehouse.query<{ activity: string; quantity: number | null }>(
      'SELECT activity, quantity FROM fact_cart_activity WHERE cart_id = $1 ORDER BY activity',
      [cartId],
    );
    expect(rows).toEqual([
      { activity: 'add', quantity: 2 },
      { activity: 'open', quantity: null },
    ]);
    const views = await sql.query<{ viewname: string }>(
      `SELECT viewname FROM pg_views WHERE schemaname = 'warehouse' ORDER BY viewname`,
    );
    expect(views.rows.map((view) => view.viewname)).toEqual([...WAREHOUSE_VIEWS].sort());
    // The read models' rebuild bookkeeping stays apart from the warehouse's.
    const mainRebuilds = await sql.query(`SELECT name FROM projection_rebuilds`);
    expect(mainRebuilds.rows).toEqual([]);
  });
});
