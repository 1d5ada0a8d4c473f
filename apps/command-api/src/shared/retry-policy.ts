/**
 * How often a command that lost an optimistic-concurrency race is decided again against the fresh stream.
 * Only commands that commute (their effect does not depend on the state the client saw) get one; see
 * docs/adr/0004-command-edge.md.
 */
export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly maxAttempts: number;
  /** Upper bound of the first backoff; doubles per attempt ("full jitter"). */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** Five attempts within roughly a third of a second: enough for a busy cart, short enough for a request. */
export const COMMUTING_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 160 };

/**
 * Commands from the process managers: they carry no version a client saw, so deciding them again against
 * the fresh stream is always what was meant. Within a process commands on one stream are serialised (see
 * DeciderCommandHandler), so lost races are with other command-api processes only. Measured
 * (command-dispatcher.int.spec.ts): 200 concurrent reservations of one SKU over four processes lose about
 * 260 races in all and need at most 7 to 10 attempts each; 20 gives twice that margin while the longest
 * total wait (2.9 s at most, 1.5 s expected) stays below the senders' 5 s command timeout.
 */
export const PROCESS_RETRY: RetryPolicy = { maxAttempts: 20, baseDelayMs: 5, maxDelayMs: 200 };

/**
 * The pause before attempt `failedAttempt + 1`, or undefined when the policy is exhausted. Full jitter
 * (a uniform draw below an exponentially growing cap) spreads writers that collided at the same instant.
 *
 * @param failedAttempt 1-based number of the attempt that just failed.
 * @param random a draw in [0, 1), injected so tests are deterministic.
 */
export function retryDelayMs(
  policy: RetryPolicy | undefined,
  failedAttempt: number,
  random: () => number = Math.random,
): number | undefined {
  if (!policy || failedAttempt >= policy.maxAttempts) return undefined;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.floor(random() * cap);
}
