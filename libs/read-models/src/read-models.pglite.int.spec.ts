import { randomUUID } from 'node:crypto';
import { migrate, PgliteSqlClient } from '@tally/database';
import { cartStreamId, productStreamId, stockStreamId } from '@tally/domain';
import { eventStoreMigrations, PostgresEventStore } from '@tally/event-store';
import { getCart } from './carts/carts.queries';
import { getProduct, searchProducts } from './catalog/catalog.queries';
import { waitForProjections } from './consistency';
import { allProjections } from './index';
import { ProjectionRunner } from './projection-runner';
import { readModelMigrations } from './read-models.migrations';
import { getStock } from './stock/stock.queries';
import { appendEvents, RecordingLogger } from './testing/read-models.harness';

// Embedded mode (DESIGN.md §8) runs the same SQL on PGlite: one connection, Postgres 17 in WASM.
describe('read models on PGlite', () => {
  it('projects a product, its stock and a cart end to end', async () => {
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
