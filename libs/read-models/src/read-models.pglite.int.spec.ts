import { randomUUID } from 'node:crypto';
import { migrate, PgliteSqlClient } from '@tally/database';
import { cartStreamId, orderStreamId, paymentStreamId, productStreamId, stockStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { getCart } from './carts/carts.queries';
import { getProduct, searchProducts } from './catalog/catalog.queries';
import { waitForProjections } from './consistency';
import { allProjections } from './index';
import { getOrder, listOrders } from './orders/orders.queries';
import { ProjectionRunner } from './projection-runner';
import { readModelMigrations } from './read-models.migrations';
import { getStock } from './stock/stock.queries';
import { appendEvents, RecordingLogger } from './testing/read-models.harness';

// Embedded mode (DESIGN.md §8) runs the same SQL on PGlite: one connection, Postgres 17 in WASM.
describe('read models on PGlite', () => {
  it('projects a product, its stock, a cart and an order end to end', async () => {
    const sql = await PgliteSqlClient.open();
    const store = new PostgresEventStore(sql);
    const logger = new RecordingLogger();
    const runner = new ProjectionRunner({ sql, store, projections: allProjections, logger });
    try {
      await migrate(sql, [eventStoreMigrations, readModelMigrations]);
      await runner.start();
      const sku = 'MUG-1';
      const price = { amount: 1200, currency: 'EUR' };
      await appendEvents(store, productStreamId(sku), [
        {
          type: 'ProductCreated',
          data: {
            sku,
            name: 'Ceramic coffee mug',
            description: 'Holds 350 ml',
            category: 'kitchen',
            attributes: { colour: 'white' },
            images: ['mug.svg'],
            price,
          },
        },
        { type: 'ProductPublished', data: { sku } },
      ]);
      await appendEvents(store, stockStreamId(sku), [
        { type: 'StockReceived', data: { sku, quantity: 7, reference: null } },
      ]);
      const cartId = randomUUID();
      const token = await appendEvents(store, cartStreamId(cartId), [
        { type: 'CartOpened', data: { cartId, customerId: null, currency: 'EUR' } },
        {
          type: 'CartItemAdded',
          data: { cartId, sku, name: 'Ceramic coffee mug', quantity: 2, unitPrice: price },
        },
      ]);

      expect(await waitForProjections(sql, ['catalog', 'stock', 'carts'], token, { timeoutMs: 10_000 })).toBe(
        true,
      );
      expect(await getProduct(sql, sku)).toEqual(
        expect.objectContaining({ status: 'published', available: 7, price, version: 2 }),
      );
      const found = await searchProducts(sql, { q: 'mugs', page: 1, pageSize: 10 });
      expect(found.items.map((item) => item.sku)).toEqual([sku]);
      expect(found.facets.categories).toEqual([{ value: 'kitchen', count: 1 }]);
      expect(await getStock(sql, sku)).toEqual({ sku, onHand: 7, reserved: 0, available: 7, version: 1 });
      expect(await getCart(sql, cartId)).toEqual(
        expect.objectContaining({ total: { amount: 2400, currency: 'EUR' }, version: 2 }),
      );

      const orderId = randomUUID();
      const paymentId = randomUUID();
      const line = {
        sku,
        name: 'Ceramic coffee mug',
        quantity: 2,
        unitPrice: price,
        lineTotal: { amount: 2400, currency: 'EUR' },
      };
      const eur = (amount: number) => ({ amount, currency: 'EUR' });
      await appendEvents(store, orderStreamId(orderId), [
        {
          type: 'OrderPlaced',
          data: {
            orderId,
            cartId,
            customerId: null,
            email: 'guest@example.com',
            lines: [line],
            shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: 'D', country: 'FR' },
            shippingMethod: { id: 'pickup', name: 'Store pickup', price: eur(0) },
            taxRateBasisPoints: 2000,
            totals: { subtotal: eur(2400), shipping: eur(0), tax: eur(480), total: eur(2880) },
            paymentMethodId: 'pm_card_visa',
            placedAt: '2030-01-02T03:04:05.000Z',
          },
        },
      ]);
      const paid = await appendEvents(store, paymentStreamId(paymentId), [
        {
          type: 'PaymentInitiated',
          data: {
            paymentId,
            orderId,
            amount: eur(2880),
            provider: 'simulated',
            paymentMethodId: 'pm_card_visa',
          },
        },
        {
          type: 'PaymentAuthorized',
          data: { paymentId, orderId, providerPaymentId: 'pi_1', amount: eur(2880) },
        },
      ]);
      expect(await waitForProjections(sql, ['orders'], paid, { timeoutMs: 10_000 })).toBe(true);
      expect(await getOrder(sql, orderId)).toEqual(
        expect.objectContaining({
          status: 'pending',
          lines: [line],
          payment: expect.objectContaining({ status: 'authorized', amountAuthorized: eur(2880) }) as unknown,
          placedAt: '2030-01-02T03:04:05.000Z',
        }),
      );
      expect((await getOrder(sql, orderId))?.timeline.map((entry) => entry.summary)).toEqual([
        'Order placed: 2 items, total €28.80',
        'Payment of €28.80 started with the simulated provider',
        'Payment authorized (€28.80)',
      ]);
      expect((await listOrders(sql, { page: 1, pageSize: 5 })).items.map((item) => item.orderId)).toEqual([
        orderId,
      ]);

      // Poison isolation uses savepoints inside PGlite's transaction too.
      const after = await appendEvents(store, cartStreamId(cartId), [
        {
          type: 'CartItemAdded',
          data: { cartId, sku: 'BAD', name: 'Bad', quantity: 'many', unitPrice: price },
        },
        { type: 'CartItemQuantityChanged', data: { cartId, sku, quantity: 3, previousQuantity: 2 } },
      ]);
      expect(await waitForProjections(sql, ['carts'], after, { timeoutMs: 10_000 })).toBe(true);
      expect(await getCart(sql, cartId)).toEqual(
        expect.objectContaining({ total: { amount: 3600, currency: 'EUR' }, version: 4 }),
      );
      const { rows } = await sql.query<{ type: string; version: number }>(
        'SELECT type, version FROM projection_poison_events',
      );
      expect(rows).toEqual([{ type: 'CartItemAdded', version: 3 }]);
    } finally {
      await runner.stop();
      await store.close();
      await sql.close();
    }
  }, 60_000); // PGlite takes seconds to boot.
});
