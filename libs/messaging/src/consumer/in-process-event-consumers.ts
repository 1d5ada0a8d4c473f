import type { SqlClient } from '@tally/database';
import { START, type Checkpoint, type EventStore, type RecordedEvent } from '@tally/event-store';
import type { Registry } from 'prom-client';
import { silentLogger, type MessagingLogger } from '../messaging-logger';
import {
  backoffDelay,
  describeError,
  StopSignal,
  StoppedError,
  superviseSubscription,
  type RetryOptions,
} from '../retry';
import { ConsumerWorkers } from './consumer-workers';
import { consumerMetrics, type ConsumerMetrics, type ConsumerStatus } from './consumer-metrics';
import {
  resolveConsumerOptions,
  type EventConsumerHost,
  type EventConsumerOptions,
  type RunningConsumer,
} from './event-consumer-host';
import { PartitionedScheduler } from './partitioned-scheduler';

export interface InProcessEventConsumersOptions {
  readonly store: EventStore;
  /** Where `consumer_checkpoints` lives (apply {@link messagingMigrations} first). */
  readonly sql: SqlClient;
  /** Events read per batch; the checkpoint is stored once the whole batch is handled (default 100). */
  readonly batchSize?: number;
  /** Backoff for a failing handler and for a failing subscription (default 250 ms up to 30 s). */
  readonly retry?: RetryOptions;
  readonly logger?: MessagingLogger;
  /** Where `tally_consumer_*` counters go; omit to record none. */
  readonly registry?: Registry;
}

/**
 * Event consumers for embedded mode, with no NATS (DESIGN.md §8): each consumer subscribes to the event
 * store from its checkpoint in `consumer_checkpoints`, filtered to its event types, and stores the
 * checkpoint after every batch is handled. The same promises as {@link JetStreamEventConsumers}: at least
 * once (a crash mid-batch hands the batch over again), a failing handler retried with backoff and never
 * skipped, at most `maxInFlight` handlers at once and never two of one partition, in log order.
 */
export class InProcessEventConsumers implements EventConsumerHost {
  private readonly workers = new ConsumerWorkers<InProcessConsumerWorker>();
  private readonly metrics: ConsumerMetrics | undefined;

  constructor(private readonly options: InProcessEventConsumersOptions) {
    this.metrics = options.registry ? consumerMetrics(options.registry) : undefined;
  }

  /** Starts handling; resolves after the first attempt to load the checkpoint and subscribe. */
  async start(options: EventConsumerOptions): Promise<RunningConsumer> {
    const resolved = resolveConsumerOptions(options);
    this.workers.assertNotRunning(resolved.name);
    const worker = new InProcessConsumerWorker(resolved, this.options, this.metrics);
    return this.workers.run(worker);
  }

  status(): ConsumerStatus[] {
    return this.workers.status();
  }

  /** Stops every consumer this host started. */
  async stop(): Promise<void> {
    await this.workers.stopAll();
  }
}

class InProcessConsumerWorker {
  readonly name: string;
  private readonly signal = new StopSignal();
  private readonly logger: MessagingLogger;
  private readonly retry: RetryOptions;
  private loop: Promise<void> | undefined;
  private state: ConsumerStatus['state'] = 'starting';
  private failures = 0;
  private lastError: string | undefined;

  constructor(
    private readonly options: Required<EventConsumerOptions>,
    private readonly host: InProcessEventConsumersOptions,
    private readonly metrics: ConsumerMetrics | undefined,
  ) {
    this.name = options.name;
    this.logger = host.logger ?? silentLogger;
    this.retry = { initialMs: 250, maxMs: 30_000, ...host.retry };
  }

  async start(): Promise<void> {
    await new Promise<void>((firstAttempt) => {
      this.loop = this.run(firstAttempt);
    });
  }

  async stop(): Promise<void> {
    this.signal.stop();
    await this.loop;
  }

  status(): ConsumerStatus {
    return {
      name: this.name,
      state: this.state,
      failures: this.failures,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private async run(firstAttempt: () => void): Promise<void> {
    await superviseSubscription({
      signal: this.signal,
      open: async () => {
        const checkpoint = await this.loadCheckpoint();
        const subscription = this.host.store.subscribe(
          { after: checkpoint, types: this.options.eventTypes, batchSize: this.host.batchSize ?? 100 },
          (events, next) => this.handleBatch(events, next),
        );
        this.logger.info({ consumer: this.name, from: checkpoint }, 'consumer started');
        return subscription;
      },
      onRunning: () => {
        this.state = 'running';
        firstAttempt();
      },
      onFailure: (failure) => {
        this.state = 'retrying';
        this.failures += 1;
        this.lastError = describeError(failure);
        const delayMs = backoffDelay(this.failures, this.retry);
        this.logger.error(
          { consumer: this.name, err: failure, failures: this.failures, retryInMs: delayMs },
          'consumer failed; resuming from its stored checkpoint',
        );
        firstAttempt();
        return delayMs;
      },
    });
    this.state = 'stopped';
    firstAttempt();
  }

  private async handleBatch(events: readonly RecordedEvent[], next: Checkpoint): Promise<void> {
    const scheduler = new PartitionedScheduler(this.options.maxInFlight);
    const results = await Promise.allSettled(
      events.map((event) => scheduler.submit(this.partitionOf(event), () => this.handleUntilDone(event))),
    );
    // Stopped mid-batch: leave the checkpoint where it was; the batch comes again on the next start.
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await this.host.sql.query(
      `INSERT INTO consumer_checkpoints (name, checkpoint, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET checkpoint = EXCLUDED.checkpoint, updated_at = EXCLUDED.updated_at
       WHERE consumer_checkpoints.checkpoint < EXCLUDED.checkpoint`,
      [this.name, next],
    );
    this.failures = 0;
  }

  /** Runs the handler until it succeeds, backing off between attempts; throws only when stopping. */
  private async handleUntilDone(event: RecordedEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.signal.requested()) throw new StoppedError();
      try {
        await this.options.handler(event);
        this.metrics?.handled.inc({ consumer: this.name });
        return;
      } catch (error) {
        const delayMs = backoffDelay(attempt, this.retry);
        this.metrics?.failures.inc({ consumer: this.name });
        this.logger.error(
          {
            consumer: this.name,
            err: error,
            eventId: event.eventId,
            type: event.type,
            streamId: event.streamId,
            attempt,
            retryInMs: delayMs,
          },
          'event handler failed; retrying it',
        );
        if (!(await this.signal.sleep(delayMs))) throw new StoppedError();
      }
    }
  }

  private partitionOf(event: RecordedEvent): string {
    try {
      return this.options.partitionKey(event);
    } catch (error) {
      this.logger.error(
        { consumer: this.name, err: error, eventId: event.eventId },
        'partitionKey threw; using the stream id',
      );
      return event.streamId;
    }
  }

  private async loadCheckpoint(): Promise<Checkpoint> {
    const { rows } = await this.host.sql.query<{ checkpoint: string }>(
      'SELECT checkpoint FROM consumer_checkpoints WHERE name = $1',
      [this.name],
    );
    return rows[0]?.checkpoint ?? START;
  }
}
