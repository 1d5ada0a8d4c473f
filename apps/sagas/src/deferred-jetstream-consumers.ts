import type { NatsConnection } from '@nats-io/transport-node';
import {
  connectToNatsUntilStopped,
  type ConsumerStatus,
  type EventConsumerOptions,
  JetStreamEventConsumers,
  type MessagingLogger,
  type RunningConsumer,
  StopSignal,
  StoppedError,
  eventStreamName,
} from '@tally/messaging';
import type { Registry } from 'prom-client';
import type { ObservableConsumerHost } from './runtime/process-host';

/**
 * JetStream consumers that connect to NATS on first use rather than at construction, so the sagas app
 * serves `/healthz` and an honest `/readyz` ("waiting for NATS") while NATS is still unreachable, instead of
 * not starting at all. Once made, the connection reconnects forever (see `connectToNats`); until then each
 * attempt fails fast and is retried with backoff, so that `close` can end the wait.
 */
export class DeferredJetStreamConsumers implements ObservableConsumerHost {
  private connecting: Promise<JetStreamEventConsumers> | undefined;
  private nats: NatsConnection | undefined;
  private consumers: JetStreamEventConsumers | undefined;
  private lastError: string | undefined;
  private readonly waiting = new Set<string>();
  private readonly closed = new StopSignal();

  constructor(
    private readonly options: {
      readonly url: string;
      /** NATS_PREFIX: subjects `<prefix>.events.>` in the stream `<PREFIX>_EVENTS`. */
      readonly prefix: string;
      readonly logger: MessagingLogger;
      readonly registry?: Registry;
      readonly connectionName?: string;
    },
  ) {}

  async start(options: EventConsumerOptions): Promise<RunningConsumer> {
    this.waiting.add(options.name);
    try {
      this.connecting ??= this.connect();
      const consumers = await this.connecting;
      return await consumers.start(options);
    } finally {
      this.waiting.delete(options.name);
    }
  }

  status(): ConsumerStatus[] {
    const lastError = `waiting for NATS${this.lastError ? `: ${this.lastError}` : ''}`;
    const waiting = [...this.waiting].map((name): ConsumerStatus => ({
      name,
      state: 'starting',
      failures: 0,
      lastError,
    }));
    return [...(this.consumers?.status() ?? []), ...waiting];
  }

  /** Stops the consumers and closes the connection; a start still waiting for NATS fails with StoppedError. */
  async close(): Promise<void> {
    this.closed.stop();
    await this.connecting?.catch(() => undefined);
    await this.consumers?.stop();
    await this.nats?.close();
  }

  private async connect(): Promise<JetStreamEventConsumers> {
    const nats = await connectToNatsUntilStopped(
      { servers: this.options.url, name: this.options.connectionName ?? 'tally-sagas' },
      this.closed,
      (error, failures) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        if (failures === 1) this.options.logger.warn({ err: error }, 'sagas: NATS unreachable; retrying');
      },
    );
    if (!nats) throw new StoppedError();
    this.nats = nats;
    this.lastError = undefined;
    this.consumers = new JetStreamEventConsumers({
      nats,
      prefix: this.options.prefix,
      streamName: eventStreamName(this.options.prefix),
      logger: this.options.logger,
      registry: this.options.registry,
    });
    return this.consumers;
  }
}
