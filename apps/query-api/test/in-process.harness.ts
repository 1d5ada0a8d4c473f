import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { migrate } from '@tally/database';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { loadConfig } from '@tally/platform';
import { type Projection, ProjectionRunner } from '@tally/read-models';
import { createTestSchema, testInfrastructure, type TestSchema, testWarehouse } from '@tally/testing';
import { createQueryApi, queryApiMigrations } from '../src/query-api.app';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * query-api built in this process on a fresh PostgreSQL schema, with the real event store and a projection
 * runner behind it: what integration tests drive through `app.inject`, appending to `store` and reading
 * with the append's consistency token.
 */
export interface InProcessQueryApi {
  readonly app: NestFastifyApplication;
  readonly store: PostgresEventStore;
  readonly runner: ProjectionRunner;
  readonly db: TestSchema;
  close(): Promise<void>;
}

export async function startInProcessQueryApi(options: {
  /** Prefix of the test schema's name. */
  readonly schema: string;
  /** The projections the reads under test need. */
  readonly projections: readonly Projection[];
  readonly consistencyTimeoutMs?: number;
}): Promise<InProcessQueryApi> {
  const db = await createTestSchema(options.schema);
  const warehouse = testWarehouse(db.schema);
  await migrate(db.client, [eventStoreMigrations, ...queryApiMigrations]);
  const store = new PostgresEventStore(db.client);
  const runner = new ProjectionRunner({
    sql: db.client,
    store,
    projections: options.projections,
    logger: silent,
  });
  await runner.start();
  const app = await createQueryApi(
    testInfrastructure({
      config: loadConfig({
        CONSISTENCY_TIMEOUT_MS: String(options.consistencyTimeoutMs ?? 2000),
        ...warehouse.settings,
      }),
      sql: db.client,
      eventStore: store,
    }),
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    store,
    runner,
    db,
    async close() {
      await app.close();
      await runner.stop();
      await store.close();
      await warehouse.drop();
      await db.drop();
    },
  };
}
