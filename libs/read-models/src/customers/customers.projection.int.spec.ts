import { randomUUID } from 'node:crypto';
import { customerStreamId } from '@tally/domain';
import { startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { customersProjection } from './customers.projection';
import { getCustomer, listCustomers } from './customers.queries';

describe('customers read model', () => {
  let h: ReadModelHarness;

  beforeEach(async () => {
    h = await startReadModels([customersProjection]);
  });
  afterEach(async () => {
    await h.close();
  });

  async function register(name: string, occurredAt: string, role = 'customer'): Promise<string> {
    const customerId = randomUUID();
    const token = await h.append(customerStreamId(customerId), [
      {
        type: 'CustomerRegistered',
        data: { customerId, email: `${name.toLowerCase()}@example.com`, name, role },
        occurredAt,
      },
    ]);
    expect(await h.caughtUp(token)).toBe(true);
    return customerId;
  }

  it('is null for an account it has not seen', async () => {
    expect(await getCustomer(h.sql, randomUUID())).toBeNull();
  });

  it('shows a registered account, and its role once changed', async () => {
    const customerId = await register('Ada', '2026-01-01T10:00:00.000Z');
    expect(await getCustomer(h.sql, customerId)).toEqual({
      customerId,
      email: 'ada@example.com',
      name: 'Ada',
      role: 'customer',
      registeredAt: '2026-01-01T10:00:00.000Z',
    });

    const token = await h.append(customerStreamId(customerId), [
      {
        type: 'PasswordResetRequested',
        data: { customerId, tokenHash: 'h', expiresAt: '2026-01-01T11:00:00Z' },
      },
      { type: 'CustomerRoleChanged', data: { customerId, role: 'admin', previousRole: 'customer' } },
    ]);
    expect(await h.caughtUp(token)).toBe(true);
    expect(await getCustomer(h.sql, customerId)).toMatchObject({ role: 'admin' });
  });

  it('lists accounts newest first, by role, paged, with the total', async () => {
    const ada = await register('Ada', '2026-01-01T10:00:00.000Z');
    const bob = await register('Bob', '2026-01-02T10:00:00.000Z', 'analyst');
    const cy = await register('Cy', '2026-01-03T10:00:00.000Z');

    const first = await listCustomers(h.sql, { page: 1, pageSize: 2 });
    expect(first.items.map((c) => c.customerId)).toEqual([cy, bob]);
    expect(first.total).toBe(3);
    expect((await listCustomers(h.sql, { page: 2, pageSize: 2 })).items.map((c) => c.customerId)).toEqual([
      ada,
    ]);
    expect(await listCustomers(h.sql, { page: 3, pageSize: 2 })).toEqual({
      items: [],
      total: 3,
      page: 3,
      pageSize: 2,
    });
    const analysts = await listCustomers(h.sql, { role: 'analyst', page: 1, pageSize: 10 });
    expect(analysts.items.map((c) => c.customerId)).toEqual([bob]);
    expect(analysts.total).toBe(1);
  });
});
