import type { SqlClient, SqlExecutor } from '@tally/database';
import { START, type Checkpoint } from '@tally/event-store';

/** The channel the runner notifies (payload: the projection's name) after every committed batch. */
export const PROJECTIONS_CHANNEL = 'tally_projections';

export interface WaitForProjectionsOptions {
  /** Give up after this long (default 2000 ms, DESIGN.md §6). */
  readonly timeoutMs?: number;
  /** Check at least this often, in case a notification is lost (default 25 ms). */
  readonly pollMs?: number;
}

/**
 * Waits until every named projection's checkpoint has reached `token` (a checkpoint from an append), so a
 * read that follows a write sees it. Resolves true as soon as they have, false at the timeout; never
 * throws on a timeout. Wakes on `LISTEN tally_projections` and polls as a fallback.
 */
export async function waitForProjections(
  sql: SqlClient,
  names: readonly string[],
  token: Checkpoint,
  { timeoutMs = 2000, pollMs = 25 }: WaitForProjectionsOptions = {},
): Promise<boolean> {
  if (names.length === 0 || token === START) return true;
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  try {
    // Listen before the first check, so that a batch committed in between still wakes us.
    unlisten = await sql
      .listen(PROJECTIONS_CHANNEL, (payload) => {
        if (names.includes(payload)) wake?.();
      })
      .catch(() => undefined); // Without LISTEN the poll still finds it, only later.
    for (;;) {
      if (await reached(sql, names, token)) return true;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(pollMs, remaining));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    await unlisten?.().catch(() => undefined);
  }
}

async function reached(sql: SqlExecutor, names: readonly string[], token: Checkpoint): Promise<boolean> {
  const { rows } = await sql.query<{ checkpoint: string }>(
    'SELECT checkpoint FROM projection_checkpoints WHERE name = ANY($1::text[])',
    [names],
  );
  // Compared in JavaScript: the port promises that string order is delivery order.
  return rows.length === new Set(names).size && rows.every((row) => row.checkpoint >= token);
}

/** Where one projection stands, for status pages and health checks. */
export interface ProjectionCheckpointStatus {
  readonly name: string;
  readonly checkpoint: Checkpoint;
  readonly eventsProcessed: number;
  readonly updatedAt: Date;
  /** Events recorded as poison and skipped. */
  readonly poisonEvents: number;
}

/** Every projection's stored checkpoint, by name. */
export async function projectionCheckpoints(sql: SqlExecutor): Promise<ProjectionCheckpointStatus[]> {
  const { rows } = await sql.query<{
    name: string;
    checkpoint: string;
    events_processed: string;
    updated_at: Date;
    poison_events: number;
  }>(
    `SELECT c.name, c.checkpoint, c.events_processed::text, c.updated_at,
       (SELECT count(*)::int FROM projection_poison_events p WHERE p.projection = c.name) AS poison_events
     FROM projection_checkpoints c ORDER BY c.name`,
  );
  return rows.map((row) => ({
    name: row.name,
    checkpoint: row.checkpoint,
    eventsProcessed: Number(row.events_processed),
    updatedAt: row.updated_at,
    poisonEvents: row.poison_events,
  }));
}
