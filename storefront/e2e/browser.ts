/**
 * The browser harness for the storefront's end-to-end tests: Debian's chromium driven by playwright-core,
 * a fresh browser context per test, a screenshot of every step under `test-artifacts/browser/<test>/`, an
 * axe-core scan, and one embedded Tally (the built dist/ + the storefront's production build) seeded with
 * the demo catalog.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { repoRoot, type RunningTally, startEmbedded } from '@tally/testing';
import { availableUnits, generateDemoCatalog } from '../../apps/embedded/src/seed/demo-catalog';

/** Where Debian installs chromium (`apt-get install chromium`); CHROMIUM_PATH overrides it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags for a headless chromium in a container without internet: no sandbox (we run as root in CI), no GPU,
 * and none of the background traffic (component updates, sync, safe browsing lists) that would wait on a
 * network that is not there.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The first admin Tally creates from the environment (TALLY_ADMIN_EMAIL / TALLY_ADMIN_PASSWORD). */
export const ADMIN = { email: 'admin@tally.test', password: 'Shipping-Clerk-42-Lantern' } as const;

/**
 * Launches chromium. A missing browser fails the test with what to do: a browser test that silently skips
 * would report a storefront it never looked at as fine.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the storefront's browser tests need it. ` +
        "Install Debian's package (`apt-get install chromium`) or set CHROMIUM_PATH to a Chromium/Chrome binary.",
    );
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}

/** A running Tally with its storefront, as the browser tests use it. */
export interface ShopUnderTest {
  readonly tally: RunningTally;
  /** Base URL of the storefront, e.g. `http://127.0.0.1:41234`. */
  readonly storefront: string;
  stop(): Promise<void>;
}

/**
 * Starts the built embedded Tally on fresh ports and a fresh data dir, seeded with the demo catalog, with
 * the first admin from {@link ADMIN} and the simulated payment provider answering at once and never failing
 * at random (declines come only from the test cards). Resolves once the catalog is seeded and the
 * storefront answers.
 */
export async function startShop(env: Readonly<Record<string, string>> = {}): Promise<ShopUnderTest> {
  const tally = await startEmbedded({
    seed: true,
    readyTimeoutMs: 240_000,
    // The launcher prints its banner once the demo catalog is seeded and its read models caught up.
    waitForOutput: /Tally is running/,
    env: {
      TALLY_ADMIN_EMAIL: ADMIN.email,
      TALLY_ADMIN_PASSWORD: ADMIN.password,
      TALLY_MAIL_SENDER: 'mailbox',
      SIMULATED_PAYMENT_LATENCY_MS: '0',
      SIMULATED_PAYMENT_FAILURE_RATE: '0',
      ...env,
    },
  });
  try {
    const storefront = storefrontUrl(tally);
    await waitForStorefront(storefront, tally);
    return { tally, storefront, stop: () => tally.stop() };
  } catch (error) {
    await tally.stop();
    throw error;
  }
}

function storefrontUrl(tally: RunningTally): string {
  if (!tally.storefront)
    throw new Error('The embedded Tally serves no storefront (RunningTally.storefront is unset)');
  return tally.storefront.replace(/\/$/, '');
}

async function waitForStorefront(url: string, tally: RunningTally, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(10_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `The storefront at ${url} did not answer 200 within ${timeoutMs} ms (${last})\n${tail(tally.output())}`,
  );
}

/** The last lines of a process's output, for a failure message. */
export function tail(text: string, lines = 80): string {
  return text.split('\n').slice(-lines).join('\n');
}

const ARTIFACTS = join(repoRoot(__dirname), 'test-artifacts', 'browser');

/** A test's folder name: its full name, lower case, words joined by dashes. */
function folderOf(testName: string): string {
  return (
    testName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 120) || 'test'
  );
}

/**
 * One test's browser session: fresh contexts (cookies, storage) that nothing else shares, and numbered
 * screenshots of every step in `test-artifacts/browser/<test>/<nn>-<step>.png`. Close it in `finally`.
 */
export class BrowserSession {
  private readonly contexts: BrowserContext[] = [];
  private readonly pages: Page[] = [];
  private steps = 0;
  /** The folder this test's screenshots go to (emptied when the session opens). */
  readonly folder: string;

  constructor(
    private readonly browser: Browser,
    testName: string,
    private readonly baseURL: string,
  ) {
    this.folder = join(ARTIFACTS, folderOf(testName));
    rmSync(this.folder, { recursive: true, force: true });
    mkdirSync(this.folder, { recursive: true });
  }

  /** A page in a new context of its own (a different shopper, or the admin). */
  async newPage(options: BrowserContextOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({
      baseURL: this.baseURL,
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      ...options,
    });
    // Generous but bounded: a page that never settles fails the step instead of the whole Jest timeout.
    context.setDefaultTimeout(20_000);
    context.setDefaultNavigationTimeout(30_000);
    this.contexts.push(context);
    const page = await context.newPage();
    this.pages.push(page);
    return page;
  }

  /** Screenshots `page` as the next numbered step. */
  async step(page: Page, name: string): Promise<string> {
    this.steps += 1;
    const file = join(this.folder, `${String(this.steps).padStart(2, '0')}-${folderOf(name)}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** After a failure: one screenshot of every open page, so the artifacts show where it stopped. */
  async failed(): Promise<void> {
    for (const [index, page] of this.pages.entries()) {
      if (page.isClosed()) continue;
      await this.step(page, `failed-page-${index + 1}`).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.contexts.map((context) => context.close().catch(() => undefined)));
  }
}

/**
 * Runs `body` with a fresh {@link BrowserSession}; on failure, screenshots every open page and adds the
 * end of Tally's output to the error, then rethrows.
 */
export async function withSession(
  browser: Browser,
  shop: ShopUnderTest,
  body: (session: BrowserSession) => Promise<void>,
): Promise<void> {
  const session = new BrowserSession(browser, expect.getState().currentTestName ?? 'test', shop.storefront);
  try {
    await body(session);
  } catch (error) {
    await session.failed();
    if (error instanceof Error)
      error.message += `\n\nScreenshots: ${session.folder}\n--- Tally output (tail) ---\n${tail(shop.tally.output(), 40)}`;
    throw error;
  } finally {
    await session.close();
  }
}

/** One axe-core violation as the tests report it. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly helpUrl: string;
  readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
}

let axeSource: string | undefined;

/**
 * Runs axe-core (WCAG 2.0-2.2 A/AA and best practices) on the page as it is and returns the serious and
 * critical violations. The script is injected through the DevTools protocol (`page.evaluate`), which the
 * page's CSP does not govern; a context created with `bypassCSP: true` also lets axe's own checks run.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      helpUrl: violation.helpUrl,
      nodes: violation.nodes.map((node) => ({ target: node.target, failureSummary: node.failureSummary })),
    }));
  });
  return violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
}

/** Violations as a readable list for an assertion message. */
export function describeViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map(
      (violation) =>
        `${violation.impact ?? '?'} ${violation.id}: ${violation.help} (${violation.helpUrl})\n` +
        violation.nodes
          .slice(0, 5)
          .map(
            (node) => `    ${JSON.stringify(node.target)} ${node.failureSummary?.replace(/\n/g, ' ') ?? ''}`,
          )
          .join('\n'),
    )
    .join('\n');
}

/**
 * Fills a form control by its label whether it is an input or a select (Country, for example, may be
 * either): a select gets the option whose label or value matches `value`.
 */
export async function fillField(page: Page, label: string, value: string): Promise<void> {
  const field = page.getByLabel(label, { exact: true });
  const tag = await field.evaluate((element) => element.tagName.toLowerCase());
  if (tag === 'select') {
    const options = await field.locator('option').evaluateAll((elements) =>
      elements.map((option) => ({
        value: (option as HTMLOptionElement).value,
        label: option.textContent.trim(),
      })),
    );
    const wanted = value.toLowerCase();
    const match = options.find(
      (option) => option.value.toLowerCase() === wanted || option.label.toLowerCase() === wanted,
    );
    if (!match) throw new Error(`No option "${value}" in select "${label}" (${JSON.stringify(options)})`);
    await field.selectOption(match.value);
  } else {
    await field.fill(value);
  }
}

/** The "Shipping method" group: a fieldset (role=group) or a role=radiogroup. */
export function shippingMethods(page: Page): Locator {
  return page
    .getByRole('radiogroup', { name: 'Shipping method' })
    .or(page.getByRole('group', { name: 'Shipping method' }));
}

/** A shopper's delivery details and card, as the checkout form asks for them. */
export interface CheckoutDetails {
  readonly email: string;
  readonly name: string;
  readonly card: string;
}

/** Fills the checkout form (address, first shipping method, simulated card) with the mouse and keyboard. */
export async function fillCheckout(page: Page, details: CheckoutDetails): Promise<void> {
  await fillField(page, 'Email', details.email);
  await fillField(page, 'Full name', details.name);
  await fillField(page, 'Address', '12 Analytical Row');
  await fillField(page, 'City', 'Berlin');
  await fillField(page, 'Postal code', '10115');
  await fillCountry(page);
  await shippingMethods(page).getByRole('radio').first().check();
  await page.getByLabel('Card number', { exact: true }).fill(details.card);
  await page.getByLabel('Expiry', { exact: true }).fill('12 / 34');
  await page.getByLabel('CVC', { exact: true }).fill('123');
}

/** Country as an ISO code input or a select of countries: Germany either way. */
async function fillCountry(page: Page): Promise<void> {
  const field = page.getByLabel('Country', { exact: true });
  const tag = await field.evaluate((element) => element.tagName.toLowerCase());
  if (tag === 'select') {
    const values = await field.locator('option').evaluateAll((elements) =>
      elements.map((option) => ({
        value: (option as HTMLOptionElement).value,
        label: option.textContent,
      })),
    );
    const germany = values.find((option) => option.value === 'DE' || /germany/i.test(option.label));
    if (!germany) throw new Error(`Country select offers no Germany: ${JSON.stringify(values)}`);
    await field.selectOption(germany.value);
  } else {
    await field.fill('DE');
  }
}

/**
 * Moves the keyboard focus with Tab (or Shift+Tab) until an element of `locator` has it, at most `maxTabs`
 * presses; fails naming where the focus got stuck.
 */
export async function tabTo(
  page: Page,
  locator: Locator,
  what: string,
  { maxTabs = 100, backwards = false }: { readonly maxTabs?: number; readonly backwards?: boolean } = {},
): Promise<void> {
  for (let tabs = 0; tabs <= maxTabs; tabs += 1) {
    const focused = await locator.evaluateAll((elements) =>
      elements.some((element) => element === document.activeElement),
    );
    if (focused) return;
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
  }
  const active = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200) ?? 'nothing');
  throw new Error(`${what} never got the focus after ${maxTabs} Tabs (focus is on ${active})`);
}

/** A demo catalog product as the journeys use it. */
export interface DemoItem {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  /** EUR, minor units. */
  readonly priceMinor: number;
}

/**
 * A product of the catalog the embedded Tally seeds (apps/embedded/src/seed, same generator and seed), read
 * from the generator so that names follow it; fails at once if the product is no longer in ample stock, the
 * journeys' assumption.
 */
function demoItem(sku: string): DemoItem {
  const product = generateDemoCatalog().find((candidate) => candidate.sku === sku);
  if (!product) throw new Error(`The demo catalog has no ${sku}: pick another product for the browser tests`);
  if (availableUnits(product.stock) < 10)
    throw new Error(`${sku} has fewer than 10 units in the demo catalog: pick another product`);
  return { sku, name: product.name, category: product.category, priceMinor: product.price.amount };
}

/**
 * The products the journeys use. Both turntables cost between EUR 20 and 50 (the price facet the guest
 * filters by) and AUD-006, also a turntable, costs more.
 */
export const PRODUCTS = {
  bambooTurntable: demoItem('AUD-010'),
  everydayTurntable: demoItem('AUD-022'),
  dearTurntable: demoItem('AUD-006'),
  teapot: demoItem('KIT-002'),
  kettle: demoItem('KIT-013'),
} as const;

/** "turntable" with a letter missing, as a shopper types it in a hurry ("sneker" for "sneaker"). */
export const TYPO_FOR_TURNTABLE = 'turntble';

/** Test card numbers of the simulated provider (Stripe's). */
export const CARDS = { visa: '4242 4242 4242 4242', declined: '4000 0000 0000 0002' } as const;

/** A fresh shopper's email, unique per run. */
export function freshEmail(who: string): string {
  return `${who}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** Adds `sku` to the cart from its product page and waits until the header's cart link shows it. */
export async function addToCart(page: Page, sku: string, quantity = 1): Promise<void> {
  await page.goto(`/p/${sku}`);
  const before = await cartCount(page);
  if (quantity !== 1) await page.getByLabel('Quantity', { exact: true }).fill(String(quantity));
  await page.getByRole('button', { name: 'Add to cart' }).click();
  await eventually(
    `the cart link to count ${before + quantity}`,
    async () => (await cartCount(page)) === before + quantity,
  );
}

/**
 * Polls `check` until it returns true (every 200 ms, at most `timeoutMs`); fails naming `what`. For what the
 * page shows after an action, never a fixed sleep.
 */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Units in the cart as the header's "Cart…" link names them ("Cart (3)", "Cart, 3 items"); 0 when it
 * names no number.
 */
export async function cartCount(page: Page): Promise<number> {
  const name = (await page.getByRole('link', { name: /^Cart/ }).first().textContent()) ?? '';
  const label = (await page.getByRole('link', { name: /^Cart/ }).first().getAttribute('aria-label')) ?? '';
  const match = /(\d+)/.exec(label || name);
  return match ? Number(match[1]) : 0;
}

/** The password of the accounts a spec signs up (staff it promotes, customers it turns away). */
export const ACCOUNT_PASSWORD = 'Ledger-Keeper-77-Quill';

/** A POST or PUT to command-api as JSON; fails the test, with the API's answer, unless it is `expected`. */
export async function commandApiJson<T>(
  shop: ShopUnderTest,
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
  expected: number,
  accessToken?: string,
): Promise<T> {
  const response = await fetch(`${shop.tally.commandApi}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== expected)
    throw new Error(`${method} ${path}: expected ${expected}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/**
 * A new account named `name`, given `role` by the admin (`PUT /api/v1/customers/{id}/role`, the admin's own
 * token); returns its email. The role counts from the account's next sign-in, which the browser then does.
 */
export async function newAccountWithRole(
  shop: ShopUnderTest,
  role: 'analyst' | 'auditor',
  name: string,
): Promise<string> {
  const email = freshEmail(role);
  const account = await commandApiJson<{ customerId: string }>(
    shop,
    'POST',
    '/api/v1/auth/sign-up',
    { email, password: ACCOUNT_PASSWORD, name },
    201,
  );
  const admin = await commandApiJson<{ accessToken: string }>(
    shop,
    'POST',
    '/api/v1/auth/sign-in',
    ADMIN,
    200,
  );
  const changed = await commandApiJson<{ role: string }>(
    shop,
    'PUT',
    `/api/v1/customers/${account.customerId}/role`,
    { role },
    200,
    admin.accessToken,
  );
  expect(changed.role).toBe(role);
  return email;
}

/** Signs in on the storefront as `email` (with {@link ACCOUNT_PASSWORD}) and waits for the account link. */
export async function signIn(page: Page, email: string): Promise<void> {
  await page.goto('/account/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
}

/** Signs up on the storefront as "Curious Customer" with `email`, and waits for the account link. */
export async function signUpCustomer(page: Page, email: string): Promise<void> {
  await page.goto('/account/sign-up');
  await page.getByLabel('Name', { exact: true }).fill('Curious Customer');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(ACCOUNT_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'Account', exact: true }).waitFor();
}

/** The Tally and the chromium a spec file shares: started before its first test, stopped after its last. */
export interface ShopAndBrowser {
  readonly shop: ShopUnderTest;
  readonly browser: Browser;
}

/**
 * Registers the spec file's `beforeAll`/`afterAll`: a seeded Tally with its storefront and one chromium.
 * The returned object's properties are valid inside tests (they throw if the start failed).
 */
export function shopAndBrowserForThisFile(): ShopAndBrowser {
  const started: { shop?: ShopUnderTest; browser?: Browser } = {};
  beforeAll(async () => {
    started.browser = await launchChromium();
    started.shop = await startShop();
  }, 300_000);
  afterAll(async () => {
    await started.browser?.close();
    await started.shop?.stop();
  });
  return {
    get shop() {
      if (!started.shop) throw new Error('the shop under test did not start');
      return started.shop;
    },
    get browser() {
      if (!started.browser) throw new Error('chromium did not start');
      return started.browser;
    },
  };
}
