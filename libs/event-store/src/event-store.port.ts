/**
 * The event store port (DESIGN.md §4). Every adapter (PostgreSQL, EventStoreDB) satisfies the shared
 * contract suite in `event-store.contract.ts`.
 */

/** Plain JSON: what an event's data and metadata may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A position in the global log. Opaque to callers, but checkpoints compare correctly as plain strings:
 * `a < b` (JavaScript string comparison) iff `a` was delivered before `b` by `readAll`.
 */
export type Checkpoint = string;

/** The checkpoint that precedes every event. */
export const START: Checkpoint = '';

/** Who caused an event. */
export interface EventActor {
  readonly id: string;
  readonly role: string;
}

/** Who, when and why for every event (DESIGN.md §3). */
export interface EventMetadata {
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly actor: EventActor;
  /** ISO-8601 instant from the command. */
  readonly occurredAt: string;
  readonly schemaVersion: number;
}

/** An event about to be appended. `eventId` is a UUID v7 chosen by the writer; re-appending it is a no-op. */
export interface NewEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: JsonValue;
  readonly metadata: EventMetadata;
}

/** A stored event: the envelope of DESIGN.md §3. */
export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  /** 1-based position within the stream. */
  readonly version: number;
  /** Position in the global log. */
  readonly position: Checkpoint;
  /** ISO-8601 instant at which the store committed the event. */
  readonly recordedAt: string;
  /**
   * SHA-256 (lowercase hex) chaining this event to the previous one in its stream (`computeEventHash`,
   * ADR 0012). Set by the PostgreSQL store; the EventStoreDB adapter leaves it undefined.
   */
  readonly hash?: string;
}

/**
 * What the writer believes about the stream:
 * a version number (the stream's current last version), `'no_stream'`, `'stream_exists'` or `'any'`.
 */
export type ExpectedVersion = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendOptions {
  readonly expectedVersion: ExpectedVersion;
}

export interface AppendResult {
  /** The stream's version after the append (the version of its last event). */
  readonly nextVersion: number;
  /** The global position of the last appended event; usable as a consistency token. */
  readonly checkpoint: Checkpoint;
}

export interface ReadStreamOptions {
  /** First version to return (inclusive, default 1). */
  readonly fromVersion?: number;
  /** Last version to return (inclusive). */
  readonly toVersion?: number;
  /** Only events recorded at or before this instant. */
  readonly asOf?: Date;
}

export interface ReadAllOptions {
  /** Return events after this checkpoint (default: from the start). */
  readonly after?: Checkpoint;
  readonly limit: number;
  /** Only events of these types. */
  readonly types?: readonly string[];
}

export interface ReadAllResult {
  readonly events: RecordedEvent[];
  /**
   * Where the next `readAll` should continue from. It is at least the position of the last returned event
   * and may be further when events of other types were scanned past.
   */
  readonly next: Checkpoint;
}

export interface SubscribeOptions {
  readonly after?: Checkpoint;
  readonly types?: readonly string[];
  /** Events per batch handed to the handler. */
  readonly batchSize?: number;
}

/** A running subscription; `stop` resolves once the handler will not be called again. */
export interface Subscription {
  stop(): Promise<void>;
  /** Resolves when the subscription fails (the handler threw, or the store is unreachable). */
  readonly failed: Promise<Error>;
}

/**
 * The handler receives batches in `readAll` order plus the checkpoint after the batch (which can move
 * even when the batch is empty, as events of other types are scanned past).
 */
export type SubscriptionHandler = (events: readonly RecordedEvent[], next: Checkpoint) => Promise<void>;

export interface EventStore {
  /** Appends atomically. Throws {@link ConcurrencyError} when `expectedVersion` does not hold. */
  append(streamId: string, events: readonly NewEvent[], options: AppendOptions): Promise<AppendResult>;
  /** The stream's events in version order; `[]` for an unknown stream. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Gap-free, duplicate-free read of the global log in commit-safe order. */
  readAll(options: ReadAllOptions): Promise<ReadAllResult>;
  /** Catch-up then live delivery, in the same order as `readAll`. */
  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription;
  /** The checkpoint of the last event `readAll` can currently see (START when empty). */
  headCheckpoint(): Promise<Checkpoint>;
  close(): Promise<void>;
}
