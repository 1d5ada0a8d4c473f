import { migrate } from '@tally/database';
import {
  type AppendResult,
  eventStoreMigrations,
  type JsonValue,
  PostgresEventStore,
  type RecordedEvent,
  uuidv7,
} from '@tally/event-store';
import {
  type CommandEnvelope,
  type CommandReply,
  type CommandSender,
  messagingMigrations,
} from '@tally/messaging';
import { createTestSchema, type TestSchema } from '@tally/testing';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { AnyProcessDefinition } from '../runtime/process-definition';
import { ProcessMetrics } from '../runtime/process-metrics';
import { ProcessRuntime } from '../runtime/process-runtime';
import { ProcessTables } from '../runtime/process-tables';
import { sagasOwnMigrations } from '../sagas.migrations';

/** The reply command-api gives to a command it applied. */
export const accepted: CommandReply = { ok: true, version: 1, checkpoint: '' };

/**
 * Stands in for command-api in runtime tests: records every command it is sent and answers with
 * `respond` (accepted unless a test says otherwise). The NATS path is covered by its own test.
 */
export class RecordingCommandSender implements CommandSender {
  readonly sent: CommandEnvelope[] = [];
  respond: (command: CommandEnvelope) => CommandReply | Promise<CommandReply> = () => accepted;

  async send(command: CommandEnvelope): Promise<CommandReply> {
    this.sent.push(command);
    return this.respond(command);
  }

  /** Commands of `type`, in the order they were sent. */
  ofType(type: string): CommandEnvelope[] {
    return this.sent.filter((command) => command.type === type);
  }
}

/** A clock a test moves by hand. */
export class ManualClock {
  constructor(private current = new Date('2030-01-01T00:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface SagasHarness {
  readonly db: TestSchema;
  readonly store: PostgresEventStore;
  readonly tables: ProcessTables;
  readonly registry: Registry;
  readonly metrics: ProcessMetrics;
  readonly logger: pino.Logger;
  /** A runtime for `definition` over this schema. */
  runtime(
    definition: AnyProcessDefinition,
    commands: CommandSender,
    options?: { now?: () => Date; onScheduled?: (dueAt: Date) => void },
  ): ProcessRuntime;
  /** Appends one event (`data` as plain JSON) to `streamId` as command-api would, and returns it as stored. */
  append(streamId: string, type: string, data: unknown): Promise<RecordedEvent>;
  /** The events of a stream. */
  stream(streamId: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** A fresh schema with the event store, messaging and sagas tables. */
export async function startSagasHarness(processes: readonly string[] = ['widget']): Promise<SagasHarness> {
  const db = await createTestSchema('sagas');
  try {
    await migrate(db.client, [eventStoreMigrations, messagingMigrations, sagasOwnMigrations]);
  } catch (error) {
    await db.drop();
    throw error;
  }
  const store = new PostgresEventStore(db.client, { pollIntervalMs: 100 });
  const tables = new ProcessTables(db.client);
  const registry = new Registry();
  const metrics = new ProcessMetrics(registry, tables, processes);
  const logger = pino({ level: 'silent' });
  return {
    db,
    store,
    tables,
    registry,
    metrics,
    logger,
    runtime: (definition, commands, options = {}) =>
      new ProcessRuntime({ definition, store, tables, commands, metrics, logger, ...options }),
    async append(streamId, type, data) {
      const commandId = uuidv7();
      const result: AppendResult = await store.append(
        streamId,
        [
          {
            eventId: uuidv7(),
            type,
            data: data as JsonValue,
            metadata: {
              commandId,
              correlationId: `corr-${streamId}`,
              causationId: commandId,
              actor: { id: 'test', role: 'system' },
              occurredAt: '2030-01-01T00:00:00.000Z',
              schemaVersion: 1,
            },
          },
        ],
        { expectedVersion: 'any' },
      );
      const stored = await store.readStream(streamId, { fromVersion: result.nextVersion });
      const event = stored[0];
      if (!event) throw new Error(`${streamId} v${result.nextVersion} not found after append`);
      return event;
    },
    stream: (streamId) => store.readStream(streamId),
    async close() {
      await store.close();
      await db.drop();
    },
  };
}

/** Waits until `check` holds, polling every 25 ms; fails naming `what` after the deadline. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A metric's value for the given labels (0 when absent). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const found = values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return found?.value ?? 0;
}
