import { queryApi } from '../../../lib/api';
import { requireRole } from '../../../lib/session';
import type { Money } from '../../../lib/format';

/**
 * Admin pages' shared helpers. The pages check the role to choose what to render; the APIs check it again
 * on every call (`@Roles('admin')`), so a forged cookie can show nothing and change nothing.
 */

/** The signed-in admin, or a redirect: a guest to sign-in (coming back to `path`), anyone else home. */
export function requireAdmin(path: string) {
  return requireRole(['admin'], path);
}

/** One search-params value (the first when repeated), or undefined. */
export function param(
  params: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A positive page number from the URL, 1 when absent or bad. */
export function pageParam(params: Readonly<Record<string, string | string[] | undefined>>): number {
  const page = Number(param(params, 'page'));
  return Number.isInteger(page) && page >= 1 && page <= 10_000 ? page : 1;
}

/**
 * Minor units from what an admin types as a price (`12.50`, `12,5`, `12`), for a currency with two decimals;
 * a message when it is not a positive amount.
 */
export function parseAmount(input: string): number | string {
  const normalised = input.trim().replace(',', '.');
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(normalised)) return 'Enter an amount like 12.50.';
  const [units = '0', cents = ''] = normalised.split('.');
  const amount = Number(units) * 100 + Number(cents.padEnd(2, '0'));
  return amount > 0 ? amount : 'Enter an amount greater than zero.';
}

/** `12.50`: minor units as an admin types them back. */
export function amountInput(money: Money): string {
  return (money.amount / 100).toFixed(2);
}

/** Stock level as query-api reports it, or undefined when the SKU never had stock. */
export interface StockView {
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly version?: number;
}

export async function loadStock(sku: string): Promise<StockView | undefined> {
  const result = await queryApi<StockView>(`/api/v1/inventory/${encodeURIComponent(sku)}`);
  return result.ok ? result.data : undefined;
}

/** What the URL says happened last (`?notice=` after an action, `?error=` with its message). */
export interface Outcome {
  readonly notice?: string;
  readonly error?: string;
  readonly field?: string;
}

export function outcomeOf(params: Readonly<Record<string, string | string[] | undefined>>): Outcome {
  const notice = param(params, 'notice');
  const error = param(params, 'error');
  const field = param(params, 'field');
  return {
    ...(notice ? { notice: notice.slice(0, 300) } : {}),
    ...(error ? { error: error.slice(0, 500) } : {}),
    ...(field ? { field: field.slice(0, 100) } : {}),
  };
}
