import { quoteIdentifier, type SqlClient, type SqlExecutor } from '@tally/database';
import { START, type Checkpoint, type EventStore } from '@tally/event-store';
import { PROJECTIONS_CHANNEL } from '../consistency';
import type { Projection } from '../projection';
import type { ProjectionLogger } from '../projection-runner';
import {
  type AppliedBatch,
  catchUpWithin,
  copySchemaName,
  CopyOvertakenError,
  countEvents,
  createCopy,
  createDeferred,
  deferIndexes,
  dropSchema,
  ensureCheckpointRow,
  fillCopy,
  isRetryableSwitchError,
  liveSchemaOf,
  lockLiveCheckpoint,
  schemaExists,
  storageOf,
  targetCopy,
  withCopyLock,
} from './read-model-copy';

/** Where a rebuild stands, reported after every batch. */
export interface RebuildProgress {
  readonly projection: string;
  /** `indexing`: creating the indexes and keys the fill went without (`deferredDuringRebuild`). */
  readonly phase: 'filling' | 'indexing' | 'switching' | 'switched';
  /** Events applied to the new copy since it was created (including before a resume). */
  readonly processed: number;
  /** Events of the projection's types in the log when the rebuild (re)started; grows with new events. */
  readonly total: number | undefined;
  /** Over this run only (a resumed rebuild does not count what it inherited). */
  readonly eventsPerSecond: number;
  readonly etaSeconds: number | undefined;
  readonly checkpoint: Checkpoint;
}

export interface RebuildOptions {
  readonly sql: SqlClient;
  readonly store: EventStore;
  readonly projection: Projection;
  readonly logger?: ProjectionLogger;
  /** Awaited: a slow callback slows the rebuild. */
  readonly onProgress?: (progress: RebuildProgress) => void | Promise<void>;
  /** Events per fill (a page of the log, applied in one or, by partition key, a few transactions); default 40 000. */
  readonly batchSize?: number;
  /** Aborting stops after the batch in flight; the copy and its checkpoint stay, to be resumed. */
  readonly signal?: AbortSignal;
  /** How long the switch waits for each lock (the live checkpoint row, the live tables); default 5 s. */
  readonly lockTimeoutMs?: number;
  /** Switch attempts before giving up (the copy stays, to be resumed); default 10. */
  readonly switchAttempts?: number;
  readonly now?: () => number;
}

export interface RebuildResult {
  readonly projection: string;
  /** The live checkpoint right after the switch. */
  readonly checkpoint: Checkpoint;
  readonly eventsProcessed: number;
  /** True when the rebuild continued an interrupted one rather than starting from the first event. */
  readonly resumed: boolean;
  readonly seconds: number;
}

/** The latest rebuild of one projection, from `projection_rebuilds`. */
export interface ProjectionRebuildStatus {
  readonly name: string;
  readonly schema: string;
  readonly state: 'running' | 'switched' | 'failed';
  readonly checkpoint: Checkpoint;
  readonly eventsProcessed: number;
  readonly totalEstimate: number | null;
  readonly startedAt: Date;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
  readonly error: string | null;
}

/**
 * Rebuilds a projection blue/green (DESIGN.md §6): a new copy of its tables in the schema
 * `<live>__rebuild_<name>` is filled from the first event with the projection's own handlers while the
 * live copy keeps serving and its runner keeps applying new events; once the copy has caught up with the
 * head, one transaction locks the live checkpoint row (the runner's next batch waits), applies to the copy
 * whatever the live runner had already applied beyond it, swaps the tables (`ALTER TABLE … SET SCHEMA`:
 * indexes and constraints move with them; views over them are re-created, see
 * `ProjectionStorage.afterSwitch`), and moves the live checkpoint to the copy's. Readers wait only
 * for the swap itself, and never longer than the lock timeout: past it the switch is tried again.
 *
 * Progress goes to `projection_rebuilds` in the same transaction as each batch, so a rebuild that was
 * interrupted (process killed, aborted, failed) continues from its checkpoint when started again.
 * Only one rebuild of a projection runs at a time ({@link RebuildInProgressError}).
 */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildResult> {
  const { sql, store, projection } = options;
  const storage = storageOf(projection);
  const live = await liveSchemaOf(sql);
  const copy = copySchemaName(live, projection.name, 'rebuild');
  const retired = copySchemaName(live, projection.name, 'retired');
  const rebuilds = `${quoteIdentifier(live)}.projection_rebuilds`;
  const batchSize = options.batchSize ?? 40_000;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const name = projection.name;

  return withCopyLock(sql, live, name, 'rebuild', async () => {
    await ensureCheckpointRow(sql, live, name);
    let total = await countEvents(sql, projection.eventTypes);
    const start = await sql.transaction(async (tx) => {
      const previous = await rebuildRow(tx, rebuilds, name, true);
      if (
        previous &&
        previous.state !== 'switched' &&
        previous.schema === copy &&
        (await schemaExists(tx, copy))
      ) {
        await tx.query(
          `UPDATE ${rebuilds} SET state = 'running', error = NULL, finished_at = NULL,
             total_estimate = $2, updated_at = now() WHERE name = $1`,
          [name, total ?? null],
        );
        return { checkpoint: previous.checkpoint, processed: previous.eventsProcessed, resumed: true };
      }
      await createCopy(tx, storage, live, copy);
      await deferIndexes(tx, copy, storage.deferredDuringRebuild ?? []);
      await tx.query(
        `INSERT INTO ${rebuilds} (name, schema, checkpoint, events_processed, total_estimate, state,
           started_at, updated_at, finished_at, error)
         VALUES ($1, $2, '', 0, $3, 'running', now(), now(), NULL, NULL)
         ON CONFLICT (name) DO UPDATE SET schema = EXCLUDED.schema, checkpoint = '', events_processed = 0,
           total_estimate = EXCLUDED.total_estimate, state = 'running', started_at = now(),
           updated_at = now(), finished_at = NULL, error = NULL`,
        [name, copy, total ?? null],
      );
      return { checkpoint: START, processed: 0, resumed: false };
    });
    options.logger?.info(
      { projection: name, schema: copy, from: start.checkpoint, processed: start.processed, total },
      start.resumed ? 'projection rebuild resumed' : 'projection rebuild started',
    );

    let processed = start.processed;
    let checkpoint = start.checkpoint;
    const report = async (phase: RebuildProgress['phase']) => {
      if (!options.onProgress) return;
      const seconds = Math.max(0.001, (now() - startedAt) / 1000);
      const eventsPerSecond = (processed - start.processed) / seconds;
      if (total !== undefined && processed > total) total = processed;
      await options.onProgress({
        projection: name,
        phase,
        processed,
        total,
        eventsPerSecond,
        etaSeconds:
          total !== undefined && eventsPerSecond > 0
            ? Math.max(0, total - processed) / eventsPerSecond
            : undefined,
        checkpoint,
      });
    };
    const fillToHead = () =>
      fillCopy({
        sql,
        store,
        projection,
        live,
        copy,
        from: checkpoint,
        batchSize,
        signal: options.signal,
        recordPoison: true,
        persist: (tx, at, batch) => saveProgress(tx, rebuilds, name, at, batch),
        onBatch: async (at, batch) => {
          checkpoint = at;
          processed += batch.applied;
          await report('filling');
        },
      });

    try {
      await report('filling');
      checkpoint = await fillToHead();
      await report('indexing');
      await createDeferred(sql, copy);
      const attempts = options.switchAttempts ?? 10;
      for (let attempt = 1; ; attempt++) {
        await report('switching');
        try {
          const switched = await sql.transaction((tx) =>
            switchTables(tx, {
              store,
              projection,
              tables: storage.tables,
              live,
              copy,
              retired,
              rebuilds,
              checkpoint,
              processed,
              batchSize,
              lockTimeoutMs: options.lockTimeoutMs ?? 5000,
              canReadWithin: sql.dialect !== 'pglite',
            }),
          );
          checkpoint = switched.checkpoint;
          processed = switched.processed;
          break;
        } catch (error) {
          if (!isRetryableSwitchError(error) || attempt >= attempts) throw error;
          options.logger?.warn(
            { projection: name, attempt, err: error },
            'projection rebuild could not switch yet; catching up and trying again',
          );
          options.signal?.throwIfAborted();
          await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt)));
          checkpoint = await fillToHead();
        }
      }
    } catch (error) {
      await sql
        .query(
          `UPDATE ${rebuilds} SET state = 'failed', error = $2, updated_at = now(), finished_at = now()
           WHERE name = $1 AND state = 'running'`,
          [name, describe(error)],
        )
        .catch(() => undefined);
      options.logger?.error(
        { projection: name, err: error, checkpoint, processed },
        'projection rebuild stopped; starting it again resumes from its checkpoint',
      );
      throw error;
    }
    // The old tables are in their own schema now, out of every search path.
    await dropSchema(sql, retired);
    await dropSchema(sql, copy);
    await report('switched');
    const seconds = (now() - startedAt) / 1000;
    options.logger?.info(
      { projection: name, checkpoint, processed, seconds },
      'projection rebuilt and switched',
    );
    return { projection: name, checkpoint, eventsProcessed: processed, resumed: start.resumed, seconds };
  });
}

interface SwitchInput {
  readonly store: EventStore;
  readonly projection: Projection;
  readonly tables: readonly string[];
  readonly live: string;
  readonly copy: string;
  readonly retired: string;
  readonly rebuilds: string;
  readonly checkpoint: Checkpoint;
  readonly processed: number;
  readonly batchSize: number;
  readonly lockTimeoutMs: number;
  /** False on PGlite, whose one connection is taken by this transaction. */
  readonly canReadWithin: boolean;
}

/** The switch: one transaction, so readers see either the old tables or the new ones. */
async function switchTables(
  tx: SqlExecutor,
  input: SwitchInput,
): Promise<{ checkpoint: Checkpoint; processed: number }> {
  const { projection, live, copy, retired, rebuilds } = input;
  const liveQ = quoteIdentifier(live);
  await tx.query(`SET LOCAL lock_timeout = '${Math.max(1, Math.round(input.lockTimeoutMs))}ms'`);
  const current = await lockLiveCheckpoint(tx, live, projection.name);
  let checkpoint = input.checkpoint;
  let processed = input.processed;
  if (current.checkpoint > checkpoint) {
    // The live runner applied events the copy has not seen yet (appended after the fill reached the head).
    if (!input.canReadWithin) throw new CopyOvertakenError('the live projection moved past the copy');
    await targetCopy(tx, copy, live);
    processed += await catchUpWithin(
      tx,
      input.store,
      projection,
      checkpoint,
      current.checkpoint,
      input.batchSize,
      live,
    );
    checkpoint = current.checkpoint;
  }
  // Beyond the live checkpoint the copy is ahead: the runner skips what the copy has already applied.
  await tx.query(`SET LOCAL search_path TO ${liveQ}, public`);
  const existing = await existingTables(tx, live, input.tables);
  if (existing.length > 0) {
    await tx.query(
      `LOCK TABLE ${existing.map((t) => `${liveQ}.${quoteIdentifier(t)}`).join(', ')} IN ACCESS EXCLUSIVE MODE`,
    );
  }
  await tx.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(retired)} CASCADE`);
  await tx.query(`CREATE SCHEMA ${quoteIdentifier(retired)}`);
  // Views stay bound to the tables they were created on, which are about to retire: drop them here and
  // create them again over the new tables below. Whatever else depends on them goes too (CASCADE), as
  // whatever depends on the retired tables goes with their schema.
  const afterSwitch = projection.storage?.afterSwitch;
  for (const view of [...(afterSwitch?.dropViews ?? [])].reverse()) {
    await tx.query(`DROP VIEW IF EXISTS ${liveQ}.${quoteIdentifier(view)} CASCADE`);
  }
  for (const table of existing) {
    await tx.query(`ALTER TABLE ${liveQ}.${quoteIdentifier(table)} SET SCHEMA ${quoteIdentifier(retired)}`);
  }
  for (const table of input.tables) {
    await tx.query(`ALTER TABLE ${quoteIdentifier(copy)}.${quoteIdentifier(table)} SET SCHEMA ${liveQ}`);
  }
  // The search path still puts the live schema first: what `recreate` creates unqualified lands there.
  await afterSwitch?.recreate(tx);
  await tx.query(
    `UPDATE ${liveQ}.projection_checkpoints SET checkpoint = $2, events_processed = $3, updated_at = now()
     WHERE name = $1`,
    [projection.name, checkpoint, processed],
  );
  await tx.query(
    `UPDATE ${rebuilds} SET state = 'switched', checkpoint = $2, events_processed = $3, updated_at = now(),
       finished_at = now(), error = NULL
     WHERE name = $1`,
    [projection.name, checkpoint, processed],
  );
  // Wakes consistency waiters: the projection may have jumped past their token.
  await tx.query('SELECT pg_notify($1, $2)', [PROJECTIONS_CHANNEL, projection.name]);
  return { checkpoint, processed };
}

async function existingTables(tx: SqlExecutor, schema: string, tables: readonly string[]): Promise<string[]> {
  const { rows } = await tx.query<{ table_name: string }>(
    `SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = ANY($2::text[]) AND c.relkind IN ('r', 'p')`,
    [schema, tables],
  );
  const found = new Set(rows.map((row) => row.table_name));
  return tables.filter((table) => found.has(table));
}

async function saveProgress(
  tx: SqlExecutor,
  rebuilds: string,
  name: string,
  checkpoint: Checkpoint,
  batch: AppliedBatch,
): Promise<void> {
  await tx.query(
    `UPDATE ${rebuilds} SET checkpoint = $2, events_processed = events_processed + $3,
       total_estimate = CASE WHEN total_estimate IS NOT NULL
         THEN greatest(total_estimate, events_processed + $3) END,
       updated_at = now()
     WHERE name = $1`,
    [name, checkpoint, batch.applied],
  );
}

interface RebuildRow {
  readonly schema: string;
  readonly state: ProjectionRebuildStatus['state'];
  readonly checkpoint: Checkpoint;
  readonly eventsProcessed: number;
}

async function rebuildRow(
  tx: SqlExecutor,
  rebuilds: string,
  name: string,
  lock: boolean,
): Promise<RebuildRow | undefined> {
  const { rows } = await tx.query<{
    schema: string;
    state: ProjectionRebuildStatus['state'];
    checkpoint: string;
    events_processed: string;
  }>(
    `SELECT schema, state, checkpoint, events_processed::text FROM ${rebuilds} WHERE name = $1${lock ? ' FOR UPDATE' : ''}`,
    [name],
  );
  const row = rows[0];
  return row
    ? {
        schema: row.schema,
        state: row.state,
        checkpoint: row.checkpoint,
        eventsProcessed: Number(row.events_processed),
      }
    : undefined;
}

/** The latest rebuild of each projection that was ever rebuilt. */
export async function projectionRebuilds(sql: SqlExecutor): Promise<ProjectionRebuildStatus[]> {
  const { rows } = await sql.query<{
    name: string;
    schema: string;
    state: ProjectionRebuildStatus['state'];
    checkpoint: string;
    events_processed: string;
    total_estimate: string | null;
    started_at: Date;
    updated_at: Date;
    finished_at: Date | null;
    error: string | null;
  }>(
    `SELECT name, schema, state, checkpoint, events_processed::text, total_estimate::text, started_at,
       updated_at, finished_at, error
     FROM projection_rebuilds ORDER BY name`,
  );
  return rows.map((row) => ({
    name: row.name,
    schema: row.schema,
    state: row.state,
    checkpoint: row.checkpoint,
    eventsProcessed: Number(row.events_processed),
    totalEstimate: row.total_estimate === null ? null : Number(row.total_estimate),
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    error: row.error,
  }));
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}
