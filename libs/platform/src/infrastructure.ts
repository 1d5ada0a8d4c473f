import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type MigrationSet, migrate, openSqlClient, type SqlClient } from '@tally/database';
import { type EventStore, eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { resolveAuthSecret } from './auth/auth-secret';
import { type DataDirLock, lockDataDir } from './data-dir-lock';
import type { AppConfig } from './config/config';
import type { Logger } from './logging/logger';

/** What every app needs from the outside world; opened once per process and shared in embedded mode. */
export interface Infrastructure {
  readonly config: AppConfig;
  readonly sql: SqlClient;
  readonly eventStore: EventStore;
  readonly logger: Logger;
  /** Signs and verifies access tokens and cart cookies (see {@link resolveAuthSecret}). */
  readonly authSecret: string;
  close(): Promise<void>;
}

export interface OpenInfrastructureOptions {
  /** Migrations to apply besides the event store's (each app passes the sets it owns). */
  readonly migrations?: readonly MigrationSet[];
  readonly applicationName?: string;
}

/**
 * Opens PostgreSQL (or embedded PGlite under TALLY_DATA_DIR), applies migrations and builds the event store.
 * The EventStoreDB adapter is selected when EVENTSTORE_URL is set.
 */
export async function openInfrastructure(
  config: AppConfig,
  logger: Logger,
  options: OpenInfrastructureOptions = {},
): Promise<Infrastructure> {
  const authSecret = resolveAuthSecret(config);
  let dataDir: string | undefined;
  let lock: DataDirLock | undefined;
  if (config.mode === 'embedded') {
    dataDir = resolve(join(config.TALLY_DATA_DIR, 'pglite'));
    mkdirSync(dataDir, { recursive: true });
    lock = lockDataDir(dataDir, options.applicationName ?? 'tally');
  }
  let sql: SqlClient;
  try {
    sql = await openSqlClient({
      databaseUrl: config.DATABASE_URL,
      dataDir,
      maxConnections: config.DATABASE_POOL_SIZE,
      applicationName: options.applicationName,
    });
  } catch (error) {
    lock?.release();
    throw error;
  }
  let eventStore: EventStore;
  try {
    const applied = await migrate(sql, [eventStoreMigrations, ...(options.migrations ?? [])]);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');
    eventStore = await openEventStore(config, sql);
  } catch (error) {
    await sql.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
  logger.info(
    {
      mode: config.mode,
      database: config.mode === 'embedded' ? dataDir : redactUrl(config.DATABASE_URL),
      eventStore: config.EVENTSTORE_URL ? 'eventstoredb' : 'postgres',
    },
    'infrastructure ready',
  );
  return {
    config,
    sql,
    eventStore,
    logger,
    authSecret,
    async close() {
      await eventStore.close();
      await sql.close();
      lock?.release();
    },
  };
}

async function openEventStore(config: AppConfig, sql: SqlClient): Promise<EventStore> {
  if (config.EVENTSTORE_URL) {
    const { EventStoreDbEventStore } = await import('@tally/event-store');
    return EventStoreDbEventStore.connect(config.EVENTSTORE_URL);
  }
  return new PostgresEventStore(sql);
}

function redactUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
