import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import { backoffDelay, type StopSignal } from './retry';

/**
 * Opens a NATS connection for long-running Tally processes: it reconnects forever (a relay or a consumer
 * must outlive a NATS restart, never give up silently) and, unless told otherwise, waits for the server on
 * the first connect too, so that an app may start before NATS.
 */
export function connectToNats(
  options: NodeConnectionOptions & { servers: string | string[] },
): Promise<NatsConnection> {
  return connect({
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    waitOnFirstConnect: true,
    ...options,
  });
}

/**
 * Connects, retrying with capped backoff until it succeeds or `signal` asks to stop (then `undefined`).
 * Each attempt fails fast (no `waitOnFirstConnect`), so a stop request ends the wait; once connected, the
 * connection reconnects forever by itself. Lets an app serve `/healthz` and an honest `/readyz` while NATS is
 * still unreachable, instead of not starting.
 */
export async function connectToNatsUntilStopped(
  options: NodeConnectionOptions & { servers: string | string[] },
  signal: StopSignal,
  onAttemptFailed: (error: unknown, failures: number) => void,
): Promise<NatsConnection | undefined> {
  for (let failures = 1; !signal.requested(); failures += 1) {
    try {
      return await connectToNats({ ...options, waitOnFirstConnect: false });
    } catch (error) {
      onAttemptFailed(error, failures);
      await signal.sleep(backoffDelay(failures, { initialMs: 250, maxMs: 5000 }));
    }
  }
  return undefined;
}
