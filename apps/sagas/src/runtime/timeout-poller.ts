import type { Logger } from '@tally/platform';
import type { ProcessRuntime } from './process-runtime';
import type { ProcessTables } from './process-tables';

export interface TimeoutPollerOptions {
  readonly runtime: ProcessRuntime;
  readonly tables: ProcessTables;
  readonly logger: Logger;
  /** Longest wait between two polls (default 1 s). */
  readonly intervalMs?: number;
  /** Timeouts delivered per poll, at most (default 100; a full batch polls again at once). */
  readonly batchSize?: number;
  readonly now?: () => Date;
}

/**
 * Delivers a process's due timeouts from `process_timeouts`. The table is the timer: a restart loses
 * nothing, it only delays delivery to the first poll. Delivery goes through {@link ProcessRuntime.fire},
 * which is idempotent (the record's id derives from the timeout's key), so a timeout delivered twice (a
 * crash before `fired_at` was set, two sagas processes polling) reaches the process once.
 */
export class TimeoutPoller {
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private running = false;
  private stopping = false;
  private polling: Promise<void> | undefined;
  private lastPollFailed = false;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(private readonly options: TimeoutPollerOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.batchSize = options.batchSize ?? 100;
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopping = false;
    this.arm(0);
  }

  /** A timeout due at `dueAt` was scheduled: poll then if that is sooner than the next poll. */
  wake(dueAt: Date): void {
    if (!this.running) return;
    const delay = Math.max(0, dueAt.getTime() - this.now().getTime());
    if (Date.now() + delay < this.wakeAt) this.arm(delay);
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
    await this.polling;
  }

  /** Delivers every timeout due now; resolves with how many were delivered. Exposed for tests. */
  async pollOnce(): Promise<number> {
    const { runtime, tables, logger } = this.options;
    let delivered = 0;
    for (;;) {
      const due = await tables.due(runtime.name, this.now(), this.batchSize);
      let failed = 0;
      for (const timeout of due) {
        try {
          await runtime.fire(timeout);
          delivered += 1;
        } catch (error) {
          // Left pending: the next poll tries again.
          failed += 1;
          logger.warn(
            { err: error, process: timeout.process, instance: timeout.instance, key: timeout.key },
            'process: timeout delivery failed; retried on the next poll',
          );
        }
      }
      this.lastPollFailed = failed > 0;
      if (due.length < this.batchSize || failed > 0 || this.stopping) return delivered;
    }
  }

  private arm(delay: number): void {
    clearTimeout(this.timer);
    this.wakeAt = Date.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      void this.tick();
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.isRunning()) return;
    if (this.polling) {
      // A wake-up during a poll: poll again right after it.
      await this.polling;
      if (!this.isRunning()) return;
    }
    const poll = this.pollOnce().then(
      () => undefined,
      (error: unknown) => {
        this.options.logger.warn(
          { err: error, process: this.options.runtime.name },
          'process: timeout poll failed',
        );
      },
    );
    this.polling = poll;
    await poll;
    this.polling = undefined;
    if (!this.isRunning() || this.armed()) return;
    const delay = await this.delayUntilNextDue();
    if (this.isRunning() && !this.armed()) this.arm(delay);
  }

  /**
   * How long to sleep after a poll: until the earliest pending timeout in the table, at most `intervalMs`.
   * The table, not only the wake-ups this process heard of, decides: timeouts scheduled by another process,
   * or a wake-up that raced a poll, are still delivered on time. After a failed delivery, the interval.
   */
  private async delayUntilNextDue(): Promise<number> {
    if (this.lastPollFailed) return this.intervalMs;
    try {
      const next = await this.options.tables.nextDue(this.options.runtime.name);
      if (!next) return this.intervalMs;
      return Math.min(this.intervalMs, Math.max(0, next.getTime() - this.now().getTime()));
    } catch {
      return this.intervalMs;
    }
  }

  // Calls, not property reads: both change while `tick` awaits.
  private isRunning(): boolean {
    return this.running;
  }

  private armed(): boolean {
    return this.timer !== undefined;
  }
}
