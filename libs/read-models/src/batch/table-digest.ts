import type { SqlExecutor } from '@tally/database';

/**
 * An MD5 per table over the text of its rows in the given total order (a primary key, with `COLLATE "C"`
 * on text keys): two builds from the same events are identical iff every digest is. Times print in the
 * session's time zone, so compare digests taken with the same settings.
 */
export async function tableDigests(
  sql: SqlExecutor,
  rowOrder: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const [table, order] of Object.entries(rowOrder)) {
    const { rows } = await sql.query<{ digest: string }>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${order}), '')) AS digest FROM ${table} t`,
    );
    digests[table] = rows[0]?.digest ?? '';
  }
  return digests;
}
