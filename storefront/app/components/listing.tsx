import Link from 'next/link';
import { PAGE_SIZE, SORTS, type ListingParams } from '../../lib/catalog';
import { categorySlug, formatMoney } from '../../lib/format';
import type { ProductSearchResult } from '../../lib/types';
import { ProductGrid } from './product-card';

interface ListingProps {
  /** The page's own path (`/c/shoes`, `/search`). */
  readonly basePath: string;
  readonly params: ListingParams;
  readonly result: ProductSearchResult;
  /** On the search page the category is a filter; on a category page it is the page. */
  readonly categoryFilter: boolean;
}

/** URL of this listing with some parameters changed; page resets to 1 unless it is the one changed. */
export function listingHref(
  basePath: string,
  params: ListingParams,
  change: Partial<Record<'q' | 'category' | 'minPrice' | 'maxPrice' | 'sort' | 'page', string | undefined>>,
): string {
  const query = new URLSearchParams();
  const merged: Record<string, string | undefined> = {
    q: params.q,
    category: basePath === '/search' ? params.category : undefined,
    minPrice: params.minPrice?.toString(),
    maxPrice: params.maxPrice?.toString(),
    sort: params.sort,
    page: undefined,
    ...change,
  };
  for (const [key, value] of Object.entries(merged))
    if (value !== undefined && value !== '') query.set(key, value);
  const text = query.toString();
  return text ? `${basePath}?${text}` : basePath;
}

/** Facets, sort, results and pagination of a listing; every state lives in the URL. */
export function Listing({ basePath, params, result, categoryFilter }: ListingProps) {
  const pages = Math.max(1, Math.ceil(result.total / (result.pageSize || PAGE_SIZE)));
  const currency = result.items[0]?.price.currency ?? 'EUR';
  const priceActive = params.minPrice !== undefined || params.maxPrice !== undefined;
  return (
    <div className="listing">
      <aside aria-label="Filters">
        <h2>Filter</h2>
        {categoryFilter && result.facets.categories.length > 0 ? (
          <div className="facet" role="group" aria-labelledby="facet-category">
            <h3 id="facet-category">Category</h3>
            <ul>
              {params.category ? (
                <li>
                  <Link href={listingHref(basePath, params, { category: undefined })}>All categories</Link>
                </li>
              ) : null}
              {result.facets.categories.map((facet) => (
                <li key={facet.value}>
                  <Link
                    href={listingHref(basePath, params, { category: facet.value })}
                    aria-current={params.category === facet.value ? 'true' : undefined}
                  >
                    {`${facet.value} (${facet.count})`}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {!categoryFilter && result.facets.categories.length > 1 ? (
          <nav className="facet" aria-labelledby="facet-other">
            <h3 id="facet-other">Other categories</h3>
            <ul>
              {result.facets.categories
                .filter((facet) => facet.value !== params.category)
                .map((facet) => (
                  <li key={facet.value}>
                    <Link href={`/c/${categorySlug(facet.value)}`}>{facet.value}</Link>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
        <div className="facet" role="group" aria-labelledby="facet-price">
          <h3 id="facet-price">Price</h3>
          <ul>
            {priceActive ? (
              <li>
                <Link href={listingHref(basePath, params, { minPrice: undefined, maxPrice: undefined })}>
                  Any price
                </Link>
              </li>
            ) : null}
            {result.facets.priceBands
              .filter((band) => band.count > 0)
              .map((band) => {
                const selected =
                  params.minPrice === band.min && (params.maxPrice ?? null) === (band.max ?? null);
                return (
                  <li key={band.label}>
                    <Link
                      href={listingHref(basePath, params, {
                        minPrice: String(band.min),
                        maxPrice: band.max === null ? undefined : String(band.max),
                      })}
                      aria-current={selected ? 'true' : undefined}
                    >
                      {`${priceBandLabel(band.min, band.max, currency)} (${band.count})`}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </div>
      </aside>
      <section aria-labelledby="results-heading">
        <div className="toolbar">
          <h2 id="results-heading" aria-live="polite">
            {result.total === 1 ? '1 product' : `${result.total} products`}
          </h2>
          <form method="get" action={basePath} className="inline">
            {params.q ? <input type="hidden" name="q" value={params.q} /> : null}
            {categoryFilter && params.category ? (
              <input type="hidden" name="category" value={params.category} />
            ) : null}
            {params.minPrice !== undefined ? (
              <input type="hidden" name="minPrice" value={params.minPrice} />
            ) : null}
            {params.maxPrice !== undefined ? (
              <input type="hidden" name="maxPrice" value={params.maxPrice} />
            ) : null}
            <div className="field">
              <label htmlFor="sort">Sort by</label>
              <select
                id="sort"
                name="sort"
                defaultValue={params.sort ?? (params.q ? 'relevance' : 'name_asc')}
              >
                {SORTS.filter((option) => option.value !== 'relevance' || params.q).map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" className="secondary">
              Apply
            </button>
          </form>
        </div>
        {result.items.length === 0 ? (
          <p>No products match. Try fewer filters or another word.</p>
        ) : (
          <ProductGrid products={result.items} label="Products" />
        )}
        {pages > 1 ? (
          <nav className="pagination" aria-label="Pagination">
            <ul>
              {params.page > 1 ? (
                <li>
                  <Link href={listingHref(basePath, params, { page: String(params.page - 1) })} rel="prev">
                    Previous
                  </Link>
                </li>
              ) : null}
              {Array.from({ length: pages }, (_, index) => index + 1).map((page) => (
                <li key={page}>
                  <Link
                    href={listingHref(basePath, params, { page: page === 1 ? undefined : String(page) })}
                    aria-current={page === params.page ? 'page' : undefined}
                    aria-label={`Page ${page}`}
                  >
                    {page}
                  </Link>
                </li>
              ))}
              {params.page < pages ? (
                <li>
                  <Link href={listingHref(basePath, params, { page: String(params.page + 1) })} rel="next">
                    Next
                  </Link>
                </li>
              ) : null}
            </ul>
          </nav>
        ) : null}
      </section>
    </div>
  );
}

function priceBandLabel(min: number, max: number | null, currency: string): string {
  if (min === 0 && max !== null) return `Under ${formatMoney({ amount: max, currency })}`;
  if (max === null) return `${formatMoney({ amount: min, currency })} and up`;
  return `${formatMoney({ amount: min, currency })} to ${formatMoney({ amount: max, currency })}`;
}
