import { productSvg } from '../../../../lib/product-image';

/** `/images/products/<sku>.svg`: a generated picture for a product, the same for a SKU every time. */
export async function GET(
  _request: Request,
  { params }: { params: Promise<{ file: string }> },
): Promise<Response> {
  const { file } = await params;
  if (!file.endsWith('.svg')) return new Response('Not found', { status: 404 });
  const sku = decodeURIComponent(file.slice(0, -'.svg'.length));
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(sku)) return new Response('Not found', { status: 404 });
  return new Response(productSvg(sku), {
    headers: {
      'content-type': 'image/svg+xml',
      'cache-control': 'public, max-age=31536000, immutable',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}
