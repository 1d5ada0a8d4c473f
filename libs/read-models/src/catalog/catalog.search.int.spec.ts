import { randomUUID } from 'node:crypto';
import { orderStreamId, productStreamId } from '@tally/domain';
import type { Checkpoint } from '@tally/event-store';
import { freshSku } from '../testing/read-models.harness';
import { catalogProjection } from './catalog.projection';
import {
  categorySlug,
  listCategories,
  searchProducts,
  type SearchProductsParams,
  suggestProducts,
} from './catalog.queries';
import { CATALOG_BACKENDS, type CatalogHarness } from './catalog.test-backends';

// Search that forgives (ADR 0010): typo correction, ranking by relevance then popularity, suggestions,
// categories and facet counts under filters, on both databases Tally runs on.

const usd = (amount: number) => ({ amount, currency: 'USD' });

interface Seed {
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: number;
  readonly draft?: boolean;
}

const SEEDS = {
  blueShirt: {
    name: 'Blue cotton shirt',
    description: 'A soft shirt for warm days',
    category: 'Tops & Tees',
    price: 1999,
  },
  greenShirt: {
    name: 'Green linen shirt',
    description: 'Breezy and light',
    category: 'Tops & Tees',
    price: 2999,
  },
  navyTee: {
    name: 'Navy blue tee',
    description: 'A blue cotton tee',
    category: 'Tops & Tees',
    price: 1500,
  },
  runners: {
    name: 'Blue running sneakers',
    description: 'Light shoes for daily runs',
    category: 'Footwear',
    price: 8900,
  },
  courtShoes: {
    name: 'White leather sneakers',
    description: 'Classic court shoes',
    category: 'Footwear',
    price: 7900,
  },
  shorts: { name: 'Running shorts', description: 'Quick-dry fabric', category: 'Sportswear', price: 2500 },
  // Only a draft contains the word "sneker": shoppers' searches must still treat it as a typo.
  prototype: {
    name: 'Sneker prototype',
    description: 'Not for sale yet',
    category: 'Footwear',
    price: 100,
    draft: true,
  },
} satisfies Record<string, Seed>;

type Key = keyof typeof SEEDS;

describe.each(CATALOG_BACKENDS)('catalog search on $name', (backend) => {
  let h: CatalogHarness;
  let sku: Record<Key, string>;
  let nameOf: Map<string, string>;

  const search = (params: Partial<SearchProductsParams> = {}) =>
    searchProducts(h.sql, { page: 1, pageSize: 20, ...params });
  const names = (result: { items: readonly { name: string }[] }) => result.items.map((item) => item.name);
  const settle = async (token: Checkpoint) => {
    expect(await h.caughtUp(token)).toBe(true);
  };
  /** Places an order for `units` of each product; returns the order's stream id. */
  const order = async (units: Partial<Record<Key, number>>) => {
    const orderId = randomUUID();
    const lines = Object.entries(units).map(([key, quantity]) => ({
      sku: sku[key as Key],
      name: SEEDS[key as Key].name,
      quantity,
      unitPrice: usd(SEEDS[key as Key].price),
      lineTotal: usd(SEEDS[key as Key].price * quantity),
    }));
    await settle(
      await h.append(orderStreamId(orderId), [
        {
          type: 'OrderPlaced',
          data: {
            orderId,
            cartId: randomUUID(),
            customerId: null,
            email: 'shopper@example.com',
            lines,
            shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: 'D', country: 'US' },
            shippingMethod: { id: 'pickup', name: 'Store pickup', price: usd(0) },
            taxRateBasisPoints: 0,
            totals: { subtotal: usd(0), shipping: usd(0), tax: usd(0), total: usd(0) },
            paymentMethodId: 'pm_card_visa',
            placedAt: '2030-01-02T03:04:05.000Z',
          },
        },
      ]),
    );
    return orderStreamId(orderId);
  };

  beforeAll(() => backend.setUp(), 60_000); // PGlite takes seconds to boot.
  afterAll(() => backend.tearDown());
  beforeEach(async () => {
    h = await backend.start([catalogProjection]);
    sku = {} as Record<Key, string>;
    nameOf = new Map();
    let token: Checkpoint = '';
    for (const [key, seed] of Object.entries(SEEDS) as [Key, Seed][]) {
      const id = freshSku(key);
      sku[key] = id;
      nameOf.set(id, seed.name);
      const { name, description, category, price } = seed;
      token = await h.append(productStreamId(id), [
        {
          type: 'ProductCreated',
          data: {
            sku: id,
            name,
            description,
            category,
            attributes: {},
            images: [`${key}.svg`],
            price: usd(price),
          },
        },
        ...(seed.draft ? [] : [{ type: 'ProductPublished', data: { sku: id } }]),
      ]);
    }
    await settle(token);
  });
  afterEach(async () => {
    await h.close();
  });

  describe('typo tolerance', () => {
    it('finds sneakers for "sneker" and says which word it searched', async () => {
      const result = await search({ q: 'sneker' });
      expect(names(result).sort()).toEqual(['Blue running sneakers', 'White leather sneakers']);
      expect(result.correctedQuery).toBe('sneakers');
    });

    it('finds blue shirts, and only those, for "blu shirt"', async () => {
      const result = await search({ q: 'blu shirt' });
      expect(names(result)).toEqual(['Blue cotton shirt']);
      expect(result.correctedQuery).toBe('blue shirt');
      expect(names(await search({ q: 'BLU Shirts' }))).toEqual(['Blue cotton shirt']);
    });

    it('never corrects a word that some product contains', async () => {
      const shirts = await search({ q: 'shirt' });
      expect(names(shirts)).toEqual(['Blue cotton shirt', 'Green linen shirt']);
      expect(shirts.correctedQuery).toBeNull();
      expect(names(await search({ q: 'shorts' }))).toEqual(['Running shorts']);
    });

    it('finds nothing for a word with no near catalog word', async () => {
      expect(await search({ q: 'xylophone' })).toEqual(
        expect.objectContaining({ items: [], total: 0, correctedQuery: null }),
      );
      expect((await search({ q: 'blu xylophone' })).total).toBe(0);
    });

    it('corrects against every status when drafts are included', async () => {
      const result = await search({ q: 'sneker', includeUnpublished: true });
      expect(names(result)).toEqual(['Sneker prototype']);
      expect(result.correctedQuery).toBeNull();
    });

    it('follows renamed products', async () => {
      await settle(
        await h.append(productStreamId(sku.shorts), [
          { type: 'ProductDetailsChanged', data: { sku: sku.shorts, name: 'Running trousers' } },
        ]),
      );
      expect(names(await search({ q: 'trosers' }))).toEqual(['Running trousers']);
      // Its old words are gone from the corrections too: "shorts" is now a typo (of "shoes").
      expect(names(await search({ q: 'shorts' }))).not.toContain('Running trousers');
    });
  });

  describe('ranking', () => {
    it('breaks relevance ties by units ordered, counting a replayed order once', async () => {
      // Both match "sneakers" once, in the name: equal relevance, so the name decides at first.
      expect(names(await search({ q: 'sneakers' }))).toEqual([
        'Blue running sneakers',
        'White leather sneakers',
      ]);

      const first = await order({ courtShoes: 3, runners: 1 });
      expect(names(await search({ q: 'sneakers' }))).toEqual([
        'White leather sneakers',
        'Blue running sneakers',
      ]);

      // Replaying the order must not count it again: with it counted twice, court shoes would stay first.
      const history = await h.store.readStream(first);
      await h.sql.transaction((tx) => catalogProjection.apply(tx, history));
      await order({ runners: 3 });
      expect(names(await search({ q: 'sneakers' }))).toEqual([
        'Blue running sneakers',
        'White leather sneakers',
      ]);
    });

    it('ranks relevance above popularity', async () => {
      await order({ navyTee: 50 });
      // "cotton" is in the shirt's name but only in the tee's description.
      expect(names(await search({ q: 'cotton' }))).toEqual(['Blue cotton shirt', 'Navy blue tee']);
    });

    it('lists best sellers first without words, and by name or price when asked', async () => {
      await order({ shorts: 5, greenShirt: 2 });
      await order({ greenShirt: 1 });
      const bestSellers = names(await search());
      expect(bestSellers.slice(0, 2)).toEqual(['Running shorts', 'Green linen shirt']);
      expect(bestSellers.slice(2)).toEqual([
        'Blue cotton shirt',
        'Blue running sneakers',
        'Navy blue tee',
        'White leather sneakers',
      ]);
      expect(names(await search({ sort: 'relevance' }))).toEqual(bestSellers);
      expect(names(await search({ sort: 'popularity' }))).toEqual(bestSellers);
      expect(names(await search({ sort: 'name' }))).toEqual([...bestSellers].sort());
      expect(names(await search({ sort: 'price_asc' }))[0]).toBe('Navy blue tee');
    });
  });

  describe('facets under filters', () => {
    it('filters by category slug or name and counts each facet with the other filters only', async () => {
      const bySlug = await search({ q: 'blue', category: 'tops-tees' });
      expect(names(bySlug)).toEqual(['Navy blue tee', 'Blue cotton shirt']);
      expect(bySlug.total).toBe(2);
      // Categories: words applied, category not.
      expect(bySlug.facets.categories).toEqual([
        { value: 'Tops & Tees', count: 2 },
        { value: 'Footwear', count: 1 },
      ]);
      // Price bands: words and category applied.
      expect(bySlug.facets.priceBands.map((band) => band.count)).toEqual([2, 0, 0, 0, 0]);
      expect(await search({ q: 'blue', category: 'Tops & Tees' })).toEqual(bySlug);
    });

    it('combines several categories with a price bound', async () => {
      const result = await search({ category: ['footwear', 'Tops & Tees'], maxPrice: 2000, sort: 'name' });
      expect(names(result)).toEqual(['Blue cotton shirt', 'Navy blue tee']);
      // Categories: price applied (no footwear under 20), category not (shorts are 25.00: none).
      expect(result.facets.categories).toEqual([{ value: 'Tops & Tees', count: 2 }]);
      // Price bands: both categories applied, price not.
      expect(result.facets.priceBands.map((band) => band.count)).toEqual([2, 1, 2, 0, 0]);
    });

    it('corrects typos before counting facets', async () => {
      const result = await search({ q: 'sneker', category: 'sportswear' });
      expect(result.total).toBe(0);
      expect(result.facets.categories).toEqual([{ value: 'Footwear', count: 2 }]);
    });
  });

  describe('suggestions', () => {
    const suggest = async (q: string, limit = 8) =>
      (await suggestProducts(h.sql, { q, limit })).map((suggestion) => suggestion.name);

    it('suggests products whose name words start with what was typed', async () => {
      expect(await suggest('sne')).toEqual(['Blue running sneakers', 'White leather sneakers']);
      expect(await suggest('Blue sh')).toEqual(['Blue cotton shirt']);
      expect(await suggest('foot')).toEqual(['Blue running sneakers', 'White leather sneakers']);
      expect(await suggest('sne', 1)).toEqual(['Blue running sneakers']);
    });

    it('returns what a suggestion list shows', async () => {
      expect(await suggestProducts(h.sql, { q: 'runn', limit: 8 })).toEqual([
        {
          sku: sku.runners,
          name: 'Blue running sneakers',
          category: 'Footwear',
          categorySlug: 'footwear',
          priceMinor: 8900,
          currency: 'USD',
          image: 'runners.svg',
        },
        expect.objectContaining({ sku: sku.shorts, priceMinor: 2500 }),
      ]);
    });

    it('falls back to similar words, after prefix matches, best sellers first', async () => {
      await order({ courtShoes: 2 });
      expect(await suggest('sneker')).toEqual(['White leather sneakers', 'Blue running sneakers']);
      expect(await suggest('shirt')).toEqual(['Blue cotton shirt', 'Green linen shirt']);
    });

    it('never suggests drafts, and nothing for no words', async () => {
      expect(await suggest('prototype')).toEqual([]);
      expect(await suggest(' !? ')).toEqual([]);
      await expect(suggestProducts(h.sql, { q: 'sne', limit: 21 })).rejects.toThrow(RangeError);
    });
  });

  describe('categories', () => {
    it('lists categories with published products, their slugs and counts', async () => {
      expect(await listCategories(h.sql)).toEqual([
        { name: 'Footwear', slug: 'footwear', productCount: 2 },
        { name: 'Sportswear', slug: 'sportswear', productCount: 1 },
        { name: 'Tops & Tees', slug: 'tops-tees', productCount: 3 },
      ]);
    });
  });
});

describe('categorySlug', () => {
  it('lowercases and turns every run of other characters into one dash', () => {
    expect(categorySlug('Home & Garden')).toBe('home-garden');
    expect(categorySlug('  Kids (3+) ')).toBe('kids-3');
    expect(categorySlug('Café')).toBe('caf');
  });
});
