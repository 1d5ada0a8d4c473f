/**
 * Calendar arithmetic on ISO-8601 instants, without a clock: the domain never reads the time, but it may
 * compute with instants that came in on commands and events (e.g. a timeout that falls due a fixed span
 * after the order was placed). Proleptic Gregorian calendar, UTC, millisecond precision.
 */

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The civil date of a count of days since 1970-01-01 (Howard Hinnant's `civil_from_days`). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year: number, month: number): number {
  return (
    daysFromCivil(month === 12 ? year + 1 : year, month === 12 ? 1 : month + 1, 1) -
    daysFromCivil(year, month, 1)
  );
}

/**
 * Milliseconds since 1970-01-01T00:00:00Z of an ISO-8601 instant with a `Z` or `±HH:MM` offset
 * (`2025-01-01T10:00:00.000Z`), or null when `iso` is not one. Digits past the millisecond are dropped.
 */
export function instantToEpochMs(iso: string): number | null {
  const match = INSTANT.exec(iso);
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const ms = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (offset !== undefined && offset !== 'Z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
  }
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    ms
  );
}

const pad = (value: number, width: number): string => String(value).padStart(width, '0');

/** The instant as `YYYY-MM-DDTHH:mm:ss.sssZ` (the shape of `Date.prototype.toISOString` for years 0–9999). */
export function epochMsToInstant(epochMs: number): string {
  const days = Math.floor(epochMs / MS_PER_DAY);
  const inDay = epochMs - days * MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const hour = Math.floor(inDay / 3_600_000);
  const minute = Math.floor((inDay % 3_600_000) / 60_000);
  const second = Math.floor((inDay % 60_000) / 1000);
  const ms = inDay % 1000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`;
}

/** The instant `ms` milliseconds after the ISO-8601 instant `iso`, in UTC; null when `iso` is not an instant. */
export function addMilliseconds(iso: string, ms: number): string | null {
  const epochMs = instantToEpochMs(iso);
  return epochMs === null ? null : epochMsToInstant(epochMs + Math.trunc(ms));
}
