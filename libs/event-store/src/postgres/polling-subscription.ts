import type { Checkpoint, ReadAllResult, Subscription, SubscriptionHandler } from '../event-store.port';

export interface PollingSubscriptionSource {
  /** One page of the global log after `after`, in delivery order. */
  read(after: Checkpoint): Promise<ReadAllResult>;
  /**
   * Starts listening for appends; `onAppend` receives the checkpoint the append announced. Resolves to a
   * function that stops listening. When it rejects, the subscription falls back to polling.
   */
  listen(onAppend: (announced: Checkpoint) => void): Promise<() => Promise<void>>;
  /** Longest wait between two reads when no wake-up arrives. */
  readonly pollIntervalMs: number;
}

// A NOTIFY arrived but the announced events are not readable yet (an older transaction is still open):
// re-read after 5, 10, 20, ... ms, up to the poll interval.
const FIRST_REPOLL_MS = 5;
// Reads that fail (connection lost, failover) are retried this many times in a row before the
// subscription reports itself failed.
const MAX_CONSECUTIVE_READ_FAILURES = 5;

/**
 * Catch-up then live delivery over `readAll`: reads pages until nothing new is readable, then waits for a
 * NOTIFY (or the poll interval) and reads again. Delivery order is `readAll` order by construction.
 */
export class PollingSubscription implements Subscription {
  readonly failed: Promise<Error>;
  private readonly done: Promise<void>;
  private reportFailure!: (error: Error) => void;
  private stopping = false;
  private woken = false;
  private resume: (() => void) | undefined;
  private announced: Checkpoint = '';

  constructor(
    private readonly source: PollingSubscriptionSource,
    private readonly handler: SubscriptionHandler,
    private readonly after: Checkpoint,
    private readonly onEnd: (subscription: PollingSubscription) => void,
  ) {
    this.failed = new Promise<Error>((resolve) => {
      this.reportFailure = resolve;
    });
    this.done = this.run();
  }

  /** An append committed up to `announced` (from NOTIFY or from the same store): read again now. */
  wake(announced: Checkpoint): void {
    if (announced > this.announced) this.announced = announced;
    this.wakeUp();
  }

  /** Resolves once the handler will not be called again. Do not await it from inside the handler. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp();
    await this.done;
  }

  private async run(): Promise<void> {
    let unlisten: (() => Promise<void>) | undefined;
    try {
      unlisten = await this.source
        .listen((announced) => {
          this.wake(announced);
        })
        .catch(() => undefined);
      await this.deliver();
    } catch (error) {
      this.stopping = true;
      this.reportFailure(error instanceof Error ? error : new Error(String(error)));
    } finally {
      await unlisten?.().catch(() => undefined);
      this.onEnd(this);
    }
  }

  private async deliver(): Promise<void> {
    let after = this.after;
    let repoll = FIRST_REPOLL_MS;
    let failures = 0;
    while (!this.stopping) {
      this.woken = false;
      let page: ReadAllResult;
      try {
        page = await this.source.read(after);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures > MAX_CONSECUTIVE_READ_FAILURES) throw error;
        await this.pause(Math.min(this.source.pollIntervalMs, 50 * 2 ** failures));
        continue;
      }
      if (this.isStopping()) return;
      if (page.events.length > 0 || page.next !== after) {
        await this.handler(page.events, page.next);
        after = page.next;
        repoll = FIRST_REPOLL_MS;
      } else if (this.announced > after) {
        await this.pause(repoll);
        repoll = Math.min(repoll * 2, this.source.pollIntervalMs);
      } else {
        repoll = FIRST_REPOLL_MS;
        await this.pause(this.source.pollIntervalMs);
      }
    }
  }

  // A method, so that the compiler does not assume the flag is unchanged across awaits.
  private isStopping(): boolean {
    return this.stopping;
  }

  private pause(ms: number): Promise<void> {
    if (this.woken || this.stopping) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.resume = undefined;
        resolve();
      }, ms);
      this.resume = () => {
        clearTimeout(timer);
        this.resume = undefined;
        resolve();
      };
    });
  }

  private wakeUp(): void {
    if (this.resume) this.resume();
    else this.woken = true;
  }
}
