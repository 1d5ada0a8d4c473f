import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { migrate } from '@tally/database';
import {
  eventStoreMigrations,
  PostgresEventStore,
  uuidv7,
  type AppendResult,
  type RecordedEvent,
} from '@tally/event-store';
import { createTestSchema, type TestSchema } from '@tally/testing';
import { messagingMigrations } from '../messaging.migrations';
import type { MessagingLogger } from '../messaging-logger';

/** The shared NATS server of the test environment. */
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** A fresh subject prefix and stream name, so tests never see each other's messages. */
export function uniqueMessaging(): { prefix: string; streamName: string } {
  const token = randomBytes(5).toString('hex');
  return { prefix: `t${token}`, streamName: `T${token.toUpperCase()}_EVENTS` };
}

/** A logger that keeps what it was told, so tests can assert on alerts. */
export class RecordingLogger implements MessagingLogger {
  readonly entries: { level: 'info' | 'warn' | 'error'; obj: object; msg: string }[] = [];
  info(obj: object, msg: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  messages(level: 'info' | 'warn' | 'error'): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.msg);
  }
}

/** A handler from a synchronous body: its throw becomes the rejection a consumer sees. */
export function step(body: (event: RecordedEvent) => void): (event: RecordedEvent) => Promise<void> {
  return (event) =>
    Promise.resolve().then(() => {
      body(event);
    });
}

/** Waits until `check` holds, polling; fails with `what` after the deadline. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface StoreHarness {
  readonly db: TestSchema;
  readonly store: PostgresEventStore;
  /** Appends `count` events of `type` to `streamId` (one append), with fresh UUID v7 ids. */
  append(
    streamId: string,
    type: string,
    count?: number,
    data?: Record<string, string>,
  ): Promise<AppendResult>;
  /** Every event in the store, in global order. */
  readAll(): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

/** A fresh schema with the event store and messaging tables. */
export async function startStore(): Promise<StoreHarness> {
  const db = await createTestSchema('messaging');
  try {
    await migrate(db.client, [eventStoreMigrations, messagingMigrations]);
  } catch (error) {
    await db.drop();
    throw error;
  }
  const store = new PostgresEventStore(db.client, { pollIntervalMs: 200 });
  return {
    db,
    store,
    append(streamId, type, count = 1, data = {}) {
      const commandId = uuidv7();
      return store.append(
        streamId,
        Array.from({ length: count }, () => ({
          eventId: uuidv7(),
          type,
          data,
          metadata: {
            commandId,
            correlationId: commandId,
            causationId: commandId,
            actor: { id: 'test', role: 'system' },
            occurredAt: '2030-01-02T03:04:05.000Z',
            schemaVersion: 1,
          },
        })),
        { expectedVersion: 'any' },
      );
    },
    async readAll() {
      const events: RecordedEvent[] = [];
      let after = '';
      for (;;) {
        const page = await store.readAll({ after, limit: 1000 });
        events.push(...page.events);
        if (page.events.length === 0) return events;
        after = page.next;
      }
    },
    async close() {
      await store.close();
      await db.drop();
    },
  };
}

export interface NatsHarness {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Deletes the test's stream (if any) and closes the connection. */
  close(): Promise<void>;
}

export async function connectNats(streamName: string, servers = TEST_NATS_URL): Promise<NatsHarness> {
  const nc = await connect({ servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const jsm = await jetstreamManager(nc);
  return {
    nc,
    jsm,
    async close() {
      await jsm.streams.delete(streamName).catch(() => undefined);
      await nc.close();
    },
  };
}

/** Every message of a stream, in stream order, with its Nats-Msg-Id header. */
export async function streamMessages(
  jsm: JetStreamManager,
  streamName: string,
): Promise<{ seq: number; subject: string; msgId: string | undefined; event: RecordedEvent }[]> {
  const info = await jsm.streams.info(streamName);
  const messages = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await jsm.streams.getMessage(streamName, { seq });
    if (!stored) continue;
    messages.push({
      seq,
      subject: stored.subject,
      msgId: stored.header.get('Nats-Msg-Id') || undefined,
      event: stored.json<RecordedEvent>(),
    });
  }
  return messages;
}
