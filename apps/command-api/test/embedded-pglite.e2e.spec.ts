import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, type Infrastructure, loadConfig, openInfrastructure } from '@tally/platform';
import { catalogProjection, ProjectionRunner, waitForProjections } from '@tally/read-models';
import { authHeader, TEST_AUTH_SECRET } from '@tally/testing';
import { commandApiMigrations, createCommandApi } from '../src/command-api.app';

jest.setTimeout(120_000);

/**
 * Embedded mode (DESIGN.md §8): the launcher calls createCommandApi with a shared PGlite infrastructure.
 * This runs the same flow in process on PGlite: no module-level state, the same SQL as on PostgreSQL.
 */
describe('command-api on PGlite (embedded mode)', () => {
  let dataDir: string;
  let infrastructure: Infrastructure;
  let app: NestFastifyApplication;
  let runner: ProjectionRunner;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tally-command-api-'));
    const config = loadConfig({
      TALLY_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
    });
    infrastructure = await openInfrastructure(config, createLogger('silent', 'command-api'), {
      migrations: commandApiMigrations,
    });
    app = await createCommandApi(infrastructure);
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    runner = new ProjectionRunner({
      sql: infrastructure.sql,
      store: infrastructure.eventStore,
      projections: [catalogProjection],
      logger: silent,
    });
    await runner.start();
  });

  afterAll(async () => {
    await runner.stop();
    await app.close();
    await infrastructure.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A POST as the shop keeper (an admin) unless other credentials are given. */
  const post = (path: string, json?: unknown, headers: Record<string, string> = authHeader('admin')) =>
    fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: json === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: json === undefined ? undefined : JSON.stringify(json),
    });

  it('creates, publishes and adds to a cart with an idempotent retry', async () => {
    const created = await post('/api/v1/products', {
      sku: 'PGLITE-1',
      name: 'Tee',
      description: 'A tee',
      price: { amount: 1500, currency: 'EUR' },
      category: 'shirts',
    });
    expect(created.status).toBe(201);
    const published = await post('/api/v1/products/PGLITE-1/publish');
    expect(published.headers.get('etag')).toBe('"2"');
    const token = published.headers.get('tally-consistency') ?? '';
    expect(await waitForProjections(infrastructure.sql, ['catalog'], token, { timeoutMs: 10_000 })).toBe(
      true,
    );

    // The shopper: a guest holding the cart's signed token.
    const opened = await post('/api/v1/carts', undefined, {});
    const { cartId, cartToken } = (await opened.json()) as { cartId: string; cartToken: string };
    const add = () =>
      post(
        `/api/v1/carts/${cartId}/items`,
        { sku: 'PGLITE-1', quantity: 3 },
        { 'idempotency-key': 'k', 'tally-cart-token': cartToken },
      );
    const first = await add();
    const retry = await add();
    expect([first.status, retry.status]).toEqual([200, 200]);
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(retry.headers.get('tally-consistency')).toBe(first.headers.get('tally-consistency'));
    expect(await infrastructure.eventStore.readStream(`cart-${cartId}`)).toHaveLength(2);
  });

  it('rejects bad input with a problem and writes nothing', async () => {
    const before = await infrastructure.eventStore.headCheckpoint();
    const response = await post('/api/v1/inventory/PGLITE-1/receipts', { quantity: 0 });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('quantity');
    expect(await infrastructure.eventStore.headCheckpoint()).toBe(before);
  });
});
