import { queryApi } from './api';
import { categorySlug } from './format';
import type { Facet, ProductSearchResult } from './types';

/** What a listing page (category, search) filters, sorts and pages by: exactly what its URL says. */
export interface ListingParams {
  readonly q?: string;
  readonly category?: string;
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly sort?: string;
  readonly page: number;
}

export const PAGE_SIZE = 12;
export const SORTS: readonly { readonly value: string; readonly label: string }[] = [
  { value: 'relevance', label: 'Relevance' },
  { value: 'popularity', label: 'Best selling' },
  { value: 'price_asc', label: 'Price: low to high' },
  { value: 'price_desc', label: 'Price: high to low' },
  { value: 'name_asc', label: 'Name' },
  { value: 'newest', label: 'Newest' },
];

type SearchParams = Readonly<Record<string, string | string[] | undefined>>;

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function whole(value: string | undefined, min: number): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  const number = Number(value);
  return number >= min ? number : undefined;
}

/** The listing parameters in a URL's query; anything malformed is dropped rather than failing the page. */
export function listingParams(search: SearchParams): Omit<ListingParams, 'category'> {
  const sort = one(search.sort);
  const q = one(search.q)?.trim().slice(0, 200);
  return {
    ...(q ? { q } : {}),
    ...(whole(one(search.minPrice), 0) !== undefined ? { minPrice: whole(one(search.minPrice), 0) } : {}),
    ...(whole(one(search.maxPrice), 1) !== undefined ? { maxPrice: whole(one(search.maxPrice), 1) } : {}),
    ...(sort && SORTS.some((option) => option.value === sort) ? { sort } : {}),
    page: Math.min(whole(one(search.page), 1) ?? 1, 10_000),
  };
}

/** The query-api path for a listing. */
export function searchPath(params: ListingParams, pageSize = PAGE_SIZE): string {
  const query = new URLSearchParams();
  if (params.q) query.set('q', params.q);
  if (params.category) query.set('category', params.category);
  if (params.minPrice !== undefined) query.set('minPrice', String(params.minPrice));
  if (params.maxPrice !== undefined) query.set('maxPrice', String(params.maxPrice));
  if (params.sort && !(params.sort === 'relevance' && !params.q)) query.set('sort', params.sort);
  query.set('page', String(params.page));
  query.set('pageSize', String(pageSize));
  return `/api/v1/products?${query.toString()}`;
}

/**
 * Searches the catalog. A sort query-api does not know (popularity, before search ranking lands) falls back
 * to its default order instead of failing the page.
 */
export async function searchCatalog(params: ListingParams, pageSize = PAGE_SIZE) {
  const result = await queryApi<ProductSearchResult>(searchPath(params, pageSize));
  if (!result.ok && result.status === 400 && params.sort) {
    const { sort: _sort, ...rest } = params;
    return queryApi<ProductSearchResult>(searchPath(rest, pageSize));
  }
  return result;
}

/** Every category with its product count (from the unfiltered facets), for the home page and slugs. */
export async function loadCategories(): Promise<readonly Facet[]> {
  const result = await queryApi<ProductSearchResult>('/api/v1/products?page=1&pageSize=1');
  return result.ok ? result.data.facets.categories : [];
}

/** The category a `/c/<slug>` URL names. */
export async function categoryForSlug(slug: string): Promise<string | undefined> {
  const categories = await loadCategories();
  return categories.find((category) => categorySlug(category.value) === slug)?.value;
}
