import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '@tally/database';
import type { Projection } from '../projection';
import { startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { APPLICATIONS_TABLE_SQL, applicationsProjection } from './applications.test-projection';
import { rebuildProjection } from './rebuild-projection';

jest.setTimeout(60_000);

const LABEL_COUNTS_VIEW_SQL = `
CREATE OR REPLACE VIEW test_application_labels AS
  SELECT label, count(*)::int AS streams FROM test_applications GROUP BY label;
`;

const happened = (label: string, count = 1) =>
  Array.from({ length: count }, () => ({ type: 'ThingHappened', data: { label } }));

async function labelCounts(sql: SqlExecutor): Promise<Record<string, number>> {
  const { rows } = await sql.query<{ label: string; streams: number }>(
    'SELECT label, streams FROM test_application_labels ORDER BY label',
  );
  return Object.fromEntries(rows.map((row) => [row.label, row.streams]));
}

async function viewSchemas(h: ReadModelHarness): Promise<string[]> {
  const { rows } = await h.sql.query<{ schemaname: string }>(
    `SELECT schemaname FROM pg_views WHERE viewname = 'test_application_labels' ORDER BY schemaname`,
  );
  return rows.map((row) => row.schemaname);
}

describe('rebuildProjection of a projection with views over its tables', () => {
  let h: ReadModelHarness;
  const recreated: string[] = [];

  /** The applications projection, declaring a view that follows its tables through a switch. */
  const withView: Projection = {
    ...applicationsProjection,
    storage: {
      ...applicationsProjection.storage!,
      afterSwitch: {
        dropViews: ['test_application_labels'],
        async recreate(tx) {
          const { rows } = await tx.query<{ schema: string }>('SELECT current_schema() AS schema');
          recreated.push(rows[0]?.schema ?? '');
          for (const statement of LABEL_COUNTS_VIEW_SQL.split(';').filter((s) => s.trim()))
            await tx.query(statement);
        },
      },
    },
  };

  beforeEach(async () => {
    recreated.length = 0;
    h = await startReadModels([withView], { setupSql: APPLICATIONS_TABLE_SQL + LABEL_COUNTS_VIEW_SQL });
  });

  afterEach(async () => {
    await h.close();
  });

  it('re-creates the view in the live schema over the new tables, and it follows the runner after', async () => {
    const [first, second] = [`thing-${randomUUID()}`, `thing-${randomUUID()}`];
    await h.append(first, happened('v1', 2));
    expect(await h.caughtUp(await h.append(second, happened('v1', 1)))).toBe(true);
    // A live row the handlers would never produce: the view shows it until a rebuild repairs the table.
    await h.sql.query(`UPDATE test_applications SET label = 'stale' WHERE stream_id = $1`, [first]);
    expect(await labelCounts(h.sql)).toEqual({ stale: 1, v1: 1 });

    await rebuildProjection({ sql: h.sql, store: h.store, projection: withView, batchSize: 2 });

    expect(recreated).toEqual([h.db.schema]);
    expect(await viewSchemas(h)).toEqual([h.db.schema]);
    expect(await labelCounts(h.sql)).toEqual({ v1: 2 });
    // The view reads the switched-in tables, which the runner keeps writing.
    expect(await h.caughtUp(await h.append(first, happened('v2', 1)))).toBe(true);
    expect(await labelCounts(h.sql)).toEqual({ v1: 1, v2: 1 });
  });

  it('leaves no view behind without the hook: it retires with the tables it was bound to', async () => {
    expect(await h.caughtUp(await h.append(`thing-${randomUUID()}`, happened('v1', 1)))).toBe(true);

    await rebuildProjection({ sql: h.sql, store: h.store, projection: applicationsProjection });

    expect(recreated).toEqual([]);
    expect(await viewSchemas(h)).toEqual([]);
  });
});
