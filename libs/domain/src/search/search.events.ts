import type { DomainEvent } from '../shared';

/** The filters a shopper had applied to a search, as the query API received them. */
export interface SearchFilters {
  /** Category names or slugs; empty = every category. */
  readonly category: readonly string[];
  /** Inclusive lower price bound, minor units. */
  readonly minPrice: number | null;
  /** Exclusive upper price bound, minor units. */
  readonly maxPrice: number | null;
  readonly inStock: boolean;
}

/**
 * A shopper searched the catalog and found nothing, even after typo correction: demand the catalog does
 * not meet, for analysts. An observed fact, not a decision: no aggregate rules on it, and it is appended
 * by the query API (ADR 0010). Only first-page searches with words are recorded; suggestions never are.
 */
export type ProductSearchReturnedNoResults = DomainEvent<
  'ProductSearchReturnedNoResults',
  {
    /** The words as typed (trimmed). */
    readonly query: string;
    /** NFKC, lowercase, single spaces: what analysts group by. */
    readonly normalizedQuery: string;
    readonly filters: SearchFilters;
    /** ISO-8601 instant of the search. */
    readonly occurredAt: string;
  }
>;

/**
 * A shopper searched the catalog and found something: with the zero-result searches, the whole demand
 * analysts weigh (what is searched, how often it finds nothing, how often only after a correction).
 * Recorded under the same rules as {@link ProductSearchReturnedNoResults} (ADR 0010).
 */
export type ProductSearchReturnedResults = DomainEvent<
  'ProductSearchReturnedResults',
  {
    /** The words as typed (trimmed). */
    readonly query: string;
    /** NFKC, lowercase, single spaces: what analysts group by. */
    readonly normalizedQuery: string;
    readonly filters: SearchFilters;
    /** ISO-8601 instant of the search. */
    readonly occurredAt: string;
    /** Products found, over every page (at least 1). */
    readonly results: number;
    /** The words actually searched when some were corrected; null when every word was searched as typed. */
    readonly correctedQuery: string | null;
  }
>;

/** Every event of a search stream. */
export type SearchEvent = ProductSearchReturnedNoResults | ProductSearchReturnedResults;

/**
 * The stream of one UTC day's searches, `search-<yyyy-mm-dd>`, for the ISO-8601 instant `occurredAt`:
 * one stream per day keeps streams short and lets analysts read a day at a time.
 */
export const searchStreamId = (occurredAt: string): string => `search-${occurredAt.slice(0, 10)}`;
