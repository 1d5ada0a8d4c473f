import { migrate, type SqlClient } from '@tally/database';
import {
  eventStoreMigrations,
  PostgresEventStore,
  type Checkpoint,
  type EventStore,
  type JsonValue,
} from '@tally/event-store';
import { uuidv7 } from '@tally/platform';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { Registry } from 'prom-client';
import { waitForProjections } from '../consistency';
import type { Projection } from '../projection';
import { ProjectionRunner, type ProjectionLogger, type ProjectionRunnerOptions } from '../projection-runner';
import { readModelMigrations } from '../read-models.migrations';

/** A logger that keeps what it was told, so tests can assert on alerts. */
export class RecordingLogger implements ProjectionLogger {
  readonly entries: { level: 'info' | 'warn' | 'error'; obj: Record<string, unknown>; msg: string }[] = [];
  private readonly waiters: { match: (msg: string) => boolean; resolve: () => void }[] = [];

  info(obj: object, msg: string): void {
    this.record('info', obj, msg);
  }
  warn(obj: object, msg: string): void {
    this.record('warn', obj, msg);
  }
  error(obj: object, msg: string): void {
    this.record('error', obj, msg);
  }

  /** Resolves when a message containing `text` is (or was) logged. */
  until(text: string): Promise<void> {
    if (this.entries.some((entry) => entry.msg.includes(text))) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ match: (msg) => msg.includes(text), resolve }));
  }

  private record(level: 'info' | 'warn' | 'error', obj: object, msg: string): void {
    this.entries.push({ level, obj: obj as Record<string, unknown>, msg });
    for (const waiter of this.waiters.filter((w) => w.match(msg))) waiter.resolve();
  }
}

export interface EventToAppend {
  readonly type: string;
  readonly data: JsonValue;
  /** Defaults to a fixed instant, so that times in assertions are stable. */
  readonly occurredAt?: string;
}

/** Builds envelopes the way command-api does and appends them with `expectedVersion: 'any'`. */
export async function appendEvents(
  store: EventStore,
  streamId: string,
  events: readonly EventToAppend[],
): Promise<Checkpoint> {
  const commandId = uuidv7();
  const { checkpoint } = await store.append(
    streamId,
    events.map((event) => ({
      eventId: uuidv7(),
      type: event.type,
      data: event.data,
      metadata: {
        commandId,
        correlationId: commandId,
        causationId: commandId,
        actor: { id: 'test', role: 'admin' },
        occurredAt: event.occurredAt ?? '2030-01-02T03:04:05.000Z',
        schemaVersion: 1,
      },
    })),
    { expectedVersion: 'any' },
  );
  return checkpoint;
}

export interface ReadModelHarness {
  readonly db: TestSchema;
  readonly sql: SqlClient;
  readonly store: PostgresEventStore;
  readonly logger: RecordingLogger;
  readonly registry: Registry;
  runner: ProjectionRunner;
  append(streamId: string, events: readonly EventToAppend[]): Promise<Checkpoint>;
  /** Waits (on the consistency token, not a sleep) until the projections have passed `token`. */
  caughtUp(token: Checkpoint, names?: readonly string[]): Promise<boolean>;
  /** Stops the runner and starts a fresh one with the same options (a process restart). */
  restart(overrides?: Partial<ProjectionRunnerOptions>): Promise<ProjectionRunner>;
  close(): Promise<void>;
}

/**
 * A fresh schema with the event store and read-model tables, the real PostgresEventStore and a running
 * ProjectionRunner over `projections`.
 */
export async function startReadModels(
  projections: readonly Projection[],
  overrides: Partial<ProjectionRunnerOptions> & {
    /** Default true. */
    readonly start?: boolean;
    /** SQL to run after migrations and before the runner starts (test-only tables). */
    readonly setupSql?: string;
  } = {},
): Promise<ReadModelHarness> {
  const db = await createTestSchema('read_models');
  await migrate(db.client, [eventStoreMigrations, readModelMigrations]);
  const store = new PostgresEventStore(db.client);
  const logger = new RecordingLogger();
  const { start = true, setupSql, ...runnerOverrides } = overrides;
  if (setupSql) await db.client.exec(setupSql);
  const makeRunner = (more: Partial<ProjectionRunnerOptions> = {}) =>
    new ProjectionRunner({
      sql: db.client,
      store,
      projections,
      logger,
      registry: harness.registry,
      retry: { initialMs: 20, maxMs: 200 },
      ...runnerOverrides,
      ...more,
    });
  const harness: ReadModelHarness = {
    db,
    sql: db.client,
    store,
    logger,
    registry: new Registry(),
    runner: undefined as unknown as ProjectionRunner,
    append: (streamId, events) => appendEvents(store, streamId, events),
    caughtUp: (token, names = projections.map((p) => p.name)) =>
      waitForProjections(db.client, names, token, { timeoutMs: 10_000 }),
    async restart(more) {
      await harness.runner.stop();
      harness.runner = makeRunner(more);
      await harness.runner.start();
      return harness.runner;
    },
    async close() {
      await harness.runner.stop();
      await store.close();
      await db.drop();
    },
  };
  harness.runner = makeRunner();
  if (start) await harness.runner.start();
  return harness;
}

/** A fresh id for a SKU, so that tests never collide. */
export function freshSku(prefix = 'SKU'): string {
  return `${prefix}-${uuidv7().slice(-12)}`;
}
