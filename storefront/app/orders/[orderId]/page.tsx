import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { queryApi } from '../../../lib/api';
import { formatDate, formatMoney, orderStatusText } from '../../../lib/format';
import type { Order } from '../../../lib/types';
import { OrderStatus } from '../../components/order-status';

export const metadata: Metadata = { title: 'Order', robots: { index: false } };

type Props = {
  readonly params: Promise<{ orderId: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An order, followed live: the status is rendered now and then kept current by a server-sent event stream
 * (polling as a fallback). The owner, the guest whose cart it was, or an admin may see it; anyone else
 * gets the same 404 as for an order that does not exist.
 */
export default async function OrderPage({ params, searchParams }: Props) {
  const { orderId } = await params;
  if (!UUID.test(orderId)) notFound();
  const placed = (await searchParams).placed === '1';
  const result = await queryApi<Order>(`/api/v1/orders/${encodeURIComponent(orderId)}`);
  if (!result.ok) {
    if (result.status === 404 || result.status === 401 || result.status === 403) notFound();
    return (
      <>
        <h1>Order</h1>
        <p role="alert">{result.problem.detail ?? result.problem.title}</p>
      </>
    );
  }
  const order = result.data;
  const address = order.shippingAddress;
  return (
    <>
      <h1>{`Order ${order.orderNumber ?? order.orderId.slice(0, 8)}`}</h1>
      {placed ? <p className="notice">Thank you! Your order has been placed.</p> : null}
      <p>
        Status:{' '}
        <OrderStatus orderId={order.orderId} initial={orderStatusText(order.status, order.payment.status)} />
      </p>
      <p className="muted">{`Placed ${formatDate(order.placedAt)} · confirmation to ${order.email}`}</p>
      <table>
        <caption className="visually-hidden">Items</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.sku}>
              <th scope="row">
                <Link href={`/p/${encodeURIComponent(line.sku)}`}>{line.name}</Link>
              </th>
              <td>{line.quantity}</td>
              <td>{formatMoney(line.lineTotal)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl>
        <dt>Subtotal</dt>
        <dd>{formatMoney(order.totals.subtotal)}</dd>
        <dt>{`Shipping (${order.shippingMethod.name})`}</dt>
        <dd>{formatMoney(order.totals.shipping)}</dd>
        <dt>Tax</dt>
        <dd>{formatMoney(order.totals.tax)}</dd>
        <dt>Total</dt>
        <dd className="price">{formatMoney(order.totals.total)}</dd>
      </dl>
      <h2>Shipping to</h2>
      <address>
        {address.name}
        <br />
        {address.line1}
        <br />
        {`${address.postalCode} ${address.city}`}
        <br />
        {address.country}
      </address>
      <p>
        <Link href={`/orders/${encodeURIComponent(order.orderId)}`}>Refresh</Link>
      </p>
    </>
  );
}
