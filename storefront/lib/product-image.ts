import { createHash } from 'node:crypto';

/**
 * A product's picture, generated from its SKU: colours and shapes come from a hash of the SKU, so the same
 * product always looks the same and nothing is fetched from anywhere.
 */
export function productSvg(sku: string): string {
  const bytes = createHash('sha256').update(sku).digest();
  const byte = (index: number) => bytes[index % bytes.length] ?? 0;
  const hue = Math.round((byte(0) / 255) * 360);
  const hue2 = (hue + 40 + Math.round((byte(1) / 255) * 140)) % 360;
  const shapes: string[] = [];
  for (let i = 0; i < 5; i++) {
    const x = 40 + (byte(2 + i * 3) / 255) * 320;
    const y = 40 + (byte(3 + i * 3) / 255) * 320;
    const r = 30 + (byte(4 + i * 3) / 255) * 90;
    const light = 45 + (i % 3) * 12;
    shapes.push(
      i % 2 === 0
        ? `<circle cx="${x.toFixed(0)}" cy="${y.toFixed(0)}" r="${r.toFixed(0)}" fill="hsl(${hue2} 70% ${light}%)" fill-opacity="0.75"/>`
        : `<rect x="${(x - r / 2).toFixed(0)}" y="${(y - r / 2).toFixed(0)}" width="${r.toFixed(0)}" height="${r.toFixed(0)}" rx="12" fill="hsl(${(hue2 + 180) % 360} 60% ${light}%)" fill-opacity="0.7"/>`,
    );
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400">` +
    `<rect width="400" height="400" fill="hsl(${hue} 55% 88%)"/>${shapes.join('')}</svg>`
  );
}

/** Where the storefront shows a product's picture: a local image the catalog names, else the generated one. */
export function productImageUrl(product: {
  readonly sku: string;
  readonly images?: readonly string[];
}): string {
  const local = product.images?.find((image) => image.startsWith('/') && !image.startsWith('//'));
  return local ?? `/images/products/${encodeURIComponent(product.sku)}.svg`;
}
