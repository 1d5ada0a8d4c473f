import Link from 'next/link';
import { formatMoney, stockText } from '../../lib/format';
import { productImageUrl } from '../../lib/product-image';
import type { Product } from '../../lib/types';

/** One product in a grid: picture, name (the link), price and stock. */
export function ProductCard({
  product,
  priority = false,
}: {
  readonly product: Product;
  readonly priority?: boolean;
}) {
  const href = `/p/${encodeURIComponent(product.sku)}`;
  return (
    <li className="card">
      {/* Decorative: the name next to it is the link text. */}
      <img
        src={productImageUrl(product)}
        alt=""
        width={400}
        height={400}
        loading={priority ? 'eager' : 'lazy'}
        fetchPriority={priority ? 'high' : 'auto'}
      />
      <Link href={href}>{product.name}</Link>
      <span className="price">{formatMoney(product.price)}</span>
      <span className="muted">{stockText(product.available)}</span>
    </li>
  );
}

export function ProductGrid({
  products,
  label,
}: {
  readonly products: readonly Product[];
  readonly label?: string;
}) {
  return (
    <ul className="grid" aria-label={label}>
      {products.map((product, index) => (
        <ProductCard key={product.sku} product={product} priority={index < 4} />
      ))}
    </ul>
  );
}
