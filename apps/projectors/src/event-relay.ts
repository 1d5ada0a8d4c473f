import type { NatsConnection } from '@nats-io/transport-node';
import { connectToNats, JetStreamRelay, type RelayStatus } from '@tally/messaging';
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
  private stopped = false;
  private started = false;

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
    this.stopped = false;
    void this.connectAndRelay().catch((error: unknown) => {
      this.infrastructure.logger.error({ err: error }, 'relay: could not start');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
          new Error(this.started && !this.stopped ? 'waiting for NATS' : 'relay is not running'),
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
    const nats = await connectToNats({ servers: this.natsUrl, name: 'tally-relay' });
    if (this.stopped) {
      await nats.close();
      return;
    }
    this.nats = nats;
    const prefix = infrastructure.config.NATS_PREFIX;
    this.relay = new JetStreamRelay({
      store: infrastructure.eventStore,
      sql: infrastructure.sql,
      nats,
      // `<prefix>.events.>` in stream `<PREFIX>_EVENTS`: deployments sharing a NATS server stay apart.
      prefix,
      stream: { name: `${prefix.toUpperCase()}_EVENTS` },
      logger: infrastructure.logger.child({ component: 'relay' }),
      registry: this.registry,
    });
    await this.relay.start();
  }
}
