/**
 * One writer per stream within this process: work queued under a key runs after the work queued before it
 * under the same key. Commands on one stream would otherwise race each other for the same next version,
 * and all but one would load, decide and append again; in order, each is decided once. Other processes
 * still race, and optimistic concurrency (expected versions) decides those races.
 */
export class StreamLocks {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier `run` for `key` has settled. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      // The last in line cleans up, so idle keys hold no memory.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or queued (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
