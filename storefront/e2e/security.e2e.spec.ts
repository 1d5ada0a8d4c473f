/**
 * What the storefront promises crawlers and the browser's security model (issue 4, quality): a CSP without
 * 'unsafe-inline' scripts and with frame-ancestors 'none' that the pages themselves do not break; a form
 * post without a valid CSRF token changes nothing; sitemap.xml and robots.txt; JSON-LD and a canonical URL
 * on product pages.
 */
import type { Page } from 'playwright-core';
import { addToCart, cartCount, PRODUCTS, shopAndBrowserForThisFile, withSession } from './browser';

const env = shopAndBrowserForThisFile();

/** A CSP header as directive -> sources (lower-cased names). */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

async function get(path: string): Promise<Response> {
  return fetch(`${env.shop.storefront}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
}

describe('storefront security and crawlers', () => {
  it.each(['/', `/p/${PRODUCTS.teapot.sku}`, '/cart', '/account/sign-in'])(
    'serves %s with a CSP that allows no inline script and no framing',
    async (path) => {
      const response = await get(path);
      await response.body?.cancel();
      expect(response.status).toBe(200);
      const header = response.headers.get('content-security-policy');
      expect(header).toBeTruthy();
      const csp = parseCsp(header ?? '');
      const scripts = csp.get('script-src') ?? csp.get('default-src');
      expect(scripts).toBeDefined();
      expect(scripts).not.toContain("'unsafe-inline'");
      expect(scripts).not.toContain('*');
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    },
  );

  it('renders and hydrates pages under that CSP without a violation', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const page = await session.newPage();
      const refused: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
      });
      for (const path of ['/', '/c/audio', `/p/${PRODUCTS.teapot.sku}`, '/search?q=teapot', '/cart']) {
        await page.goto(path);
        await page.waitForLoadState('load');
        await session.step(page, path === '/' ? 'home' : path);
      }
      expect(refused).toEqual([]);
    });
  });

  it('puts a csrf token in every state-changing form', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const page = await session.newPage();
      for (const path of [`/p/${PRODUCTS.teapot.sku}`, '/account/sign-in', '/account/sign-up']) {
        await page.goto(path);
        await session.step(page, path);
        const forms = await page.locator('form:not([role=search])').evaluateAll((elements) =>
          elements.map((form) => ({
            html: form.outerHTML.slice(0, 160),
            csrf: form.querySelector<HTMLInputElement>('input[name="csrf"]')?.value ?? '',
          })),
        );
        expect(forms.length).toBeGreaterThan(0);
        expect(forms.filter((form) => form.csrf.length === 0).map((form) => `${path}: ${form.html}`)).toEqual(
          [],
        );
      }
    });
  });

  it('refuses an add-to-cart post whose csrf token is missing or forged, and changes nothing', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const page = await session.newPage();
      const product = PRODUCTS.teapot;
      const form = (p: Page) =>
        p.locator('form').filter({ has: p.getByRole('button', { name: 'Add to cart' }) });

      for (const attack of ['missing', 'forged'] as const) {
        await page.goto(`/p/${product.sku}`);
        await form(page)
          .locator('input[name="csrf"]')
          .evaluate((input, how) => {
            if (how === 'missing') input.remove();
            else (input as HTMLInputElement).value = 'forged-token';
          }, attack);
        await page.getByRole('button', { name: 'Add to cart' }).click();
        // A message the shopper can act on (Next's route announcer is an empty role=alert too).
        await page
          .getByRole('alert')
          .filter({ hasText: /reload|expired|did not come from/i })
          .waitFor();
        await session.step(page, `csrf token ${attack}: refused`);
        await page.goto('/cart');
        await expect(page.getByLabel(`Quantity for ${product.name}`, { exact: true }).count()).resolves.toBe(
          0,
        );
        await expect(cartCount(page)).resolves.toBe(0);
      }

      // The same form with its token untouched works: the refusals above were the token's doing.
      await addToCart(page, product.sku);
      await page.goto('/cart');
      await page.getByLabel(`Quantity for ${product.name}`, { exact: true }).waitFor();
      await session.step(page, 'valid token: added');
    });
  });

  it('serves robots.txt and a sitemap.xml listing the product pages', async () => {
    const robots = await get('/robots.txt');
    expect(robots.status).toBe(200);
    const robotsText = await robots.text();
    expect(robotsText).toMatch(/User-agent:/i);
    expect(robotsText).toMatch(/Sitemap:\s*\S+\/sitemap\.xml/i);

    const sitemap = await get('/sitemap.xml');
    expect(sitemap.status).toBe(200);
    expect(sitemap.headers.get('content-type')).toMatch(/xml/);
    const xml = await sitemap.text();
    expect(xml).toContain('<urlset');
    expect(xml).toMatch(new RegExp(`<loc>[^<]*/p/${PRODUCTS.teapot.sku}</loc>`));
    expect(xml).toMatch(/<loc>[^<]*\/c\/kitchen<\/loc>/);
  });

  it('gives a product page JSON-LD for the product and a canonical URL', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const page = await session.newPage();
      const product = PRODUCTS.teapot;
      await page.goto(`/p/${product.sku}?utm_source=newsletter`);
      await session.step(page, 'product page');
      const canonical = await page.locator('link[rel="canonical"]').getAttribute('href');
      expect(canonical).toBeTruthy();
      const canonicalUrl = new URL(canonical ?? '', 'http://invalid.example');
      // Absolute, and without the tracking parameters the page was opened with.
      expect(canonical).toMatch(/^https?:\/\//);
      expect(canonicalUrl.pathname).toBe(`/p/${product.sku}`);
      expect(canonicalUrl.search).toBe('');

      const blocks = await page.locator('script[type="application/ld+json"]').allTextContents();
      const items = blocks.flatMap((block) => {
        const parsed = JSON.parse(block) as unknown;
        return Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
      }) as Record<string, unknown>[];
      const ld = items.find((item) => item['@type'] === 'Product');
      expect(ld).toBeDefined();
      expect(ld?.name).toBe(product.name);
      expect(ld?.sku).toBe(product.sku);
      const offers = (Array.isArray(ld?.offers) ? (ld.offers as unknown[])[0] : ld?.offers) as Record<
        string,
        unknown
      >;
      expect(offers.priceCurrency).toBe('EUR');
      expect(Number(offers.price)).toBeCloseTo(product.priceMinor / 100);
      expect(String(offers.availability)).toMatch(/schema\.org\/InStock$/);
    });
  });
});
