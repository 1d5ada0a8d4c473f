import type { Metadata } from 'next';
import Link from 'next/link';
import { queryApi } from '../../lib/api';
import { requireAdmin } from './_lib/admin';

export const metadata: Metadata = { title: 'Overview' };

interface OrderPage {
  readonly total: number;
}

/** The admin home: what needs doing (orders waiting to ship) and where to do it. */
export default async function AdminPage() {
  const admin = await requireAdmin('/admin');
  const [confirmed, all] = await Promise.all([
    queryApi<OrderPage>('/api/v1/orders?status=confirmed&pageSize=1'),
    queryApi<OrderPage>('/api/v1/orders?pageSize=1'),
  ]);
  return (
    <>
      <h1>Admin</h1>
      <p className="muted">{`Signed in as ${admin.email}.`}</p>
      <ul className="stack">
        <li>
          <Link href="/admin/orders?status=confirmed">Orders to ship</Link>
          {confirmed.ok ? ` (${confirmed.data.total})` : null}
          {all.ok ? <span className="muted">{` · ${all.data.total} orders in all`}</span> : null}
        </li>
        <li>
          <Link href="/admin/products">Products and prices</Link>
        </li>
        <li>
          <Link href="/admin/stock">Stock receipts and adjustments</Link>
        </li>
      </ul>
    </>
  );
}
