import type { SqlExecutor } from '@tally/database';
import type { CustomerRole } from '@tally/domain';

/** An account as the account page and the admin list show it. */
export interface CustomerView {
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
  readonly role: CustomerRole;
  /** ISO-8601. */
  readonly registeredAt: string;
}

export interface ListCustomersQuery {
  readonly role?: CustomerRole;
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
}

export interface ListCustomersResult {
  /** Newest first. */
  readonly items: readonly CustomerView[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

interface CustomerRow {
  id: string;
  email: string;
  name: string;
  role: CustomerRole;
  registered_at: Date;
}

const view = (row: CustomerRow): CustomerView => ({
  customerId: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  registeredAt: new Date(row.registered_at).toISOString(),
});

/** The account `customerId`, or null when the projection has not seen it. */
export async function getCustomer(sql: SqlExecutor, customerId: string): Promise<CustomerView | null> {
  const { rows } = await sql.query<CustomerRow>(
    'SELECT id, email, name, role, registered_at FROM customers WHERE id = $1',
    [customerId],
  );
  return rows[0] ? view(rows[0]) : null;
}

/** Accounts, newest first, optionally of one role, paged. */
export async function listCustomers(
  sql: SqlExecutor,
  query: ListCustomersQuery,
): Promise<ListCustomersResult> {
  const role = query.role ?? null;
  const { rows } = await sql.query<CustomerRow & { total: number }>(
    `SELECT id, email, name, role, registered_at, count(*) OVER ()::int AS total
     FROM customers WHERE ($1::text IS NULL OR role = $1)
     ORDER BY registered_at DESC, id DESC
     LIMIT $2 OFFSET $3`,
    [role, query.pageSize, (query.page - 1) * query.pageSize],
  );
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && query.page > 1) {
    // Past the last page: the window count is not there to read, so count on its own.
    const counted = await sql.query<{ total: number }>(
      'SELECT count(*)::int AS total FROM customers WHERE ($1::text IS NULL OR role = $1)',
      [role],
    );
    total = counted.rows[0]?.total ?? 0;
  }
  return { items: rows.map(view), total, page: query.page, pageSize: query.pageSize };
}
