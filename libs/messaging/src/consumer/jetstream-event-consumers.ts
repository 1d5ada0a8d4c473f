import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  ReplayPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { RecordedEvent } from '@tally/event-store';
import type { Registry } from 'prom-client';
import { silentLogger, type MessagingLogger } from '../messaging-logger';
import { ensureEventStream } from '../relay/event-stream';
import { backoffDelay, describeError, StopSignal, type RetryOptions } from '../retry';
import {
  allEventsSubject,
  DEFAULT_EVENT_STREAM,
  DEFAULT_SUBJECT_PREFIX,
  eventTypeSubject,
  subjectMatches,
} from '../subjects';
import { ConsumerWorkers } from './consumer-workers';
import { consumerMetrics, type ConsumerMetrics, type ConsumerStatus } from './consumer-metrics';
import {
  resolveConsumerOptions,
  type EventConsumerHost,
  type EventConsumerOptions,
  type RunningConsumer,
} from './event-consumer-host';
import { PartitionedScheduler } from './partitioned-scheduler';

export interface JetStreamEventConsumersOptions {
  /** An open connection; the caller owns it (see {@link connectToNats}). */
  readonly nats: NatsConnection;
  /** Subject prefix the relay publishes under (default `tally`). */
  readonly prefix?: string;
  /** The relay's stream (default `TALLY_EVENTS`); created with defaults if it does not exist yet. */
  readonly streamName?: string;
  /**
   * How long JetStream waits for an ack before delivering a message again (default 30 s). Messages held by
   * the consumer are kept alive with progress acks, so this only bounds recovery from a crashed process.
   */
  readonly ackWaitMs?: number;
  /**
   * How long one pull request waits at the server (default 5 s, minimum 1 s). Keep it short: after a stop
   * or a crash, the server keeps handing messages to the dead process's open pull request until it expires.
   */
  readonly pullExpiresMs?: number;
  /** Delay before a failed event is delivered again: doubles per delivery (default 250 ms up to 30 s). */
  readonly retry?: RetryOptions;
  /** Backoff when the consumer itself fails (NATS unreachable, stream missing); default 100 ms up to 30 s. */
  readonly reconnect?: RetryOptions;
  readonly logger?: MessagingLogger;
  /** Where `tally_consumer_*` counters go; omit to record none. */
  readonly registry?: Registry;
}

/**
 * Durable JetStream pull consumers over the relayed event stream (docs/adr/0006-relay-and-consumers.md).
 *
 * Each consumer is a durable consumer named after it, filtered to `<prefix>.events.*.<Type>` for its event
 * types, with explicit acks and unlimited deliveries. An event is acked after its handler resolves; when
 * the handler throws, the message is nak'ed with a growing delay and delivered again. Up to `maxInFlight`
 * handlers run at once, never two of the same partition; when one fails, the later events of its partition
 * are held back (nak'ed to come after it) until it succeeds, so per-partition order survives failures.
 * Ordering assumes one running instance per durable name.
 */
export class JetStreamEventConsumers implements EventConsumerHost {
  private readonly prefix: string;
  private readonly streamName: string;
  private readonly logger: MessagingLogger;
  private readonly metrics: ConsumerMetrics | undefined;
  private readonly workers = new ConsumerWorkers<JetStreamConsumerWorker>();

  constructor(private readonly options: JetStreamEventConsumersOptions) {
    this.prefix = options.prefix ?? DEFAULT_SUBJECT_PREFIX;
    this.streamName = options.streamName ?? DEFAULT_EVENT_STREAM;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.registry ? consumerMetrics(options.registry) : undefined;
  }

  /**
   * Creates or updates the durable consumer and starts handling. Resolves after the first attempt; if NATS
   * is unreachable it keeps retrying in the background (see {@link status}).
   */
  async start(options: EventConsumerOptions): Promise<RunningConsumer> {
    const resolved = resolveConsumerOptions(options);
    this.workers.assertNotRunning(resolved.name);
    const worker = new JetStreamConsumerWorker(resolved, {
      nats: this.options.nats,
      prefix: this.prefix,
      streamName: this.streamName,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      pullExpiresMs: Math.max(1000, this.options.pullExpiresMs ?? 5000),
      retry: { initialMs: 250, maxMs: 30_000, ...this.options.retry },
      reconnect: this.options.reconnect ?? {},
      logger: this.logger,
      metrics: this.metrics,
    });
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

interface WorkerSettings {
  readonly nats: NatsConnection;
  readonly prefix: string;
  readonly streamName: string;
  readonly ackWaitMs: number;
  readonly pullExpiresMs: number;
  readonly retry: RetryOptions;
  readonly reconnect: RetryOptions;
  readonly logger: MessagingLogger;
  readonly metrics: ConsumerMetrics | undefined;
}

/** An event of a partition that was nak'ed and has not been handled since. */
interface Deferred {
  /** When it will be delivered again. */
  readonly retryAt: number;
  /** Stop waiting for it after this instant (it may have gone to another instance of the consumer). */
  readonly expiresAt: number;
}

// Later events of a partition are nak'ed to arrive this long after the earlier event they wait for.
const FOLLOW_DELAY_MS = 100;

class JetStreamConsumerWorker {
  readonly name: string;
  private readonly signal = new StopSignal();
  private readonly scheduler: PartitionedScheduler;
  private readonly held = new Set<JsMsg>();
  /** Per partition: the stream sequences nak'ed and not handled since, which later events wait for. */
  private readonly deferred = new Map<string, Map<number, Deferred>>();
  private readonly types: ReadonlySet<string>;
  private clientFilter: string[] | undefined;
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private state: ConsumerStatus['state'] = 'starting';
  private failures = 0;
  private lastError: string | undefined;

  constructor(
    private readonly options: Required<EventConsumerOptions>,
    private readonly settings: WorkerSettings,
  ) {
    this.name = options.name;
    this.types = new Set(options.eventTypes);
    this.scheduler = new PartitionedScheduler(options.maxInFlight);
  }

  async start(): Promise<void> {
    // Held messages (queued behind their partition or running) must not time out and come back twice.
    this.keepAlive = setInterval(
      () => {
        for (const msg of this.held) msg.working();
      },
      Math.max(250, Math.floor(this.settings.ackWaitMs / 3)),
    );
    await new Promise<void>((firstAttempt) => {
      this.loop = this.run(firstAttempt);
    });
  }

  async stop(): Promise<void> {
    if (!this.signal.requested()) {
      this.signal.stop();
      await this.messages?.close().catch(() => undefined);
    }
    await this.loop;
    clearInterval(this.keepAlive);
    this.state = 'stopped';
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
    const { logger } = this.settings;
    while (!this.signal.requested()) {
      let failure: unknown;
      try {
        const jsm = await jetstreamManager(this.settings.nats);
        await this.ensureConsumer(jsm);
        const consumer = await jetstream(this.settings.nats).consumers.get(
          this.settings.streamName,
          this.name,
        );
        this.messages = await consumer.consume({
          max_messages: this.options.maxInFlight,
          expires: this.settings.pullExpiresMs,
        });
        if (this.signal.requested()) break;
        this.state = 'running';
        this.failures = 0;
        firstAttempt();
        logger.info({ consumer: this.name, types: this.options.eventTypes }, 'consumer started');
        for await (const msg of this.messages) {
          if (this.signal.requested()) {
            msg.nak();
            continue;
          }
          this.dispatch(msg);
          // Back-pressure: stop taking messages while twice the concurrency is already held.
          await this.scheduler.whenRoom(this.options.maxInFlight * 2);
        }
        if (!this.signal.requested()) failure = new Error('consumer message stream ended');
      } catch (error) {
        failure = error;
      } finally {
        await this.messages?.close().catch(() => undefined);
        this.messages = undefined;
      }
      if (this.signal.requested()) break;
      this.state = 'retrying';
      this.failures += 1;
      this.lastError = describeError(failure);
      const delayMs = backoffDelay(this.failures, this.settings.reconnect);
      logger.error(
        { consumer: this.name, err: failure, failures: this.failures, retryInMs: delayMs },
        'consumer failed; reconnecting',
      );
      firstAttempt();
      await this.signal.sleep(delayMs);
    }
    // Let the handlers in flight finish (and ack); queued ones nak themselves once stopping.
    await this.scheduler.idle();
    this.state = 'stopped';
    firstAttempt();
  }

  private dispatch(msg: JsMsg): void {
    if (this.clientFilter && !this.clientFilter.some((filter) => subjectMatches(filter, msg.subject))) {
      msg.ack();
      return;
    }
    let event: RecordedEvent;
    try {
      event = parseEvent(msg);
    } catch (error) {
      // Not an envelope the relay publishes: nothing any handler could do with it, ever.
      this.settings.logger.error(
        { consumer: this.name, err: error, subject: msg.subject, seq: msg.info.streamSequence },
        'consumer received a message that is not an event envelope; terminating it',
      );
      msg.term('not an event envelope');
      return;
    }
    if (!this.types.has(event.type)) {
      msg.ack();
      return;
    }
    let partition: string;
    try {
      partition = this.options.partitionKey(event);
    } catch (error) {
      this.settings.logger.error(
        { consumer: this.name, err: error, eventId: event.eventId },
        'partitionKey threw; using the stream id',
      );
      partition = event.streamId;
    }
    this.held.add(msg);
    void this.scheduler
      .submit(partition, () => this.handle(msg, event, partition))
      .catch((error: unknown) => {
        // Only an ack or nak can throw here (the connection closed under us): JetStream redelivers.
        this.settings.logger.warn(
          { consumer: this.name, err: error, eventId: event.eventId },
          'could not acknowledge an event; it will be delivered again',
        );
      })
      .finally(() => this.held.delete(msg));
  }

  /**
   * Handles one message unless an earlier event of its partition is still waiting to be delivered again
   * (it failed, or was itself held back): then this one is nak'ed to come after it. Redeliveries arrive in
   * no particular order, so the rule is by stream sequence, not by "the partition is blocked".
   */
  private async handle(msg: JsMsg, event: RecordedEvent, partition: string): Promise<void> {
    const { logger, metrics } = this.settings;
    if (this.signal.requested()) {
      msg.nak();
      return;
    }
    const seq = msg.info.streamSequence;
    const now = Date.now();
    const waitingFor = this.earlierDeferred(partition, seq, now);
    if (waitingFor !== undefined) {
      const delayMs = Math.max(0, waitingFor - now) + FOLLOW_DELAY_MS;
      msg.nak(delayMs);
      this.defer(partition, seq, now + delayMs);
      return;
    }
    try {
      await this.options.handler(event);
    } catch (error) {
      const delayMs = backoffDelay(msg.info.deliveryCount, this.settings.retry);
      msg.nak(delayMs);
      this.defer(partition, seq, now + delayMs);
      metrics?.failures.inc({ consumer: this.name });
      logger.error(
        {
          consumer: this.name,
          err: error,
          eventId: event.eventId,
          type: event.type,
          streamId: event.streamId,
          partition,
          deliveries: msg.info.deliveryCount,
          retryInMs: delayMs,
        },
        'event handler failed; the event will be delivered again',
      );
      return;
    }
    msg.ack();
    const entries = this.deferred.get(partition);
    entries?.delete(seq);
    if (entries?.size === 0) this.deferred.delete(partition);
    metrics?.handled.inc({ consumer: this.name });
  }

  private defer(partition: string, seq: number, retryAt: number): void {
    let entries = this.deferred.get(partition);
    if (!entries) {
      entries = new Map();
      this.deferred.set(partition, entries);
    }
    entries.set(seq, { retryAt, expiresAt: retryAt + 2 * this.settings.ackWaitMs });
  }

  /** The latest redelivery time of the earlier deferred events of the partition, if any is still awaited. */
  private earlierDeferred(partition: string, seq: number, now: number): number | undefined {
    const entries = this.deferred.get(partition);
    if (!entries) return undefined;
    let latest: number | undefined;
    for (const [earlier, entry] of entries) {
      if (earlier >= seq) continue;
      if (now >= entry.expiresAt) {
        entries.delete(earlier);
        this.settings.logger.warn(
          { consumer: this.name, partition, seq: earlier },
          'an event holding back its partition did not come back in time; no longer waiting for it',
        );
        continue;
      }
      latest = Math.max(latest ?? 0, entry.retryAt);
    }
    if (entries.size === 0) this.deferred.delete(partition);
    return latest;
  }

  /** Creates the durable consumer, or brings its filter and limits to what this process asks for. */
  private async ensureConsumer(jsm: JetStreamManager): Promise<void> {
    const { streamName, prefix, ackWaitMs } = this.settings;
    const subjects = this.options.eventTypes.map((type) => eventTypeSubject(type, prefix));
    let filter: Pick<ConsumerConfig, 'filter_subject' | 'filter_subjects'>;
    if (subjects.length === 1) {
      filter = { filter_subject: subjects[0] };
      this.clientFilter = undefined;
    } else if (supportsMultipleFilters(this.settings.nats)) {
      filter = { filter_subjects: subjects };
      this.clientFilter = undefined;
    } else {
      // NATS before 2.10 filters on one subject only: take every event, keep the wanted ones here.
      filter = { filter_subject: allEventsSubject(prefix) };
      this.clientFilter = subjects;
    }
    const limits = {
      ack_wait: nanos(ackWaitMs),
      max_deliver: -1,
      max_ack_pending: Math.max(100, this.options.maxInFlight * 4),
    };
    let existing: ConsumerInfo | undefined;
    try {
      existing = await jsm.consumers.info(streamName, this.name);
    } catch (error) {
      if (!(error instanceof JetStreamApiError)) throw error;
      if (error.code === JetStreamApiCodes.StreamNotFound) {
        await ensureEventStream(jsm, { name: streamName, prefix }, 'create-if-missing');
      } else if (error.code !== JetStreamApiCodes.ConsumerNotFound) {
        throw error;
      }
    }
    if (!existing) {
      await jsm.consumers.add(streamName, {
        durable_name: this.name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        replay_policy: ReplayPolicy.Instant,
        ...filter,
        ...limits,
      });
      return;
    }
    const current = existing.config;
    const sameFilter =
      sameSubjects(current.filter_subjects ?? [], filter.filter_subjects ?? []) &&
      (current.filter_subject ?? '') === (filter.filter_subject ?? '');
    const sameLimits =
      current.ack_wait === limits.ack_wait &&
      current.max_deliver === limits.max_deliver &&
      current.max_ack_pending === limits.max_ack_pending;
    if (sameFilter && sameLimits) return;
    this.settings.logger.info({ consumer: this.name, filter }, 'updating the durable consumer configuration');
    // The update is merged into the current configuration: name both filter fields so the unused one is
    // cleared (an undefined field is left out of the request).
    await jsm.consumers.update(streamName, this.name, {
      ...limits,
      filter_subject: filter.filter_subject,
      filter_subjects: filter.filter_subjects,
    });
  }
}

function sameSubjects(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

/** Several filter subjects per consumer arrived in NATS 2.10. */
function supportsMultipleFilters(nats: NatsConnection): boolean {
  const [major = 0, minor = 0] = (nats.info?.version ?? '0.0.0').split('.').map((part) => parseInt(part, 10));
  return major > 2 || (major === 2 && minor >= 10);
}

/** The relayed envelope, checked for the fields consumers rely on. */
function parseEvent(msg: JsMsg): RecordedEvent {
  const value = msg.json<Partial<RecordedEvent> | null>();
  if (
    value === null ||
    typeof value !== 'object' ||
    typeof value.eventId !== 'string' ||
    typeof value.streamId !== 'string' ||
    typeof value.type !== 'string' ||
    typeof value.version !== 'number' ||
    typeof value.position !== 'string' ||
    typeof value.metadata !== 'object'
  ) {
    throw new Error('missing envelope fields');
  }
  return value as RecordedEvent;
}
