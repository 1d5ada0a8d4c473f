import { migrate, PgliteSqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { type Infrastructure, loadConfig } from '@tally/platform';
import { authHeader, routesWithoutRoles, TEST_AUTH_SECRET } from '@tally/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import { createProjectors, projectorsMigrations } from './projectors.app';
import { RunningProjections } from './running-projections';

// The projectors app around the runner, on in-memory PGlite as in embedded mode.
jest.setTimeout(30_000);

describe('projectors', () => {
  let sql: PgliteSqlClient;
  let infrastructure: Infrastructure;

  beforeEach(async () => {
    sql = await PgliteSqlClient.open();
    infrastructure = {
      config: loadConfig({ TALLY_AUDIT_CHECKPOINT_SECONDS: '0', TALLY_AUDIT_VERIFY_SECONDS: '0' }),
      sql,
      eventStore: new PostgresEventStore(sql),
      logger: pino({ level: 'silent' }),
      authSecret: TEST_AUTH_SECRET,
      close: () => sql.close(),
    };
    await migrate(sql, [eventStoreMigrations, ...projectorsMigrations]);
  });

  afterEach(async () => {
    await sql.close();
  });

  it('reports not ready until the runner has started, and again once it has stopped', async () => {
    const projections = new RunningProjections(infrastructure);
    projections.attach(new Registry());
    await expect(projections.readiness.check()).rejects.toThrow('not running');
    await projections.start();
    await expect(projections.readiness.check()).resolves.toBeUndefined();
    await projections.stop();
    await expect(projections.readiness.check()).rejects.toThrow('not running');
  });

  it('starts the runner with the app and serves readiness, projections and metrics', async () => {
    const app = await createProjectors(infrastructure);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    try {
      const get = (url: string, headers: Record<string, string> = authHeader('admin')) =>
        app.inject({ method: 'GET', url, headers });
      const ready = await get('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        status: 'ready',
        checks: [
          { name: 'database', status: 'ok' },
          { name: 'projections', status: 'ok' },
        ],
      });
      expect((await get('/api/v1/projections')).json()).toMatchObject({
        items: [
          { name: 'catalog', state: 'running', lag: { events: 0, seconds: 0 }, poisonEvents: 0 },
          { name: 'stock', state: 'running' },
          { name: 'carts', state: 'running' },
          { name: 'orders', state: 'running' },
          { name: 'customers', state: 'running' },
          { name: 'warehouse', state: 'running', lag: { events: 0, seconds: 0 }, poisonEvents: 0 },
        ],
      });
      // Operators' routes are for admins; health and metrics for anyone.
      expect((await get('/api/v1/projections', authHeader('customer'))).statusCode).toBe(403);
      expect((await get('/api/v1/projections', {})).statusCode).toBe(401);
      expect((await get('/readyz', {})).statusCode).toBe(200);
      expect(routesWithoutRoles(app)).toEqual([]);
      const metrics = (await get('/metrics', {})).body;
      expect(metrics).toMatch(/tally_projection_lag_events\{[^}]*projection="carts"[^}]*\} 0/);
      // The warehouse's runner is a second one, over the warehouse's client: one metric, both runners' values.
      expect(metrics).toMatch(/tally_projection_lag_events\{[^}]*projection="warehouse"[^}]*\} 0/);
      expect(metrics.match(/^# TYPE tally_projection_lag_events /gm)).toHaveLength(1);
      expect(metrics).toMatch(
        /tally_projection_poison_events_recorded\{[^}]*projection="warehouse"[^}]*\} 0/,
      );
      expect(metrics).toMatch(/tally_projection_poison_events_recorded\{[^}]*projection="catalog"[^}]*\} 0/);
    } finally {
      await app.close();
    }
  });
});
