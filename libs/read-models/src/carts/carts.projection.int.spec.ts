import { randomUUID } from 'node:crypto';
import { cartStreamId } from '@tally/domain';
import type { RecordedEvent } from '@tally/event-store';
import { tableDigests } from '../batch';
import type { Projection } from '../projection';
import { isoTime } from '../sql-json';
import { cartWithTwoMugs } from '../testing/cart.fixtures';
import { startReadModels, type ReadModelHarness } from '../testing/read-models.harness';
import { perEventCartsProjection } from './carts-per-event.reference';
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

describe('carts read model, however the log is cut into batches', () => {
  let h: ReadModelHarness;
  const ids = { A: randomUUID(), B: randomUUID(), C: randomUUID(), D: randomUUID(), E: randomUUID() };
  type Cart = keyof typeof ids;
  const orderId = randomUUID();
  const customerId = randomUUID();
  /** The business time of the n-th appended event (1-based): one minute apart. */
  const at = (n: number) => `2030-01-02T03:${String(n).padStart(2, '0')}:00.000Z`;
  const eur = (amount: number) => ({ amount, currency: 'EUR' });
  const item = (sku: string, name: string, quantity: number, unitPrice: number) => ({
    sku,
    name,
    quantity,
    unitPrice: eur(unitPrice),
  });
  const guestOpened = { type: 'CartOpened', data: { customerId: null, currency: 'EUR' } };

  /**
   * Five carts interleaved in the log: A a customer's cart that B (a guest cart) is merged into, C cleared
   * and checked out with a snapshot unlike its lines, D never opened, E emptied again.
   */
  const log: [Cart, { type: string; data: Record<string, unknown> }][] = [
    ['A', { type: 'CartOpened', data: { customerId, currency: 'EUR' } }], // 1
    ['B', guestOpened], // 2
    ['A', { type: 'CartItemAdded', data: item('MUG', 'Mug', 2, 1200) }], // 3
    ['D', { type: 'CartItemAdded', data: item('MUG', 'Mug', 1, 1000) }], // 4
    ['B', { type: 'CartItemAdded', data: item('TEE', 'Tee', 1, 2500) }], // 5
    ['A', { type: 'CartItemAdded', data: item('TEE', 'Tee', 1, 2500) }], // 6
    ['A', { type: 'CartItemAdded', data: item('MUG', 'Mug v2', 1, 1100) }], // 7
    ['B', { type: 'CartItemAdded', data: item('MUG', 'Guest mug', 2, 1300) }], // 8
    ['C', guestOpened], // 9
    ['A', { type: 'CartItemQuantityChanged', data: { sku: 'TEE', quantity: 3, previousQuantity: 1 } }], // 10
    ['C', { type: 'CartItemAdded', data: item('CAP', 'Cap', 2, 900) }], // 11
    ['D', { type: 'CartCleared', data: {} }], // 12
    ['B', { type: 'CartItemAdded', data: item('CAP', 'Cap', 1, 900) }], // 13
    ['A', { type: 'CartItemRemoved', data: { sku: 'MUG' } }], // 14
    ['C', { type: 'CartCleared', data: {} }], // 15
    ['A', { type: 'CartItemAdded', data: item('PEN', 'Pen', 1, 100) }], // 16
    ['C', { type: 'CartItemAdded', data: item('MUG', 'Mug', 1, 1200) }], // 17
    ['B', { type: 'CartMergedInto', data: { targetCartId: ids.A } }], // 18
    [
      'A',
      {
        type: 'CartsMerged',
        data: {
          sourceCartId: ids.B,
          lines: [item('TEE', 'Tee', 1, 2500), item('MUG', 'Guest mug', 2, 1300), item('CAP', 'Cap', 1, 900)],
        },
      },
    ], // 19
    [
      'C',
      {
        type: 'CartCheckedOut',
        data: {
          orderId,
          lines: [
            { ...item('MUG', 'Mug (snapshot)', 1, 1150), lineTotal: eur(1150) },
            { ...item('SOCK', 'Sock', 2, 300), lineTotal: eur(600) },
          ],
          total: eur(1750),
        },
      },
    ], // 20
    ['E', guestOpened], // 21
    ['E', { type: 'CartItemAdded', data: item('HAT', 'Hat', 1, 500) }], // 22
    ['E', { type: 'CartItemQuantityChanged', data: { sku: 'SOCK', quantity: 5, previousQuantity: 1 } }], // 23
    ['A', { type: 'CartItemAdded', data: item('HAT', 'Hat', 2, 700) }], // 24
    ['E', { type: 'CartItemRemoved', data: { sku: 'HAT' } }], // 25
    ['A', { type: 'CartItemQuantityChanged', data: { sku: 'MUG', quantity: 1, previousQuantity: 2 } }], // 26
  ];

  const line = (sku: string, name: string, quantity: number, unitPrice: number, position: number) => ({
    sku,
    name,
    quantity,
    unit_price_amount: String(unitPrice),
    unit_price_currency: 'EUR',
    line_total_amount: String(quantity * unitPrice),
    position,
  });
  const cart = (id: Cart, fields: Record<string, unknown>) => ({
    cart_id: ids[id],
    customer_id: null,
    status: 'open',
    currency: 'EUR',
    order_id: null,
    merged_into: null,
    ...fields,
  });
  const expectedCarts = [
    cart('A', {
      customer_id: customerId,
      total_amount: '13700',
      version: 10,
      opened_at: at(1),
      updated_at: at(26),
    }),
    cart('B', {
      status: 'merged',
      merged_into: ids.A,
      total_amount: '6000',
      version: 5,
      opened_at: at(2),
      updated_at: at(18),
    }),
    cart('C', {
      status: 'checked_out',
      order_id: orderId,
      total_amount: '1750',
      version: 5,
      opened_at: at(9),
      updated_at: at(20),
    }),
    cart('E', { total_amount: '0', version: 4, opened_at: at(21), updated_at: at(25) }),
  ].sort((a, b) => (a.cart_id < b.cart_id ? -1 : 1));
  const expectedLines = [
    // A merged line already there keeps its name and price; the n-th merged line goes n after the last.
    ...[
      line('TEE', 'Tee', 4, 2500, 2),
      line('PEN', 'Pen', 1, 100, 3),
      line('MUG', 'Guest mug', 1, 1300, 5),
      line('CAP', 'Cap', 1, 900, 6),
      line('HAT', 'Hat', 2, 700, 7),
    ].map((l) => ({ cart_id: ids.A, ...l })),
    ...[
      line('TEE', 'Tee', 1, 2500, 1),
      line('MUG', 'Guest mug', 2, 1300, 2),
      line('CAP', 'Cap', 1, 900, 3),
    ].map((l) => ({ cart_id: ids.B, ...l })),
    ...[line('MUG', 'Mug (snapshot)', 1, 1150, 1), line('SOCK', 'Sock', 2, 300, 2)].map((l) => ({
      cart_id: ids.C,
      ...l,
    })),
  ].sort((a, b) => (a.cart_id !== b.cart_id ? (a.cart_id < b.cart_id ? -1 : 1) : a.sku < b.sku ? -1 : 1));

  /** The log as the store recorded it, in `readAll` order. */
  let recorded: RecordedEvent[];
  /** The log delivered with redeliveries: a page of it again midway, and its first events at the end. */
  let delivered: RecordedEvent[];

  beforeAll(async () => {
    h = await startReadModels([cartsProjection], { start: false });
    for (const [n, [id, event]] of log.entries()) {
      await h.append(cartStreamId(ids[id]), [
        { type: event.type, data: { cartId: ids[id], ...event.data }, occurredAt: at(n + 1) },
      ]);
    }
    const streams = await Promise.all(Object.values(ids).map((id) => h.store.readStream(cartStreamId(id))));
    recorded = streams.flat().sort((a, b) => (a.position < b.position ? -1 : 1));
    delivered = [
      ...recorded.slice(0, 14),
      ...recorded.slice(9, 14),
      ...recorded.slice(14),
      ...recorded.slice(0, 3),
    ];
  });
  afterAll(async () => {
    await h.close();
  });

  /** Empties the tables, then applies `batches` one transaction each. */
  const project = async (projection: Projection, batches: readonly (readonly RecordedEvent[])[]) => {
    await h.sql.query('TRUNCATE carts, cart_lines');
    await applyBatches(projection, batches);
  };
  const applyBatches = async (projection: Projection, batches: readonly (readonly RecordedEvent[])[]) => {
    for (const batch of batches) await h.sql.transaction((tx) => projection.apply(tx, batch));
  };
  const inBatchesOf = (size: number, events: readonly RecordedEvent[]) =>
    Array.from({ length: Math.ceil(events.length / size) }, (_, i) => events.slice(i * size, (i + 1) * size));
  const digests = () =>
    tableDigests(h.sql, { carts: 'cart_id COLLATE "C"', cart_lines: 'cart_id COLLATE "C", sku COLLATE "C"' });
  const rows = async () => ({
    carts: (
      await h.sql.query(
        `SELECT cart_id, customer_id, status, currency, total_amount::text, order_id, merged_into, version,
           ${isoTime('opened_at')} AS opened_at, ${isoTime('updated_at')} AS updated_at
         FROM carts ORDER BY cart_id COLLATE "C"`,
      )
    ).rows,
    lines: (
      await h.sql.query(
        `SELECT cart_id, sku, name, quantity, unit_price_amount::text, unit_price_currency,
           line_total_amount::text, position
         FROM cart_lines ORDER BY cart_id COLLATE "C", sku COLLATE "C"`,
      )
    ).rows,
  });

  it('records the log in the order it was appended', () => {
    expect(recorded.map((event) => [event.streamId, event.type])).toEqual(
      log.map(([id, event]) => [cartStreamId(ids[id]), event.type]),
    );
  });

  it('leaves the expected rows after the whole log, redeliveries included, in one batch', async () => {
    await project(cartsProjection, [delivered]);

    expect(await rows()).toEqual({ carts: expectedCarts, lines: expectedLines });
  });

  it('leaves the same tables as one event per statement, whatever the batch size, and again on replay', async () => {
    await project(perEventCartsProjection, [delivered]);
    const reference = await digests();
    expect(await rows()).toEqual({ carts: expectedCarts, lines: expectedLines });

    for (const size of [delivered.length, 1, 3, 7]) {
      await project(cartsProjection, inBatchesOf(size, delivered));
      expect({ size, digests: await digests() }).toEqual({ size, digests: reference });
      // Replayed from the first event, as one batch and cut as before: nothing changes.
      await applyBatches(cartsProjection, [recorded]);
      await applyBatches(cartsProjection, inBatchesOf(size, delivered));
      expect({ size, replayed: await digests() }).toEqual({ size, replayed: reference });
    }
  });

  it('writes a cart opened and filled in one batch, then changed in the next', async () => {
    const id = randomUUID();
    await h.append(cartStreamId(id), cartWithTwoMugs(id));
    await h.append(cartStreamId(id), [
      {
        type: 'CartItemAdded',
        data: { cartId: id, sku: 'TEE', name: 'Tee', quantity: 1, unitPrice: eur(2500) },
      },
    ]);
    const [first, second, third] = await h.store.readStream(cartStreamId(id));
    if (!first || !second || !third) throw new Error('three events were appended');
    await project(cartsProjection, [[first, second], [third]]);

    expect(await getCart(h.sql, id)).toMatchObject({
      lines: [
        { sku: 'MUG', quantity: 2, lineTotal: eur(2400) },
        { sku: 'TEE', quantity: 1, lineTotal: eur(2500) },
      ],
      total: eur(4900),
      version: 3,
    });
  });
});
