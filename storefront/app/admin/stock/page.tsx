import { randomUUID } from 'node:crypto';
import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../../lib/api';
import { csrfToken } from '../../../lib/csrf';
import type { Product, ProductSearchResult } from '../../../lib/types';
import { adjustStock, receiveStock } from '../_lib/actions';
import { loadStock, outcomeOf, pageParam, param, requireAdmin } from '../_lib/admin';
import { Field, FormGuard, OutcomeMessages, Pagination } from '../_lib/ui';

export const metadata: Metadata = { title: 'Stock' };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

const PAGE_SIZE = 25;

/**
 * Stock: pick a SKU, see on hand / reserved / available, record goods received or correct the count.
 * Without a SKU: every product (drafts included) with its available units, to pick from.
 */
export default async function AdminStockPage({ searchParams }: Props) {
  const params = await searchParams;
  const sku = param(params, 'sku')?.trim() ?? '';
  await requireAdmin(sku ? `/admin/stock?sku=${encodeURIComponent(sku)}` : '/admin/stock');
  const outcome = outcomeOf(params);
  const csrf = await csrfToken();
  return (
    <>
      <h1>Stock</h1>
      <OutcomeMessages outcome={outcome} />
      <form action="/admin/stock" className="inline" aria-label="Choose a SKU">
        <label htmlFor="stock-sku">SKU</label>
        <input id="stock-sku" name="sku" defaultValue={sku} required maxLength={64} />
        <button type="submit">Show stock</button>
      </form>
      {sku ? <StockOf sku={sku} csrf={csrf} outcome={outcome} /> : <StockList page={pageParam(params)} />}
    </>
  );
}

async function StockOf({
  sku,
  csrf,
  outcome,
}: {
  readonly sku: string;
  readonly csrf: string;
  readonly outcome: ReturnType<typeof outcomeOf>;
}) {
  const [stock, product] = await Promise.all([
    loadStock(sku),
    queryApi<Product>(`/api/v1/products/${encodeURIComponent(sku)}`),
  ]);
  const name = product.ok ? product.data.name : sku;
  return (
    <>
      <h2>{name}</h2>
      {product.ok ? null : (
        <p className="muted">
          {`No product has the SKU ${sku} yet: `}
          <Link href="/admin/products">create it</Link> before receiving stock for it.
        </p>
      )}
      <dl className="admin-facts">
        <dt>SKU</dt>
        <dd>{product.ok ? <Link href={`/admin/products/${encodeURIComponent(sku)}`}>{sku}</Link> : sku}</dd>
        <dt>On hand</dt>
        <dd>{stock?.onHand ?? 0}</dd>
        <dt>Reserved for orders</dt>
        <dd>{stock?.reserved ?? 0}</dd>
        <dt>Available to sell</dt>
        <dd>{stock?.available ?? 0}</dd>
      </dl>
      <div className="admin-columns">
        <section aria-labelledby="receive-heading">
          <h3 id="receive-heading">Goods received</h3>
          <form action={receiveStock} className="stack admin-form">
            <FormGuard csrf={csrf} requestId={randomUUID()} />
            <input type="hidden" name="sku" value={sku} />
            <Field
              id="receive-quantity"
              name="quantity"
              label="Quantity received"
              outcome={outcome}
              type="number"
              inputMode="numeric"
              required
            />
            <Field
              id="receive-reference"
              name="reference"
              label="Delivery reference"
              outcome={outcome}
              maxLength={100}
              hint="Optional, e.g. a delivery note number"
            />
            <div>
              <button type="submit">Receive stock</button>
            </div>
          </form>
        </section>
        <section aria-labelledby="adjust-heading">
          <h3 id="adjust-heading">Corrections</h3>
          <form action={adjustStock} className="stack admin-form">
            <FormGuard csrf={csrf} requestId={randomUUID()} />
            <input type="hidden" name="sku" value={sku} />
            <Field
              id="adjust-delta"
              name="delta"
              label="Change in units"
              outcome={outcome}
              type="number"
              inputMode="numeric"
              required
              hint="Negative to take units away, e.g. -2 after a breakage"
            />
            <Field
              id="adjust-reason"
              name="reason"
              label="Reason"
              outcome={outcome}
              required
              maxLength={200}
            />
            <div>
              <button type="submit">Adjust stock</button>
            </div>
          </form>
        </section>
      </div>
    </>
  );
}

async function StockList({ page }: { readonly page: number }) {
  const query = new URLSearchParams({
    page: String(page),
    pageSize: String(PAGE_SIZE),
    sort: 'name_asc',
    includeUnpublished: 'true',
  });
  const result = await queryApi<ProductSearchResult>(`/api/v1/products?${query.toString()}`);
  if (!result.ok)
    return (
      <p role="alert" className="alert">
        {`The catalog could not be read: ${result.problem.detail ?? result.problem.title}`}
      </p>
    );
  const pages = Math.max(1, Math.ceil(result.data.total / PAGE_SIZE));
  return (
    <>
      <table>
        <caption>Products (drafts included) and their available units</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">SKU</th>
            <th scope="col">Available</th>
          </tr>
        </thead>
        <tbody>
          {result.data.items.map((product) => (
            <tr key={product.sku}>
              <th scope="row">
                <Link href={`/admin/stock?sku=${encodeURIComponent(product.sku)}`}>{product.name}</Link>
              </th>
              <td>{product.sku}</td>
              <td>{product.available}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Pagination
        page={page}
        pages={pages}
        href={(target) => `/admin/stock?page=${target}`}
        label="Stock pages"
      />
    </>
  );
}
