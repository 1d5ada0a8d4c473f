import type { Metadata } from 'next';
import Link from 'next/link';
import { loadCategories, searchCatalog } from '../lib/catalog';
import { categorySlug } from '../lib/format';
import { ProductGrid } from './components/product-card';

export const metadata: Metadata = { alternates: { canonical: '/' } };

/** Home: categories, featured products (newest) and best sellers (by popularity). */
export default async function HomePage() {
  const [categories, featured, best] = await Promise.all([
    loadCategories(),
    searchCatalog({ sort: 'newest', page: 1 }, 4),
    searchCatalog({ sort: 'popularity', page: 1 }, 8),
  ]);
  return (
    <>
      <h1>Tally</h1>
      <section aria-labelledby="categories-heading">
        <h2 id="categories-heading">Categories</h2>
        {categories.length === 0 ? (
          <p>No categories yet.</p>
        ) : (
          <ul className="inline">
            {categories.map((category) => (
              <li key={category.value} className="card">
                <Link href={`/c/${categorySlug(category.value)}`}>{category.value}</Link>
                <span className="muted">{`${category.count} products`}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="featured-heading">
        <h2 id="featured-heading">Featured</h2>
        {featured.ok ? (
          <ProductGrid products={featured.data.items} label="Featured products" />
        ) : (
          <Unavailable />
        )}
      </section>
      <section aria-labelledby="best-heading">
        <h2 id="best-heading">Best sellers</h2>
        {best.ok ? <ProductGrid products={best.data.items} label="Best sellers" /> : <Unavailable />}
      </section>
    </>
  );
}

function Unavailable() {
  return <p role="alert">Products cannot be shown right now. Please try again shortly.</p>;
}
