import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type Actor,
  type ProductSearchReturnedNoResults,
  type SearchFilters,
  searchStreamId,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, LOGGER, type Logger, uuidv7 } from '@tally/platform';
import { normalizeSearchQuery } from '@tally/read-models';

/** A search that found nothing, as the products controller saw it. */
export interface ZeroResultSearch {
  readonly query: string;
  readonly filters: SearchFilters;
  readonly actor: Actor;
  /** The request's correlation id, so the event can be traced to its request log line. */
  readonly correlationId: string;
  readonly at: Date;
}

/**
 * Records `ProductSearchReturnedNoResults` (ADR 0010): the one write query-api makes. The append runs
 * after the response is decided and never delays or fails it; a failure is logged and the fact is lost,
 * which analytics can afford and a shopper's search cannot.
 */
@Injectable()
export class ZeroResultSearches implements OnApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts recording `search` and returns at once. */
  record(search: ZeroResultSearch): void {
    const normalizedQuery = normalizeSearchQuery(search.query);
    if (!normalizedQuery) return;
    const work = this.append(search, normalizedQuery).catch((error: unknown) => {
      this.logger.warn(
        { err: error, correlationId: search.correlationId, normalizedQuery },
        'zero-result search not recorded',
      );
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Resolves once every recording started so far has finished (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  private async append(search: ZeroResultSearch, normalizedQuery: string): Promise<void> {
    const occurredAt = search.at.toISOString();
    const { category, minPrice, maxPrice, inStock } = search.filters;
    // Spelled out field by field: the stored JSON is exactly the documented event, nothing more.
    const data = {
      query: search.query,
      normalizedQuery,
      filters: { category: [...category], minPrice, maxPrice, inStock },
      occurredAt,
    } satisfies ProductSearchReturnedNoResults['data'];
    const type: ProductSearchReturnedNoResults['type'] = 'ProductSearchReturnedNoResults';
    // No command caused it: the event is its own command, correlated with the request.
    const commandId = uuidv7();
    await this.store.append(
      searchStreamId(occurredAt),
      [
        {
          eventId: uuidv7(),
          type,
          data,
          metadata: {
            commandId,
            correlationId: search.correlationId,
            causationId: commandId,
            actor: search.actor,
            occurredAt,
            schemaVersion: 1,
          },
        },
      ],
      { expectedVersion: 'any' },
    );
  }
}
