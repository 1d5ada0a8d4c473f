import type { RecordedEvent } from '@tally/event-store';
import { occurredAt } from '@tally/read-models';

// dim_date holds the days of 2000-01-01 .. 2099-12-31 (warehouse.schema.ts).
const FIRST_INSTANT = Date.UTC(2000, 0, 1);
const END_INSTANT = Date.UTC(2100, 0, 1);
/** An ISO-8601 UTC instant with milliseconds, in 2000-2099 and on a day every month has. */
const CANONICAL = /^20\d\d-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * `value` as an ISO-8601 UTC instant with milliseconds, or null when it is not a time or falls outside
 * the days of `dim_date`. Such events are skipped rather than clamped: a fact filed under a day it did
 * not happen on would be wrong in every metric, while the batch holding it must still go through.
 */
export function warehouseInstant(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // Tally's own clocks write this form; the fast path spares a rebuild a parse and a format per event.
  if (CANONICAL.test(value)) return value;
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || ms < FIRST_INSTANT || ms >= END_INSTANT) return null;
  return new Date(ms).toISOString();
}

/** The business time of an event (when its command was issued), normalized by {@link warehouseInstant}. */
export function businessInstant(event: Pick<RecordedEvent, 'metadata' | 'recordedAt'>): string | null {
  return warehouseInstant(occurredAt(event));
}

/** The `date_key` (`yyyymmdd` of the UTC day) of an instant returned by {@link warehouseInstant}. */
export function dateKey(instant: string): number {
  return Number(instant.slice(0, 4) + instant.slice(5, 7) + instant.slice(8, 10));
}

/** `instant` plus `minutes`, as an ISO-8601 UTC instant with milliseconds. */
export function addMinutes(instant: string, minutes: number): string {
  return new Date(Date.parse(instant) + minutes * 60_000).toISOString();
}

/** A timestamptz column as an ISO-8601 UTC instant with milliseconds, the form JavaScript writes. */
export const isoTimeSql = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
