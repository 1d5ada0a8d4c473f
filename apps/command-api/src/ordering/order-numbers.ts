import { setTimeout as sleep } from 'node:timers/promises';
import { ORDER_NUMBER_STREAM, type OrderNumberAllocated } from '@tally/domain';
import { ConcurrencyError, type EventMetadata, type EventStore } from '@tally/event-store';
import { deterministicEventId } from '@tally/messaging';
import { retryDelayMs, type RetryPolicy } from '../shared/retry-policy';

/**
 * Lost races on the number stream are only with other command-api processes (this one allocates one at a
 * time), so they are few; the cap keeps a pathological burst from looping forever.
 */
const ALLOCATION_RETRY: RetryPolicy = { maxAttempts: 50, baseDelayMs: 2, maxDelayMs: 100 };

/** Allocation gave up after losing the race for the next number `attempts` times. */
export class OrderNumberAllocationContended extends Error {
  constructor(orderId: string, attempts: number) {
    super(`No order number could be allocated for ${orderId} after ${attempts} attempts; retry the command`);
    this.name = 'OrderNumberAllocationContended';
  }
}

/**
 * Order numbers are the versions of one stream, {@link ORDER_NUMBER_STREAM}: allocating is appending
 * `OrderNumberAllocated { orderId }` at the current version, and the version it lands on is the number.
 * Versions are consecutive by construction, so numbers have no gaps as long as nothing is allocated for an
 * order that was not placed (the caller allocates only once `OrderPlaced` is stored).
 *
 * The event id is derived from the order id, so allocating again for the same order (a redelivered
 * `PlaceOrder`, a crash before the number was assigned) re-appends a stored event, which the store answers
 * with the ORIGINAL version: the same number, never a second one. See docs/adr/0008-checkout-edge.md.
 */
export class OrderNumberAllocator {
  /** A version the stream is known to have reached; reading from there finds the head cheaply. */
  private knownVersion = 0;
  /** Allocations in this process run one at a time: they would only race each other for the same version. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly policy: RetryPolicy = ALLOCATION_RETRY,
    private readonly random: () => number = Math.random,
  ) {}

  /** The number of order `orderId`: allocated now, or the one it was allocated before. */
  allocate(orderId: string, metadata: EventMetadata): Promise<number> {
    const run = this.tail.then(() => this.allocateNow(orderId, metadata));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async allocateNow(orderId: string, metadata: EventMetadata): Promise<number> {
    const event: OrderNumberAllocated = { type: 'OrderNumberAllocated', data: { orderId } };
    const envelope = { eventId: orderNumberEventId(orderId), type: event.type, data: event.data, metadata };
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.head();
      try {
        const { nextVersion } = await this.store.append(ORDER_NUMBER_STREAM, [envelope], {
          expectedVersion: head === 0 ? 'no_stream' : head,
        });
        // An idempotent re-append answers an older version: the head is only known to be at least it.
        this.knownVersion = Math.max(this.knownVersion, nextVersion);
        return nextVersion;
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        const delay = retryDelayMs(this.policy, attempt, this.random);
        if (delay === undefined) throw new OrderNumberAllocationContended(orderId, attempt);
        await sleep(delay);
      }
    }
  }

  /** The stream's current version: what is known, plus whatever other processes appended since. */
  private async head(): Promise<number> {
    const newer = await this.store.readStream(ORDER_NUMBER_STREAM, { fromVersion: this.knownVersion + 1 });
    this.knownVersion = newer.at(-1)?.version ?? this.knownVersion;
    return this.knownVersion;
  }
}

/** The id of order `orderId`'s allocation event: the same for every attempt, in every process. */
export function orderNumberEventId(orderId: string): string {
  return deterministicEventId(ORDER_NUMBER_STREAM, orderId);
}
