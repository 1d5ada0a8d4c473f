import { jetstream, jetstreamManager, type JetStreamClient, type PubAck } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { SqlClient } from '@tally/database';
import { START, type Checkpoint, type EventStore, type RecordedEvent } from '@tally/event-store';
import { Counter, Gauge, type Registry } from 'prom-client';
import { silentLogger, type MessagingLogger } from '../messaging-logger';
import {
  backoffDelay,
  describeError,
  StopSignal,
  StoppedError,
  superviseSubscription,
  type RetryOptions,
} from '../retry';
import { DEFAULT_EVENT_STREAM, DEFAULT_SUBJECT_PREFIX, eventSubject } from '../subjects';
import { ensureEventStream, type EventStreamOptions } from './event-stream';

export interface JetStreamRelayOptions {
  readonly store: EventStore;
  /** Where `relay_checkpoints` lives (apply {@link messagingMigrations} first). */
  readonly sql: SqlClient;
  /** An open connection; the caller owns it (see {@link connectToNats} for one that reconnects forever). */
  readonly nats: NatsConnection;
  /** The relay's checkpoint row (default `jetstream`). Run one relay per name. */
  readonly name?: string;
  /** Subject prefix (default `tally`). */
  readonly prefix?: string;
  /** The JetStream stream the relay creates or updates at start (name default `TALLY_EVENTS`). */
  readonly stream?: Omit<EventStreamOptions, 'prefix'>;
  /** Events read from the store per batch; the checkpoint is stored after each batch (default 500). */
  readonly batchSize?: number;
  /** How long to wait for JetStream's ack of one publish before retrying it (default 5000 ms). */
  readonly publishTimeoutMs?: number;
  /** Backoff between failed attempts (default 100 ms doubling to 30 s). */
  readonly retry?: RetryOptions;
  readonly logger?: MessagingLogger;
  /** Where `tally_relay_*` metrics go; omit to record none. One relay per registry. */
  readonly registry?: Registry;
  /** `tally_relay_lag_events` counts at most this many events (default 10 000). */
  readonly lagScanLimit?: number;
}

/** Where the relay stands, for readiness checks and operators. */
export interface RelayStatus {
  readonly state: 'idle' | 'running' | 'retrying' | 'stopped';
  /** The checkpoint of the last batch the relay published and stored. */
  readonly checkpoint: Checkpoint;
  /** Consecutive failures (0 once a publish or a batch succeeds). */
  readonly failures: number;
  readonly lastError?: string;
}

/**
 * Relays committed events from the event store to NATS JetStream (DESIGN.md §7,
 * docs/adr/0006-relay-and-consumers.md). It subscribes to the store from its stored checkpoint, publishes
 * each event on `<prefix>.events.<aggregate>.<EventType>` with `Nats-Msg-Id` = `eventId` and the full
 * envelope as JSON, one at a time in log order, waiting for each ack; after a batch it stores the
 * checkpoint. A failed publish is retried with capped backoff until it succeeds or the relay stops: an
 * event is never skipped. A crash between publish and checkpoint re-publishes the batch; JetStream drops
 * the copies by msg id within its duplicate window, and consumers are idempotent by event id beyond it.
 */
export class JetStreamRelay {
  private readonly name: string;
  private readonly prefix: string;
  private readonly streamName: string;
  private readonly batchSize: number;
  private readonly publishTimeoutMs: number;
  private readonly logger: MessagingLogger;
  private readonly js: JetStreamClient;
  private readonly metrics: RelayMetrics | undefined;
  private readonly signal = new StopSignal();
  private state: RelayStatus['state'] = 'idle';
  private checkpoint: Checkpoint = START;
  private failures = 0;
  private lastError: string | undefined;
  private streamReady = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: JetStreamRelayOptions) {
    this.name = options.name ?? 'jetstream';
    this.prefix = options.prefix ?? DEFAULT_SUBJECT_PREFIX;
    this.streamName = options.stream?.name ?? DEFAULT_EVENT_STREAM;
    this.batchSize = options.batchSize ?? 500;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5000;
    this.logger = options.logger ?? silentLogger;
    this.js = jetstream(options.nats, { timeout: this.publishTimeoutMs });
    this.metrics = options.registry
      ? new RelayMetrics(options.registry, () => this.lag(options.lagScanLimit ?? 10_000))
      : undefined;
  }

  /**
   * Starts relaying. Resolves after the first attempt to load the checkpoint and subscribe; a failed
   * attempt keeps retrying in the background (see {@link status}).
   */
  async start(): Promise<void> {
    if (this.loop) throw new Error(`Relay ${this.name} already started`);
    await new Promise<void>((firstAttempt) => {
      this.loop = this.run(firstAttempt);
    });
    this.logger.info({ relay: this.name, from: this.checkpoint, stream: this.streamName }, 'relay started');
  }

  /** Stops after the publish in flight; what was published but not checkpointed is published again next time. */
  async stop(): Promise<void> {
    if (this.signal.requested()) return;
    this.signal.stop();
    await this.loop;
    this.metrics?.unregister();
    this.logger.info({ relay: this.name, checkpoint: this.checkpoint }, 'relay stopped');
  }

  status(): RelayStatus {
    return {
      state: this.state,
      checkpoint: this.checkpoint,
      failures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private async run(firstAttempt: () => void): Promise<void> {
    await superviseSubscription({
      signal: this.signal,
      open: async () => {
        await this.ensureStream();
        this.checkpoint = await this.loadCheckpoint();
        return this.options.store.subscribe(
          { after: this.checkpoint, batchSize: this.batchSize },
          (events, next) => this.relayBatch(events, next),
        );
      },
      onRunning: () => {
        this.state = 'running';
        firstAttempt();
      },
      onFailure: (failure) => {
        this.recordFailure('subscription', failure);
        const delayMs = backoffDelay(this.failures, this.options.retry);
        this.logger.error(
          { relay: this.name, err: failure, failures: this.failures, retryInMs: delayMs },
          'relay failed; resuming from its stored checkpoint',
        );
        firstAttempt();
        return delayMs;
      },
    });
    this.state = 'stopped';
    firstAttempt();
  }

  private async relayBatch(events: readonly RecordedEvent[], next: Checkpoint): Promise<void> {
    for (const event of events) await this.publish(event);
    await this.options.sql.query(
      `INSERT INTO relay_checkpoints (name, checkpoint, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at
       WHERE relay_checkpoints.checkpoint < EXCLUDED.checkpoint`,
      [this.name, next],
    );
    this.checkpoint = next;
    this.failures = 0;
  }

  /** Publishes one event until JetStream acks it (stored, or dropped as a duplicate), or the relay stops. */
  private async publish(event: RecordedEvent): Promise<void> {
    const subject = eventSubject(event, this.prefix);
    const payload = JSON.stringify(event);
    for (;;) {
      let ack: PubAck | undefined;
      try {
        if (!this.streamReady) await this.ensureStream();
        ack = await this.js.publish(subject, payload, {
          msgID: event.eventId,
          timeout: this.publishTimeoutMs,
          // Fail rather than land in another stream that happens to capture the subject.
          expect: { streamName: this.streamName },
        });
      } catch (error) {
        if (this.signal.requested()) throw new StoppedError();
        this.recordFailure('publish', error);
        // NATS may have come back without the stream (fresh storage): re-create it before the next try.
        this.streamReady = false;
        const delayMs = backoffDelay(this.failures, this.options.retry);
        this.logger.error(
          {
            relay: this.name,
            err: error,
            eventId: event.eventId,
            streamId: event.streamId,
            position: event.position,
            failures: this.failures,
            retryInMs: delayMs,
          },
          'relay could not publish an event; retrying it',
        );
        if (!(await this.signal.sleep(delayMs))) throw new StoppedError();
        continue;
      }
      if (this.failures > 0)
        this.logger.info({ relay: this.name, eventId: event.eventId }, 'relay publishing again');
      this.failures = 0;
      this.state = 'running';
      this.metrics?.published.inc({ outcome: ack.duplicate ? 'duplicate' : 'stored' });
      return;
    }
  }

  private async ensureStream(): Promise<void> {
    const jsm = await jetstreamManager(this.options.nats, { timeout: this.publishTimeoutMs });
    await ensureEventStream(jsm, { ...this.options.stream, name: this.streamName, prefix: this.prefix });
    this.streamReady = true;
  }

  private async loadCheckpoint(): Promise<Checkpoint> {
    const { rows } = await this.options.sql.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM relay_checkpoints WHERE name = $1',
      [this.name],
    );
    return rows[0]?.checkpoint ?? START;
  }

  private recordFailure(kind: 'publish' | 'subscription', error: unknown): void {
    this.state = 'retrying';
    this.failures += 1;
    this.lastError = describeError(error);
    this.metrics?.errors.inc({ kind });
  }

  /** Events after the stored checkpoint, counted by reading at most `limit` of them. */
  private async lag(limit: number): Promise<number> {
    const head = await this.options.store.headCheckpoint();
    const checkpoint = await this.loadCheckpoint();
    if (checkpoint >= head) return 0;
    const { events } = await this.options.store.readAll({ after: checkpoint, limit });
    return events.length;
  }
}

class RelayMetrics {
  readonly published: Counter<'outcome'>;
  readonly errors: Counter<'kind'>;
  private static readonly names = [
    'tally_relay_published_total',
    'tally_relay_errors_total',
    'tally_relay_lag_events',
  ] as const;

  constructor(
    private readonly registry: Registry,
    lag: () => Promise<number>,
  ) {
    const registers = [registry];
    this.published = new Counter({
      name: 'tally_relay_published_total',
      help: 'Events acked by JetStream; outcome "duplicate" = dropped by Nats-Msg-Id de-duplication.',
      labelNames: ['outcome'],
      registers,
    });
    this.errors = new Counter({
      name: 'tally_relay_errors_total',
      help: 'Failed publishes and failed subscriptions, each followed by a retry.',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: 'tally_relay_lag_events',
      help: 'Events in the store after the relay checkpoint (counted up to the scan limit); NaN when unknown.',
      registers,
      async collect() {
        this.set(await lag().catch(() => Number.NaN));
      },
    });
  }

  unregister(): void {
    for (const name of RelayMetrics.names) this.registry.removeSingleMetric(name);
  }
}
