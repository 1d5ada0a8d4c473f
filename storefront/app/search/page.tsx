import type { Metadata } from 'next';
import { listingParams, searchCatalog } from '../../lib/catalog';
import { Listing } from '../components/listing';

/** One canonical URL per query: filters, sort and page are views of the same results. */
function listingCanonical(q: string | undefined): string {
  return q ? `/search?q=${encodeURIComponent(q)}` : '/search';
}

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ searchParams }: Props): Promise<Metadata> {
  const { q } = listingParams(await searchParams);
  return {
    title: q ? `Search: ${q}` : 'Search',
    alternates: { canonical: listingCanonical(q) },
  };
}

/** Search results (typo-tolerant on the query side), with category and price facets in the URL. */
export default async function SearchPage({ searchParams }: Props) {
  const raw = await searchParams;
  const category = typeof raw.category === 'string' && raw.category ? raw.category.slice(0, 100) : undefined;
  const listing = { ...listingParams(raw), ...(category ? { category } : {}) };
  const result = await searchCatalog(listing);
  return (
    <>
      <h1>{listing.q ? `Results for “${listing.q}”` : 'All products'}</h1>
      {result.ok ? (
        <Listing basePath="/search" params={listing} result={result.data} categoryFilter />
      ) : (
        <p role="alert">{result.problem.detail ?? result.problem.title}</p>
      )}
    </>
  );
}
