import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../../../lib/api';
import { csrfToken } from '../../../../lib/csrf';
import { formatMoney, stockText } from '../../../../lib/format';
import type { Product } from '../../../../lib/types';
import { changeProductDetails, changeProductPrice, changeProductStatus } from '../../_lib/actions';
import { amountInput, outcomeOf, requireAdmin } from '../../_lib/admin';
import { Field, FormGuard, OutcomeMessages } from '../../_lib/ui';

export const metadata: Metadata = { title: 'Product' };

type Props = {
  readonly params: Promise<{ sku: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const STATUS_TEXT: Readonly<Record<Product['status'], string>> = {
  draft: 'Draft: not visible to shoppers',
  published: 'Published: visible and purchasable',
  unpublished: 'Unpublished: hidden from shoppers',
  discontinued: 'Discontinued',
};

/** One product: its details, its price and where it is in its life (publish, unpublish, discontinue). */
export default async function AdminProductPage({ params, searchParams }: Props) {
  const { sku: rawSku } = await params;
  const sku = safeDecode(rawSku);
  await requireAdmin(`/admin/products/${encodeURIComponent(sku)}`);
  const outcome = outcomeOf(await searchParams);
  const [result, csrf] = await Promise.all([
    queryApi<Product>(`/api/v1/products/${encodeURIComponent(sku)}`),
    csrfToken(),
  ]);
  if (!result.ok) {
    return (
      <>
        <h1>{`Product ${sku}`}</h1>
        <OutcomeMessages outcome={outcome} />
        <p role="alert" className="alert">
          {result.status === 404
            ? `No product has the SKU ${sku}.`
            : (result.problem.detail ?? result.problem.title)}
        </p>
        <p>
          <Link href="/admin/products">Back to products</Link>
        </p>
      </>
    );
  }
  const product = result.data;
  const actions: { value: 'publish' | 'unpublish' | 'discontinue'; label: string }[] = [];
  if (product.status === 'draft' || product.status === 'unpublished')
    actions.push({ value: 'publish', label: 'Publish' });
  if (product.status === 'published') actions.push({ value: 'unpublish', label: 'Unpublish' });
  if (product.status !== 'discontinued') actions.push({ value: 'discontinue', label: 'Discontinue' });
  return (
    <>
      <p>
        <Link href="/admin/products">Products</Link>
      </p>
      <h1>{product.name}</h1>
      <OutcomeMessages outcome={outcome} />
      <dl className="admin-facts">
        <dt>SKU</dt>
        <dd>{product.sku}</dd>
        <dt>Status</dt>
        <dd>{STATUS_TEXT[product.status]}</dd>
        <dt>Price</dt>
        <dd>{formatMoney(product.price)}</dd>
        <dt>Stock</dt>
        <dd>
          {`${stockText(product.available)} (${product.available} available) · `}
          <Link
            href={`/admin/stock?sku=${encodeURIComponent(product.sku)}`}
          >{`Manage stock of ${product.name}`}</Link>
        </dd>
        {product.status === 'published' ? (
          <>
            <dt>In the shop</dt>
            <dd>
              <Link href={`/p/${encodeURIComponent(product.sku)}`}>View product page</Link>
            </dd>
          </>
        ) : null}
      </dl>

      {actions.length > 0 ? (
        <form action={changeProductStatus} className="inline" aria-label="Product status">
          <FormGuard csrf={csrf} />
          <input type="hidden" name="sku" value={product.sku} />
          {actions.map((action) => (
            <button
              key={action.value}
              type="submit"
              name="action"
              value={action.value}
              className={action.value === 'publish' ? undefined : 'secondary'}
            >
              {action.label}
            </button>
          ))}
        </form>
      ) : null}

      <section aria-labelledby="details-heading">
        <h2 id="details-heading">Edit details</h2>
        <form action={changeProductDetails} className="stack admin-form">
          <FormGuard csrf={csrf} />
          <input type="hidden" name="sku" value={product.sku} />
          <input type="hidden" name="version" value={product.version} />
          <Field
            id="edit-name"
            name="name"
            label="Name"
            outcome={outcome}
            defaultValue={product.name}
            required
            maxLength={200}
          />
          <Field
            id="edit-category"
            name="category"
            label="Category"
            outcome={outcome}
            defaultValue={product.category}
            required
            maxLength={100}
          />
          <Field
            id="edit-description"
            name="description"
            label="Description"
            outcome={outcome}
            defaultValue={product.description}
            required
            multiline
            maxLength={5000}
          />
          <div>
            <button type="submit">Save details</button>
          </div>
        </form>
      </section>

      <section aria-labelledby="price-heading">
        <h2 id="price-heading">Change the price</h2>
        <form action={changeProductPrice} className="stack admin-form">
          <FormGuard csrf={csrf} />
          <input type="hidden" name="sku" value={product.sku} />
          <input type="hidden" name="version" value={product.version} />
          <input type="hidden" name="currency" value={product.price.currency} />
          <Field
            id="edit-price"
            name="price"
            label="Price"
            outcome={outcome}
            defaultValue={amountInput(product.price)}
            required
            inputMode="decimal"
            hint={`In ${product.price.currency}, e.g. 24.90`}
          />
          <div>
            <button type="submit">Save price</button>
          </div>
        </form>
      </section>
    </>
  );
}

/** A path segment as typed; a malformed escape stays as it is (the API then answers 400 or 404). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
