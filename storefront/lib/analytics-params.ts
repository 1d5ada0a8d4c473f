import { one, type BadField, type SearchParams } from './audit-params';

/**
 * What the analytics page reads from its URL (the date range) and how it shows the warehouse's numbers,
 * checked and computed before anything is sent to query-api: a bad date becomes a message naming the field,
 * never a request the API would refuse. Pure functions, so they have unit tests.
 */

/** UTC days, `YYYY-MM-DD`, both inclusive. */
export interface DateRange {
  readonly from: string;
  readonly to: string;
}

/** The range the page shows when the URL names none: the 30 days ending today (UTC), as query-api's default. */
export const DEFAULT_RANGE_DAYS = 30;

/** The most days (both ends counted) query-api answers for: a longer range is refused before it is sent. */
export const MAX_RANGE_DAYS = 3660;

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of a moment's UTC day. */
export function utcDay(moment: Date): string {
  return moment.toISOString().slice(0, 10);
}

/** The day `days` after `day` (before, when negative). */
export function addDays(day: string, days: number): string {
  return utcDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS));
}

/** Days from `from` to `to` (0 for the same day; negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** A real calendar day as `<input type="date">` sends it, or undefined (`2026-02-30` is no day). */
export function parseDay(value: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || utcDay(date) !== value) return undefined;
  return value;
}

/** The 30 days ending on `today`'s UTC day. */
export function defaultRange(today: Date): DateRange {
  const to = utcDay(today);
  return { from: addDays(to, -(DEFAULT_RANGE_DAYS - 1)), to };
}

/**
 * The range in the URL, or the first field that is wrong. A missing `to` is today; a missing `from` is the
 * 30 days ending on `to`, so either end alone still makes a sensible range.
 */
export function parseRange(
  params: SearchParams,
  today: Date,
): { readonly ok: true; readonly range: DateRange } | { readonly ok: false; readonly bad: BadField } {
  const fromText = one(params, 'from');
  const from = fromText === undefined ? undefined : parseDay(fromText);
  if (fromText !== undefined && from === undefined)
    return bad('from', 'From: enter a date as YYYY-MM-DD, e.g. 2026-03-01.');
  const toText = one(params, 'to');
  const to = toText === undefined ? undefined : parseDay(toText);
  if (toText !== undefined && to === undefined)
    return bad('to', 'To: enter a date as YYYY-MM-DD, e.g. 2026-03-31.');
  const end = to ?? utcDay(today);
  const start = from ?? addDays(end, -(DEFAULT_RANGE_DAYS - 1));
  if (start > end) return bad('to', 'To: must not be before From.');
  if (daysBetween(start, end) + 1 > MAX_RANGE_DAYS)
    return bad('from', `From: the range may span at most ${MAX_RANGE_DAYS} days.`);
  return { ok: true, range: { from: start, to: end } };
}

/** Every day of the range in order, so a chart shows the days without activity as zero, not as a gap. */
export function daysOf(range: DateRange): string[] {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
  return days;
}

/** `42.9%`: a rate of 0..1 for people; `n/a` when there was nothing to divide by. */
export function formatRate(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return 'n/a';
  return `${(rate * 100).toFixed(1)}%`;
}

/** `1,234`: a count for people. */
export function formatCount(count: number): string {
  return new Intl.NumberFormat('en-GB').format(count);
}

/** `Cart opened`: the funnel's step names as people read them. */
export const FUNNEL_STEP_LABELS: Readonly<Record<string, string>> = {
  cart_opened: 'Cart opened',
  item_added: 'Item added',
  checkout: 'Checked out',
  paid: 'Paid',
};

function bad(field: string, message: string): { readonly ok: false; readonly bad: BadField } {
  return { ok: false, bad: { field, message } };
}
