import { migrate, PgliteSqlClient } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { uniqueName } from '@tally/testing';
import { waitForProjections } from '../consistency';
import type { Projection } from '../projection';
import { ProjectionRunner } from '../projection-runner';
import { readModelMigrations } from '../read-models.migrations';
import {
  appendEvents,
  RecordingLogger,
  startReadModels,
  type ReadModelHarness,
} from '../testing/read-models.harness';

/** What the catalog tests use of a harness: the database, the store, appends and consistency waits. */
export type CatalogHarness = Pick<ReadModelHarness, 'sql' | 'store' | 'append' | 'caughtUp' | 'close'>;

/** A database the catalog tests run on: PostgreSQL and PGlite must give the same answers (DESIGN.md §8). */
export interface CatalogBackend {
  readonly name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A fresh schema with every read-model table and a running runner over `projections`. */
  start(projections: readonly Projection[]): Promise<CatalogHarness>;
}

const postgres: CatalogBackend = {
  name: 'PostgreSQL',
  setUp: () => Promise.resolve(),
  tearDown: () => Promise.resolve(),
  start: (projections) => startReadModels(projections),
};

/**
 * One PGlite instance for the whole file (it takes seconds to boot) and a fresh schema per test, first on
 * the search path; pg_trgm lives in `public`, like on PostgreSQL.
 */
function pglite(): CatalogBackend {
  let sql: PgliteSqlClient | undefined;
  const client = () => {
    if (!sql) throw new Error('PGlite backend used before setUp');
    return sql;
  };
  return {
    name: 'PGlite',
    async setUp() {
      sql = await PgliteSqlClient.open();
    },
    async tearDown() {
      await sql?.close();
    },
    async start(projections) {
      const db = client();
      const schema = uniqueName('catalog');
      await db.exec(`CREATE SCHEMA ${schema}; SET search_path = ${schema}, public;`);
      await migrate(db, [eventStoreMigrations, readModelMigrations]);
      const store = new PostgresEventStore(db);
      const runner = new ProjectionRunner({
        sql: db,
        store,
        projections,
        logger: new RecordingLogger(),
        retry: { initialMs: 20, maxMs: 200 },
      });
      await runner.start();
      return {
        sql: db,
        store,
        append: (streamId, events) => appendEvents(store, streamId, events),
        caughtUp: (token, names = projections.map((p) => p.name)) =>
          waitForProjections(db, names, token, { timeoutMs: 10_000 }),
        async close() {
          await runner.stop();
          await store.close();
          await db.exec(`SET search_path = public; DROP SCHEMA ${schema} CASCADE;`);
        },
      };
    },
  };
}

export const CATALOG_BACKENDS: readonly CatalogBackend[] = [postgres, pglite()];
