import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { type AppConfig, loadConfig } from '@tally/platform';
import {
  authHeader,
  checkoutRequest,
  freePort,
  httpRequest,
  ShopClient,
  TEST_AUTH_SECRET,
  waitUntil,
} from '@tally/testing';
import { SchemaScopedSqlClient } from '@tally/warehouse';
import pino from 'pino';
import { type EmbeddedTally, startEmbedded } from './embedded';

// The embedded composition in this test process (no build, no NATS): PGlite, the four apps, the checkout
// process manager over in-process consumers, commands handed to command-api's dispatcher in process.
jest.setTimeout(120_000);

describe('embedded checkout wiring', () => {
  let dataDir: string;
  let config: AppConfig;
  let tally: EmbeddedTally;
  let shop: ShopClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tally-embedded-'));
    config = loadConfig({
      TALLY_DATA_DIR: dataDir,
      TALLY_SEED: 'off',
      // Tokens the test mints (the shop keeper's admin token) verify with this secret.
      TALLY_AUTH_SECRET: TEST_AUTH_SECRET,
      COMMAND_API_PORT: String(await freePort()),
      QUERY_API_PORT: String(await freePort()),
      PROJECTORS_PORT: String(await freePort()),
      SAGAS_PORT: String(await freePort()),
    });
    tally = await startEmbedded(config, pino({ level: 'silent' }));
    shop = new ShopClient({
      commandApi: tally.urls['command-api'],
      queryApi: tally.urls['query-api'],
      output: () => '',
    });
  });

  afterAll(async () => {
    await tally.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const available = async (sku: string) =>
    (await shop.query<{ available: number; reserved: number }>(`/api/v1/inventory/${sku}`)).body;

  it('confirms and captures a paid order', async () => {
    const sku = `EMB-${randomUUID().slice(0, 8).toUpperCase()}`;
    await shop.stockProduct(sku, 3, 2000);
    const orderId = await shop.placeOrder(await shop.cart([{ sku, quantity: 2 }]));

    const order = await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');

    expect(order).toMatchObject({ orderId, status: 'confirmed' });
    await waitUntil('two units reserved', async () => (await available(sku)).reserved === 2);
  });

  it('cancels a declined order and releases its stock', async () => {
    const sku = `EMB-${randomUUID().slice(0, 8).toUpperCase()}`;
    await shop.stockProduct(sku, 3, 2000);
    const cartId = await shop.cart([{ sku, quantity: 2 }]);
    const orderId = await shop.placeOrder(cartId, checkoutRequest('pm_card_chargeDeclined'));

    const order = await shop.waitForOrder(orderId, (view) => view.status === 'cancelled');

    expect(order).toMatchObject({ status: 'cancelled', cancellationReason: 'payment_declined' });
    await waitUntil('stock released', async () => {
      const stock = await available(sku);
      return stock.reserved === 0 && stock.available === 3;
    });
  });

  it('keeps the warehouse current in its own schema of the embedded database', async () => {
    const sku = `EMB-${randomUUID().slice(0, 8).toUpperCase()}`;
    await shop.stockProduct(sku, 3, 2000);
    const orderId = await shop.placeOrder(await shop.cart([{ sku, quantity: 1 }]));
    await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');

    // The projectors' warehouse shares PGlite's one connection, its schema first on the search path.
    const warehouse = new SchemaScopedSqlClient(tally.infrastructure.sql, config.TALLY_WAREHOUSE_SCHEMA);
    const kinds = async () =>
      (
        await warehouse.query<{ kind: string }>(
          'SELECT kind FROM fact_payment WHERE order_id = $1 ORDER BY occurred_at, kind',
          [orderId],
        )
      ).rows.map((row) => row.kind);
    await waitUntil('the captured payment in the warehouse', async () =>
      (await kinds()).includes('captured'),
    );
    const lines = await warehouse.query<{ sku: string; quantity: number; unit_price: string }>(
      'SELECT sku, quantity, unit_price::text FROM fact_order_line WHERE order_id = $1',
      [orderId],
    );
    expect(lines.rows).toEqual([{ sku, quantity: 1, unit_price: '2000' }]);
    const listed = await httpRequest<{ items: { name: string; state: string }[] }>(
      'GET',
      `${tally.urls.projectors}/api/v1/projections`,
      { headers: authHeader('admin') },
    );
    expect(listed.body.items).toContainEqual(
      expect.objectContaining({ name: 'warehouse', state: 'running' }),
    );
  });

  it('lists the checkout process manager, running, on the sagas app', async () => {
    const listed = await httpRequest<{ items: { name: string; state: string }[] }>(
      'GET',
      `${tally.urls.sagas}/api/v1/process-managers`,
      { headers: authHeader('admin') },
    );
    expect(listed.body.items).toEqual([expect.objectContaining({ name: 'checkout', state: 'running' })]);
    const ready = await httpRequest('GET', `${tally.urls.sagas}/readyz`);
    expect(ready.status).toBe(200);
  });
});
