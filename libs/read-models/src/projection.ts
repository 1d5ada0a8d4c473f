import type { Migration, SqlExecutor } from '@tally/database';
import type { DomainEvent } from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';

/**
 * A projection (DESIGN.md §6): a name, the event types it handles, and a handler that writes its tables.
 *
 * `apply` receives a batch in `readAll` order inside the runner's transaction; the runner advances the
 * projection's checkpoint in that same transaction, so a batch takes effect exactly once. To isolate a
 * poison event the runner may call `apply` again with a single event of a batch that failed.
 *
 * Handlers never throw on business data (an event for an unknown cart is ignored) and are idempotent
 * against replays (each read-model row remembers the stream version it last applied).
 */
export interface Projection {
  /** Stable name: the checkpoint key and the `projection` label of every metric. */
  readonly name: string;
  /** Only events of these types are read from the store. */
  readonly eventTypes: readonly string[];
  apply(tx: SqlExecutor, events: readonly RecordedEvent[]): Promise<void>;
  /** The tables the projection writes; a projection without it cannot be rebuilt or verified. */
  readonly storage?: ProjectionStorage;
  /**
   * The key of the rows an event touches (an order id, a cart id), when events of different keys never
   * touch the same rows. A rebuild then applies each batch as a few concurrent transactions, one per
   * group of keys, each event of a key in order, and saves its checkpoint once they all committed: a
   * crash in between replays the batch, which the handlers' idempotence makes harmless. An event without
   * a key makes its batch run as one transaction.
   */
  readonly partitionKey?: (event: RecordedEvent) => string | undefined;
}

/**
 * Where a projection keeps its read model, so that a rebuild can create a second copy of exactly those
 * tables in another schema (blue/green, DESIGN.md §6) and swap it in.
 *
 * `migrations` must create every one of `tables` (with their indexes and constraints) in the final shape
 * the module migrations give them, using unqualified names, and touch nothing else: a rebuild runs them
 * with its own schema first on the search path.
 */
export interface ProjectionStorage {
  readonly tables: readonly string[];
  readonly migrations: readonly Migration[];
  /**
   * Columns whose values legitimately differ between two builds from the same events (a `now()`
   * timestamp), left out when `verify` compares a rebuilt copy with the live one. Tally's projections have
   * none: every value comes from the events.
   */
  readonly volatileColumns?: Readonly<Record<string, readonly string[]>>;
  /**
   * Secondary indexes and foreign keys (by name) that the projection's own statements do not read
   * through. A rebuild drops them from the empty copy and creates them once the copy has caught up,
   * before the switch: one sort per index and one check per key instead of maintaining them row by row,
   * which is most of the cost of a bulk fill. Unique indexes are never deferred (they decide conflicts).
   */
  readonly deferredDuringRebuild?: readonly string[];
  /**
   * Objects that depend on the tables (views, grants) and must follow a blue/green switch: inside the
   * switch transaction the rebuild drops `dropViews` (in the live schema) before moving the tables, and
   * calls `recreate` with the live schema first on the search path after moving them.
   */
  readonly afterSwitch?: {
    readonly dropViews: readonly string[];
    recreate(tx: SqlExecutor): Promise<void>;
  };
}

/** A recorded event whose `type` and `data` are those of one domain event. */
export type ProjectedEvent<E extends DomainEvent> = Omit<RecordedEvent, 'type' | 'data'> & {
  readonly type: E['type'];
  readonly data: E['data'];
};

/** One handler per event type of the union `E`. */
export type ProjectionHandlers<E extends DomainEvent> = {
  readonly [K in E['type']]: (
    tx: SqlExecutor,
    event: ProjectedEvent<Extract<E, { type: K }>>,
  ) => Promise<void>;
};

/**
 * Builds a {@link Projection} from one handler per event type; the handled types are the keys. Events run
 * one after another, in order, in the caller's transaction.
 */
export function defineProjection<E extends DomainEvent>(
  name: string,
  handlers: ProjectionHandlers<E>,
  options: { readonly storage?: ProjectionStorage } = {},
): Projection {
  const byType = new Map<string, (tx: SqlExecutor, event: RecordedEvent) => Promise<void>>(
    Object.entries(handlers) as [string, (tx: SqlExecutor, event: RecordedEvent) => Promise<void>][],
  );
  return {
    name,
    eventTypes: [...byType.keys()],
    ...(options.storage ? { storage: options.storage } : {}),
    async apply(tx, events) {
      for (const event of events) await byType.get(event.type)?.(tx, event);
    },
  };
}

/** The business time of an event: when its command was issued, falling back to when it was stored. */
export function occurredAt(event: Pick<RecordedEvent, 'metadata' | 'recordedAt'>): string {
  return event.metadata.occurredAt || event.recordedAt;
}

/**
 * A {@link Projection.partitionKey} that reads one string field of the event's data (an order id, a cart
 * id); undefined when the field is missing or not a string.
 */
export function partitionByDataField(field: string): (event: RecordedEvent) => string | undefined {
  return (event) => {
    const data = event.data;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
    const value = (data as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : undefined;
  };
}
