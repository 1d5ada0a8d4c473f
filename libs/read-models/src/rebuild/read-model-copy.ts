import { createHash } from 'node:crypto';
import { quoteIdentifier, splitStatements, type SqlClient, type SqlExecutor } from '@tally/database';
import {
  START,
  type Checkpoint,
  type EventStore,
  type ReadAllResult,
  type RecordedEvent,
} from '@tally/event-store';
import type { Projection, ProjectionStorage } from '../projection';
import { isTransientError } from '../projection-runner';

/** A projection cannot be rebuilt or verified because it does not declare its tables. */
export class ProjectionNotRebuildableError extends Error {
  override readonly name = 'ProjectionNotRebuildableError';
  constructor(readonly projection: string) {
    super(`Projection '${projection}' declares no storage, so it cannot be rebuilt or verified`);
  }
}

/** Another rebuild (or verification) of the same projection is running against the same schema. */
export class RebuildInProgressError extends Error {
  override readonly name = 'RebuildInProgressError';
  constructor(
    readonly projection: string,
    readonly kind: CopyKind,
  ) {
    super(`A ${kind} of projection '${projection}' is already running`);
  }
}

/** What a second copy of a projection's tables is for. */
export type CopyKind = 'rebuild' | 'verify' | 'retired';

/** PostgreSQL truncates identifiers beyond 63 bytes, which would make two copies share a schema. */
const MAX_IDENTIFIER = 63;

/**
 * The schema that holds one copy of a projection's tables beside the live schema:
 * `<live>__<kind>_<projection>`, shortened with a hash of the full name when it would exceed 63 characters.
 */
export function copySchemaName(live: string, projection: string, kind: CopyKind): string {
  const full = `${live}__${kind}_${projection}`;
  if (full.length <= MAX_IDENTIFIER) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}`;
}

/** The schema the read models live in: the first schema on the client's search path. */
export async function liveSchemaOf(sql: SqlExecutor): Promise<string> {
  const { rows } = await sql.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('No current schema: the search path names no existing schema');
  return schema;
}

/** The storage of `projection`, or {@link ProjectionNotRebuildableError}. */
export function storageOf(projection: Projection): ProjectionStorage {
  if (!projection.storage) throw new ProjectionNotRebuildableError(projection.name);
  return projection.storage;
}

/** Drops `schema` (if any) and creates it holding an empty set of the projection's tables. */
export async function createCopy(
  tx: SqlExecutor,
  storage: ProjectionStorage,
  live: string,
  schema: string,
): Promise<void> {
  await tx.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
  await tx.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
  // The copy first, so that unqualified DDL lands there; the live schema and public after it for what
  // the DDL only refers to (extensions, types).
  await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(schema)}, ${quoteIdentifier(live)}, public`);
  for (const migration of [...storage.migrations].sort((a, b) => a.id.localeCompare(b.id))) {
    for (const statement of splitStatements(migration.sql)) await tx.query(statement);
  }
  await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(live)}, public`);
}

// Where a copy keeps the DDL of what it deferred until the fill is done, so a resumed rebuild still has it.
const DEFERRED = 'tally_deferred_ddl';

/**
 * Drops the copy's `names` (non-unique indexes and foreign keys; see
 * `ProjectionStorage.deferredDuringRebuild`), keeping the statements that create them again in the copy
 * for {@link createDeferred}. A name the copy does not have is a mistake in the storage and throws.
 */
export async function deferIndexes(tx: SqlExecutor, copy: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const { rows } = await tx.query<{ name: string; create: string; drop: string; kind: string }>(
    `SELECT c.conname AS name, 'f' AS kind,
       format('ALTER TABLE %I.%I ADD CONSTRAINT %I %s', n.nspname, t.relname, c.conname,
         pg_get_constraintdef(c.oid)) AS create,
       format('ALTER TABLE %I.%I DROP CONSTRAINT %I', n.nspname, t.relname, c.conname) AS drop
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = $1 AND c.contype = 'f' AND c.conname = ANY($2::text[])
     UNION ALL
     SELECT i.relname, 'i', pg_get_indexdef(i.oid), format('DROP INDEX %I.%I', n.nspname, i.relname)
     FROM pg_index x
     JOIN pg_class i ON i.oid = x.indexrelid
     JOIN pg_namespace n ON n.oid = i.relnamespace
     WHERE n.nspname = $1 AND NOT x.indisunique AND i.relname = ANY($2::text[])`,
    [copy, names],
  );
  const missing = names.filter((name) => !rows.some((row) => row.name === name));
  if (missing.length > 0) {
    throw new Error(
      `Cannot defer ${missing.join(', ')}: not a foreign key or non-unique index of the copy in ${copy}`,
    );
  }
  const table = `${quoteIdentifier(copy)}.${DEFERRED}`;
  await tx.query(`CREATE TABLE ${table} (n int PRIMARY KEY, ddl text NOT NULL)`);
  // Indexes before keys: a key's check then reads through whatever index it may use.
  const ordered = [...rows].sort((a, b) => a.kind.localeCompare(b.kind) * -1);
  await tx.query(
    `INSERT INTO ${table} (n, ddl) SELECT n::int, ddl FROM unnest($1::text[]) WITH ORDINALITY AS d(ddl, n)`,
    [ordered.map((row) => row.create)],
  );
  for (const row of ordered) await tx.query(row.drop);
}

/** Creates what {@link deferIndexes} dropped from the copy; nothing when it deferred nothing or ran already. */
export async function createDeferred(sql: SqlClient, copy: string): Promise<number> {
  return sql.transaction(async (tx) => {
    const { rows: found } = await tx.query<{ found: boolean }>(
      'SELECT to_regclass($1) IS NOT NULL AS found',
      [`${quoteIdentifier(copy)}.${DEFERRED}`],
    );
    if (found[0]?.found !== true) return 0;
    const table = `${quoteIdentifier(copy)}.${DEFERRED}`;
    const { rows } = await tx.query<{ ddl: string }>(`SELECT ddl FROM ${table} ORDER BY n`);
    for (const row of rows) await tx.query(row.ddl);
    await tx.query(`DROP TABLE ${table}`);
    return rows.length;
  });
}

export async function schemaExists(sql: SqlExecutor, schema: string): Promise<boolean> {
  const { rows } = await sql.query<{ found: boolean }>(
    'SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found',
    [schema],
  );
  return rows[0]?.found === true;
}

export async function dropSchema(sql: SqlExecutor, schema: string): Promise<void> {
  await sql.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`);
}

/**
 * Events of the projection's types in the log, for a progress estimate. The port has no count, so this
 * asks the Postgres store's table directly when it is in the same database; `undefined` otherwise
 * (EventStoreDB), and the progress shows no total.
 */
export async function countEvents(sql: SqlClient, types: readonly string[]): Promise<number | undefined> {
  try {
    const { rows } = await sql.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM events WHERE type = ANY($1::text[])',
      [types],
    );
    return rows[0]?.n;
  } catch {
    return undefined;
  }
}

/** Runs `work` unless another session holds the lock of this copy; the lock ends with the session. */
export async function withCopyLock<T>(
  sql: SqlClient,
  live: string,
  projection: string,
  kind: CopyKind,
  work: () => Promise<T>,
): Promise<T> {
  const key = `${live}.${projection}.${kind}`;
  // PGlite has one session, in which advisory locks stack: guard its callers within the process.
  let inProcess = running.get(sql);
  if (!inProcess) running.set(sql, (inProcess = new Set()));
  if (inProcess.has(key)) throw new RebuildInProgressError(projection, kind);
  inProcess.add(key);
  try {
    return await sql.session(async (session) => {
      const { rows } = await session.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked',
        [COPY_LOCK, key],
      );
      if (rows[0]?.locked !== true) throw new RebuildInProgressError(projection, kind);
      try {
        return await work();
      } finally {
        await session.query('SELECT pg_advisory_unlock($1, hashtext($2))', [COPY_LOCK, key]);
      }
    });
  } finally {
    inProcess.delete(key);
  }
}

// Any fixed number (the migrator uses 7_341_001): the first half of a two-part advisory lock key.
const COPY_LOCK = 7_341_002;
const running = new WeakMap<SqlClient, Set<string>>();

/** What a batch applied to a copy did. */
export interface AppliedBatch {
  readonly applied: number;
  readonly poison: number;
}

/**
 * Applies `events` to the copy in `schema` within `tx`. A batch whose handler throws is applied again
 * event by event under savepoints, like the runner does: with `recordPoisonIn` the events that fail are
 * recorded in that schema's `projection_poison_events`, and either way they are skipped, so that a
 * rebuilt copy matches what the runner would have built.
 */
export async function applyToCopy(
  tx: SqlExecutor,
  projection: Projection,
  events: readonly RecordedEvent[],
  recordPoisonIn?: string,
): Promise<AppliedBatch> {
  if (events.length === 0) return { applied: 0, poison: 0 };
  await tx.query('SAVEPOINT tally_copy_batch');
  try {
    await projection.apply(tx, events);
    await tx.query('RELEASE SAVEPOINT tally_copy_batch');
    return { applied: events.length, poison: 0 };
  } catch (error) {
    if (isTransientError(error)) throw error;
    await tx.query('ROLLBACK TO SAVEPOINT tally_copy_batch');
    await tx.query('RELEASE SAVEPOINT tally_copy_batch');
  }
  let poison = 0;
  for (const event of events) {
    await tx.query('SAVEPOINT tally_copy_event');
    try {
      await projection.apply(tx, [event]);
      await tx.query('RELEASE SAVEPOINT tally_copy_event');
    } catch (error) {
      if (isTransientError(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT tally_copy_event');
      await tx.query('RELEASE SAVEPOINT tally_copy_event');
      poison += 1;
      if (recordPoisonIn !== undefined) {
        await tx.query(
          `INSERT INTO ${quoteIdentifier(recordPoisonIn)}.projection_poison_events
             (projection, event_id, position, stream_id, version, type, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (projection, event_id) DO UPDATE SET error = EXCLUDED.error, recorded_at = now()`,
          [
            projection.name,
            event.eventId,
            event.position,
            event.streamId,
            event.version,
            event.type,
            error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 2000) : String(error),
          ],
        );
      }
    }
  }
  return { applied: events.length - poison, poison };
}

/** Puts the copy first on the search path of `tx`, so that the projection's handlers write there. */
export async function targetCopy(tx: SqlExecutor, copy: string, live: string): Promise<void> {
  await tx.query(`SET LOCAL search_path TO ${quoteIdentifier(copy)}, ${quoteIdentifier(live)}, public`);
}

export interface FillOptions {
  readonly sql: SqlClient;
  readonly store: EventStore;
  readonly projection: Projection;
  readonly live: string;
  readonly copy: string;
  readonly from: Checkpoint;
  /** Stop at this checkpoint (events after it are left out); default: the head of the log. */
  readonly until?: Checkpoint;
  readonly batchSize: number;
  readonly signal?: AbortSignal | undefined;
  /** Record poison events in the live schema's table (a rebuild) rather than only skipping them. */
  readonly recordPoison: boolean;
  /** Runs in each batch's transaction after the events were applied (progress rows). */
  readonly persist?: (tx: SqlExecutor, checkpoint: Checkpoint, batch: AppliedBatch) => Promise<void>;
  /** Called after each batch committed. */
  readonly onBatch?: (checkpoint: Checkpoint, batch: AppliedBatch) => Promise<void> | void;
}

/**
 * Pages the fill may read ahead of the one being applied. Set-based handlers apply a page in about the
 * time the store takes to deliver one, and the two vary (a page of product events, a page of orders): two
 * pages of slack keep the reader from waiting for a slow apply, and the applier from waiting for a slow read.
 */
const READ_AHEAD = 2;

/** A page read, and where it was read from. */
interface FetchedPage {
  readonly after: Checkpoint;
  readonly page: ReadAllResult;
}

/**
 * Fills the copy from `from` to the head (or `until`), one transaction per batch. The copy is not served
 * while it fills, so commits need not wait for the WAL flush: a crash loses at most the last batches,
 * and their checkpoint with them. The store is read up to {@link READ_AHEAD} pages ahead of the batch
 * being applied, each read starting as soon as the one before it returned.
 */
export async function fillCopy(options: FillOptions): Promise<Checkpoint> {
  const { sql, store, projection, live, copy, until, batchSize, signal } = options;
  let after = options.from;
  if (until !== undefined && after >= until) return after;
  const readAfter = (at: Checkpoint): Promise<FetchedPage> =>
    store
      .readAll({ after: at, limit: batchSize, types: projection.eventTypes })
      .then((page) => ({ after: at, page }));
  // The last page: nothing new (the head), or the one that reaches `until`.
  const isLast = ({ after: at, page }: FetchedPage) =>
    (page.events.length === 0 && page.next <= at) || (until !== undefined && page.next >= until);
  // A read that fails while a batch is applied must not be an unhandled rejection: each promise gets a
  // handler when it is made, and the failure surfaces when the loop awaits it.
  const handled = <T>(promise: Promise<T>): Promise<T> => {
    promise.catch(() => undefined);
    return promise;
  };
  let newest: Promise<FetchedPage | undefined> = handled(readAfter(after));
  const ahead = [newest];
  for (;;) {
    while (ahead.length < READ_AHEAD) {
      newest = handled(
        newest.then((fetched) => (fetched && !isLast(fetched) ? readAfter(fetched.page.next) : undefined)),
      );
      ahead.push(newest);
    }
    signal?.throwIfAborted();
    const fetched = await ahead.shift();
    if (!fetched) return after;
    const { events, next } = fetched.page;
    if (events.length === 0 && next <= after) return after;
    const reachedUntil = until !== undefined && next >= until;
    const checkpoint = reachedUntil ? until : next;
    const batch = reachedUntil ? events.filter((event) => event.position <= until) : events;
    const recordPoisonIn = options.recordPoison ? live : undefined;
    const parts = partitionBatch(projection, batch, sql.dialect === 'pglite' ? 1 : PARTITIONS);
    let applied: AppliedBatch;
    if (parts.length <= 1) {
      applied = await sql.transaction(async (tx) => {
        await tx.query('SET LOCAL synchronous_commit = off');
        await targetCopy(tx, copy, live);
        const result = await applyToCopy(tx, projection, batch, recordPoisonIn);
        await options.persist?.(tx, checkpoint, result);
        return result;
      });
    } else {
      // Until the checkpoint below commits, a crash replays the whole batch: the parts that committed
      // change nothing the second time (the handlers are idempotent).
      const results = await Promise.all(
        parts.map((part) =>
          sql.transaction(async (tx) => {
            await tx.query('SET LOCAL synchronous_commit = off');
            await targetCopy(tx, copy, live);
            return applyToCopy(tx, projection, part, recordPoisonIn);
          }),
        ),
      );
      applied = {
        applied: results.reduce((sum, result) => sum + result.applied, 0),
        poison: results.reduce((sum, result) => sum + result.poison, 0),
      };
      await sql.transaction(async (tx) => {
        await options.persist?.(tx, checkpoint, applied);
      });
    }
    after = checkpoint;
    await options.onBatch?.(checkpoint, applied);
    if (reachedUntil) return after;
  }
}

// Concurrent transactions per batch for a projection with a partition key: one per processor of the
// machine Tally is measured on, where PostgreSQL's work per batch is what a rebuild waits for.
const PARTITIONS = 2;

/**
 * The batch split by the projection's partition key into at most `count` parts, each in log order; one
 * part (the batch) when the projection has no key or an event lacks one.
 */
export function partitionBatch(
  projection: Projection,
  batch: readonly RecordedEvent[],
  count: number,
): (readonly RecordedEvent[])[] {
  const keyOf = projection.partitionKey;
  if (!keyOf || count <= 1 || batch.length < 2) return [batch];
  const parts: RecordedEvent[][] = Array.from({ length: count }, () => []);
  for (const event of batch) {
    const key = keyOf(event);
    if (key === undefined) return [batch];
    parts[fnv1a(key) % count]?.push(event);
  }
  return parts.filter((part) => part.length > 0);
}

/** FNV-1a over the string's UTF-16 code units: a cheap, stable spread of keys over parts. */
function fnv1a(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Inside `tx` (which holds the live checkpoint row), applies the events after `from` up to `until` to the
 * copy. Reads go through the store's own connections, so this is only for a pool (PostgreSQL): PGlite's
 * single connection is busy with `tx`.
 */
export async function catchUpWithin(
  tx: SqlExecutor,
  store: EventStore,
  projection: Projection,
  from: Checkpoint,
  until: Checkpoint,
  batchSize: number,
  recordPoisonIn: string | undefined,
): Promise<number> {
  let after = from;
  let applied = 0;
  while (after < until) {
    const { events, next } = await store.readAll({ after, limit: batchSize, types: projection.eventTypes });
    if (events.length === 0 && next <= after) break;
    const batch = events.filter((event) => event.position <= until);
    applied += (await applyToCopy(tx, projection, batch, recordPoisonIn)).applied;
    after = next;
  }
  return applied;
}

/** The live checkpoint of `projection`, locked until `tx` ends (the runner's next batch waits). */
export async function lockLiveCheckpoint(
  tx: SqlExecutor,
  live: string,
  projection: string,
): Promise<{ checkpoint: Checkpoint; eventsProcessed: number }> {
  const { rows } = await tx.query<{ checkpoint: string; events_processed: string }>(
    `SELECT checkpoint, events_processed::text FROM ${quoteIdentifier(live)}.projection_checkpoints
     WHERE name = $1 FOR UPDATE`,
    [projection],
  );
  const row = rows[0];
  return { checkpoint: row?.checkpoint ?? START, eventsProcessed: Number(row?.events_processed ?? 0) };
}

/** The checkpoint row exists from now on, so that it can be locked. */
export async function ensureCheckpointRow(sql: SqlExecutor, live: string, projection: string): Promise<void> {
  await sql.query(
    `INSERT INTO ${quoteIdentifier(live)}.projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`,
    [projection],
  );
}

/** The live checkpoint moved past the copy while it could not be caught up in the same transaction. */
export class CopyOvertakenError extends Error {
  override readonly name = 'CopyOvertakenError';
}

/** Lock waits that timed out, and a copy overtaken by the live runner: worth another attempt. */
export function isRetryableSwitchError(error: unknown): boolean {
  if (error instanceof CopyOvertakenError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === '55P03' || code === '40P01' || code === '40001';
}
