/**
 * axe-core on the shopper's pages (issue 4, quality): no serious or critical violation on home, category,
 * search, product, cart, checkout, the account pages and an order page, each scanned in the state a shopper
 * sees it (the cart and checkout with a line in the cart, the account signed in, the order placed).
 */
import type { Page } from 'playwright-core';
import {
  addToCart,
  CARDS,
  fillCheckout,
  describeViolations,
  freshEmail,
  PRODUCTS,
  seriousAxeViolations,
  shopAndBrowserForThisFile,
  TYPO_FOR_TURNTABLE,
  withSession,
} from './browser';

const env = shopAndBrowserForThisFile();

/**
 * How each page is reached: `prepare` puts the shopper in the state the page is scanned in, then the page
 * opens `path` (or, without one, stays where `prepare` led).
 */
const PAGES: readonly {
  readonly name: string;
  readonly path?: string;
  readonly prepare?: (page: Page) => Promise<void>;
}[] = [
  { name: 'home', path: '/' },
  { name: 'category', path: '/c/audio' },
  { name: 'search results', path: `/search?q=${TYPO_FOR_TURNTABLE}` },
  { name: 'product', path: `/p/${PRODUCTS.bambooTurntable.sku}` },
  { name: 'cart', path: '/cart', prepare: (page) => addToCart(page, PRODUCTS.teapot.sku) },
  { name: 'checkout', path: '/checkout', prepare: (page) => addToCart(page, PRODUCTS.kettle.sku) },
  { name: 'sign in', path: '/account/sign-in' },
  { name: 'sign up', path: '/account/sign-up' },
  {
    name: 'account',
    path: '/account',
    prepare: async (page) => {
      await page.goto('/account/sign-up');
      await page.getByLabel('Name', { exact: true }).fill('Barbara Liskov');
      await page.getByLabel('Email', { exact: true }).fill(freshEmail('axe'));
      await page.getByLabel('Password', { exact: true }).fill('Correct-Horse-Battery-9');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
    },
  },
  {
    name: 'order',
    prepare: async (page) => {
      await addToCart(page, PRODUCTS.teapot.sku);
      await page.goto('/checkout');
      await fillCheckout(page, { email: freshEmail('axe-order'), name: 'Frances Allen', card: CARDS.visa });
      await page.getByRole('button', { name: 'Place order' }).click();
      await page.waitForURL(/\/orders\/[0-9a-f-]{36}/i);
      await page
        .getByRole('status')
        .filter({ hasText: /\bConfirmed\b/ })
        .waitFor({ timeout: 30_000 });
    },
  },
];

describe('accessibility (axe-core)', () => {
  it.each(PAGES)(
    'finds no serious or critical violation on the $name page',
    async ({ name, path, prepare }) => {
      await withSession(env.browser, env.shop, async (session) => {
        // bypassCSP lets axe run its checks in a page whose CSP allows no inline or injected script.
        const page = await session.newPage({ bypassCSP: true });
        if (prepare) await prepare(page);
        if (path !== undefined) {
          const response = await page.goto(path);
          expect(response?.status()).toBe(200);
        }
        await page.waitForLoadState('load');
        await session.step(page, name);
        const violations = await seriousAxeViolations(page);
        if (violations.length > 0)
          throw new Error(`axe on ${page.url()}:\n${describeViolations(violations)}`);
      });
    },
  );
});
