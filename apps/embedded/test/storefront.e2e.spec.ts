import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SearchProductsResult } from '@tally/read-models';
import {
  authHeader,
  freePort,
  httpRequest,
  type RunningTally,
  spawnTally,
  startEmbedded,
  startFull,
} from '@tally/testing';

// `npm start` serves the shop, not only the APIs: the storefront's production build runs in the launcher's
// process and reaches command-api and query-api there (DESIGN.md §8).

jest.setTimeout(120_000);

const BANNER = /Tally is running on/;

/** The page's HTML; `&`, `<`, quotes in product names come back escaped, so tests pick plain names. */
async function page(url: string): Promise<{ status: number; html: string; location: string | null }> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return { status: response.status, html: await response.text(), location: response.headers.get('location') };
}

const plain = (name: string) => /^[A-Za-z0-9 .-]+$/.test(name);

describe('storefront served by the embedded launcher', () => {
  let started: RunningTally | undefined;
  let storefront: string;
  const tally = (): RunningTally => {
    if (!started) throw new Error('Tally did not start (see beforeAll)');
    return started;
  };
  let catalog: SearchProductsResult;

  beforeAll(async () => {
    started = await startEmbedded({ seed: true, waitForOutput: BANNER, readyTimeoutMs: 240_000 });
    storefront = started.storefront ?? '';
    const listed = await httpRequest<SearchProductsResult>(
      'GET',
      `${started.queryApi}/api/v1/products?pageSize=100`,
    );
    expect(listed.status).toBe(200);
    catalog = listed.body;
  }, 300_000);

  afterAll(async () => {
    await started?.stop();
  });

  it('prints the storefront URL first in the banner', () => {
    expect(storefront).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const output = tally().output();
    const banner = output.slice(output.search(BANNER));
    const urls = [storefront, tally().commandApi, tally().queryApi].map((url) => banner.indexOf(url));
    expect(urls.every((index) => index > 0)).toBe(true);
    expect(urls[0]).toBeLessThan(urls[1] ?? -1);
    expect(banner).toContain(`${storefront}/admin`);
  });

  it('serves the home page with the demo catalog: its categories and products', async () => {
    expect(catalog.total).toBeGreaterThanOrEqual(200);
    const home = await page(`${storefront}/`);
    expect(home.status).toBe(200);
    expect(home.html).toContain('<title>Tally</title>');
    const categories = catalog.facets.categories.map((facet) => facet.value);
    expect(categories.length).toBeGreaterThanOrEqual(8);
    for (const category of categories.filter(plain)) expect(home.html).toContain(category);
    // Featured and best sellers come from the seeded catalog: some of its product names are on the page.
    const shown = catalog.items.filter((item) => plain(item.name) && home.html.includes(item.name));
    expect(shown.length).toBeGreaterThan(0);
  });

  it('serves a product page of the demo catalog with its name, price and stock state', async () => {
    const product = catalog.items.find((item) => plain(item.name) && item.available >= 10);
    if (!product) throw new Error('The demo catalog has no product with a plain name and 10+ in stock');
    const { sku, name } = product;
    const productPage = await page(`${storefront}/p/${encodeURIComponent(sku)}`);
    expect(productPage.status).toBe(200);
    expect(productPage.html).toContain(name);
    expect(productPage.html).toContain('In stock');
    expect(productPage.html).toContain('application/ld+json');
  });

  it('sends a guest who opens the admin pages to sign in, and back afterwards', async () => {
    for (const path of ['/admin', '/admin/orders', '/admin/products', '/admin/stock']) {
      const admin = await page(`${storefront}${path}`);
      expect(admin.status).toBeGreaterThanOrEqual(300);
      expect(admin.status).toBeLessThan(400);
      expect(admin.location).toContain(`/account/sign-in?next=${encodeURIComponent(path)}`);
      expect(admin.html).not.toContain('Create a product');
    }
  });
});

describe('embedded launcher without a storefront build', () => {
  it('stops at start with a message saying how to build it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-no-storefront-'));
    try {
      const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
      const launcher = spawnTally('embedded', {
        TALLY_DATA_DIR: dataDir,
        TALLY_SEED: 'off',
        // A build directory that does not exist stands in for a clone where only the apps were built.
        NEXT_DIST_DIR: `.next-missing-${randomUUID()}`,
        STOREFRONT_PORT: String(ports[0]),
        COMMAND_API_PORT: String(ports[1]),
        QUERY_API_PORT: String(ports[2]),
        PROJECTORS_PORT: String(ports[3]),
        SAGAS_PORT: String(ports[4]),
      });
      expect(await launcher.exited).toBe(1);
      expect(launcher.output()).toContain('The storefront has no production build');
      expect(launcher.output()).toContain('npm run build');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('storefront in full mode (next start) over the APIs', () => {
  it('shows a product published through command-api on its page', async () => {
    const tally = await startFull({ storefront: true });
    try {
      expect(tally.storefront).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const sku = `SF-${randomUUID().slice(0, 8).toUpperCase()}`;
      const admin = authHeader('admin');
      const created = await httpRequest('POST', `${tally.commandApi}/api/v1/products`, {
        headers: admin,
        body: {
          sku,
          name: 'Storefront Test Lamp',
          description: 'Proves the storefront reads query-api in full mode',
          category: 'Lighting',
          price: { amount: 4200, currency: 'EUR' },
        },
      });
      expect(created.status).toBe(201);
      const published = await httpRequest('POST', `${tally.commandApi}/api/v1/products/${sku}/publish`, {
        headers: admin,
      });
      expect(published.status).toBe(200);
      // The storefront reads without the admin's token: wait until query-api shows the product to anyone.
      const token = published.headers.get('tally-consistency') ?? '';
      const visible = await httpRequest('GET', `${tally.queryApi}/api/v1/products/${sku}`, {
        headers: { 'tally-consistency': token },
      });
      expect(visible.status).toBe(200);

      const productPage = await page(`${tally.storefront ?? ''}/p/${sku}`);
      expect(productPage.status).toBe(200);
      expect(productPage.html).toContain('Storefront Test Lamp');
      expect(productPage.html).toContain('Out of stock');
    } finally {
      await tally.stop();
    }
  });
});
