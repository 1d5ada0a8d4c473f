import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../../lib/api';
import { formatDate, formatMoney, orderStatusText } from '../../../lib/format';
import type { OrderSummary, Page } from '../../../lib/types';
import { outcomeOf, pageParam, param, requireAdmin } from '../_lib/admin';
import { OutcomeMessages, Pagination } from '../_lib/ui';

export const metadata: Metadata = { title: 'Orders' };

type Props = { readonly searchParams: Promise<Record<string, string | string[] | undefined>> };

const PAGE_SIZE = 25;
const STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'] as const;

/** Every order, newest first, optionally in one status: the shop's work list. */
export default async function AdminOrdersPage({ searchParams }: Props) {
  const params = await searchParams;
  const requested = param(params, 'status');
  const status = STATUSES.find((candidate) => candidate === requested);
  await requireAdmin(status ? `/admin/orders?status=${status}` : '/admin/orders');
  const page = pageParam(params);
  const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE) });
  if (status) query.set('status', status);
  const result = await queryApi<Page<OrderSummary>>(`/api/v1/orders?${query.toString()}`);
  const href = (target: number) =>
    `/admin/orders?${new URLSearchParams({ ...(status ? { status } : {}), page: String(target) }).toString()}`;
  return (
    <>
      <h1>Orders</h1>
      <OutcomeMessages outcome={outcomeOf(params)} />
      <form action="/admin/orders" className="inline" aria-label="Filter orders">
        <label htmlFor="orders-status">Status</label>
        <select id="orders-status" name="status" defaultValue={status ?? ''}>
          <option value="">Any status</option>
          {STATUSES.map((candidate) => (
            <option key={candidate} value={candidate}>
              {orderStatusText(candidate)}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      {result.ok ? (
        result.data.items.length === 0 ? (
          <p>No orders{status ? ` in status ${orderStatusText(status)}` : ''} yet.</p>
        ) : (
          <>
            <table>
              <caption>{`${result.data.total} ${result.data.total === 1 ? 'order' : 'orders'}${status ? ` (${orderStatusText(status)})` : ''}, newest first`}</caption>
              <thead>
                <tr>
                  <th scope="col">Order</th>
                  <th scope="col">Status</th>
                  <th scope="col">Total</th>
                  <th scope="col">Placed</th>
                </tr>
              </thead>
              <tbody>
                {result.data.items.map((order) => (
                  <tr key={order.orderId}>
                    <th scope="row">
                      <Link
                        href={`/admin/orders/${order.orderId}`}
                      >{`Order ${order.orderNumber ?? order.orderId}`}</Link>
                    </th>
                    <td>{orderStatusText(order.status)}</td>
                    <td>{formatMoney(order.total)}</td>
                    <td>{formatDate(order.placedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pagination
              page={page}
              pages={Math.max(1, Math.ceil(result.data.total / PAGE_SIZE))}
              href={href}
              label="Order pages"
            />
          </>
        )
      ) : (
        <p role="alert" className="alert">
          {`The orders could not be read: ${result.problem.detail ?? result.problem.title}`}
        </p>
      )}
    </>
  );
}
