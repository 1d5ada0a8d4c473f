import type { CustomerEvent } from '@tally/domain';
import { defineProjection, occurredAt, type ProjectionHandlers } from '../projection';
import { customersStorage } from './customers.schema';

const customersHandlers: ProjectionHandlers<
  Extract<CustomerEvent, { type: 'CustomerRegistered' | 'CustomerRoleChanged' }>
> = {
  async CustomerRegistered(tx, event) {
    const { customerId, email, name, role } = event.data;
    await tx.query(
      `INSERT INTO customers (id, email, name, role, registered_at, version) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING`,
      [customerId, email, name, role, occurredAt(event), event.version],
    );
  },
  async CustomerRoleChanged(tx, event) {
    await tx.query('UPDATE customers SET role = $2, version = $3 WHERE id = $1 AND version < $3', [
      event.data.customerId,
      event.data.role,
      event.version,
    ]);
  },
};

/**
 * Accounts. Password resets and changes are not shown anywhere, so only registration and role changes
 * are projected; a role change applies only past the row's version (replays are no-ops).
 */
export const customersProjection = defineProjection<
  Extract<CustomerEvent, { type: 'CustomerRegistered' | 'CustomerRoleChanged' }>
>('customers', customersHandlers, {
  storage: customersStorage,
});
