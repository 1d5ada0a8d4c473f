import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProductView, SearchProductsResult } from '@tally/read-models';
import {
  authHeader,
  createTestDatabase,
  freePort,
  httpRequest,
  spawnTally,
  startEmbedded,
} from '@tally/testing';

// `npm start` as a newcomer runs it: the built launcher, no configuration but ports and a data directory.

// Jest ignores a project's testTimeout (jest.config.js); starting processes takes longer than 5 s.
jest.setTimeout(120_000);

const BANNER_TEXT = 'Tally is running on';
const BANNER = new RegExp(BANNER_TEXT);

/** Every published product, read page by page from query-api. */
async function allProducts(queryApi: string): Promise<{ items: ProductView[]; categories: number }> {
  const items: ProductView[] = [];
  let categories: number;
  for (let page = 1; ; page++) {
    const response = await httpRequest<SearchProductsResult>(
      'GET',
      `${queryApi}/api/v1/products?pageSize=100&page=${page}`,
    );
    expect(response.status).toBe(200);
    items.push(...response.body.items);
    categories = response.body.facets.categories.length;
    if (items.length >= response.body.total || response.body.items.length === 0) break;
  }
  return { items, categories };
}

describe('embedded launcher', () => {
  it(
    'seeds a varied demo catalog through command-api on first start, and only then',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tally-seed-'));
      try {
        const first = await startEmbedded({
          dataDir,
          seed: true,
          waitForOutput: BANNER,
          readyTimeoutMs: 240_000,
        });
        let seeded: ProductView[];
        try {
          const output = first.output();
          expect(output).toContain('Seeding demo catalog: 50%');
          expect(output).toContain('Seeding demo catalog: 100%');
          for (const url of [first.commandApi, first.queryApi, first.projectors, first.sagas])
            expect(output).toContain(url);
          expect(output).toContain(`${first.queryApi}/api/docs`);
          expect(output).toMatch(/Try: curl /);

          // The launcher prints the banner once the read models show the whole catalog: no waiting here.
          const { items, categories } = await allProducts(first.queryApi);
          seeded = items;
          expect(items.length).toBeGreaterThanOrEqual(200);
          expect(categories).toBeGreaterThanOrEqual(8);
          expect(items.every((item) => item.status === 'published')).toBe(true);
          expect(items.filter((item) => item.available === 0).length).toBeGreaterThan(0);
          expect(items.filter((item) => item.available > 0 && item.available < 10).length).toBeGreaterThan(0);
          expect(items.filter((item) => item.available >= 10).length).toBeGreaterThan(0);
          expect(new Set(items.map((item) => item.price.amount)).size).toBeGreaterThan(50);

          // Real events: sold out either because nothing was received, or because a receipt was counted
          // back to zero by an adjustment.
          const soldOutHistories = new Set<string>();
          for (const item of items.filter((product) => product.available === 0)) {
            const history = await httpRequest<{ events: { type: string }[] }>(
              'GET',
              `${first.queryApi}/api/v1/streams/stock-${item.sku}/events`,
              { headers: authHeader('auditor') },
            );
            soldOutHistories.add(
              history.status === 404
                ? 'never received'
                : history.body.events.map((event) => event.type).join(','),
            );
          }
          expect([...soldOutHistories].sort()).toEqual(['StockReceived,StockAdjusted', 'never received']);
        } finally {
          await first.stop();
        }

        const again = await startEmbedded({ dataDir, seed: true, waitForOutput: BANNER });
        try {
          expect(again.output()).not.toContain('Seeding demo catalog');
          expect((await allProducts(again.queryApi)).items).toHaveLength(seeded.length);
        } finally {
          await again.stop();
        }
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    6 * 60_000,
  );

  it('runs every app on PostgreSQL when DATABASE_URL is set', async () => {
    const database = await createTestDatabase();
    try {
      const tally = await startEmbedded({ env: { DATABASE_URL: database.url }, waitForOutput: BANNER });
      try {
        expect(tally.output()).toContain('Tally is running on PostgreSQL');
        const created = await httpRequest('POST', `${tally.commandApi}/api/v1/products`, {
          headers: authHeader('admin'),
          body: {
            sku: 'PG-LAMP',
            name: 'Postgres Lamp',
            description: 'Lights up full mode',
            category: 'Lighting',
            price: { amount: 2500, currency: 'EUR' },
          },
        });
        expect(created.status).toBe(201);
        const token = created.headers.get('tally-consistency') ?? '';
        // A draft is the merchant's: only an admin reads it.
        const product = await httpRequest<ProductView>('GET', `${tally.queryApi}/api/v1/products/PG-LAMP`, {
          headers: { ...authHeader('admin'), 'tally-consistency': token },
        });
        expect(product.status).toBe(200);
        expect(product.body).toMatchObject({ sku: 'PG-LAMP', status: 'draft' });
      } finally {
        await tally.stop();
      }
    } finally {
      await database.drop();
    }
  });

  it('stops cleanly on SIGTERM, closing the database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-stop-'));
    try {
      const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
      const launcher = spawnTally('embedded', {
        TALLY_DATA_DIR: dataDir,
        TALLY_SEED: 'off',
        LOG_LEVEL: 'info',
        COMMAND_API_PORT: String(ports[0]),
        QUERY_API_PORT: String(ports[1]),
        PROJECTORS_PORT: String(ports[2]),
        SAGAS_PORT: String(ports[3]),
        // The launcher serves the storefront too: never on the default port another process may hold.
        STOREFRONT_PORT: String(ports[4]),
      });
      for (
        let waited = 0;
        !launcher.output().includes(BANNER_TEXT) && launcher.running && waited < 60_000;
        waited += 50
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(launcher.output()).toContain(BANNER_TEXT);
      expect(await launcher.stop()).toBe(0);
      expect(launcher.output()).toContain('projections stopped');
      expect(launcher.output()).not.toMatch(/SIGKILL|"level":"(error|fatal)"/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['embedded', { QUERY_API_PORT: 'abc' }, 'QUERY_API_PORT'],
    ['embedded', { DATABASE_URL: 'mysql://localhost/tally' }, 'DATABASE_URL'],
    ['embedded', { TALLY_SEEDS: 'auto' }, 'TALLY_SEEDS'],
    ['query-api', { QUERY_API_PORT: 'abc' }, 'QUERY_API_PORT'],
    ['command-api', { COMMAND_API_PORT: '70000' }, 'COMMAND_API_PORT'],
    ['projectors', { CONSISTENCY_TIMEOUT_MS: 'soon' }, 'CONSISTENCY_TIMEOUT_MS'],
    ['sagas', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ] as const)('%s stops at start on bad config %p, naming the variable', async (app, env, variable) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-config-'));
    try {
      const process = spawnTally(app, { TALLY_DATA_DIR: dataDir, TALLY_SEED: 'off', ...env });
      expect(await process.exited).toBe(78);
      expect(process.output()).toContain('Invalid configuration');
      expect(process.output()).toContain(variable);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
