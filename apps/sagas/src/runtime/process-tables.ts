import type { SqlClient } from '@tally/database';
import type { JsonValue } from '@tally/event-store';

/** A scheduled timeout as stored in `process_timeouts`. */
export interface StoredTimeout {
  readonly process: string;
  readonly instance: string;
  readonly key: string;
  readonly dueAt: Date;
  /** The event to deliver back to the process: `{ type, data }`. */
  readonly event: { readonly type: string; readonly data: JsonValue };
  readonly correlationId: string;
  readonly causationId: string;
}

/** Active and terminal instances of one process. */
export interface InstanceCounts {
  readonly process: string;
  readonly active: number;
  readonly terminal: number;
}

interface TimeoutRow {
  process: string;
  instance: string;
  key: string;
  due_at: Date;
  event: { type: string; data: JsonValue };
  correlation_id: string;
  causation_id: string;
}

/**
 * The sagas app's tables (`sagas.migrations.ts`): durable timeouts and the status of every instance.
 * Everything here can be re-derived from the process streams; the tables make "what is due" and "what is
 * unfinished" one indexed query.
 */
export class ProcessTables {
  constructor(private readonly sql: SqlClient) {}

  /**
   * Schedules a timeout. Scheduling the same `(process, instance, key)` again updates a pending one and
   * leaves a fired or cancelled one alone, so a redelivered reaction never revives a timer.
   */
  async schedule(timeout: StoredTimeout): Promise<void> {
    await this.sql.query(
      `INSERT INTO process_timeouts (process, instance, key, due_at, event, correlation_id, causation_id)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
       ON CONFLICT (process, instance, key) DO UPDATE
         SET due_at = EXCLUDED.due_at, event = EXCLUDED.event
         WHERE process_timeouts.fired_at IS NULL AND process_timeouts.cancelled_at IS NULL`,
      [
        timeout.process,
        timeout.instance,
        timeout.key,
        timeout.dueAt,
        JSON.stringify(timeout.event),
        timeout.correlationId,
        timeout.causationId,
      ],
    );
  }

  /** Pending timeouts of `process` due at or before `now`, earliest first. */
  async due(process: string, now: Date, limit: number): Promise<StoredTimeout[]> {
    const { rows } = await this.sql.query<TimeoutRow>(
      `SELECT process, instance, key, due_at, event, correlation_id, causation_id
         FROM process_timeouts
        WHERE process = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2
        ORDER BY due_at, instance, key
        LIMIT $3`,
      [process, now, limit],
    );
    return rows.map((row) => ({
      process: row.process,
      instance: row.instance,
      key: row.key,
      dueAt: row.due_at,
      event: row.event,
      correlationId: row.correlation_id,
      causationId: row.causation_id,
    }));
  }

  /** The earliest pending due time of `process`, if any. */
  async nextDue(process: string): Promise<Date | undefined> {
    const { rows } = await this.sql.query<{ due_at: Date | null }>(
      `SELECT min(due_at) AS due_at FROM process_timeouts
        WHERE process = $1 AND fired_at IS NULL AND cancelled_at IS NULL`,
      [process],
    );
    return rows[0]?.due_at ?? undefined;
  }

  async markFired(timeout: Pick<StoredTimeout, 'process' | 'instance' | 'key'>, at: Date): Promise<void> {
    await this.sql.query(
      `UPDATE process_timeouts SET fired_at = $4
        WHERE process = $1 AND instance = $2 AND key = $3 AND fired_at IS NULL`,
      [timeout.process, timeout.instance, timeout.key, at],
    );
  }

  /** Cancels the pending timeouts of a finished instance: nothing is left for them to do. */
  async cancelPending(process: string, instance: string, at: Date): Promise<void> {
    await this.sql.query(
      `UPDATE process_timeouts SET cancelled_at = $3
        WHERE process = $1 AND instance = $2 AND fired_at IS NULL AND cancelled_at IS NULL`,
      [process, instance, at],
    );
  }

  /** Pending timeouts of every process. */
  async pendingTimeouts(): Promise<number> {
    const { rows } = await this.sql.query<{ pending: number }>(
      'SELECT count(*)::int AS pending FROM process_timeouts WHERE fired_at IS NULL AND cancelled_at IS NULL',
    );
    return rows[0]?.pending ?? 0;
  }

  /**
   * Records an instance's status as of its stream `version`. A status computed from an older version (a
   * slower concurrent handler) never overwrites a newer one.
   */
  async saveInstance(
    process: string,
    instance: string,
    status: 'active' | 'terminal',
    version: number,
    at: Date,
  ): Promise<void> {
    await this.sql.query(
      `INSERT INTO process_instances (process, instance, status, version, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (process, instance) DO UPDATE
         SET status = EXCLUDED.status, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
         WHERE process_instances.version <= EXCLUDED.version`,
      [process, instance, status, version, at],
    );
  }

  /** Active instances of `process` after `after` (instance order), `limit` at a time. */
  async activeInstances(process: string, after: string, limit: number): Promise<string[]> {
    const { rows } = await this.sql.query<{ instance: string }>(
      `SELECT instance FROM process_instances
        WHERE process = $1 AND status = 'active' AND instance > $2
        ORDER BY instance
        LIMIT $3`,
      [process, after, limit],
    );
    return rows.map((row) => row.instance);
  }

  async instanceCounts(): Promise<InstanceCounts[]> {
    const { rows } = await this.sql.query<InstanceCounts>(
      `SELECT process,
              count(*) FILTER (WHERE status = 'active')::int AS active,
              count(*) FILTER (WHERE status = 'terminal')::int AS terminal
         FROM process_instances GROUP BY process`,
    );
    return rows;
  }
}
