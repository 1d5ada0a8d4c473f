import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { categoryForSlug, listingParams, searchCatalog } from '../../../lib/catalog';
import { Listing, listingHref } from '../../components/listing';

type Props = {
  readonly params: Promise<{ slug: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug } = await params;
  const category = await categoryForSlug(slug);
  return {
    title: category ?? 'Category',
    alternates: { canonical: `/c/${slug}` },
  };
}

/** A category: facets, sort and pagination, all in the URL. */
export default async function CategoryPage({ params, searchParams }: Props) {
  const { slug } = await params;
  const category = await categoryForSlug(slug);
  if (!category) notFound();
  const listing = { ...listingParams(await searchParams), category };
  const result = await searchCatalog(listing);
  const basePath = `/c/${slug}`;
  return (
    <>
      <h1>{category}</h1>
      {result.ok ? (
        <Listing basePath={basePath} params={listing} result={result.data} categoryFilter={false} />
      ) : (
        <p role="alert">
          {result.problem.detail ?? result.problem.title}{' '}
          <a href={listingHref(basePath, { page: 1 }, {})}>Reset filters</a>
        </p>
      )}
    </>
  );
}
