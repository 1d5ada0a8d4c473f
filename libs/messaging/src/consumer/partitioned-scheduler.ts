/**
 * Runs tasks with bounded concurrency while keeping tasks of the same partition strictly sequential, in
 * submission order. Partitions take turns in the order they became ready, so a busy partition cannot
 * starve the others.
 */
export class PartitionedScheduler {
  private readonly queues = new Map<string, (() => Promise<void>)[]>();
  private readonly ready: string[] = [];
  private readonly busy = new Set<string>();
  private running = 0;
  private pending = 0;
  private readonly roomWaiters: { limit: number; resolve: () => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
      throw new RangeError('maxInFlight must be a positive integer');
    }
  }

  /** Tasks submitted and not finished yet (queued or running). */
  get size(): number {
    return this.pending;
  }

  /** Queues `task` behind the earlier tasks of `partition`; resolves or rejects with it. */
  submit(partition: string, task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const run = () => Promise.resolve().then(task).then(resolve, reject);
      const queue = this.queues.get(partition);
      this.pending += 1;
      if (queue) {
        queue.push(run);
      } else {
        this.queues.set(partition, [run]);
        if (!this.busy.has(partition)) this.ready.push(partition);
      }
      this.pump();
    });
  }

  /** Resolves once fewer than `limit` tasks are pending (back-pressure for whoever feeds the scheduler). */
  whenRoom(limit: number): Promise<void> {
    if (this.pending < limit) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push({ limit, resolve }));
  }

  /** Resolves once every submitted task has finished. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.maxInFlight && this.ready.length > 0) {
      const partition = this.ready.shift();
      if (partition === undefined) break;
      const queue = this.queues.get(partition);
      const next = queue?.shift();
      if (!next) continue;
      if (queue?.length === 0) this.queues.delete(partition);
      this.busy.add(partition);
      this.running += 1;
      void next().finally(() => {
        this.running -= 1;
        this.pending -= 1;
        this.busy.delete(partition);
        if (this.queues.has(partition)) this.ready.push(partition);
        this.notify();
        this.pump();
      });
    }
  }

  private notify(): void {
    for (let i = this.roomWaiters.length - 1; i >= 0; i--) {
      const waiter = this.roomWaiters[i];
      if (waiter && this.pending < waiter.limit) {
        this.roomWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
    if (this.pending === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
