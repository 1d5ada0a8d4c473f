import type { Metadata } from 'next';
import { headers } from 'next/headers';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { queryApi } from '../../../lib/api';
import { storefrontConfig } from '../../../lib/config';
import { csrfToken } from '../../../lib/csrf';
import { categorySlug, decimalAmount, formatMoney, stockText } from '../../../lib/format';
import { productImageUrl } from '../../../lib/product-image';
import type { Product, StockLevel } from '../../../lib/types';
import { AddToCartForm } from '../../components/add-to-cart-form';

type Props = { readonly params: Promise<{ sku: string }> };

async function loadProduct(sku: string): Promise<Product | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(sku)) return undefined;
  const result = await queryApi<Product>(`/api/v1/products/${encodeURIComponent(sku)}`);
  return result.ok && result.data.status === 'published' ? result.data : undefined;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { sku } = await params;
  const product = await loadProduct(sku);
  if (!product) return { title: 'Not found' };
  return {
    title: product.name,
    description: product.description.slice(0, 160),
    alternates: { canonical: `/p/${encodeURIComponent(product.sku)}` },
    openGraph: { title: product.name, images: [productImageUrl(product)] },
  };
}

/** A product: picture, price, stock state, add to cart; JSON-LD Product for search engines. */
export default async function ProductPage({ params }: Props) {
  const { sku } = await params;
  const product = await loadProduct(sku);
  if (!product) notFound();
  const [stock, csrf, nonce] = await Promise.all([
    queryApi<StockLevel>(`/api/v1/inventory/${encodeURIComponent(product.sku)}`),
    csrfToken(),
    headers().then((list) => list.get('x-nonce') ?? undefined),
  ]);
  const available = stock.ok ? stock.data.available : product.available;
  const url = `${storefrontConfig().publicUrl}/p/${encodeURIComponent(product.sku)}`;
  const jsonLd = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    image: `${storefrontConfig().publicUrl}${productImageUrl(product)}`,
    url,
    offers: {
      '@type': 'Offer',
      url,
      priceCurrency: product.price.currency,
      price: decimalAmount(product.price),
      availability: available > 0 ? 'https://schema.org/InStock' : 'https://schema.org/OutOfStock',
    },
  };
  return (
    <article className="product">
      <script
        type="application/ld+json"
        nonce={nonce}
        // JSON-LD is data, not script; `<` is escaped so no text in it can close the element.
        dangerouslySetInnerHTML={{ __html: JSON.stringify(jsonLd).replace(/</g, '\\u003c') }}
      />
      <img src={productImageUrl(product)} alt={product.name} width={400} height={400} fetchPriority="high" />
      <div className="stack">
        <nav aria-label="Breadcrumb">
          <Link href={`/c/${categorySlug(product.category)}`}>{product.category}</Link>
        </nav>
        <h1>{product.name}</h1>
        <p className="price">{formatMoney(product.price)}</p>
        <p>{stockText(available)}</p>
        <p>{product.description}</p>
        {Object.keys(product.attributes).length > 0 ? (
          <dl>
            {Object.entries(product.attributes).map(([key, value]) => (
              <div key={key}>
                <dt>{key}</dt>
                <dd>{value}</dd>
              </div>
            ))}
          </dl>
        ) : null}
        <AddToCartForm sku={product.sku} csrf={csrf} disabled={available <= 0} />
      </div>
    </article>
  );
}
