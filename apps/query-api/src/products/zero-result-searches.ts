import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import {
  type Actor,
  type ProductSearchReturnedNoResults,
  type SearchEvent,
  type SearchFilters,
  searchStreamId,
} from '@tally/domain';
import type { EventStore } from '@tally/event-store';
import { EVENT_STORE, LOGGER, type Logger, uuidv7 } from '@tally/platform';
import { normalizeSearchQuery } from '@tally/read-models';

/** A shopper's search, as the products controller answered it. */
export interface ObservedSearch {
  readonly query: string;
  readonly filters: SearchFilters;
  /** Products found, over every page. */
  readonly results: number;
  /** The words actually searched when some were corrected, else null. */
  readonly correctedQuery: string | null;
  readonly actor: Actor;
  /** The request's correlation id, so the event can be traced to its request log line. */
  readonly correlationId: string;
  readonly at: Date;
}

/** The type and data of one kind of search event. */
type SearchEventOf<T extends SearchEvent['type']> = Pick<Extract<SearchEvent, { type: T }>, 'type' | 'data'>;

/**
 * Records shoppers' searches (ADR 0010), `ProductSearchReturnedNoResults` when nothing was found and
 * `ProductSearchReturnedResults` otherwise: the one write query-api makes. The append runs after the
 * response is decided and never delays or fails it; a failure is logged and the fact is lost, which
 * analytics can afford and a shopper's search cannot.
 */
@Injectable()
export class ZeroResultSearches implements OnApplicationShutdown {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Starts recording `search` and returns at once. */
  record(search: ObservedSearch): void {
    const normalizedQuery = normalizeSearchQuery(search.query);
    if (!normalizedQuery) return;
    const work = this.append(search, normalizedQuery).catch((error: unknown) => {
      this.logger.warn(
        { err: error, correlationId: search.correlationId, normalizedQuery },
        'search not recorded',
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

  private async append(search: ObservedSearch, normalizedQuery: string): Promise<void> {
    const occurredAt = search.at.toISOString();
    const { category, minPrice, maxPrice, inStock } = search.filters;
    // Spelled out field by field: the stored JSON is exactly the documented event, nothing more.
    const seen = {
      query: search.query,
      normalizedQuery,
      filters: { category: [...category], minPrice, maxPrice, inStock },
      occurredAt,
    } satisfies ProductSearchReturnedNoResults['data'];
    const { type, data } =
      search.results === 0
        ? ({
            type: 'ProductSearchReturnedNoResults',
            data: seen,
          } satisfies SearchEventOf<'ProductSearchReturnedNoResults'>)
        : ({
            type: 'ProductSearchReturnedResults',
            data: { ...seen, results: search.results, correctedQuery: search.correctedQuery },
          } satisfies SearchEventOf<'ProductSearchReturnedResults'>);
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
