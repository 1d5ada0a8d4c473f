import { randomUUID } from 'node:crypto';
import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../../../lib/api';
import { csrfToken } from '../../../../lib/csrf';
import { formatDate, formatMoney, orderStatusText } from '../../../../lib/format';
import type { Order } from '../../../../lib/types';
import { cancelOrder, deliverOrder, refundOrder, shipOrder } from '../../_lib/actions';
import { amountInput, outcomeOf, requireAdmin } from '../../_lib/admin';
import { Field, FormGuard, OutcomeMessages } from '../../_lib/ui';

export const metadata: Metadata = { title: 'Order' };

type Props = {
  readonly params: Promise<{ orderId: string }>;
  readonly searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * One order for the shop: what was bought, where it goes, how it was paid, its history, and the four
 * things the shop does to it. Every button is always offered; the order's rules (command-api) refuse what
 * its state does not allow (e.g. shipping a cancelled order) and the page says why.
 */
export default async function AdminOrderPage({ params, searchParams }: Props) {
  const { orderId } = await params;
  await requireAdmin(`/admin/orders/${encodeURIComponent(orderId)}`);
  const outcome = outcomeOf(await searchParams);
  if (!UUID.test(orderId)) return <Missing orderId={orderId} />;
  const [result, csrf] = await Promise.all([queryApi<Order>(`/api/v1/orders/${orderId}`), csrfToken()]);
  if (!result.ok) return <Missing orderId={orderId} />;
  const order = result.data;
  const refundable = {
    amount: Math.max(0, order.payment.amountCaptured.amount - order.payment.amountRefunded.amount),
    currency: order.totals.total.currency,
  };
  const status = orderStatusText(order.status, order.payment.status);
  return (
    <>
      <p>
        <Link href="/admin/orders">Orders</Link>
      </p>
      <h1>{`Order ${order.orderNumber ?? order.orderId}`}</h1>
      <OutcomeMessages outcome={outcome} />
      <dl className="admin-facts">
        <dt>Status</dt>
        <dd>
          {status}
          {order.cancellationReason ? ` (${order.cancellationReason.replaceAll('_', ' ')})` : null}
        </dd>
        <dt>Placed</dt>
        <dd>{formatDate(order.placedAt)}</dd>
        <dt>Customer</dt>
        <dd>{`${order.email}${order.customerId ? '' : ' (guest)'}`}</dd>
        <dt>Payment</dt>
        <dd>
          {`${order.payment.status}; captured ${formatMoney(order.payment.amountCaptured)}, refunded ${formatMoney(order.payment.amountRefunded)}`}
          {order.payment.declineReason ? ` (declined: ${order.payment.declineReason})` : null}
        </dd>
        <dt>Ship to</dt>
        <dd>
          {[
            order.shippingAddress.name,
            order.shippingAddress.line1,
            order.shippingAddress.line2,
            `${order.shippingAddress.postalCode} ${order.shippingAddress.city}`,
            order.shippingAddress.country,
          ]
            .filter(Boolean)
            .join(', ')}
          {` · ${order.shippingMethod.name}`}
        </dd>
        {order.shipment ? (
          <>
            <dt>Shipment</dt>
            <dd>
              {[order.shipment.carrier, order.shipment.trackingNumber].filter(Boolean).join(' ') || 'Shipped'}
            </dd>
          </>
        ) : null}
      </dl>

      <table>
        <caption>Items</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Unit price</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.sku}>
              <th scope="row">{`${line.name} (${line.sku})`}</th>
              <td>{line.quantity}</td>
              <td>{formatMoney(line.unitPrice)}</td>
              <td>{formatMoney(line.lineTotal)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={3}>
              Subtotal
            </th>
            <td>{formatMoney(order.totals.subtotal)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Shipping
            </th>
            <td>{formatMoney(order.totals.shipping)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Tax
            </th>
            <td>{formatMoney(order.totals.tax)}</td>
          </tr>
          <tr>
            <th scope="row" colSpan={3}>
              Total
            </th>
            <td>{formatMoney(order.totals.total)}</td>
          </tr>
        </tfoot>
      </table>

      <h2>Actions</h2>
      {/* Only the actions the order's status allows are offered; the API still decides (and explains a refusal). */}
      <div className="admin-columns">
        {order.status === 'confirmed' ? (
          <section aria-labelledby="ship-heading">
            <h3 id="ship-heading">Shipment</h3>
            <form action={shipOrder} className="stack admin-form">
              <FormGuard csrf={csrf} />
              <input type="hidden" name="orderId" value={order.orderId} />
              <Field
                id="ship-carrier"
                name="carrier"
                label="Carrier"
                outcome={outcome}
                maxLength={100}
                hint="Optional"
              />
              <Field
                id="ship-tracking"
                name="trackingNumber"
                label="Tracking number"
                outcome={outcome}
                maxLength={100}
                hint="Optional"
              />
              <div>
                <button type="submit">Ship</button>
              </div>
            </form>
          </section>
        ) : null}
        <section aria-labelledby="progress-heading">
          <h3 id="progress-heading">Delivery and cancellation</h3>
          {order.status === 'shipped' ? (
            <form action={deliverOrder} className="inline">
              <FormGuard csrf={csrf} />
              <input type="hidden" name="orderId" value={order.orderId} />
              <button type="submit">Mark delivered</button>
            </form>
          ) : null}
          {order.status === 'pending' || order.status === 'confirmed' ? (
            <form action={cancelOrder} className="inline">
              <FormGuard csrf={csrf} />
              <input type="hidden" name="orderId" value={order.orderId} />
              <button type="submit" className="secondary">
                Cancel order
              </button>
            </form>
          ) : null}
        </section>
        <section aria-labelledby="refund-heading">
          <h3 id="refund-heading">Refunds</h3>
          <form action={refundOrder} className="stack admin-form">
            <FormGuard csrf={csrf} requestId={randomUUID()} />
            <input type="hidden" name="orderId" value={order.orderId} />
            <input type="hidden" name="currency" value={refundable.currency} />
            <Field
              id="refund-amount"
              name="amount"
              label="Refund amount"
              outcome={outcome}
              defaultValue={amountInput(refundable)}
              required
              inputMode="decimal"
              hint={`At most ${formatMoney(refundable)} (captured and not yet refunded)`}
            />
            <Field
              id="refund-reason"
              name="reason"
              label="Refund reason"
              outcome={outcome}
              required
              maxLength={500}
            />
            <div>
              <button type="submit">Refund</button>
            </div>
          </form>
        </section>
      </div>

      {order.timeline && order.timeline.length > 0 ? (
        <section aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          <ol className="admin-timeline">
            {order.timeline.map((entry) => (
              <li key={entry.eventId}>
                <time dateTime={entry.at}>{formatDate(entry.at)}</time>
                {` · ${entry.summary}`}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
    </>
  );
}

function Missing({ orderId }: { readonly orderId: string }) {
  return (
    <>
      <h1>Order not found</h1>
      <p role="alert" className="alert">{`No order ${orderId}.`}</p>
      <p>
        <Link href="/admin/orders">Back to orders</Link>
      </p>
    </>
  );
}
