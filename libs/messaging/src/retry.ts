import type { Subscription } from '@tally/event-store';

/** Backoff after a failure: doubles from `initialMs` up to `maxMs`. */
export interface RetryOptions {
  /** First delay (default 100 ms). */
  readonly initialMs?: number;
  /** Cap (default 30 s). */
  readonly maxMs?: number;
}

/** The delay before attempt `failures + 1`, with ±20 % jitter so that failing workers do not retry in lockstep. */
export function backoffDelay(failures: number, options: RetryOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const base = Math.min(max, initial * 2 ** Math.min(Math.max(failures - 1, 0), 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Thrown out of a wait or a retry loop when the worker is being stopped. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
  constructor() {
    super('Stopped');
  }
}

/**
 * A stop signal for a worker: `stopped` resolves once `stop()` was called, and `sleep` returns early then.
 */
export class StopSignal {
  private stopRequested = false;
  private resolveStopped: () => void = () => undefined;
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  get isStopped(): boolean {
    return this.stopRequested;
  }

  /** The same as {@link isStopped}, as a call: the compiler does not narrow it across awaits. */
  requested(): boolean {
    return this.stopRequested;
  }

  stop(): void {
    this.stopRequested = true;
    this.resolveStopped();
  }

  /** Waits `ms`, or less if stopped meanwhile; resolves `false` when stopped. */
  async sleep(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), this.stopped]);
    clearTimeout(timer);
    return !this.stopRequested;
  }
}

/** `Error: message` for logs and status, bounded in size. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

export interface SuperviseSubscriptionOptions {
  readonly signal: StopSignal;
  /** Loads the checkpoint and subscribes; called again after every failure, so it resumes from storage. */
  open(): Promise<Subscription>;
  /** The subscription is up. */
  onRunning(): void;
  /** Records a failure and returns how long to wait before opening again. */
  onFailure(failure: unknown): number;
}

/**
 * Keeps a store subscription running until `signal` asks to stop: opens it, waits for it to fail, backs off
 * and opens it again from its stored checkpoint. One loop for the relay and the in-process consumers.
 */
export async function superviseSubscription(options: SuperviseSubscriptionOptions): Promise<void> {
  const { signal } = options;
  while (!signal.requested()) {
    let subscription: Subscription | undefined;
    let failure: unknown;
    try {
      subscription = await options.open();
      options.onRunning();
      failure = await Promise.race([subscription.failed, signal.stopped.then(() => undefined)]);
    } catch (error) {
      failure = error;
    } finally {
      await subscription?.stop().catch(() => undefined);
    }
    if (failure === undefined || failure instanceof StoppedError || signal.requested()) return;
    await signal.sleep(options.onFailure(failure));
  }
}
