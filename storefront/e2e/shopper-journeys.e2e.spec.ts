/**
 * The shopper's whole journey in a real browser (issue 4, deliverable 5): browse, search with a typo, filter
 * by a facet, fill a guest cart, sign up and keep it, pay; a declined card; an admin ships and the shopper's
 * open order page follows without a reload. Screenshots: test-artifacts/browser/<test>/.
 */
import type { Page } from 'playwright-core';
import {
  ADMIN,
  addToCart,
  CARDS,
  fillCheckout,
  freshEmail,
  PRODUCTS,
  shopAndBrowserForThisFile,
  TYPO_FOR_TURNTABLE,
  withSession,
} from './browser';

const PASSWORD = 'Correct-Horse-Battery-9';

/** A whole journey, page by page, on a machine that may be busy with other tests. */
const JOURNEY_TIMEOUT_MS = 240_000;

const env = shopAndBrowserForThisFile();

/** Signs a new customer up through the form; resolves once the header offers "Account". */
async function signUp(page: Page, name: string, email: string): Promise<void> {
  await page.goto('/account/sign-up');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
}

/** The cart page's line for `name` (its quantity input), which exists once per line. */
function cartLine(page: Page, name: string) {
  return page.getByLabel(`Quantity for ${name}`, { exact: true });
}

/** Goes from the cart to checkout and fills the form with `card` (the caller places the order). */
async function placeOrder(page: Page, email: string, card: string): Promise<void> {
  await page.goto('/cart');
  await page.getByRole('link', { name: 'Checkout', exact: true }).click();
  await page.waitForURL(/\/checkout/);
  await fillCheckout(page, { email, name: 'Ada Lovelace', card });
}

function orderIdOf(page: Page): string {
  const match = /\/orders\/([0-9a-f-]{36})/i.exec(page.url());
  if (!match?.[1]) throw new Error(`Not an order page: ${page.url()}`);
  return match[1];
}

describe('a shopper in the browser', () => {
  it(
    'browses, searches with a typo, filters, fills a guest cart, signs up, keeps the cart and pays',
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const page = await session.newPage();
        const { bambooTurntable, everydayTurntable, dearTurntable } = PRODUCTS;
        // The facet below relies on these prices (a change to the demo catalog shows up here first).
        for (const { priceMinor } of [bambooTurntable, everydayTurntable])
          expect(priceMinor).toBeLessThan(5000);
        expect(dearTurntable.priceMinor).toBeGreaterThanOrEqual(5000);

        await page.goto('/');
        await page.getByRole('link', { name: 'Tally', exact: true }).first().waitFor();
        await session.step(page, 'home');

        await page.locator('a[href$="/c/audio"]').first().click();
        await page.waitForURL(/\/c\/audio/);
        await page.locator(`a[href$="/p/${everydayTurntable.sku}"]`).first().waitFor();
        await session.step(page, 'category audio');

        const search = page.getByRole('search').getByLabel('Search products');
        await search.fill(TYPO_FOR_TURNTABLE);
        // Instant suggestions forgive the typo too.
        await page
          .getByRole('listbox')
          .getByRole('option', { name: /Turntable/ })
          .first()
          .waitFor();
        await session.step(page, 'suggestions for a typo');
        await page.getByRole('search').getByRole('button', { name: 'Search', exact: true }).click();
        await page.waitForURL(/\/search\?/);
        expect(new URL(page.url()).searchParams.get('q')).toBe(TYPO_FOR_TURNTABLE);
        for (const sku of [dearTurntable.sku, bambooTurntable.sku, everydayTurntable.sku])
          await page.locator(`a[href$="/p/${sku}"]`).first().waitFor();
        await session.step(page, 'search results for a typo');

        // The 20-50 price band holds both bamboo turntables and not the dearer one.
        const searchUrl = page.url();
        const band = page
          .getByRole('link', { name: /\b20\b.*\b50\b/ })
          .or(page.getByRole('checkbox', { name: /\b20\b.*\b50\b/ }))
          .first();
        await band.click();
        await page.waitForURL((url) => url.toString() !== searchUrl);
        await page.locator(`a[href$="/p/${everydayTurntable.sku}"]`).first().waitFor();
        await expect(page.locator(`a[href$="/p/${bambooTurntable.sku}"]`).count()).resolves.toBeGreaterThan(
          0,
        );
        await expect(page.locator(`a[href$="/p/${dearTurntable.sku}"]`).count()).resolves.toBe(0);
        expect(new URL(page.url()).searchParams.get('q')).toBe(TYPO_FOR_TURNTABLE);
        await session.step(page, 'filtered by price band');

        await page.locator(`a[href$="/p/${bambooTurntable.sku}"]`).first().click();
        await page.getByRole('heading', { level: 1, name: bambooTurntable.name }).waitFor();
        await page
          .getByText(/In stock|Only \d+ left/)
          .first()
          .waitFor();
        await session.step(page, 'product page');
        await addToCart(page, bambooTurntable.sku);
        await session.step(page, 'first product added');
        await addToCart(page, everydayTurntable.sku, 2);
        await session.step(page, 'second product added');

        const email = freshEmail('guest-turned-customer');
        await signUp(page, 'Grace Hopper', email);
        await session.step(page, 'signed up');

        await page.goto('/cart');
        await expect(cartLine(page, bambooTurntable.name).inputValue()).resolves.toBe('1');
        await expect(cartLine(page, everydayTurntable.name).inputValue()).resolves.toBe('2');
        await session.step(page, 'guest cart merged');

        await placeOrder(page, email, CARDS.visa);
        await session.step(page, 'checkout filled');
        await page.getByRole('button', { name: 'Place order' }).click();
        await page.waitForURL(/\/orders\/[0-9a-f-]{36}/i);
        const orderId = orderIdOf(page);
        await page.getByRole('heading', { level: 1, name: /Order/ }).waitFor();
        await page
          .getByRole('status')
          .filter({ hasText: /\bConfirmed\b/ })
          .waitFor({ timeout: 30_000 });
        // Both lines of the merged cart were ordered.
        for (const product of [bambooTurntable, everydayTurntable])
          await page.locator(`a[href$="/p/${product.sku}"]`).first().waitFor();
        await session.step(page, 'order confirmed');

        // The new order is in the customer's history.
        await page.goto('/account');
        await page.locator(`a[href$="/orders/${orderId}"]`).first().waitFor();
        await session.step(page, 'account order history');
      });
    },
    JOURNEY_TIMEOUT_MS,
  );

  it(
    'keeps the cart and says so in an alert when the card is declined',
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const page = await session.newPage();
        const { teapot, kettle } = PRODUCTS;
        await addToCart(page, teapot.sku);
        await addToCart(page, kettle.sku);
        await session.step(page, 'two products in the cart');

        await placeOrder(page, freshEmail('declined'), CARDS.declined);
        await session.step(page, 'checkout with a declined card');
        await page.getByRole('button', { name: 'Place order' }).click();
        const alert = page.getByRole('alert').filter({ hasText: /declined/i });
        await alert.waitFor({ timeout: 30_000 });
        await session.step(page, 'card declined');

        await page.goto('/cart');
        await expect(cartLine(page, teapot.name).inputValue()).resolves.toBe('1');
        await expect(cartLine(page, kettle.name).inputValue()).resolves.toBe('1');
        await page.getByRole('link', { name: 'Checkout', exact: true }).waitFor();
        await session.step(page, 'cart intact');
      });
    },
    JOURNEY_TIMEOUT_MS,
  );

  it(
    "shows the shopper's open order page as Shipped, without a reload, once an admin ships it",
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const shopper = await session.newPage();
        const email = freshEmail('katherine');
        await signUp(shopper, 'Katherine Johnson', email);
        await addToCart(shopper, PRODUCTS.teapot.sku);
        await placeOrder(shopper, email, CARDS.visa);
        await shopper.getByRole('button', { name: 'Place order' }).click();
        await shopper.waitForURL(/\/orders\/[0-9a-f-]{36}/i);
        const orderId = orderIdOf(shopper);
        await shopper
          .getByRole('status')
          .filter({ hasText: /\bConfirmed\b/ })
          .waitFor({ timeout: 30_000 });
        await session.step(shopper, 'shopper sees order confirmed');

        // From here on the shopper's page must not navigate: a marker on window would not survive a reload.
        const navigations: string[] = [];
        shopper.on('framenavigated', (frame) => {
          if (frame === shopper.mainFrame()) navigations.push(frame.url());
        });
        await shopper.evaluate(() => {
          (window as unknown as { tallyNotReloaded: boolean }).tallyNotReloaded = true;
        });

        const admin = await session.newPage();
        await admin.goto('/account/sign-in');
        await admin.getByLabel('Email', { exact: true }).fill(ADMIN.email);
        await admin.getByLabel('Password', { exact: true }).fill(ADMIN.password);
        await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
        await admin.getByRole('link', { name: 'Admin', exact: true }).waitFor();
        await session.step(admin, 'admin signed in');
        await admin.goto(`/admin/orders/${orderId}`);
        await admin.getByRole('button', { name: 'Ship', exact: true }).waitFor();
        await session.step(admin, 'admin order page');
        await admin.getByRole('button', { name: 'Ship', exact: true }).click();
        await admin.getByText('Shipped', { exact: true }).first().waitFor({ timeout: 30_000 });
        await session.step(admin, 'admin shipped the order');

        await shopper
          .getByRole('status')
          .filter({ hasText: /\bShipped\b/ })
          .waitFor({ timeout: 30_000 });
        await session.step(shopper, 'shopper sees shipped without reload');
        expect(navigations).toEqual([]);
        await expect(
          shopper.evaluate(() => (window as unknown as { tallyNotReloaded?: boolean }).tallyNotReloaded),
        ).resolves.toBe(true);
      });
    },
    JOURNEY_TIMEOUT_MS,
  );
});
