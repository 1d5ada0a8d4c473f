import { quoteIdentifier, type SqlClient, type SqlExecutor } from '@tally/database';
import { START, type Checkpoint, type EventStore } from '@tally/event-store';
import type { Projection, ProjectionStorage } from '../projection';
import {
  catchUpWithin,
  copySchemaName,
  CopyOvertakenError,
  createCopy,
  dropSchema,
  fillCopy,
  isRetryableSwitchError,
  liveSchemaOf,
  lockLiveCheckpoint,
  storageOf,
  targetCopy,
  withCopyLock,
} from './read-model-copy';

/** How one table of the live read model compares with a copy rebuilt from the events. */
export interface TableDiff {
  readonly table: string;
  readonly liveRows: number;
  readonly rebuiltRows: number;
  /** Rows the rebuilt copy has and the live table lacks (counted with multiplicity). */
  readonly missing: number;
  /** Rows the live table has and no rebuild produces. */
  readonly unexpected: number;
  /** Up to {@link SAMPLE_ROWS} rows each way, every column as text (volatile columns left out). */
  readonly samples: {
    readonly missing: readonly Record<string, string | null>[];
    readonly unexpected: readonly Record<string, string | null>[];
  };
}

export interface VerifyReport {
  readonly projection: string;
  /** The live checkpoint both copies were compared at. */
  readonly checkpoint: Checkpoint;
  readonly tables: readonly TableDiff[];
  /** True when every table holds exactly the same rows in both copies. */
  readonly identical: boolean;
}

export interface VerifyOptions {
  readonly sql: SqlClient;
  readonly store: EventStore;
  readonly projection: Projection;
  /** Events per fill transaction; default 10 000. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after each filled batch with the events applied so far. */
  readonly onProgress?: (processed: number) => void | Promise<void>;
  /** How long the final comparison waits for the live checkpoint row; default 5 s. */
  readonly lockTimeoutMs?: number;
  readonly attempts?: number;
}

export const SAMPLE_ROWS = 10;

/**
 * Checks a live read model against the events: rebuilds the projection into a scratch schema
 * (`<live>__verify_<name>`) up to the live checkpoint, then, in one transaction holding the live checkpoint
 * row (so the runner cannot move it), brings the scratch copy to exactly that checkpoint and compares
 * each table both ways with `EXCEPT ALL`. The live read model is only read; the scratch schema is dropped.
 */
export async function verifyProjection(options: VerifyOptions): Promise<VerifyReport> {
  const { sql, store, projection } = options;
  const storage = storageOf(projection);
  const live = await liveSchemaOf(sql);
  const scratch = copySchemaName(live, projection.name, 'verify');
  const batchSize = options.batchSize ?? 10_000;
  const attempts = options.attempts ?? 10;

  return withCopyLock(sql, live, projection.name, 'verify', async () => {
    try {
      await sql.transaction((tx) => createCopy(tx, storage, live, scratch));
      let processed = 0;
      const fillTo = (from: Checkpoint, until: Checkpoint) =>
        fillCopy({
          sql,
          store,
          projection,
          live,
          copy: scratch,
          from,
          until,
          batchSize,
          signal: options.signal,
          recordPoison: false,
          onBatch: async (_, batch) => {
            processed += batch.applied;
            await options.onProgress?.(processed);
          },
        });
      let checkpoint = await fillTo(START, await liveCheckpoint(sql, live, projection.name));
      for (let attempt = 1; ; attempt++) {
        try {
          return await sql.transaction(async (tx) => {
            await tx.query(`SET LOCAL lock_timeout = '${Math.max(1, options.lockTimeoutMs ?? 5000)}ms'`);
            const current = await lockLiveCheckpoint(tx, live, projection.name);
            if (current.checkpoint > checkpoint) {
              if (sql.dialect === 'pglite') throw new CopyOvertakenError('the live projection moved on');
              await targetCopy(tx, scratch, live);
              await catchUpWithin(
                tx,
                store,
                projection,
                checkpoint,
                current.checkpoint,
                batchSize,
                undefined,
              );
            }
            const tables: TableDiff[] = [];
            for (const table of storage.tables)
              tables.push(await diffTable(tx, storage, live, scratch, table));
            return {
              projection: projection.name,
              checkpoint: current.checkpoint > checkpoint ? current.checkpoint : checkpoint,
              tables,
              identical: tables.every((t) => t.missing === 0 && t.unexpected === 0),
            };
          });
        } catch (error) {
          if (!isRetryableSwitchError(error) || attempt >= attempts) throw error;
          options.signal?.throwIfAborted();
          checkpoint = await fillTo(checkpoint, await liveCheckpoint(sql, live, projection.name));
        }
      }
    } finally {
      await dropSchema(sql, scratch);
    }
  });
}

async function liveCheckpoint(sql: SqlExecutor, live: string, name: string): Promise<Checkpoint> {
  const { rows } = await sql.query<{ checkpoint: string }>(
    `SELECT checkpoint FROM ${quoteIdentifier(live)}.projection_checkpoints WHERE name = $1`,
    [name],
  );
  return rows[0]?.checkpoint ?? START;
}

/**
 * Compares one table in both schemas. Every column is cast to text, so that any column type compares
 * (and reads back) the same way; the live table's columns decide which ones, minus the volatile ones.
 */
async function diffTable(
  tx: SqlExecutor,
  storage: ProjectionStorage,
  live: string,
  scratch: string,
  table: string,
): Promise<TableDiff> {
  const volatile = new Set(storage.volatileColumns?.[table] ?? []);
  const { rows: columns } = await tx.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_attribute a
     WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [`${quoteIdentifier(live)}.${quoteIdentifier(table)}`],
  );
  const compared = columns.map((c) => c.name).filter((name) => !volatile.has(name));
  if (compared.length === 0) throw new Error(`Table ${live}.${table} does not exist or has no columns`);
  const select = (schema: string) =>
    `SELECT ${compared.map((c) => `${quoteIdentifier(c)}::text AS ${quoteIdentifier(c)}`).join(', ')}
     FROM ${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
  const missingSql = `${select(scratch)} EXCEPT ALL ${select(live)}`;
  const unexpectedSql = `${select(live)} EXCEPT ALL ${select(scratch)}`;
  const { rows } = await tx.query<{
    live_rows: string;
    rebuilt_rows: string;
    missing: string;
    unexpected: string;
  }>(
    `SELECT (SELECT count(*) FROM ${quoteIdentifier(live)}.${quoteIdentifier(table)})::text AS live_rows,
       (SELECT count(*) FROM ${quoteIdentifier(scratch)}.${quoteIdentifier(table)})::text AS rebuilt_rows,
       (SELECT count(*) FROM (${missingSql}) d)::text AS missing,
       (SELECT count(*) FROM (${unexpectedSql}) d)::text AS unexpected`,
  );
  const counts = rows[0];
  const missing = Number(counts?.missing ?? 0);
  const unexpected = Number(counts?.unexpected ?? 0);
  const sample = async (query: string, count: number) =>
    count === 0
      ? []
      : (
          await tx.query<{ row: Record<string, string | null> }>(
            `SELECT to_jsonb(d) AS row FROM (${query}) d ORDER BY to_jsonb(d)::text LIMIT ${SAMPLE_ROWS}`,
          )
        ).rows.map((r) => r.row);
  return {
    table,
    liveRows: Number(counts?.live_rows ?? 0),
    rebuiltRows: Number(counts?.rebuilt_rows ?? 0),
    missing,
    unexpected,
    samples: {
      missing: await sample(missingSql, missing),
      unexpected: await sample(unexpectedSql, unexpected),
    },
  };
}
