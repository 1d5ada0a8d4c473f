import { stockStreamId } from '@tally/domain';
import { freshSku, startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { stockProjection } from './stock.projection';
import { getStock } from './stock.queries';

describe('stock read model', () => {
  let h: ReadModelHarness;

  beforeEach(async () => {
    h = await startReadModels([stockProjection]);
  });
  afterEach(async () => {
    await h.close();
  });

  it('is null for a SKU without stock events', async () => {
    expect(await getStock(h.sql, freshSku())).toBeNull();
  });

  describe('when goods were received and reserved', () => {
    let sku: string;

    beforeEach(async () => {
      sku = freshSku();
      const token = await h.append(stockStreamId(sku), [
        { type: 'StockReceived', data: { sku, quantity: 10, reference: 'PO-1' } },
        { type: 'StockAdjusted', data: { sku, delta: -1, reason: 'damaged' } },
        { type: 'StockReserved', data: { sku, orderId: 'order-1', quantity: 3 } },
        { type: 'StockReserved', data: { sku, orderId: 'order-2', quantity: 2 } },
      ]);
      expect(await h.caughtUp(token)).toBe(true);
    });

    it('shows on-hand, reserved and available units with the stream version', async () => {
      expect(await getStock(h.sql, sku)).toEqual({ sku, onHand: 9, reserved: 5, available: 4, version: 4 });
    });

    it('gives a released reservation back and takes a committed one out of on-hand', async () => {
      const token = await h.append(stockStreamId(sku), [
        { type: 'StockReservationReleased', data: { sku, orderId: 'order-1', quantity: 3 } },
        { type: 'StockReservationCommitted', data: { sku, orderId: 'order-2', quantity: 2 } },
      ]);
      expect(await h.caughtUp(token)).toBe(true);

      expect(await getStock(h.sql, sku)).toEqual({ sku, onHand: 7, reserved: 0, available: 7, version: 6 });
    });

    it('changes nothing but the version on a rejected reservation', async () => {
      const token = await h.append(stockStreamId(sku), [
        { type: 'StockReservationRejected', data: { sku, orderId: 'order-3', requested: 50, available: 4 } },
      ]);
      expect(await h.caughtUp(token)).toBe(true);

      expect(await getStock(h.sql, sku)).toEqual({ sku, onHand: 9, reserved: 5, available: 4, version: 5 });
    });

    it('ignores events replayed to it', async () => {
      const history = await h.store.readStream(stockStreamId(sku));
      await h.sql.transaction((tx) => stockProjection.apply(tx, history));

      expect(await getStock(h.sql, sku)).toEqual({ sku, onHand: 9, reserved: 5, available: 4, version: 4 });
    });
  });
});
