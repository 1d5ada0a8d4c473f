import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../lib/api';
import { CSRF_FAILED_MESSAGE, csrfToken } from '../../lib/csrf';
import { formatDate, formatMoney, orderStatusText } from '../../lib/format';
import { requireAccount } from '../../lib/session';
import type { Me, OrderSummary, Page } from '../../lib/types';
import { signOut } from '../actions/account';

export const metadata: Metadata = { title: 'Account', robots: { index: false } };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

/** The customer's details and order history, and "Sign out". */
export default async function AccountPage({ searchParams }: Props) {
  const session = await requireAccount('/account');
  const [me, orders, csrf, query] = await Promise.all([
    queryApi<Me>('/api/v1/customers/me'),
    queryApi<Page<OrderSummary>>('/api/v1/orders?page=1&pageSize=50'),
    csrfToken(),
    searchParams,
  ]);
  return (
    <>
      <h1>Your account</h1>
      {query.error === 'csrf' ? (
        <p role="alert" className="alert">
          {CSRF_FAILED_MESSAGE}
        </p>
      ) : null}
      <p>
        {me.ok ? `${me.data.name} · ${me.data.email}` : session.email}
        {session.role !== 'customer' ? ` · ${session.role}` : ''}
      </p>
      <form action={signOut}>
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit" className="secondary">
          Sign out
        </button>
      </form>
      <section aria-labelledby="orders-heading">
        <h2 id="orders-heading">Order history</h2>
        {!orders.ok ? (
          <p role="alert">Your orders cannot be shown right now.</p>
        ) : orders.data.items.length === 0 ? (
          <p>
            No orders yet. <Link href="/">Start shopping</Link>
          </p>
        ) : (
          <table>
            <caption className="visually-hidden">Your orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((order) => (
                <tr key={order.orderId}>
                  <th scope="row">
                    <Link href={`/orders/${encodeURIComponent(order.orderId)}`}>
                      {order.orderNumber ?? order.orderId.slice(0, 8)}
                    </Link>
                  </th>
                  <td>{formatDate(order.placedAt)}</td>
                  <td>{orderStatusText(order.status)}</td>
                  <td>{formatMoney(order.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
