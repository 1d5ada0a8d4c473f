import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import type { Logger } from '@tally/platform';
import { type Projection, type RebuildProgress, rebuildProjection } from '@tally/read-models';

/** A rebuild started by this process. */
export interface RebuildJob {
  readonly projection: string;
  readonly startedAt: Date;
  /** The latest progress report (none until the first batch). */
  progress?: RebuildProgress;
  readonly done: Promise<void>;
}

/**
 * The rebuilds this process runs in the background (started over HTTP). At most one per projection; a
 * failed or interrupted one stays resumable (`projection_rebuilds`), and shutting down aborts them after
 * their batch in flight.
 */
export class RebuildJobs {
  private readonly jobs = new Map<string, RebuildJob>();
  private readonly abort = new AbortController();

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
  ) {}

  running(name: string): RebuildJob | undefined {
    return this.jobs.get(name);
  }

  /**
   * Starts a rebuild of `projection` over `sql`, the client of the database its tables are in, unless this
   * process already runs one (then `undefined`).
   */
  start(projection: Projection, sql: SqlClient): RebuildJob | undefined {
    if (this.jobs.has(projection.name)) return undefined;
    const job: { -readonly [K in keyof RebuildJob]: RebuildJob[K] } = {
      projection: projection.name,
      startedAt: new Date(),
      done: Promise.resolve(),
    };
    job.done = rebuildProjection({
      sql,
      store: this.store,
      projection,
      logger: this.logger.child({ component: 'projection-rebuild' }),
      signal: this.abort.signal,
      onProgress: (progress) => {
        job.progress = progress;
      },
    })
      .then(() => undefined)
      // rebuildProjection has logged why and recorded it in projection_rebuilds.
      .catch(() => undefined)
      .finally(() => this.jobs.delete(projection.name));
    this.jobs.set(projection.name, job);
    return job;
  }

  /** Aborts every rebuild and waits for them to stop. */
  async stop(): Promise<void> {
    this.abort.abort(new Error('the projectors are shutting down'));
    await Promise.all([...this.jobs.values()].map((job) => job.done));
  }
}
