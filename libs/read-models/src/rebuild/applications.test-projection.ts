import type { SqlExecutor } from '@tally/database';
import type { Projection } from '../projection';

/** The live table of {@link applicationsProjection}; tests create it before the runner starts. */
export const APPLICATIONS_TABLE_SQL = `
CREATE TABLE test_applications (
  stream_id text PRIMARY KEY,
  versions int[] NOT NULL,
  label text NOT NULL
);
CREATE INDEX test_applications_label ON test_applications (label);
`;

/**
 * A deliberately non-idempotent projection for tests: it appends every version it is given to its
 * stream's row, so an event applied twice or skipped shows up as a wrong `versions` array.
 */
export const applicationsProjection: Projection = {
  name: 'applications',
  eventTypes: ['ThingHappened'],
  storage: {
    tables: ['test_applications'],
    migrations: [{ id: '0001_test_applications', sql: APPLICATIONS_TABLE_SQL }],
  },
  async apply(tx: SqlExecutor, events) {
    for (const event of events) {
      const { label } = event.data as { label: string };
      await tx.query(
        `INSERT INTO test_applications (stream_id, versions, label) VALUES ($1, ARRAY[$2::int], $3)
         ON CONFLICT (stream_id) DO UPDATE
           SET versions = test_applications.versions || $2::int, label = EXCLUDED.label`,
        [event.streamId, event.version, label],
      );
    }
  },
};

/** `versions` of every stream of the projection, as the live schema shows them. */
export async function applications(sql: SqlExecutor): Promise<Record<string, number[]>> {
  const { rows } = await sql.query<{ stream_id: string; versions: number[] }>(
    'SELECT stream_id, versions FROM test_applications ORDER BY stream_id',
  );
  return Object.fromEntries(rows.map((row) => [row.stream_id, row.versions]));
}

/** `[1, 2, …, n]`. */
export const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
