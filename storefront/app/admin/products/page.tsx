import { randomUUID } from 'node:crypto';
import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { queryApi } from '../../../lib/api';
import { csrfToken } from '../../../lib/csrf';
import { formatMoney } from '../../../lib/format';
import type { ProductSearchResult } from '../../../lib/types';
import { createProduct } from '../_lib/actions';
import { outcomeOf, pageParam, param, requireAdmin } from '../_lib/admin';
import { Field, FormGuard, OutcomeMessages, Pagination } from '../_lib/ui';

export const metadata: Metadata = { title: 'Products' };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

const PAGE_SIZE = 25;

/** The catalog for the shop: find a product, open it to edit, or create a new one (as a draft). */
export default async function AdminProductsPage({ searchParams }: Props) {
  await requireAdmin('/admin/products');
  const params = await searchParams;
  const sku = param(params, 'sku')?.trim();
  // "Open by SKU" goes straight to a product's page, whatever its status.
  if (sku) redirect(`/admin/products/${encodeURIComponent(sku)}`);
  const q = param(params, 'q')?.trim() ?? '';
  const page = pageParam(params);
  const outcome = outcomeOf(params);
  const query = new URLSearchParams({
    page: String(page),
    pageSize: String(PAGE_SIZE),
    sort: 'name_asc',
    includeUnpublished: 'true',
  });
  if (q) query.set('q', q);
  const [result, csrf] = await Promise.all([
    queryApi<ProductSearchResult>(`/api/v1/products?${query.toString()}`),
    csrfToken(),
  ]);
  const pages = result.ok ? Math.max(1, Math.ceil(result.data.total / PAGE_SIZE)) : 1;
  const href = (target: number) =>
    `/admin/products?${new URLSearchParams({ ...(q ? { q } : {}), page: String(target) }).toString()}`;
  return (
    <>
      <h1>Products</h1>
      <OutcomeMessages outcome={outcome} />
      <div className="admin-tools">
        <form role="search" action="/admin/products" className="inline" aria-label="Find products">
          <label htmlFor="admin-product-q">Find products</label>
          <input id="admin-product-q" name="q" type="search" defaultValue={q} />
          <button type="submit">Find</button>
        </form>
        <form action="/admin/products" className="inline" aria-label="Open a product by SKU">
          <label htmlFor="admin-product-sku">SKU</label>
          <input id="admin-product-sku" name="sku" required maxLength={64} />
          <button type="submit">Open</button>
        </form>
      </div>
      {result.ok ? (
        <>
          <table>
            <caption>{`${result.data.total} ${result.data.total === 1 ? 'product' : 'products'}${q ? ` matching “${q}”` : ''}, drafts included`}</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">SKU</th>
                <th scope="col">Category</th>
                <th scope="col">Price</th>
                <th scope="col">Available</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {result.data.items.map((product) => (
                <tr key={product.sku}>
                  <th scope="row">
                    <Link href={`/admin/products/${encodeURIComponent(product.sku)}`}>{product.name}</Link>
                  </th>
                  <td>{product.sku}</td>
                  <td>{product.category}</td>
                  <td>{formatMoney(product.price)}</td>
                  <td>{product.available}</td>
                  <td>{product.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination page={page} pages={pages} href={href} label="Product pages" />
        </>
      ) : (
        <p role="alert" className="alert">
          {`The catalog could not be read: ${result.problem.detail ?? result.problem.title}`}
        </p>
      )}

      <section aria-labelledby="create-product">
        <h2 id="create-product">Create a product</h2>
        <p className="muted">New products start as drafts: shoppers see them once you publish them.</p>
        <form action={createProduct} className="stack admin-form">
          <FormGuard csrf={csrf} requestId={randomUUID()} />
          <Field
            id="new-sku"
            name="sku"
            label="SKU"
            outcome={outcome}
            required
            maxLength={64}
            hint="e.g. TEE-BLUE-M"
          />
          <Field id="new-name" name="name" label="Name" outcome={outcome} required maxLength={200} />
          <Field
            id="new-category"
            name="category"
            label="Category"
            outcome={outcome}
            required
            maxLength={100}
          />
          <Field
            id="new-description"
            name="description"
            label="Description"
            outcome={outcome}
            required
            multiline
            maxLength={5000}
          />
          <Field
            id="new-price"
            name="price"
            label="Price"
            outcome={outcome}
            required
            inputMode="decimal"
            hint="In euros, e.g. 24.90"
          />
          <input type="hidden" name="currency" value="EUR" />
          <div>
            <button type="submit">Create product</button>
          </div>
        </form>
      </section>
    </>
  );
}
