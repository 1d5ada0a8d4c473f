import { productStreamId, stockStreamId } from '@tally/domain';
import type { Checkpoint } from '@tally/event-store';
import { stockProjection } from '../stock/stock.projection';
import { freshSku } from '../testing/read-models.harness';
import { catalogProjection } from './catalog.projection';
import { getProduct, searchProducts, type SearchProductsParams } from './catalog.queries';
import { CATALOG_BACKENDS, type CatalogHarness } from './catalog.test-backends';

const usd = (amount: number) => ({ amount, currency: 'USD' });

interface Seed {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: number;
  readonly status: 'draft' | 'published' | 'discontinued';
  /** Units received, then reserved. */
  readonly stock?: readonly [number, number];
  readonly createdAt: string;
}

const SEEDS: Record<string, Seed> = {
  shirt: {
    name: 'Blue cotton shirt',
    description: 'A soft shirt for warm days',
    category: 'apparel',
    price: 1999,
    status: 'published',
    stock: [5, 0],
    createdAt: '2030-01-01T00:00:00.000Z',
  },
  sweater: {
    name: 'Red wool sweater',
    description: 'Knitted from merino wool',
    category: 'apparel',
    price: 6500,
    status: 'published',
    createdAt: '2030-01-04T00:00:00.000Z',
  },
  mug: {
    name: 'Ceramic coffee mug',
    description: 'Holds 350 ml',
    category: 'kitchen',
    price: 1200,
    status: 'published',
    stock: [3, 3],
    createdAt: '2030-01-02T00:00:00.000Z',
  },
  espresso: {
    name: 'Espresso machine',
    description: 'Makes strong coffee at home',
    category: 'kitchen',
    price: 25000,
    status: 'published',
    stock: [2, 0],
    createdAt: '2030-01-03T00:00:00.000Z',
  },
  draftShirt: {
    name: 'Striped shirt',
    description: 'Coming soon',
    category: 'apparel',
    price: 3000,
    status: 'draft',
    createdAt: '2030-01-05T00:00:00.000Z',
  },
  oldShirt: {
    name: 'Flannel shirt',
    description: 'No longer made',
    category: 'apparel',
    price: 4000,
    status: 'discontinued',
    createdAt: '2030-01-06T00:00:00.000Z',
  },
};

/** Appends each seed's product (and stock) events; returns the SKUs by seed key and the last token. */
async function seedProducts(
  h: CatalogHarness,
  seeds: Record<string, Seed>,
): Promise<{ sku: Record<string, string>; token: Checkpoint }> {
  const sku: Record<string, string> = {};
  let token: Checkpoint = '';
  for (const [key, seed] of Object.entries(seeds)) {
    const id = freshSku(key);
    sku[key] = id;
    const at = seed.createdAt;
    token = await h.append(productStreamId(id), [
      {
        type: 'ProductCreated',
        occurredAt: at,
        data: {
          sku: id,
          name: seed.name,
          description: seed.description,
          category: seed.category,
          attributes: { material: key === 'sweater' ? 'merino' : 'mixed' },
          images: [`${key}.svg`],
          price: usd(seed.price),
        },
      },
      ...(seed.status === 'draft' ? [] : [{ type: 'ProductPublished', occurredAt: at, data: { sku: id } }]),
      ...(seed.status === 'discontinued'
        ? [{ type: 'ProductDiscontinued', occurredAt: at, data: { sku: id } }]
        : []),
    ]);
    if (seed.stock) {
      token = await h.append(stockStreamId(id), [
        { type: 'StockReceived', data: { sku: id, quantity: seed.stock[0], reference: null } },
        { type: 'StockReserved', data: { sku: id, orderId: 'order-1', quantity: seed.stock[1] } },
      ]);
    }
  }
  return { sku, token };
}

describe.each(CATALOG_BACKENDS)('catalog read model on $name', (backend) => {
  let h: CatalogHarness;
  let sku: Record<keyof typeof SEEDS, string> = {};

  const search = (params: Partial<SearchProductsParams> = {}) =>
    searchProducts(h.sql, { page: 1, pageSize: 20, ...params });
  const names = (result: { items: readonly { name: string }[] }) => result.items.map((item) => item.name);
  const settle = async (token: Checkpoint) => {
    expect(await h.caughtUp(token)).toBe(true);
  };

  beforeAll(() => backend.setUp(), 60_000); // PGlite takes seconds to boot.
  afterAll(() => backend.tearDown());
  beforeEach(async () => {
    h = await backend.start([catalogProjection, stockProjection]);
    const seeded = await seedProducts(h, SEEDS);
    sku = seeded.sku;
    await settle(seeded.token);
  });
  afterEach(async () => {
    await h.close();
  });

  describe('getProduct', () => {
    it('shows a product with its price, status, stream version and available stock', async () => {
      expect(await getProduct(h.sql, sku.shirt!)).toEqual({
        sku: sku.shirt,
        name: 'Blue cotton shirt',
        description: 'A soft shirt for warm days',
        category: 'apparel',
        price: usd(1999),
        available: 5,
        status: 'published',
        attributes: { material: 'mixed' },
        images: ['shirt.svg'],
        version: 2,
        createdAt: '2030-01-01T00:00:00.000Z',
        updatedAt: '2030-01-01T00:00:00.000Z',
      });
    });

    it('shows 0 available without stock and drafts in any status', async () => {
      expect(await getProduct(h.sql, sku.draftShirt!)).toEqual(
        expect.objectContaining({ status: 'draft', available: 0, version: 1 }),
      );
    });

    it('is null for an unknown SKU', async () => {
      expect(await getProduct(h.sql, freshSku())).toBeNull();
    });

    it('applies price and partial detail changes, keeping the fields not mentioned', async () => {
      const id = sku.shirt!;
      await settle(
        await h.append(productStreamId(id), [
          {
            type: 'ProductPriceChanged',
            occurredAt: '2030-02-01T00:00:00.000Z',
            data: { sku: id, price: usd(2499), previousPrice: usd(1999) },
          },
          { type: 'ProductDetailsChanged', data: { sku: id, name: 'Blue linen shirt', images: [] } },
          { type: 'ProductUnpublished', data: { sku: id } },
        ]),
      );

      expect(await getProduct(h.sql, id)).toEqual(
        expect.objectContaining({
          name: 'Blue linen shirt',
          description: 'A soft shirt for warm days',
          attributes: { material: 'mixed' },
          images: [],
          price: usd(2499),
          status: 'unpublished',
          version: 5,
          createdAt: '2030-01-01T00:00:00.000Z',
          updatedAt: '2030-01-02T03:04:05.000Z',
        }),
      );
      expect(names(await search({ q: 'linen', includeUnpublished: true }))).toEqual(['Blue linen shirt']);
      expect(names(await search({ q: 'linen' }))).toEqual([]);
    });

    it('ignores events replayed to it', async () => {
      const before = await getProduct(h.sql, sku.shirt!);
      const history = await h.store.readStream(productStreamId(sku.shirt!));
      await h.sql.transaction((tx) => catalogProjection.apply(tx, history));

      expect(await getProduct(h.sql, sku.shirt!)).toEqual(before);
    });
  });

  describe('searchProducts', () => {
    it('lists published products (none sold yet: by name), with category and price-band facets', async () => {
      const result = await search();

      expect(names(result)).toEqual([
        'Blue cotton shirt',
        'Ceramic coffee mug',
        'Espresso machine',
        'Red wool sweater',
      ]);
      expect(result).toEqual(
        expect.objectContaining({
          total: 4,
          page: 1,
          pageSize: 20,
          facets: {
            categories: [
              { value: 'apparel', count: 2 },
              { value: 'kitchen', count: 2 },
            ],
            priceBands: [
              { label: 'Under 20', min: 0, max: 2000, count: 2 },
              { label: '20 to 50', min: 2000, max: 5000, count: 0 },
              { label: '50 to 100', min: 5000, max: 10000, count: 1 },
              { label: '100 to 200', min: 10000, max: 20000, count: 0 },
              { label: '200 and above', min: 20000, max: null, count: 1 },
            ],
          },
        }),
      );
      expect(result.items[1]).toEqual(
        expect.objectContaining({ sku: sku.mug, available: 0, price: usd(1200) }),
      );
    });

    it('shows drafts and discontinued products only when asked to', async () => {
      expect(names(await search({ q: 'shirt' }))).toEqual(['Blue cotton shirt']);
      expect(names(await search({ q: 'shirts', includeUnpublished: true, sort: 'name_asc' }))).toEqual([
        'Blue cotton shirt',
        'Flannel shirt',
        'Striped shirt',
      ]);
    });

    it('ranks name matches above description matches', async () => {
      expect(names(await search({ q: 'coffee' }))).toEqual(['Ceramic coffee mug', 'Espresso machine']);
      expect(names(await search({ q: 'merino' }))).toEqual(['Red wool sweater']);
    });

    it('counts each facet with every filter but its own', async () => {
      const result = await search({ category: 'kitchen', minPrice: 1000, maxPrice: 5000 });

      expect(names(result)).toEqual(['Ceramic coffee mug']);
      expect(result.total).toBe(1);
      // Categories: with the price filter, without the category filter.
      expect(result.facets.categories).toEqual([
        { value: 'apparel', count: 1 },
        { value: 'kitchen', count: 1 },
      ]);
      // Price bands: with the category filter, without the price filter.
      expect(result.facets.priceBands.map((band) => band.count)).toEqual([1, 0, 0, 0, 1]);
    });

    it('treats maxPrice as exclusive, like the band bounds', async () => {
      expect(names(await search({ minPrice: 2000, maxPrice: 6500 }))).toEqual([]);
      expect(names(await search({ minPrice: 6500, maxPrice: 10000 }))).toEqual(['Red wool sweater']);
    });

    it('keeps only products in stock when asked', async () => {
      const result = await search({ inStock: true });
      expect(names(result)).toEqual(['Blue cotton shirt', 'Espresso machine']);
      expect(result.facets.categories).toEqual([
        { value: 'apparel', count: 1 },
        { value: 'kitchen', count: 1 },
      ]);
    });

    it('sorts by price and by newest', async () => {
      const cheapestFirst = [
        'Ceramic coffee mug',
        'Blue cotton shirt',
        'Red wool sweater',
        'Espresso machine',
      ];
      expect(names(await search({ sort: 'price_asc' }))).toEqual(cheapestFirst);
      expect(names(await search({ sort: 'price_desc' }))).toEqual([...cheapestFirst].reverse());
      expect(names(await search({ sort: 'newest' }))).toEqual([
        'Red wool sweater',
        'Espresso machine',
        'Ceramic coffee mug',
        'Blue cotton shirt',
      ]);
    });

    it('pages through the results', async () => {
      const second = await search({ page: 2, pageSize: 3 });
      expect(names(second)).toEqual(['Red wool sweater']);
      expect(second).toEqual(expect.objectContaining({ total: 4, page: 2, pageSize: 3 }));
      expect(names(await search({ page: 3, pageSize: 3 }))).toEqual([]);
    });

    it('tolerates any text a shopper types', async () => {
      expect((await search({ q: 'the' })).total).toBe(4);
      expect((await search({ q: '   ' })).total).toBe(4);
      expect(names(await search({ q: '"coffee mug" -espresso & | ! :*' }))).toEqual(['Ceramic coffee mug']);
    });

    it('rejects an invalid page, page size or price bound', async () => {
      await expect(search({ page: 0 })).rejects.toThrow(RangeError);
      await expect(search({ pageSize: 101 })).rejects.toThrow(RangeError);
      await expect(search({ pageSize: 0 })).rejects.toThrow(RangeError);
      await expect(search({ minPrice: -1 })).rejects.toThrow(RangeError);
      await expect(search({ maxPrice: 1.5 })).rejects.toThrow(RangeError);
    });
  });
});
