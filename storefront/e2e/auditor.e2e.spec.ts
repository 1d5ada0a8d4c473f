/**
 * The auditor's pages in a real browser (issue 5, deliverable 5): an admin makes an account an auditor; a
 * guest checks out; the auditor finds the order's events, follows its correlation story across the cart,
 * order, payment and stock streams, reads the order's state as of version 1 and now, and verifies the log's
 * integrity against a signed checkpoint. Customers and guests get no audit data. Screenshots:
 * test-artifacts/browser/<test>/.
 */
import type { Page } from 'playwright-core';
import {
  addToCart,
  CARDS,
  describeViolations,
  fillCheckout,
  freshEmail,
  newAccountWithRole,
  PRODUCTS,
  seriousAxeViolations,
  shopAndBrowserForThisFile,
  signIn,
  signUpCustomer,
  withSession,
} from './browser';

const JOURNEY_TIMEOUT_MS = 300_000;

const env = shopAndBrowserForThisFile();

/** A guest buys the teapot with the test Visa and waits until the order is confirmed; returns its id. */
async function guestCheckout(page: Page): Promise<string> {
  await addToCart(page, PRODUCTS.teapot.sku);
  await page.goto('/cart');
  await page.getByRole('link', { name: 'Checkout', exact: true }).click();
  await page.waitForURL(/\/checkout/);
  await fillCheckout(page, { email: freshEmail('audited-guest'), name: 'Ada Lovelace', card: CARDS.visa });
  await page.getByRole('button', { name: 'Place order' }).click();
  await page.waitForURL(/\/orders\/[0-9a-f-]{36}/i);
  await page
    .getByRole('status')
    .filter({ hasText: /\bConfirmed\b/ })
    .waitFor({ timeout: 30_000 });
  const match = /\/orders\/([0-9a-f-]{36})/i.exec(page.url());
  if (!match?.[1]) throw new Error(`Not an order page: ${page.url()}`);
  return match[1];
}

/** The page has no serious or critical accessibility violation (axe-core). */
async function expectAccessible(page: Page): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(describeViolations(violations)).toBe('');
}

async function mainText(page: Page): Promise<string> {
  return page.locator('main').innerText();
}

describe('an auditor in the browser', () => {
  it(
    "follows a guest's checkout through its events, its state as of version 1 and the log's integrity",
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const email = await newAccountWithRole(env.shop, 'auditor', 'Grace Auditor');

        const guest = await session.newPage();
        const orderId = await guestCheckout(guest);
        const orderStream = `order-${orderId}`;
        await session.step(guest, 'guest order confirmed');

        // bypassCSP lets axe-core's own checks run; the pages' CSP is covered by the security spec.
        const auditor = await session.newPage({ bypassCSP: true });
        await signIn(auditor, email);
        await auditor.getByRole('link', { name: 'Audit', exact: true }).click();
        await auditor.getByRole('heading', { level: 1, name: 'Events' }).waitFor();

        // Search: the order's OrderPlaced, found by type and stream.
        const search = auditor.getByRole('search', { name: 'Search events' });
        await search.getByLabel('Event type', { exact: true }).fill('OrderPlaced');
        await search.getByLabel('Stream', { exact: true }).fill(orderStream);
        await search.getByRole('button', { name: 'Search events', exact: true }).click();
        await auditor.waitForURL(/\/audit\?.*type=OrderPlaced/);
        const rows = auditor.locator('table tbody tr');
        await rows.first().waitFor();
        await expect(rows.count()).resolves.toBe(1);
        await expect(rows.first().innerText()).resolves.toContain(orderStream);
        expect(new URL(auditor.url()).searchParams.get('streamId')).toBe(orderStream);
        await session.step(auditor, 'events of type OrderPlaced');
        await expectAccessible(auditor);

        // The correlation story of the request that placed the order, across every stream it touched.
        await auditor.getByRole('link', { name: /^Correlation story of OrderPlaced/ }).click();
        await auditor.getByRole('heading', { level: 1, name: 'Correlation story' }).waitFor();
        const story = await mainText(auditor);
        for (const aggregate of ['Cart', 'Order', 'Payment', 'Stock'])
          expect(story).toMatch(new RegExp(`${aggregate}: ${aggregate.toLowerCase()}-`));
        expect(story).toContain(orderStream);
        expect(story).toContain(`stock-${PRODUCTS.teapot.sku}`);
        for (const type of ['CartCheckedOut', 'OrderPlaced', 'PaymentAuthorized', 'StockReserved'])
          expect(story).toContain(type);
        await session.step(auditor, 'correlation story of the checkout');
        await expectAccessible(auditor);

        // The order's own timeline, then its state at version 1 (just placed) against the latest.
        await auditor.getByRole('link', { name: new RegExp(`Order: ${orderStream}`) }).click();
        await auditor.getByRole('heading', { level: 1, name: `Stream ${orderStream}` }).waitFor();
        const timeline = auditor.getByRole('table', { name: /^Versions 1 to \d+ of \d+/ });
        await expect(timeline.innerText()).resolves.toMatch(/OrderPlaced[\s\S]*OrderConfirmed/);
        await auditor.getByRole('heading', { level: 3, name: /^Latest state \(version \d+\)$/ }).waitFor();
        await expect(auditor.getByRole('region', { name: /^Latest state/ }).innerText()).resolves.toMatch(
          /"status": "confirmed"/,
        );
        await session.step(auditor, 'order stream timeline and latest state');

        const asOf = auditor.getByRole('form', { name: 'State as of' });
        await asOf.getByLabel('Version', { exact: true }).fill('1');
        await asOf.getByRole('button', { name: 'Show state', exact: true }).click();
        await auditor.getByRole('heading', { level: 3, name: 'State at version 1' }).waitFor();
        expect(new URL(auditor.url()).searchParams.get('version')).toBe('1');
        await expect(
          auditor.getByRole('region', { name: 'State at version 1' }).innerText(),
        ).resolves.toMatch(/"status": "pending"/);
        const changes = auditor.getByRole('table', { name: /^Changes from version 1 to version \d+/ });
        await expect(changes.getByRole('row', { name: /^\/status\s/ }).innerText()).resolves.toMatch(
          /"pending"[\s\S]*"confirmed"/,
        );
        await session.step(auditor, 'state at version 1 against the latest');
        await expectAccessible(auditor);

        // Integrity: sign a checkpoint over the log so far, then verify every chain and root against it.
        await auditor
          .getByRole('navigation', { name: 'Audit' })
          .getByRole('link', { name: 'Integrity' })
          .click();
        await auditor.getByRole('heading', { level: 1, name: 'Integrity' }).waitFor();
        await auditor.getByRole('button', { name: 'Sign a checkpoint now', exact: true }).click();
        await auditor
          .getByRole('status')
          .filter({ hasText: /^Checkpoint \d+ signed over \d+ events\.$/ })
          .waitFor();
        const signed = /^Checkpoint (\d+) signed/.exec(
          await auditor
            .getByRole('status')
            .filter({ hasText: /^Checkpoint/ })
            .innerText(),
        )?.[1];
        await auditor.getByRole('button', { name: 'Verify now', exact: true }).click();
        await auditor
          .getByRole('status')
          .filter({ hasText: /^Verified: \d+ events in \d+ streams, no broken links\.$/ })
          .waitFor({ timeout: 60_000 });
        const integrity = await mainText(auditor);
        expect(integrity).toMatch(/Verified: no broken links/);
        // A scheduled checkpoint may follow the one signed here, never precede it.
        const shown = /Sequence\s+(\d+)/.exec(integrity)?.[1];
        expect(Number(shown)).toBeGreaterThanOrEqual(Number(signed));
        expect(integrity).toMatch(/Key id\s+\S+/);
        expect(integrity).not.toMatch(/No checkpoint has been signed yet/);
        await session.step(auditor, 'integrity verified against a checkpoint');
        await expectAccessible(auditor);
      });
    },
    JOURNEY_TIMEOUT_MS,
  );

  it('refuses the audit pages to a customer and sends a guest to sign in', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const customer = await session.newPage();
      const email = freshEmail('curious-customer');
      await signUpCustomer(customer, email);
      await expect(customer.getByRole('link', { name: 'Audit', exact: true }).count()).resolves.toBe(0);

      for (const path of ['/audit?type=OrderPlaced', '/audit/integrity']) {
        await customer.goto(path);
        await customer.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
        await expect(customer.locator('main table').count()).resolves.toBe(0);
        await expect(customer.getByRole('button', { name: 'Verify now' }).count()).resolves.toBe(0);
      }
      await session.step(customer, 'customer refused');

      const guest = await session.newPage();
      await guest.goto('/audit/integrity');
      await guest.waitForURL(/\/account\/sign-in\?next=%2Faudit%2Fintegrity/);
      await session.step(guest, 'guest sent to sign in');
    });
  });
});
