import { connect, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';

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
