/**
 * Keyboard-only use (issue 4, quality): search -> product -> add to cart -> cart -> checkout -> order with
 * Tab, Shift+Tab, Enter, Space and typing only. The test never clicks: every control is reached by moving
 * the focus, so a control that cannot take the focus, or a focus trap, fails it.
 */
import type { Page } from 'playwright-core';
import {
  CARDS,
  cartCount,
  eventually,
  freshEmail,
  PRODUCTS,
  shippingMethods,
  shopAndBrowserForThisFile,
  tabTo,
  TYPO_FOR_TURNTABLE,
  withSession,
} from './browser';

/** A whole journey, page by page, on a machine that may be busy with other tests. */
const JOURNEY_TIMEOUT_MS = 240_000;

const env = shopAndBrowserForThisFile();

/** Moves the focus to the field labelled `label` and types `value` into it (a select picks by typing). */
async function typeInto(page: Page, label: string, value: string): Promise<void> {
  await tabTo(page, page.getByLabel(label, { exact: true }), `the "${label}" field`);
  const tag = await page.evaluate(() => document.activeElement?.tagName.toLowerCase());
  if (tag === 'select') {
    // Typing on a focused select moves to the first option that starts with what was typed.
    await page.keyboard.type(value === 'DE' ? 'Germany' : value, { delay: 20 });
    return;
  }
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(value);
}

describe('a keyboard-only shopper', () => {
  it(
    'searches, opens a product, adds it to the cart and checks out without a mouse',
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const page = await session.newPage();
        const product = PRODUCTS.bambooTurntable;
        await page.goto('/');
        await session.step(page, 'home');

        // The first Tab lands on the skip link.
        await page.keyboard.press('Tab');
        await expect(page.evaluate(() => document.activeElement?.textContent.trim() ?? '')).resolves.toBe(
          'Skip to content',
        );

        await tabTo(page, page.getByRole('search').getByLabel('Search products'), 'the search field');
        await page.keyboard.type(TYPO_FOR_TURNTABLE);
        await session.step(page, 'typed a search');
        // No suggestion is active yet, so Enter submits the search itself.
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/search\?/);
        await page.locator(`a[href$="/p/${product.sku}"]`).first().waitFor();
        await session.step(page, 'search results');

        await tabTo(page, page.locator(`a[href$="/p/${product.sku}"]`), `the link to ${product.sku}`, {
          maxTabs: 200,
        });
        await page.keyboard.press('Enter');
        await page.getByRole('heading', { level: 1, name: product.name }).waitFor();
        await session.step(page, 'product page');

        const before = await cartCount(page);
        await tabTo(page, page.getByRole('button', { name: 'Add to cart' }), 'Add to cart');
        await page.keyboard.press('Space');
        await eventually(
          'the cart link to count the product',
          async () => (await cartCount(page)) === before + 1,
        );
        await session.step(page, 'added with the keyboard');

        // Back up to the header's cart link, which comes before the focus.
        await tabTo(page, page.getByRole('link', { name: /^Cart/ }), 'the cart link', { backwards: true });
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/cart/);
        await page.getByLabel(`Quantity for ${product.name}`, { exact: true }).waitFor();
        await session.step(page, 'cart');

        await tabTo(page, page.getByRole('link', { name: 'Checkout', exact: true }), 'Checkout');
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/checkout/);
        await session.step(page, 'checkout');

        await typeInto(page, 'Email', freshEmail('keyboard'));
        await typeInto(page, 'Full name', 'Alan Turing');
        await typeInto(page, 'Address', '1 Bletchley Park');
        await typeInto(page, 'City', 'Milton Keynes');
        await typeInto(page, 'Postal code', 'MK3 6EB');
        await typeInto(page, 'Country', 'DE');
        await tabTo(page, shippingMethods(page).getByRole('radio'), 'a shipping method');
        await page.keyboard.press('Space');
        await expect(shippingMethods(page).getByRole('radio', { checked: true }).count()).resolves.toBe(1);
        await typeInto(page, 'Card number', CARDS.visa);
        await typeInto(page, 'Expiry', '12 / 34');
        await typeInto(page, 'CVC', '123');
        await session.step(page, 'checkout filled with the keyboard');

        await tabTo(page, page.getByRole('button', { name: 'Place order' }), 'Place order');
        await page.keyboard.press('Enter');
        await page.waitForURL(/\/orders\/[0-9a-f-]{36}/i);
        await page
          .getByRole('status')
          .filter({ hasText: /Placed|Awaiting payment|Confirmed/ })
          .waitFor();
        await page
          .getByRole('status')
          .filter({ hasText: /\bConfirmed\b/ })
          .waitFor({ timeout: 30_000 });
        await session.step(page, 'order confirmed');
      });
    },
    JOURNEY_TIMEOUT_MS,
  );
});
