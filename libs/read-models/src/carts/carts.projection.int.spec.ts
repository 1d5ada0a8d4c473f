import { randomUUID } from 'node:crypto';
import { cartStreamId } from '@tally/domain';
import { startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { cartsProjection } from './carts.projection';
import { getCart, newestOpenCartOf } from './carts.queries';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('carts read model', () => {
  let h: ReadModelHarness;
  let cartId: string;

  beforeEach(async () => {
    h = await startReadModels([cartsProjection]);
    cartId = randomUUID();
  });
  afterEach(async () => {
    await h.close();
  });

  const appendToCart = async (...events: { type: string; data: Record<string, unknown> }[]) => {
    const token = await h.append(
      cartStreamId(cartId),
      events.map((event) => ({ type: event.type, data: { cartId, ...event.data } })),
    );
    expect(await h.caughtUp(token)).toBe(true);
  };
  const added = (sku: string, quantity: number, unitPrice: number, name = `Name of ${sku}`) => ({
    type: 'CartItemAdded',
    data: { sku, name, quantity, unitPrice: eur(unitPrice) },
  });
  const opened = { type: 'CartOpened', data: { customerId: null, currency: 'EUR' } };

  it('is null for a cart never opened', async () => {
    expect(await getCart(h.sql, cartId)).toBeNull();
  });

  it('shows an opened cart as open and empty', async () => {
    await appendToCart({ type: 'CartOpened', data: { customerId: 'customer-1', currency: 'EUR' } });

    expect(await getCart(h.sql, cartId)).toEqual({
      cartId,
      customerId: 'customer-1',
      status: 'open',
      currency: 'EUR',
      lines: [],
      total: eur(0),
      version: 1,
    });
  });

  describe('when items were added', () => {
    beforeEach(async () => {
      await appendToCart(opened, added('MUG', 2, 1200), added('TEE', 1, 2500), added('MUG', 1, 1100));
    });

    it('adds to the quantity of a SKU already in the cart at the latest price, keeping line order', async () => {
      expect(await getCart(h.sql, cartId)).toEqual({
        cartId,
        customerId: null,
        status: 'open',
        currency: 'EUR',
        lines: [
          { sku: 'MUG', name: 'Name of MUG', quantity: 3, unitPrice: eur(1100), lineTotal: eur(3300) },
          { sku: 'TEE', name: 'Name of TEE', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) },
        ],
        total: eur(5800),
        version: 4,
      });
    });

    it('sets a quantity and recomputes the totals', async () => {
      await appendToCart({
        type: 'CartItemQuantityChanged',
        data: { sku: 'TEE', quantity: 4, previousQuantity: 1 },
      });

      const cart = await getCart(h.sql, cartId);
      expect(cart?.lines[1]).toEqual(
        expect.objectContaining({ sku: 'TEE', quantity: 4, lineTotal: eur(10000) }),
      );
      expect(cart?.total).toEqual(eur(13300));
      expect(cart?.version).toBe(5);
    });

    it('puts a removed SKU added again at the end', async () => {
      await appendToCart({ type: 'CartItemRemoved', data: { sku: 'MUG' } }, added('MUG', 1, 1000));

      const cart = await getCart(h.sql, cartId);
      expect(cart?.lines.map((line) => [line.sku, line.quantity])).toEqual([
        ['TEE', 1],
        ['MUG', 1],
      ]);
      expect(cart?.total).toEqual(eur(3500));
    });

    it('empties the cart when it is cleared', async () => {
      await appendToCart({ type: 'CartCleared', data: {} });

      expect(await getCart(h.sql, cartId)).toEqual(
        expect.objectContaining({ lines: [], total: eur(0), version: 5 }),
      );
    });

    it('shows the checkout snapshot and the order id once checked out', async () => {
      const orderId = randomUUID();
      await appendToCart({
        type: 'CartCheckedOut',
        data: {
          orderId,
          lines: [
            { sku: 'MUG', name: 'Mug', quantity: 3, unitPrice: eur(1100), lineTotal: eur(3300) },
            { sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) },
          ],
          total: eur(5800),
        },
      });

      expect(await getCart(h.sql, cartId)).toEqual({
        cartId,
        customerId: null,
        status: 'checked_out',
        currency: 'EUR',
        lines: [
          { sku: 'MUG', name: 'Mug', quantity: 3, unitPrice: eur(1100), lineTotal: eur(3300) },
          { sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(2500), lineTotal: eur(2500) },
        ],
        total: eur(5800),
        version: 5,
        orderId,
      });
    });

    it('ignores events replayed to it', async () => {
      const before = await getCart(h.sql, cartId);
      const history = await h.store.readStream(cartStreamId(cartId));
      await h.sql.transaction((tx) => cartsProjection.apply(tx, history));

      expect(await getCart(h.sql, cartId)).toEqual(before);
    });
  });

  it('ignores events for a cart it never saw opened, without a poison event', async () => {
    await appendToCart(added('MUG', 1, 1000), { type: 'CartCleared', data: {} });

    expect(await getCart(h.sql, cartId)).toBeNull();
    const { rows } = await h.sql.query('SELECT event_id FROM projection_poison_events');
    expect(rows).toEqual([]);
  });

  describe('merging a guest cart into a customer cart', () => {
    it('sums merged units into lines already there (keeping their price) and appends new lines after', async () => {
      await appendToCart(
        { type: 'CartOpened', data: { customerId: 'customer-1', currency: 'EUR' } },
        added('MUG', 2, 1200),
      );
      const guestCart = randomUUID();
      await appendToCart(
        {
          type: 'CartsMerged',
          data: {
            sourceCartId: guestCart,
            lines: [
              { sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(2500) },
              { sku: 'MUG', name: 'Name of MUG', quantity: 3, unitPrice: eur(1200) },
              { sku: 'CAP', name: 'Cap', quantity: 2, unitPrice: eur(900) },
            ],
          },
        },
        added('PEN', 1, 100),
      );

      expect(await getCart(h.sql, cartId)).toMatchObject({
        status: 'open',
        lines: [
          { sku: 'MUG', quantity: 5, unitPrice: eur(1200), lineTotal: eur(6000) },
          { sku: 'TEE', quantity: 1, lineTotal: eur(2500) },
          { sku: 'CAP', quantity: 2, lineTotal: eur(1800) },
          { sku: 'PEN', quantity: 1, lineTotal: eur(100) },
        ],
        total: eur(10400),
        version: 4,
      });
      // Replayed: nothing is summed twice.
      const history = await h.store.readStream(cartStreamId(cartId));
      await h.sql.transaction((tx) => cartsProjection.apply(tx, history));
      expect(await getCart(h.sql, cartId)).toMatchObject({ total: eur(10400) });
    });

    it("shows the guest cart as merged into the customer cart, and no longer as anyone's open cart", async () => {
      const target = randomUUID();
      await appendToCart(opened, added('MUG', 1, 1200), {
        type: 'CartMergedInto',
        data: { targetCartId: target },
      });

      expect(await getCart(h.sql, cartId)).toMatchObject({
        status: 'merged',
        mergedInto: target,
        lines: [{ sku: 'MUG', quantity: 1 }],
        version: 3,
      });
    });

    it("finds a customer's newest open cart, skipping checked-out and other customers' carts", async () => {
      const customer = randomUUID();
      let minute = 0;
      /** Opens a cart one minute after the previous one (the business time carts are ordered by). */
      const open = async (
        id: string,
        owner: string | null,
        ...then: { type: string; data: Record<string, unknown> }[]
      ) => {
        minute += 1;
        const occurredAt = `2030-01-02T03:${String(minute).padStart(2, '0')}:00.000Z`;
        const token = await h.append(
          cartStreamId(id),
          [{ type: 'CartOpened', data: { customerId: owner, currency: 'EUR' } }, ...then].map((event) => ({
            type: event.type,
            data: { cartId: id, ...event.data },
            occurredAt,
          })),
        );
        expect(await h.caughtUp(token)).toBe(true);
      };
      expect(await newestOpenCartOf(h.sql, customer)).toBeNull();
      const older = randomUUID();
      await open(older, customer);
      await open(randomUUID(), randomUUID());
      await open(randomUUID(), null);
      expect(await newestOpenCartOf(h.sql, customer)).toBe(older);
      const newer = randomUUID();
      await open(newer, customer);
      expect(await newestOpenCartOf(h.sql, customer)).toBe(newer);
      await open(randomUUID(), customer, added('MUG', 1, 100), {
        type: 'CartCheckedOut',
        data: { orderId: randomUUID(), lines: [], total: eur(100) },
      });
      expect(await newestOpenCartOf(h.sql, customer)).toBe(newer);
    });
  });
});
