import type { SqlClient } from '@tally/database';
import type { EventStore } from '@tally/event-store';
import type { Logger } from '@tally/platform';
import type { Projection } from '@tally/read-models';
import { sweepAbandonedCarts } from '@tally/warehouse';

export interface AbandonedCartSweeperOptions {
  /** The warehouse's client. */
  readonly sql: SqlClient;
  readonly store: EventStore;
  /** The warehouse projection: its checkpoint tells whether the warehouse has caught up. */
  readonly projection: Projection;
  readonly idleMinutes: number;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Default one minute. */
  readonly intervalMs?: number;
  readonly now?: () => Date;
}

/**
 * Records abandoned carts in the warehouse on a timer. The projection notices an abandonment when the cart's
 * next event arrives after the idle time; a cart that never gets one is found here. It sweeps only once the
 * warehouse projection has applied every event of its types: a cart whose events are still waiting to be
 * projected would look idle.
 */
export class AbandonedCartSweeper {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<number | undefined> | undefined;

  constructor(private readonly options: AbandonedCartSweeperOptions) {}

  start(): void {
    this.timer ??= setInterval(() => {
      void this.sweep();
    }, this.options.intervalMs ?? 60_000);
    // The timer alone must not keep a process alive.
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * One sweep (or the one in flight): the number of carts it recorded as abandoned, or `undefined` when
   * the warehouse had not caught up with the log, or the sweep failed (logged; the next one tries again).
   */
  sweep(): Promise<number | undefined> {
    this.inFlight ??= this.sweepOnce().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async sweepOnce(): Promise<number | undefined> {
    const { sql, store, projection, idleMinutes, logger } = this.options;
    // Taken before the check: every event that happened before it and was stored has then been projected.
    const now = (this.options.now ?? (() => new Date()))();
    try {
      const { rows } = await sql.query<{ checkpoint: string }>(
        'SELECT checkpoint FROM projection_checkpoints WHERE name = $1',
        [projection.name],
      );
      const checkpoint = rows[0]?.checkpoint;
      if (checkpoint === undefined) return undefined;
      const pending = await store.readAll({ after: checkpoint, types: projection.eventTypes, limit: 1 });
      if (pending.events.length > 0) return undefined;
      const abandoned = await sweepAbandonedCarts(sql, { now, idleMinutes });
      if (abandoned > 0)
        logger.info({ abandoned, at: now.toISOString() }, 'abandoned carts recorded in the warehouse');
      return abandoned;
    } catch (error) {
      logger.warn({ err: error }, 'abandoned cart sweep failed; the next one tries again');
      return undefined;
    }
  }
}
