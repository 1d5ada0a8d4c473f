/**
 * A timestamptz column as an ISO-8601 UTC string with milliseconds, built in SQL so that every driver
 * (pg, PGlite) returns the same text inside jsonb.
 */
export const isoTime = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
