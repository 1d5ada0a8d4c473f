export * from './subjects';
export * from './deterministic-id';
export { messagingMigrations } from './messaging.migrations';
export { silentLogger, type MessagingLogger } from './messaging-logger';
export { backoffDelay, StopSignal, StoppedError, type RetryOptions } from './retry';
export { connectToNats, connectToNatsUntilStopped } from './nats-connection';

export { ensureEventStream, type EventStreamOptions } from './relay/event-stream';
export { JetStreamRelay, type JetStreamRelayOptions, type RelayStatus } from './relay/jetstream-relay';

export * from './consumer/event-consumer-host';
export type { ConsumerStatus } from './consumer/consumer-metrics';
export { PartitionedScheduler } from './consumer/partitioned-scheduler';
export {
  JetStreamEventConsumers,
  type JetStreamEventConsumersOptions,
} from './consumer/jetstream-event-consumers';
export {
  InProcessEventConsumers,
  type InProcessEventConsumersOptions,
} from './consumer/in-process-event-consumers';

export * from './commands/command.types';
export { NatsCommandSender, type NatsCommandSenderOptions } from './commands/nats-command-sender';
export { InProcessCommandSender, type CommandDispatcher } from './commands/in-process-command-sender';

export { startNatsTestServer, NATS_SERVER_BIN, type NatsTestServer } from './testing/nats-test-server';
