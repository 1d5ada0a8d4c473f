import type {
  AllStreamResolvedEvent,
  AllStreamSubscription,
  AppendExpectedRevision,
  EventStoreDBClient,
  JSONType,
  Position,
  ResolvedEvent,
} from '@eventstore/db-client';
import { MAX_VERSION, originalResult, type StoredCopy, validateAppend } from '../append-validation';
import { decodePair, encodePair } from '../checkpoint';
import { ConcurrencyError } from '../errors';
import {
  type AppendOptions,
  type AppendResult,
  type Checkpoint,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type JsonValue,
  type NewEvent,
  type ReadAllOptions,
  type ReadAllResult,
  type ReadStreamOptions,
  type RecordedEvent,
  START,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionHandler,
} from '../event-store.port';

/** The client library, loaded on first use: it pulls in gRPC, which apps on Postgres never need. */
type Esdb = typeof import('@eventstore/db-client');

const DEFAULT_BATCH_SIZE = 500;
// Before appending, the adapter reads this many of the stream's last events to recognise a retried batch
// (EventStoreDB only recognises one when the retry uses the original expected revision).
const IDEMPOTENCY_WINDOW = 200;
// 'any' / 'stream_exists' appends are pinned to the revision just read; a concurrent writer makes them retry.
const MAX_APPEND_ATTEMPTS = 100;

/** Encodes an EventStoreDB `$all` position (commit, prepare) so that string order is `$all` order. */
export function encodeEventStoreDbCheckpoint(position: Position): Checkpoint {
  return encodePair(position.commit, position.prepare);
}

/** Decodes {@link encodeEventStoreDbCheckpoint}; START decodes to `undefined` (the beginning of `$all`). */
export function decodeEventStoreDbCheckpoint(checkpoint: Checkpoint): Position | undefined {
  if (checkpoint === START) return undefined;
  const [commit, prepare] = decodePair(checkpoint);
  return { commit, prepare };
}

/**
 * The event store on EventStoreDB (`EVENTSTORE_URL`). Versions are revisions + 1; checkpoints are `$all`
 * positions, which EventStoreDB assigns in commit order, so the global read has no gaps to guard against.
 * System events (`$`-prefixed types or streams) are skipped, but `next` moves past them.
 *
 * Limits compared with the Postgres adapter: a retried batch is recognised when its stored copy is among
 * the stream's last {@link IDEMPOTENCY_WINDOW} events, and event ids are unique per stream, not globally.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventStoreDbSubscription>();

  private constructor(
    private readonly esdb: Esdb,
    private readonly client: EventStoreDBClient,
  ) {}

  /** Connects with an EventStoreDB connection string, e.g. `esdb://localhost:2113?tls=false`. */
  static async connect(connectionString: string): Promise<EventStoreDbEventStore> {
    const esdb = await import('@eventstore/db-client');
    return new EventStoreDbEventStore(esdb, esdb.EventStoreDBClient.connectionString(connectionString));
  }

  async append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const expected = options.expectedVersion;
    const { ids } = validateAppend(streamId, events, expected);
    const data = events.map((event) =>
      this.esdb.jsonEvent({
        id: event.eventId.toLowerCase(),
        type: event.type,
        data: event.data as JSONType,
        metadata: event.metadata as unknown as JSONType,
      }),
    );
    for (let attempt = 1; ; attempt++) {
      const recent = await this.lastEvents(streamId, IDEMPOTENCY_WINDOW);
      const original = originalResult(streamId, ids, recent.copies);
      if (original) return original;
      const head = recent.head;
      const revision = expectedRevision(this.esdb, expected, head);
      if (revision === undefined) {
        throw new ConcurrencyError(streamId, expected, head === 0 ? 'no_stream' : head);
      }
      try {
        const result = await this.client.appendToStream(streamId, data, { expectedRevision: revision });
        const nextVersion = Number(result.nextExpectedRevision) + 1;
        if (events.length === 1 && result.position) {
          return { nextVersion, checkpoint: encodeEventStoreDbCheckpoint(result.position) };
        }
        // The position of the batch's last event, read back rather than inferred from the append result.
        const [last] = await this.readStream(streamId, { fromVersion: nextVersion, toVersion: nextVersion });
        if (!last)
          throw new Error(`Append to ${streamId}: event ${nextVersion} is not readable after the append`);
        return { nextVersion, checkpoint: last.position };
      } catch (error) {
        if (!(error instanceof this.esdb.WrongExpectedVersionError)) throw error;
        const pinned = expected === 'any' || expected === 'stream_exists';
        if (pinned && attempt < MAX_APPEND_ATTEMPTS) continue;
        const after = await this.lastEvents(streamId, IDEMPOTENCY_WINDOW);
        const retried = originalResult(streamId, ids, after.copies);
        if (retried) return retried;
        throw new ConcurrencyError(streamId, expected, after.head === 0 ? 'no_stream' : after.head);
      }
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const from = Math.max(1, options.fromVersion ?? 1);
    const to = Math.min(MAX_VERSION, options.toVersion ?? MAX_VERSION);
    if (to < from) return [];
    const asOf = options.asOf?.getTime();
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        direction: this.esdb.FORWARDS,
        fromRevision: BigInt(from - 1),
        maxCount: to - from + 1,
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (!event) continue;
        if (asOf !== undefined && Date.parse(event.recordedAt) > asOf) break;
        events.push(event);
      }
    } catch (error) {
      if (error instanceof this.esdb.StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(options: ReadAllOptions): Promise<ReadAllResult> {
    const after = options.after ?? START;
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`readAll limit must be >= 1: ${limit}`);
    const from = decodeEventStoreDbCheckpoint(after);
    const types = options.types ? new Set(options.types) : undefined;
    const events: RecordedEvent[] = [];
    let next = after;
    // `fromPosition` is inclusive: ask for one more and drop the event at `after` itself.
    const read = this.client.readAll({
      direction: this.esdb.FORWARDS,
      fromPosition: from ?? this.esdb.START,
      maxCount: from ? limit + 1 : limit,
    });
    let scanned = 0;
    for await (const resolved of read) {
      const position = resolved.event?.position;
      if (!position) continue;
      const checkpoint = encodeEventStoreDbCheckpoint(position);
      if (checkpoint <= after) continue;
      if (scanned === limit) break;
      scanned += 1;
      next = checkpoint;
      const event = toRecordedEvent(resolved);
      if (event && (!types || types.has(event.type))) events.push(event);
    }
    return { events, next };
  }

  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    const subscription = new EventStoreDbSubscription(
      this,
      this.esdb,
      this.client,
      options,
      handler,
      (ended) => this.subscriptions.delete(ended),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headCheckpoint(): Promise<Checkpoint> {
    const read = this.client.readAll({
      direction: this.esdb.BACKWARDS,
      fromPosition: this.esdb.END,
      maxCount: 1,
    });
    for await (const resolved of read) {
      const position = resolved.event?.position;
      if (position) return encodeEventStoreDbCheckpoint(position);
    }
    return START;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  /** The stream's current version and where the ids of its last `count` events are stored. */
  private async lastEvents(streamId: string, count: number): Promise<{ head: number; copies: StoredCopy[] }> {
    const copies: StoredCopy[] = [];
    let head = 0;
    try {
      const read = this.client.readStream(streamId, {
        direction: this.esdb.BACKWARDS,
        fromRevision: this.esdb.END,
        maxCount: count,
      });
      for await (const resolved of read) {
        const event = toRecordedEvent(resolved);
        if (!event) continue;
        head = Math.max(head, event.version);
        copies.push({ eventId: event.eventId, streamId, version: event.version, checkpoint: event.position });
      }
    } catch (error) {
      if (!(error instanceof this.esdb.StreamNotFoundError)) throw error;
    }
    return { head, copies };
  }
}

/**
 * Catch-up over `readAll` pages (batches), then a live `$all` subscription from where the catch-up ended,
 * filtered on the server; its checkpoints move `next` past filtered events.
 */
class EventStoreDbSubscription implements Subscription {
  readonly failed: Promise<Error>;
  private reportFailure!: (error: Error) => void;
  private readonly done: Promise<void>;
  private stopping = false;
  private live: AllStreamSubscription | undefined;
  private delivered: Checkpoint;
  // Handler calls from the event stream and from checkpoint callbacks run one at a time.
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStoreDbEventStore,
    private readonly esdb: Esdb,
    private readonly client: EventStoreDBClient,
    private readonly options: SubscribeOptions,
    private readonly handler: SubscriptionHandler,
    private readonly onEnd: (subscription: EventStoreDbSubscription) => void,
  ) {
    this.delivered = options.after ?? START;
    this.failed = new Promise<Error>((resolve) => {
      this.reportFailure = resolve;
    });
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.live?.unsubscribe().catch(() => undefined);
    await this.done;
  }

  private async run(): Promise<void> {
    try {
      await this.catchUp();
      if (!this.isStopping()) await this.followLive();
      if (!this.isStopping()) throw new Error('The EventStoreDB subscription to $all ended');
    } catch (error) {
      await this.fail(error);
    } finally {
      this.onEnd(this);
    }
  }

  private async fail(error: unknown): Promise<void> {
    if (!this.isStopping()) this.reportFailure(error instanceof Error ? error : new Error(String(error)));
    this.stopping = true;
    await this.live?.unsubscribe().catch(() => undefined);
  }

  private async catchUp(): Promise<void> {
    const limit = this.options.batchSize ?? DEFAULT_BATCH_SIZE;
    const types = this.options.types;
    while (!this.isStopping()) {
      const page = await this.store.readAll({ after: this.delivered, limit, ...(types ? { types } : {}) });
      if (page.next === this.delivered) return;
      await this.deliver(page.events, page.next);
    }
  }

  private async followLive(): Promise<void> {
    const types = this.options.types;
    const checkpointReached = (_: AllStreamSubscription, position: Position) =>
      this.enqueue([], encodeEventStoreDbCheckpoint(position)).catch((error: unknown) => this.fail(error));
    const filter = types
      ? this.esdb.eventTypeFilter({ regex: `^(?:${types.map(escapeRegex).join('|')})$`, checkpointReached })
      : this.esdb.excludeSystemEvents({ checkpointReached });
    const from = decodeEventStoreDbCheckpoint(this.delivered);
    this.live = this.client.subscribeToAll({ fromPosition: from ?? this.esdb.START, filter });
    for await (const resolved of this.live) {
      if (this.isStopping()) break;
      const event = toRecordedEvent(resolved);
      if (event) await this.enqueue([event], event.position);
    }
  }

  private enqueue(events: RecordedEvent[], next: Checkpoint): Promise<void> {
    const step = this.queue.then(() => this.deliver(events, next));
    this.queue = step.catch(() => undefined);
    return step;
  }

  private async deliver(events: readonly RecordedEvent[], next: Checkpoint): Promise<void> {
    if (this.isStopping() || next <= this.delivered) return;
    const fresh = events.filter((event) => event.position > this.delivered);
    await this.handler(fresh, next);
    this.delivered = next;
  }

  // A method, so that the compiler does not assume the flag is unchanged across awaits.
  private isStopping(): boolean {
    return this.stopping;
  }
}

/** The revision to append at; 'any' and 'stream_exists' are pinned to the head just read. */
function expectedRevision(
  esdb: Esdb,
  expected: ExpectedVersion,
  head: number,
): AppendExpectedRevision | undefined {
  switch (expected) {
    case 'any':
      return head === 0 ? esdb.NO_STREAM : BigInt(head - 1);
    case 'stream_exists':
      return head === 0 ? undefined : BigInt(head - 1);
    case 'no_stream':
      return esdb.NO_STREAM;
    default:
      return expected === 0 ? esdb.NO_STREAM : BigInt(expected - 1);
  }
}

function toRecordedEvent(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event?.isJson || event.type.startsWith('$') || event.streamId.startsWith('$')) return undefined;
  const position = event.position ?? positionOf(resolved.commitPosition);
  if (!position) return undefined;
  return {
    eventId: event.id,
    streamId: event.streamId,
    version: Number(event.revision) + 1,
    type: event.type,
    data: event.data as JsonValue,
    metadata: event.metadata as unknown as EventMetadata,
    position: encodeEventStoreDbCheckpoint(position),
    recordedAt: event.created.toISOString(),
  };
}

// Servers before 22.6 return no position on stream reads; their events have prepare == commit.
function positionOf(commit: bigint | undefined): Position | undefined {
  return commit === undefined ? undefined : { commit, prepare: commit };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
