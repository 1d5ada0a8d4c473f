import { randomUUID } from 'node:crypto';
import { cartStreamId, customerStreamId } from '@tally/domain';
import { type JsonValue, uuidv7 } from '@tally/event-store';
import { cartsProjection, customersProjection } from '@tally/read-models';
import { authHeader } from '@tally/testing';
import { type InProcessQueryApi, startInProcessQueryApi } from '../../test/in-process.harness';
import { customerCartSchema, customerListSchema, customerSchema } from './customers.schemas';

describe('query-api customers', () => {
  let q: InProcessQueryApi;

  beforeEach(async () => {
    q = await startInProcessQueryApi({
      schema: 'query_customers',
      projections: [customersProjection, cartsProjection],
    });
  });

  afterEach(() => q.close());

  const append = async (streamId: string, type: string, data: Record<string, JsonValue>) => {
    const commandId = uuidv7();
    const { checkpoint } = await q.store.append(
      streamId,
      [
        {
          eventId: uuidv7(),
          type,
          data,
          metadata: {
            commandId,
            correlationId: commandId,
            causationId: commandId,
            actor: { id: 'test', role: 'system' },
            occurredAt: new Date().toISOString(),
            schemaVersion: 1,
          },
        },
      ],
      { expectedVersion: 'any' },
    );
    return checkpoint;
  };
  const register = (customerId: string, name: string) =>
    append(customerStreamId(customerId), 'CustomerRegistered', {
      customerId,
      email: `${name.toLowerCase()}@example.com`,
      name,
      role: 'customer',
    });
  const get = (url: string, headers: Record<string, string> = {}) =>
    q.app.inject({ method: 'GET', url, headers });

  it('shows the caller their own account, once the projection has it', async () => {
    const customerId = randomUUID();
    const token = await register(customerId, 'Ada');
    const response = await get('/api/v1/customers/me', {
      ...authHeader('customer', customerId),
      'tally-consistency': token,
    });
    expect(response.statusCode).toBe(200);
    const body = customerSchema.parse(response.json());
    expect(body).toMatchObject({ customerId, email: 'ada@example.com', name: 'Ada', role: 'customer' });
  });

  it('answers 404 for an account the projection does not have, and 401 for a guest', async () => {
    expect((await get('/api/v1/customers/me', authHeader('customer'))).statusCode).toBe(404);
    expect((await get('/api/v1/customers/me')).statusCode).toBe(401);
  });

  it('lists accounts for an admin only', async () => {
    await register(randomUUID(), 'Ada');
    const token = await register(randomUUID(), 'Bob');
    const response = await get('/api/v1/customers?pageSize=1', {
      ...authHeader('admin'),
      'tally-consistency': token,
    });
    expect(response.statusCode).toBe(200);
    const list = customerListSchema.parse(response.json());
    expect(list).toMatchObject({ total: 2, page: 1, pageSize: 1 });
    expect(list.items.map((item) => item.name)).toEqual(['Bob']);
    expect((await get('/api/v1/customers', authHeader('customer'))).statusCode).toBe(403);
    expect((await get('/api/v1/customers?role=root', authHeader('admin'))).statusCode).toBe(400);
  });

  it("finds the caller's open cart, never another customer's", async () => {
    const customerId = randomUUID();
    const cartId = randomUUID();
    const token = await append(cartStreamId(cartId), 'CartOpened', { cartId, customerId, currency: 'EUR' });
    const mine = await get('/api/v1/customers/me/cart', {
      ...authHeader('customer', customerId),
      'tally-consistency': token,
    });
    expect(mine.statusCode).toBe(200);
    expect(customerCartSchema.parse(mine.json())).toEqual({ cartId });
    const other = await get('/api/v1/customers/me/cart', authHeader('customer'));
    expect(other.statusCode).toBe(404);
    expect(other.json()).toMatchObject({ code: 'CART_NOT_FOUND' });
  });
});
