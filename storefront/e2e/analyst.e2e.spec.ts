/**
 * The analyst's dashboard in a real browser (issue 6, deliverable 5): an admin makes an account an analyst;
 * guests check out through the API (one payment declined, one order partly refunded), one cart is left to
 * be abandoned, and shoppers search (one search finds nothing); once the warehouse projection has all of it,
 * the analyst opens /analytics for a date range and every number the page shows is checked against the
 * warehouse's metric views, queried here with SQL. Customers get no warehouse numbers. Screenshots:
 * test-artifacts/browser/<test>/.
 *
 * The warehouse lives in its own PostgreSQL database (`WAREHOUSE_URL`) so that this test can read the views
 * itself; the embedded Tally's own data stays in PGlite, which only its process can open.
 */
import type { Browser, Page } from 'playwright-core';
import { PgSqlClient } from '@tally/database';
import { checkoutRequest, createTestDatabase, ShopClient, waitUntil } from '@tally/testing';
import {
  describeViolations,
  freshEmail,
  launchChromium,
  newAccountWithRole,
  PRODUCTS,
  seriousAxeViolations,
  signIn,
  signUpCustomer,
  startShop,
  type ShopUnderTest,
  withSession,
} from './browser';
import { addDays, formatCount, formatRate, FUNNEL_STEP_LABELS, utcDay } from '../lib/analytics-params';
import { formatMoney } from '../lib/format';

const JOURNEY_TIMEOUT_MS = 420_000;
/** The warehouse's schema in its database (TALLY_WAREHOUSE_SCHEMA's default). */
const WAREHOUSE_SCHEMA = 'warehouse';
/**
 * A cart left alone this long is abandoned: the shortest idle time there is, with a sweep every
 * {@link SWEEP_SECONDS}, so that the projectors mark the test's cart soon after the minute.
 */
const CART_IDLE_MINUTES = 1;
const SWEEP_SECONDS = 2;
/** How long the test waits for the sweep to abandon its idle cart: the idle time plus sweeps, and slack. */
const ABANDONMENT_WAIT_MS = 180_000;

interface Started {
  readonly shop: ShopUnderTest;
  readonly browser: Browser;
  /** The warehouse's database, read with SQL: the views are what the page must agree with. */
  readonly warehouse: PgSqlClient;
}

/**
 * This file's Tally (embedded, seeded, with the warehouse in a fresh PostgreSQL database) and chromium,
 * started before the first test and stopped after the last.
 */
function shopWithWarehouseForThisFile(): Started {
  const started: {
    shop?: ShopUnderTest;
    browser?: Browser;
    warehouse?: PgSqlClient;
    database?: { readonly url: string; drop(): Promise<void> };
  } = {};
  beforeAll(async () => {
    started.browser = await launchChromium();
    started.database = await createTestDatabase('tally_e2e_warehouse');
    const { url } = started.database;
    started.shop = await startShop({
      WAREHOUSE_URL: url,
      TALLY_WAREHOUSE_CART_IDLE_MINUTES: String(CART_IDLE_MINUTES),
      TALLY_WAREHOUSE_SWEEP_SECONDS: String(SWEEP_SECONDS),
    });
    started.warehouse = new PgSqlClient({
      connectionString: url,
      schema: WAREHOUSE_SCHEMA,
      maxConnections: 2,
    });
  }, 300_000);
  afterAll(async () => {
    await started.warehouse?.close();
    await started.browser?.close();
    await started.shop?.stop();
    await started.database?.drop();
  });
  const get = <K extends keyof Started>(key: K): Started[K] => {
    const value = started[key];
    if (!value) throw new Error(`${key} did not start`);
    return value as Started[K];
  };
  return {
    get shop() {
      return get('shop');
    },
    get browser() {
      return get('browser');
    },
    get warehouse() {
      return get('warehouse');
    },
  };
}

const env = shopWithWarehouseForThisFile();

/** What the test did, so that it can wait until the warehouse has all of it. */
interface Activity {
  readonly paidOrders: readonly string[];
  readonly declinedOrder: string;
  readonly refundedOrder: string;
  readonly refundMinor: number;
  readonly idleCart: string;
  readonly missingTerm: string;
  readonly foundTerm: string;
}

/** A search term no product matches: letters only, so normalization keeps it as it is. */
function nonsenseTerm(): string {
  const letters = Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26)));
  return `qxz${letters.join('')}`;
}

/**
 * Shop activity through the real APIs: a cart left idle (first, so that its idle time runs while the rest
 * happens), three paid guest orders, one declined, a partial refund of a paid order, and two searches.
 */
async function generateActivity(): Promise<Activity> {
  const shop = new ShopClient(env.shop.tally);
  const { teapot, kettle, bambooTurntable } = PRODUCTS;
  const idleCart = await shop.cart([{ sku: kettle.sku, quantity: 1 }]);

  const paidOrders: string[] = [];
  for (const lines of [
    [{ sku: teapot.sku, quantity: 2 }],
    [
      { sku: kettle.sku, quantity: 1 },
      { sku: teapot.sku, quantity: 1 },
    ],
    [{ sku: bambooTurntable.sku, quantity: 1 }],
  ]) {
    const orderId = await shop.placeOrder(await shop.cart(lines));
    expect((await shop.waitForOrder(orderId)).status).toBe('confirmed');
    paidOrders.push(orderId);
  }
  const declinedOrder = await shop.placeOrder(
    await shop.cart([{ sku: teapot.sku, quantity: 1 }]),
    checkoutRequest('pm_card_chargeDeclined'),
  );
  await shop.waitForOrder(declinedOrder, (order) => order.payment.status === 'declined');

  const [refundedOrder = ''] = paidOrders;
  const refundMinor = 250;
  await shop.command('POST', `/api/v1/orders/${refundedOrder}/refunds`, {
    amount: { amount: refundMinor, currency: 'EUR' },
    reason: 'Chipped lid',
  });
  await shop.waitForOrder(refundedOrder, (order) => order.payment.amountRefunded.amount === refundMinor);

  const missingTerm = nonsenseTerm();
  const foundTerm = 'teapot';
  for (const term of [missingTerm, foundTerm]) {
    const response = await shop.query(`/api/v1/products?q=${encodeURIComponent(term)}`);
    expect(response.status).toBe(200);
  }
  return { paidOrders, declinedOrder, refundedOrder, refundMinor, idleCart, missingTerm, foundTerm };
}

/** The first number of a one-row, one-column answer. */
async function count(sql: string, params: readonly unknown[]): Promise<number> {
  const { rows } = await env.warehouse.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Waits until the warehouse projection has every fact of the activity: the payments (captured, declined,
 * refunded), both searches, and (after the idle time and a sweep) the idle cart's abandonment.
 */
async function waitForWarehouse(activity: Activity): Promise<void> {
  await waitUntil(
    'the warehouse to hold the payments and searches',
    async () => {
      const captured = await count(
        `SELECT count(DISTINCT order_id)::text AS n FROM fact_payment WHERE kind = 'captured' AND order_id = ANY($1)`,
        [activity.paidOrders],
      );
      const declined = await count(
        `SELECT count(*)::text AS n FROM fact_payment WHERE kind = 'declined' AND order_id = $1`,
        [activity.declinedOrder],
      );
      const refunded = await count(
        `SELECT coalesce(sum(amount), 0)::text AS n FROM fact_payment WHERE kind = 'refunded' AND order_id = $1`,
        [activity.refundedOrder],
      );
      const searches = await count(
        `SELECT count(DISTINCT normalized_query)::text AS n FROM fact_search WHERE normalized_query = ANY($1)`,
        [[activity.missingTerm, activity.foundTerm]],
      );
      return (
        captured === activity.paidOrders.length &&
        declined === 1 &&
        refunded === activity.refundMinor &&
        searches === 2
      );
    },
    60_000,
    250,
  );
  await waitUntil(
    `the idle cart to be abandoned (idle time ${CART_IDLE_MINUTES} min, swept every ${SWEEP_SECONDS} s)`,
    async () =>
      (await count(
        `SELECT count(*)::text AS n FROM fact_cart_activity WHERE activity = 'abandon' AND cart_id = $1`,
        [activity.idleCart],
      )) === 1,
    ABANDONMENT_WAIT_MS,
    1_000,
  );
}

type Row = readonly string[];

type FunnelStep = 'cart_opened' | 'item_added' | 'checkout' | 'paid';
const FUNNEL_STEPS: readonly FunnelStep[] = ['cart_opened', 'item_added', 'checkout', 'paid'];

/** The text of each cell of a table's body (or footer) rows, trimmed. */
async function tableRows(page: Page, caption: string, part: 'tbody' | 'tfoot' = 'tbody'): Promise<Row[]> {
  return page
    .getByRole('table', { name: caption, exact: true })
    .locator(`${part} tr`)
    .evaluateAll((rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('th, td'), (cell) => cell.textContent.trim())),
    );
}

/** The value a labelled figure (`<dt>` then `<dd>`) shows in a section. */
async function figure(page: Page, section: string, label: string): Promise<string> {
  const text = await page
    .getByRole('region', { name: section, exact: true })
    .locator('dt', { hasText: new RegExp(`^${label.replace(/[()]/g, '\\$&')}$`) })
    .locator('xpath=following-sibling::dd[1]')
    .textContent();
  return (text ?? '').trim();
}

const sorted = (rows: readonly Row[]) => [...rows].sort((a, b) => a.join('|').localeCompare(b.join('|')));
const eur = (minor: number | string) => formatMoney({ amount: Number(minor), currency: 'EUR' });

/** Every number the page shows, checked against the views over the same range. */
async function expectPageMatchesViews(
  page: Page,
  from: string,
  to: string,
  activity: Activity,
): Promise<void> {
  const sql = env.warehouse;
  const range = [from, to];

  // Revenue: by day, in total and by category.
  const revenueDays = await sql.query<{
    date: string;
    currency: string;
    captured: string;
    refunded: string;
    revenue: string;
  }>(
    `SELECT date::text AS date, currency, captured::text, refunded::text, revenue::text
       FROM metric_revenue_daily WHERE date BETWEEN $1 AND $2`,
    range,
  );
  expect(revenueDays.rows.length).toBeGreaterThan(0);
  expect(sorted(await tableRows(page, 'Revenue by day'))).toEqual(
    sorted(
      revenueDays.rows.map((row) => {
        const money = (amount: string) => formatMoney({ amount: Number(amount), currency: row.currency });
        return [row.date, row.currency, money(row.captured), money(row.refunded), money(row.revenue)];
      }),
    ),
  );
  const totals = await sql.query<{ currency: string; revenue: string }>(
    `SELECT currency, sum(revenue)::text AS revenue FROM metric_revenue_daily
      WHERE date BETWEEN $1 AND $2 GROUP BY currency`,
    range,
  );
  for (const total of totals.rows)
    expect(await figure(page, 'Revenue', `Revenue (${total.currency})`)).toBe(
      formatMoney({ amount: Number(total.revenue), currency: total.currency }),
    );
  const categories = await sql.query<{ currency: string; category: string; revenue: string }>(
    `SELECT currency, category, sum(revenue)::text AS revenue FROM metric_revenue_by_category_daily
      WHERE date BETWEEN $1 AND $2 GROUP BY currency, category`,
    range,
  );
  expect(sorted(await tableRows(page, 'Revenue by category'))).toEqual(
    sorted(
      categories.rows.map((row) => [
        row.category,
        row.currency,
        formatMoney({ amount: Number(row.revenue), currency: row.currency }),
      ]),
    ),
  );
  // The refund is in the numbers: some day shows it.
  expect(revenueDays.rows.some((row) => Number(row.refunded) >= activity.refundMinor)).toBe(true);

  // The funnel: carts opened in the range and how far they got.
  const funnel = await sql.query<Record<FunnelStep, string>>(
    `SELECT sum(carts_opened)::text AS cart_opened, sum(carts_with_items)::text AS item_added,
            sum(carts_checked_out)::text AS checkout, sum(carts_paid)::text AS paid
       FROM metric_funnel_daily WHERE date BETWEEN $1 AND $2`,
    range,
  );
  const [steps = { cart_opened: '0', item_added: '0', checkout: '0', paid: '0' }] = funnel.rows;
  const opened = Number(steps.cart_opened);
  // The test's own carts: five with items, four checked out, three paid.
  expect(Number(steps.item_added)).toBeGreaterThanOrEqual(5);
  expect(Number(steps.checkout)).toBeGreaterThanOrEqual(4);
  expect(Number(steps.paid)).toBeGreaterThanOrEqual(activity.paidOrders.length);
  expect(await tableRows(page, 'Carts at each funnel step')).toEqual(
    FUNNEL_STEPS.map((step) => [
      FUNNEL_STEP_LABELS[step] ?? step,
      formatCount(Number(steps[step])),
      formatRate(opened > 0 ? Number(steps[step]) / opened : null),
    ]),
  );

  // Abandonment: by day and over the range.
  const abandonment = await sql.query<{
    date: string;
    carts_with_items: string;
    carts_abandoned: string;
    rate: string;
  }>(
    `SELECT date::text AS date, carts_with_items::text, carts_abandoned::text,
            abandonment_rate::text AS rate
       FROM metric_cart_abandonment_daily WHERE date BETWEEN $1 AND $2`,
    range,
  );
  expect(sorted(await tableRows(page, 'Cart abandonment by day'))).toEqual(
    sorted(
      abandonment.rows.map((row) => [
        row.date,
        formatCount(Number(row.carts_with_items)),
        formatCount(Number(row.carts_abandoned)),
        formatRate(Number(row.rate)),
      ]),
    ),
  );
  const withItems = abandonment.rows.reduce((sum, row) => sum + Number(row.carts_with_items), 0);
  const abandoned = abandonment.rows.reduce((sum, row) => sum + Number(row.carts_abandoned), 0);
  expect(abandoned).toBeGreaterThanOrEqual(1);
  // The range's rate is the ratio of its sums, to four decimals as the view gives each day's.
  const rate = formatRate(withItems > 0 ? Math.round((abandoned / withItems) * 10_000) / 10_000 : 0);
  expect(await tableRows(page, 'Cart abandonment by day', 'tfoot')).toEqual([
    ['All days', formatCount(withItems), formatCount(abandoned), rate],
  ]);
  expect(await figure(page, 'Cart abandonment', 'Abandonment rate')).toBe(rate);
  expect(await figure(page, 'Cart abandonment', 'Carts abandoned')).toBe(formatCount(abandoned));

  // Top products: every row shown, against the daily product sales summed over the range.
  const products = await sql.query<{ sku: string; units: string; revenue: string; orders: string }>(
    `SELECT sku, sum(units)::text AS units, sum(line_revenue)::text AS revenue, sum(orders)::text AS orders
       FROM metric_product_sales_daily WHERE date BETWEEN $1 AND $2 GROUP BY sku`,
    range,
  );
  const sales = new Map(products.rows.map((row) => [row.sku, row]));
  const shown = await tableRows(page, 'Top products by units sold');
  for (const sku of [PRODUCTS.teapot.sku, PRODUCTS.kettle.sku, PRODUCTS.bambooTurntable.sku])
    expect(shown.map((row) => row[1])).toContain(sku);
  for (const row of shown) {
    const expected = sales.get(String(row[1]));
    expect(expected).toBeDefined();
    expect(row.slice(3)).toEqual([
      formatCount(Number(expected?.units)),
      eur(expected?.revenue ?? 0),
      formatCount(Number(expected?.orders)),
    ]);
  }
  const units = shown.map((row) => Number(sales.get(String(row[1]))?.units));
  expect(units).toEqual([...units].sort((a, b) => b - a));

  // Zero-result searches: the term that found nothing, as often as the views counted it; never the other.
  const terms = await sql.query<{ query: string; searches: string }>(
    `SELECT normalized_query AS query, sum(zero_result_searches)::text AS searches
       FROM metric_search_terms_daily WHERE date BETWEEN $1 AND $2
      GROUP BY normalized_query HAVING sum(zero_result_searches) > 0`,
    range,
  );
  const zero = new Map(terms.rows.map((row) => [row.query, row.searches]));
  const zeroShown = await tableRows(page, 'Zero-result search terms');
  expect(zeroShown.map((row) => row[0])).toContain(activity.missingTerm);
  expect(zeroShown.map((row) => row[0])).not.toContain(activity.foundTerm);
  for (const row of zeroShown) expect(row[1]).toBe(formatCount(Number(zero.get(String(row[0])))));
}

/** The page has no serious or critical accessibility violation (axe-core). */
async function expectAccessible(page: Page): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(describeViolations(violations)).toBe('');
}

/** Waits until recharts has drawn `charts` charts (after hydration). */
async function chartsDrawn(page: Page, charts: number): Promise<void> {
  await page
    .locator('main svg.recharts-surface')
    .nth(charts - 1)
    .waitFor();
}

/** The dashboard's charts: revenue (one currency), funnel, abandonment, top products, zero-result searches. */
const CHARTS = 5;

describe('an analyst in the browser', () => {
  it(
    "reads the shop's revenue, funnel, abandonment, top products and zero-result searches as the views have them",
    async () => {
      await withSession(env.browser, env.shop, async (session) => {
        const email = await newAccountWithRole(env.shop, 'analyst', 'Florence Analyst');
        const activity = await generateActivity();
        await waitForWarehouse(activity);

        const today = utcDay(new Date());
        const from = addDays(today, -6);

        // The page under the real CSP: charts are drawn without a single refused inline style or script.
        const analyst = await session.newPage();
        const refused: string[] = [];
        analyst.on('console', (message) => {
          if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
        });
        await signIn(analyst, email);
        await analyst.getByRole('link', { name: 'Analytics', exact: true }).click();
        await analyst.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
        await session.step(analyst, 'analytics for the last 30 days');

        const range = analyst.getByRole('form', { name: 'Date range' });
        await range.getByLabel('From (UTC)', { exact: true }).fill(from);
        await range.getByLabel('To (UTC)', { exact: true }).fill(today);
        await range.getByRole('button', { name: 'Show', exact: true }).click();
        await analyst.waitForURL((url) => url.searchParams.get('from') === from);
        expect(new URL(analyst.url()).searchParams.get('to')).toBe(today);
        await analyst.getByText(`Showing ${from} to ${today}.`).waitFor();
        await chartsDrawn(analyst, CHARTS);
        await session.step(analyst, 'analytics for the last 7 days');

        await expectPageMatchesViews(analyst, from, today, activity);
        expect(refused).toEqual([]);

        // axe-core needs the CSP bypassed to run its own checks: the same page in a context that allows it.
        const audited = await session.newPage({ bypassCSP: true });
        await signIn(audited, email);
        await audited.goto(`/analytics?from=${from}&to=${today}`);
        await chartsDrawn(audited, CHARTS);
        await expectAccessible(audited);

        // A bad range is refused on the page, naming the field, before anything is asked of the API.
        await audited.goto(`/analytics?from=${today}&to=${from}`);
        await audited.getByRole('alert').filter({ hasText: 'To: must not be before From.' }).waitFor();
        await expect(
          audited.getByLabel('To (UTC)', { exact: true }).getAttribute('aria-invalid'),
        ).resolves.toBe('true');
        await expect(audited.locator('main table').count()).resolves.toBe(0);
        await session.step(audited, 'a range that ends before it starts');
        await expectAccessible(audited);
      });
    },
    JOURNEY_TIMEOUT_MS,
  );

  it('refuses the analytics page to a customer and sends a guest to sign in', async () => {
    await withSession(env.browser, env.shop, async (session) => {
      const customer = await session.newPage();
      await signUpCustomer(customer, freshEmail('curious-customer'));
      await expect(customer.getByRole('link', { name: 'Analytics', exact: true }).count()).resolves.toBe(0);

      await customer.goto('/analytics');
      await customer.getByRole('heading', { level: 1, name: 'Access denied' }).waitFor();
      await expect(customer.locator('main table').count()).resolves.toBe(0);
      await expect(customer.locator('main svg').count()).resolves.toBe(0);
      await session.step(customer, 'customer refused');

      // query-api refuses the customer's own token too: the page is not the only guard.
      const token = (await customer.context().cookies()).find((cookie) => cookie.name === 'tally_access');
      expect(token).toBeDefined();
      const response = await fetch(`${env.shop.tally.queryApi}/api/v1/warehouse/metrics/revenue`, {
        headers: { authorization: `Bearer ${token?.value ?? ''}` },
      });
      expect(response.status).toBe(403);

      const guest = await session.newPage();
      await guest.goto('/analytics?from=2026-01-01');
      await guest.waitForURL(/\/account\/sign-in\?next=%2Fanalytics%3Ffrom%3D2026-01-01/);
      await session.step(guest, 'guest sent to sign in');
    });
  });
});
