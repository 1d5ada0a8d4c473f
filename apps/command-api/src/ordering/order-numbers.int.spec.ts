import { ORDER_NUMBER_STREAM, orderStreamId, type PlaceOrder } from '@tally/domain';
import { uuidv7 } from '@tally/platform';
import { envelope, type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';
import { commandDispatcherOf } from '../command-api.app';
import { OrderNumberAllocator } from './order-numbers';
import { OrderHandler } from './order.handler';

jest.setTimeout(120_000);

const eur = (amount: number) => ({ amount, currency: 'EUR' });

function placeOrder(orderId: string) {
  return envelope('PlaceOrder', {
    orderId,
    cartId: uuidv7(),
    customerId: null,
    email: 'ada@example.com',
    lines: [{ sku: 'LAMP', name: 'Lamp', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) }],
    shippingAddress: { name: 'Ada', line1: '1 Row', city: 'London', postalCode: 'N1', country: 'GB' },
    shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
    taxRateBasisPoints: 2000,
    paymentMethodId: 'pm_card_visa',
  });
}

const metadata = {
  commandId: uuidv7(),
  correlationId: 'test',
  causationId: 'test',
  actor: { id: 'test', role: 'system' },
  occurredAt: new Date().toISOString(),
  schemaVersion: 1,
};

/** Order id -> number, as the order streams recorded them. */
async function assignedNumbers(
  api: InProcessCommandApi,
  orderIds: readonly string[],
): Promise<Map<string, number>> {
  const numbers = new Map<string, number>();
  for (const orderId of orderIds) {
    const assigned = (await api.stream(orderStreamId(orderId))).filter(
      (e) => e.type === 'OrderNumberAssigned',
    );
    expect(assigned).toHaveLength(1);
    numbers.set(orderId, (assigned[0]?.data as { orderNumber: number }).orderNumber);
  }
  return numbers;
}

describe('order numbers (PostgreSQL)', () => {
  let api: InProcessCommandApi;

  beforeEach(async () => {
    api = await startInProcessCommandApi();
  });

  afterEach(async () => {
    await api.close();
  });

  it('numbers orders placed concurrently by two command-api processes 1..n, each once, without gaps', async () => {
    const second = commandDispatcherOf(await api.another());
    const orderIds = Array.from({ length: 60 }, () => uuidv7());
    const replies = await Promise.all(
      orderIds.map((orderId, i) => (i % 2 === 0 ? api.dispatch : second)(placeOrder(orderId))),
    );
    expect(replies.filter((r) => !r.ok)).toEqual([]);

    const numbers = await assignedNumbers(api, orderIds);
    expect([...numbers.values()].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // The allocation stream: version n is number n, allocated for the order that carries number n.
    const allocations = await api.stream(ORDER_NUMBER_STREAM);
    expect(allocations).toHaveLength(60);
    for (const allocation of allocations) {
      const { orderId } = allocation.data as { orderId: string };
      expect(numbers.get(orderId)).toBe(allocation.version);
    }
    expect(replies.map((r) => (r.ok ? r.result : undefined))).toEqual(
      orderIds.map((orderId) => ({ orderNumber: numbers.get(orderId) })),
    );
  });

  it('gives an order its first number again when placement is redelivered after a crash', async () => {
    const orderId = uuidv7();
    const command = placeOrder(orderId);
    // The first delivery placed the order and allocated its number, then died before assigning it.
    await api.app.get(OrderHandler).execute(command as unknown as PlaceOrder);
    const first = await new OrderNumberAllocator(api.store).allocate(orderId, metadata);
    await api.dispatch(placeOrder(uuidv7())); // another order is numbered meanwhile

    const reply = await api.dispatch(command);

    expect(reply).toMatchObject({ ok: true, result: { orderNumber: first } });
    expect(await assignedNumbers(api, [orderId])).toEqual(new Map([[orderId, first]]));
    expect(await api.stream(ORDER_NUMBER_STREAM)).toHaveLength(2);
  });

  it('allocates nothing for an order that was never placed, or whose placement was refused', async () => {
    const refused = placeOrder(uuidv7());
    const lines = [{ sku: 'LAMP', name: 'Lamp', quantity: 2, unitPrice: eur(2500), lineTotal: eur(2500) }];
    expect(await api.dispatch({ ...refused, data: { ...refused.data, lines } })).toMatchObject({
      ok: false,
      status: 422,
      code: 'INVALID_ORDER_LINE',
    });
    expect(await api.dispatch(envelope('AssignOrderNumber', { orderId: uuidv7() }))).toMatchObject({
      ok: false,
      status: 404,
    });
    expect(await api.stream(ORDER_NUMBER_STREAM)).toEqual([]);
  });
});
