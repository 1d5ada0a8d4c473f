import { orderStreamId, type OrderTotals } from '@tally/domain';
import { uuidv7 } from '@tally/platform';
import { envelope, type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';

jest.setTimeout(120_000);

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('order endpoints (PostgreSQL)', () => {
  let api: InProcessCommandApi;
  let sku: string;

  beforeAll(async () => {
    api = await startInProcessCommandApi();
    sku = `LAMP-${Date.now().toString(36)}`;
    await api.request('POST', '/api/v1/products', {
      sku,
      name: 'Lamp',
      description: 'A lamp',
      category: 'Lighting',
      price: eur(2500),
    });
    expect(
      (await api.request('POST', `/api/v1/inventory/${sku}/receipts`, { quantity: 100 })).statusCode,
    ).toBe(200);
  });

  afterAll(async () => {
    await api.close();
  });

  async function send(type: string, data: Record<string, unknown>): Promise<void> {
    const reply = await api.dispatch(envelope(type, data));
    if (!reply.ok) throw new Error(`${type}: ${JSON.stringify(reply)}`);
  }

  /** An order as checkout leaves it: placed, and with `confirmed` reserved, paid, confirmed and captured. */
  async function order(state: 'pending' | 'confirmed'): Promise<{ orderId: string; total: number }> {
    const orderId = uuidv7();
    await send('PlaceOrder', {
      orderId,
      cartId: uuidv7(),
      customerId: null,
      email: 'ada@example.com',
      lines: [{ sku, name: 'Lamp', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) }],
      shippingAddress: { name: 'Ada', line1: '1 Row', city: 'London', postalCode: 'N1', country: 'GB' },
      shippingMethod: { id: 'standard', name: 'Standard delivery', price: eur(490) },
      taxRateBasisPoints: 2000,
      paymentMethodId: 'pm_card_visa',
    });
    const [placed] = await api.stream(orderStreamId(orderId));
    const { total } = (placed?.data as unknown as { totals: OrderTotals }).totals;
    if (state === 'confirmed') {
      const paymentId = uuidv7();
      await send('ReserveStock', { sku, orderId, quantity: 1 });
      await send('RecordOrderStockReserved', { orderId });
      await send('AuthorizePayment', { paymentId, orderId, amount: total, paymentMethodId: 'pm_card_visa' });
      await send('RecordOrderPaymentAuthorized', { orderId, paymentId, amount: total });
      await send('ConfirmOrder', { orderId });
      await send('CapturePayment', { paymentId, orderId });
      await send('RecordOrderPaymentCaptured', { orderId, paymentId, amount: total });
    }
    return { orderId, total: total.amount };
  }

  const post = (orderId: string, action: string, json?: unknown) =>
    api.request('POST', `/api/v1/orders/${orderId}/${action}`, json);

  const lastEvent = async (orderId: string) => (await api.stream(orderStreamId(orderId))).at(-1);

  it('cancels a pending order at the customer’s request', async () => {
    const { orderId } = await order('pending');
    const response = await post(orderId, 'cancel');
    expect(response.statusCode).toBe(200);
    expect(response.headers.etag).toBe(`"${response.json<{ version: number }>().version}"`);
    expect(await lastEvent(orderId)).toMatchObject({
      type: 'OrderCancelled',
      data: { reason: 'customer_request' },
    });
  });

  it('ships with carrier and tracking number, delivers, then refuses to cancel (409)', async () => {
    const { orderId } = await order('confirmed');
    const shipped = await post(orderId, 'ship', { carrier: 'DHL', trackingNumber: '0034043416' });
    expect(shipped.statusCode).toBe(200);
    expect(await lastEvent(orderId)).toMatchObject({
      type: 'OrderShipped',
      data: { carrier: 'DHL', trackingNumber: '0034043416' },
    });
    expect((await post(orderId, 'deliver')).statusCode).toBe(200);
    expect((await lastEvent(orderId))?.type).toBe('OrderDelivered');

    const before = await api.eventCount();
    const cancel = await post(orderId, 'cancel');
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json()).toMatchObject({
      code: 'ORDER_NOT_CANCELLABLE',
      errors: [{ field: 'path.orderId' }],
    });
    expect(await api.eventCount()).toBe(before);
  });

  it('ships without a body', async () => {
    const { orderId } = await order('confirmed');
    expect((await post(orderId, 'ship')).statusCode).toBe(200);
    expect(await lastEvent(orderId)).toMatchObject({ data: { carrier: null, trackingNumber: null } });
  });

  it('accepts a refund up to what was captured (202 with its refund id), and refuses more (422 naming amount)', async () => {
    const { orderId, total } = await order('confirmed');
    const partial = await post(orderId, 'refunds', { amount: eur(1000), reason: 'Scratched' });
    expect(partial.statusCode).toBe(202);
    const { refundId } = partial.json<{ refundId: string }>();
    expect(await lastEvent(orderId)).toMatchObject({
      type: 'OrderRefundRequested',
      data: { refundId, amount: eur(1000), reason: 'Scratched' },
    });

    const before = await api.eventCount();
    const tooMuch = await post(orderId, 'refunds', { amount: eur(total - 1000 + 1), reason: 'Broken' });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ code: 'REFUND_EXCEEDS_CAPTURED', errors: [{ field: 'amount' }] });
    expect(await api.eventCount()).toBe(before);
  });

  it.each([
    ['cancel', undefined],
    ['ship', {}],
    ['deliver', undefined],
    ['refunds', { amount: eur(1), reason: 'x' }],
  ])(
    '%s: an unknown order is a 404 naming path.orderId, an id that is not a UUID a 400',
    async (action, json) => {
      const before = await api.eventCount();
      const unknown = await post(uuidv7(), action, json);
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toMatchObject({ code: 'ORDER_NOT_FOUND', errors: [{ field: 'path.orderId' }] });
      const malformed = await post('order-1', action, json);
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json()).toMatchObject({ errors: [{ field: 'path.orderId' }] });
      expect(await api.eventCount()).toBe(before);
    },
  );

  it('refuses to ship or deliver a pending order (409) and writes nothing', async () => {
    const { orderId } = await order('pending');
    const before = await api.eventCount();
    expect((await post(orderId, 'ship')).json()).toMatchObject({ status: 409, code: 'ORDER_NOT_SHIPPABLE' });
    expect((await post(orderId, 'deliver')).json()).toMatchObject({
      status: 409,
      code: 'ORDER_NOT_DELIVERABLE',
    });
    expect((await post(orderId, 'refunds', { amount: eur(1), reason: 'x' })).json()).toMatchObject({
      status: 409,
      code: 'ORDER_NOT_REFUNDABLE',
    });
    expect(await api.eventCount()).toBe(before);
  });
});
