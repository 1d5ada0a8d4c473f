/**
 * The admin's catalog and stock pages in a real browser (issue 4, deliverable 3): create a product, publish
 * it, change its price, receive and adjust stock; a guest then sees exactly that on the product page.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { ADMIN, eventually, shopAndBrowserForThisFile, withSession } from './browser';

const env = shopAndBrowserForThisFile();

async function signInAsAdmin(page: Page): Promise<void> {
  await page.goto('/account/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(ADMIN.email);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('link', { name: 'Admin', exact: true }).waitFor();
}

describe('an admin in the browser', () => {
  it('creates, publishes and reprices a product, receives and adjusts its stock, and a guest sees it', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const sku = `E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
      const admin = await session.newPage();
      await signInAsAdmin(admin);

      await admin.goto('/admin/products');
      const create = admin.getByRole('region', { name: 'Create a product' });
      await create.getByLabel('SKU', { exact: true }).fill(sku);
      await create.getByLabel('Name', { exact: true }).fill('Indigo Linen Apron');
      await create.getByLabel('Category', { exact: true }).fill('Kitchen');
      await create.getByLabel('Description', { exact: true }).fill('An indigo apron in washed linen.');
      await create.getByLabel('Price', { exact: true }).fill('19.90');
      await session.step(admin, 'create form filled');
      await create.getByRole('button', { name: 'Create product', exact: true }).click();
      await admin.getByRole('heading', { level: 1, name: 'Indigo Linen Apron' }).waitFor();
      await session.step(admin, 'draft created');

      await admin.getByRole('button', { name: 'Publish', exact: true }).click();
      await admin.getByRole('button', { name: 'Unpublish', exact: true }).waitFor();
      const price = admin.getByRole('region', { name: 'Change the price' });
      await price.getByLabel('Price', { exact: true }).fill('24.50');
      await price.getByRole('button', { name: 'Save price', exact: true }).click();
      await admin.getByText('Price saved.').waitFor();
      await session.step(admin, 'published and repriced');

      await admin.goto(`/admin/stock?sku=${sku}`);
      await admin.getByLabel('Quantity received', { exact: true }).fill('12');
      await admin.getByLabel('Delivery reference', { exact: true }).fill('PO-1');
      await admin.getByRole('button', { name: 'Receive stock', exact: true }).click();
      await admin.getByText(`Received 12 units of ${sku}.`).waitFor();
      await admin.getByLabel('Change in units', { exact: true }).fill('-9');
      await admin.getByLabel('Reason', { exact: true }).fill('damaged in transit');
      await admin.getByRole('button', { name: 'Adjust stock', exact: true }).click();
      await eventually('the stock page to show 3 available', async () =>
        /Available to sell\s+3\b/.test(await admin.locator('main').innerText()),
      );
      await session.step(admin, 'stock received and adjusted');

      const guest = await session.newPage();
      await guest.goto(`/p/${sku}`);
      await guest.getByRole('heading', { level: 1, name: 'Indigo Linen Apron' }).waitFor();
      await expect(guest.locator('main').innerText()).resolves.toMatch(/€24\.50/);
      await expect(guest.locator('main').innerText()).resolves.toMatch(/Only 3 left/);
      await session.step(guest, 'guest sees the product');
    });
  }, 240_000);

  it('sends a guest who opens an admin page to sign in', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const page = await session.newPage();
      await page.goto('/admin/products');
      await page.waitForURL(/\/account\/sign-in/);
      await session.step(page, 'guest sent to sign in');
    });
  });
});
