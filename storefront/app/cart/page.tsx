import type { Metadata } from 'next';
import Link from 'next/link';
import { loadCart } from '../../lib/cart';
import { CSRF_FAILED_MESSAGE, csrfToken } from '../../lib/csrf';
import { formatMoney } from '../../lib/format';
import { removeCartLine, updateCartLine } from '../actions/cart';

export const metadata: Metadata = { title: 'Cart', robots: { index: false } };

const ERRORS: Readonly<Record<string, string>> = {
  csrf: CSRF_FAILED_MESSAGE,
  quantity: 'Enter a quantity from 1 to 99.',
  gone: 'Your cart has already been checked out or has expired.',
  CART_LINE_QUANTITY_EXCEEDED: 'That is more than one order can hold of this product.',
  CART_ITEM_QUANTITY_OUT_OF_RANGE: 'Enter a quantity from 1 to 99.',
  CART_ALREADY_CHECKED_OUT: 'This cart has already been checked out.',
  CART_NOT_FOUND: 'Your cart could not be found.',
};

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The cart: change quantities, remove lines, go to checkout. Reads after a change wait for it. */
export default async function CartPage({ searchParams }: Props) {
  const query = await searchParams;
  const [cart, csrf] = await Promise.all([loadCart(), csrfToken()]);
  const error =
    typeof query.error === 'string'
      ? (ERRORS[query.error] ?? 'That did not work. Please try again.')
      : undefined;
  const notice =
    query.notice === 'updated' ? 'Cart updated.' : query.notice === 'removed' ? 'Item removed.' : undefined;
  return (
    <>
      <h1>Your cart</h1>
      {error ? (
        <p role="alert" className="alert">
          {error}
        </p>
      ) : null}
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      {!cart || cart.lines.length === 0 ? (
        <p>
          Your cart is empty. <Link href="/">Continue shopping</Link>
        </p>
      ) : (
        <>
          <table>
            <caption className="visually-hidden">Items in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cart.lines.map((line) => {
                const inputId = `qty-${line.sku}`;
                return (
                  <tr key={line.sku}>
                    <th scope="row">
                      <Link href={`/p/${encodeURIComponent(line.sku)}`}>{line.name}</Link>
                    </th>
                    <td>{formatMoney(line.unitPrice)}</td>
                    <td>
                      <form action={updateCartLine} className="inline">
                        <input type="hidden" name="csrf" value={csrf} />
                        <input type="hidden" name="sku" value={line.sku} />
                        <label htmlFor={inputId} className="visually-hidden">
                          {`Quantity for ${line.name}`}
                        </label>
                        <input
                          id={inputId}
                          name="quantity"
                          type="number"
                          inputMode="numeric"
                          min={1}
                          max={99}
                          defaultValue={line.quantity}
                          className="qty"
                        />
                        <button type="submit" className="secondary" aria-label={`Update ${line.name}`}>
                          Update
                        </button>
                      </form>
                    </td>
                    <td>{formatMoney(line.lineTotal)}</td>
                    <td>
                      <form action={removeCartLine}>
                        <input type="hidden" name="csrf" value={csrf} />
                        <input type="hidden" name="sku" value={line.sku} />
                        <button type="submit" className="secondary" aria-label={`Remove ${line.name}`}>
                          Remove
                        </button>
                      </form>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p>
            Total: <span className="price">{formatMoney(cart.total)}</span>
          </p>
          <p>
            <Link className="button" href="/checkout">
              Checkout
            </Link>
          </p>
        </>
      )}
    </>
  );
}
