import type { NatsConnection } from '@nats-io/transport-node';
import {
  connectToNatsUntilStopped,
  eventStreamName,
  JetStreamRelay,
  type RelayStatus,
  StopSignal,
} from '@tally/messaging';
import type { Infrastructure, ReadinessCheck } from '@tally/platform';
import type { Registry } from 'prom-client';

/**
 * The store -> NATS JetStream relay of this process (DESIGN.md §7), run in full mode when NATS_URL is set.
 * It connects in the background, so the read models run and `/healthz` answers while NATS is still
 * unreachable; `/readyz` says what the relay is waiting for until it is relaying.
 */
export class RunningRelay {
  private registry: Registry | undefined;
  private relay: JetStreamRelay | undefined;
  private nats: NatsConnection | undefined;
  private signal = new StopSignal();
  private started = false;
  private running: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly infrastructure: Infrastructure,
    private readonly natsUrl: string,
  ) {}

  /** Remembers the app's metrics registry, where the relay's `tally_relay_*` metrics go once it runs. */
  attach(registry: Registry): void {
    this.registry = registry;
  }

  /** Starts connecting and relaying; returns at once (a NATS that is down is waited for, not fatal). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.signal = new StopSignal();
    this.running = this.connectAndRelay().catch((error: unknown) => {
      this.infrastructure.logger.error({ err: error }, 'relay: could not start');
    });
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.running;
    this.started = false;
    await this.relay?.stop();
    this.relay = undefined;
    await this.nats?.close();
    this.nats = undefined;
  }

  status(): RelayStatus | undefined {
    return this.relay?.status();
  }

  /** `/readyz` fails until the relay is publishing, and while it retries (NATS down, publish failing). */
  readonly readiness: ReadinessCheck = {
    name: 'relay',
    check: () => {
      const status = this.relay?.status();
      if (!status) {
        return Promise.reject(
          new Error(
            this.started
              ? `waiting for NATS${this.lastError ? `: ${this.lastError}` : ''}`
              : 'relay is not running',
          ),
        );
      }
      if (status.state !== 'running') {
        const reason = status.lastError ? ` (${status.lastError})` : '';
        return Promise.reject(new Error(`relay ${status.state}${reason}`));
      }
      return Promise.resolve();
    },
  };

  private async connectAndRelay(): Promise<void> {
    const { infrastructure } = this;
    const nats = await connectToNatsUntilStopped(
      { servers: this.natsUrl, name: 'tally-relay' },
      this.signal,
      (error, failures) => {
        this.lastError = error instanceof Error ? error.message : String(error);
        if (failures === 1) infrastructure.logger.warn({ err: error }, 'relay: NATS unreachable; retrying');
      },
    );
    if (!nats) return;
    this.lastError = undefined;
    this.nats = nats;
    const prefix = infrastructure.config.NATS_PREFIX;
    this.relay = new JetStreamRelay({
      store: infrastructure.eventStore,
      sql: infrastructure.sql,
      nats,
      // The checkpoint belongs to the stream it fed: a new NATS_PREFIX (a new stream) starts from the first
      // event, so that its consumers miss nothing.
      name: `jetstream-${prefix}`,
      // `<prefix>.events.>` in stream `<PREFIX>_EVENTS`: deployments sharing a NATS server stay apart.
      prefix,
      stream: { name: eventStreamName(prefix) },
      logger: infrastructure.logger.child({ component: 'relay' }),
      registry: this.registry,
    });
    await this.relay.start();
  }
}
