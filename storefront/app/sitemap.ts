import type { MetadataRoute } from 'next';
import { queryApi } from '../lib/api';
import { storefrontConfig } from '../lib/config';
import { categorySlug } from '../lib/format';
import type { ProductSearchResult } from '../lib/types';

/** Rendered per request: the catalog changes, and the build has no API to ask. */
export const dynamic = 'force-dynamic';

/** Home, every category and every published product (up to 50 pages of 100). */
export default async function sitemap(): Promise<MetadataRoute.Sitemap> {
  const base = storefrontConfig().publicUrl;
  const entries: MetadataRoute.Sitemap = [{ url: `${base}/`, changeFrequency: 'daily', priority: 1 }];
  const categories = new Set<string>();
  for (let page = 1; page <= 50; page++) {
    const result = await queryApi<ProductSearchResult>(
      `/api/v1/products?page=${page}&pageSize=100&sort=name_asc`,
      {
        consistency: null,
      },
    );
    if (!result.ok) break;
    for (const facet of result.data.facets.categories) categories.add(facet.value);
    for (const product of result.data.items)
      entries.push({
        url: `${base}/p/${encodeURIComponent(product.sku)}`,
        changeFrequency: 'daily',
        priority: 0.8,
      });
    if (page * result.data.pageSize >= result.data.total) break;
  }
  for (const category of categories)
    entries.push({ url: `${base}/c/${categorySlug(category)}`, changeFrequency: 'daily', priority: 0.9 });
  return entries;
}
