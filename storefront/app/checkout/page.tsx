import type { Metadata } from 'next';
import { headers } from 'next/headers';
import Link from 'next/link';
import { queryApi } from '../../lib/api';
import { loadCart } from '../../lib/cart';
import { storefrontConfig } from '../../lib/config';
import { csrfToken } from '../../lib/csrf';
import { formatMoney } from '../../lib/format';
import { getSession } from '../../lib/session';
import type { ShippingMethod } from '../../lib/types';
import { CheckoutForm } from '../components/checkout-form';

export const metadata: Metadata = { title: 'Checkout', robots: { index: false } };

/** Checkout: address, shipping method and payment, for guests and customers alike. */
export default async function CheckoutPage() {
  const [cart, methods, csrf, session, nonce] = await Promise.all([
    loadCart(),
    queryApi<{ items: ShippingMethod[] }>('/api/v1/shipping-methods'),
    csrfToken(),
    getSession(),
    headers().then((list) => list.get('x-nonce') ?? undefined),
  ]);
  if (!cart || cart.lines.length === 0) {
    return (
      <>
        <h1>Checkout</h1>
        <p>
          Your cart is empty. <Link href="/">Continue shopping</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Checkout</h1>
      <section aria-labelledby="summary-heading">
        <h2 id="summary-heading">Your order</h2>
        <ul>
          {cart.lines.map((line) => (
            <li key={line.sku}>{`${line.quantity} × ${line.name}: ${formatMoney(line.lineTotal)}`}</li>
          ))}
        </ul>
        <p>
          Subtotal: <span className="price">{formatMoney(cart.total)}</span>
        </p>
      </section>
      <CheckoutForm
        csrf={csrf}
        email={session.kind === 'account' ? session.email : ''}
        methods={methods.ok ? methods.data.items : []}
        stripeKey={storefrontConfig().stripePublishableKey}
        {...(nonce ? { nonce } : {})}
      />
    </>
  );
}
