import { authHeader, httpRequest, type RunningTally, ShopClient, startFull } from '@tally/testing';
import { randomUUID } from 'node:crypto';
import { type AuditStream, auditStreamSchema, correlationStorySchema } from '../src/audit/audit.schemas';

// The correlation story of one real checkout, over HTTP against the built processes in full mode (command-api,
// sagas over NATS, projectors, query-api): the shopper's checkout request starts a correlation id that every
// command the checkout process sends carries on, so an auditor following it sees the cart, the order, the
// stock, the payment and the process's own record.

jest.setTimeout(180_000);

describe('audit: the story of one checkout', () => {
  let tally: RunningTally;

  beforeAll(async () => {
    // A whole checkout waits on several read models in turn; on a busy machine 2 s (the default) is short.
    tally = await startFull({ env: { CONSISTENCY_TIMEOUT_MS: '30000' } });
  });

  afterAll(async () => {
    await tally.stop();
  });

  const audit = async <Body>(path: string): Promise<Body> => {
    const response = await httpRequest<Body>('GET', `${tally.queryApi}${path}`, {
      headers: authHeader('auditor'),
    });
    if (response.status !== 200) throw new Error(`GET ${path} -> ${response.status} ${response.text}`);
    return response.body;
  };

  it('follows one correlation id across cart, order, stock, payment and checkout streams', async () => {
    const shop = new ShopClient(tally);
    const sku = `AUD-${randomUUID().slice(0, 8).toUpperCase()}`;
    await shop.stockProduct(sku, 5, 1200);
    const cartId = await shop.cart([{ sku, quantity: 2 }]);
    const orderId = await shop.placeOrder(cartId);
    await shop.waitForOrder(orderId, (view) => view.payment.status === 'captured');

    const cart = auditStreamSchema.parse(await audit<AuditStream>(`/api/v1/audit/streams/cart-${cartId}`));
    const checkedOut = cart.events.find((event) => event.type === 'CartCheckedOut');
    expect(checkedOut).toBeDefined();

    const story = correlationStorySchema.parse(
      await audit(`/api/v1/audit/correlations/${encodeURIComponent(checkedOut!.correlationId)}`),
    );

    const kinds = new Set(story.streams.map((streamId) => streamId.slice(0, streamId.indexOf('-'))));
    expect([...kinds].sort()).toEqual(
      expect.arrayContaining(['cart', 'checkout', 'order', 'payment', 'stock']),
    );
    expect(story.streams).toEqual(
      expect.arrayContaining([`cart-${cartId}`, `order-${orderId}`, `stock-${sku}`, `checkout-${orderId}`]),
    );
    const types = story.events.map((event) => event.type);
    for (const type of [
      'CartCheckedOut',
      'OrderPlaced',
      'StockReserved',
      'PaymentAuthorized',
      'OrderConfirmed',
      'PaymentCaptured',
      'OrderPaymentCaptured',
    ]) {
      expect(types).toContain(type);
    }
    // The story starts with the shopper's checkout and is in global order.
    expect(story.events[0]).toMatchObject({ type: 'CartCheckedOut', streamId: `cart-${cartId}` });
    const positions = story.events.map((event) => event.position);
    expect([...positions].sort()).toEqual(positions);
    expect(story.events.every((event) => event.correlationId === checkedOut!.correlationId)).toBe(true);
  });
});
