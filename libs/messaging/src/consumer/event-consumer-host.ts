import type { RecordedEvent } from '@tally/event-store';

/** Handles one event; resolving means "done", throwing means "try again later" (never "skip"). */
export type EventHandler = (event: RecordedEvent) => Promise<void>;

/** What a durable event consumer is made of. */
export interface EventConsumerOptions {
  /**
   * The consumer's durable name: its position survives restarts under this name (a JetStream durable
   * consumer, or a row in `consumer_checkpoints`). Letters, digits, `-` and `_`.
   */
  readonly name: string;
  /** The event types to receive (e.g. `['OrderPlaced', 'StockReserved']`). */
  readonly eventTypes: readonly string[];
  /**
   * Called for every event of those types, at least once. A handler must be idempotent by `eventId`:
   * after a crash, a lost ack or a relay re-publish, the same event comes again.
   */
  readonly handler: EventHandler;
  /** Most handlers running at once across partitions (default 16). */
  readonly maxInFlight?: number;
  /**
   * Events with the same key are handled one at a time, in their order in the log; different keys run
   * concurrently. Default: the event's `streamId` (per-aggregate order). A process manager passes its
   * instance key (e.g. the order id) because one instance listens to several streams.
   */
  readonly partitionKey?: (event: RecordedEvent) => string;
}

/** A running consumer. */
export interface RunningConsumer {
  /** Stops fetching, waits for the handlers in flight; unfinished events are delivered again later. */
  stop(): Promise<void>;
}

/**
 * Runs durable event consumers: over NATS JetStream in full mode ({@link JetStreamEventConsumers}), straight
 * from the event store in embedded mode ({@link InProcessEventConsumers}). Both promise the same things:
 * at-least-once delivery, a failed handler retried later and never skipped, and per-partition order.
 */
export interface EventConsumerHost {
  start(options: EventConsumerOptions): Promise<RunningConsumer>;
}

const DURABLE_NAME = /^[A-Za-z0-9_-]{1,200}$/;

/** Validates the options shared by every host and fills in the defaults. */
export function resolveConsumerOptions(options: EventConsumerOptions): Required<EventConsumerOptions> {
  if (!DURABLE_NAME.test(options.name)) {
    throw new RangeError(`Consumer name ${JSON.stringify(options.name)}: use letters, digits, '-' and '_'`);
  }
  if (options.eventTypes.length === 0) throw new RangeError(`Consumer ${options.name} lists no event types`);
  const maxInFlight = options.maxInFlight ?? 16;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new RangeError(`Consumer ${options.name}: maxInFlight must be a positive integer`);
  }
  return {
    name: options.name,
    eventTypes: [...new Set(options.eventTypes)],
    handler: options.handler,
    maxInFlight,
    partitionKey: options.partitionKey ?? ((event) => event.streamId),
  };
}
