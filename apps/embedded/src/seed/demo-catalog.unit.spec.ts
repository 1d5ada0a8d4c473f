import { availableUnits, generateDemoCatalog } from './demo-catalog';

describe('generateDemoCatalog', () => {
  const catalog = generateDemoCatalog();

  it('is the same for the same seed and differs for another', () => {
    expect(generateDemoCatalog()).toEqual(catalog);
    expect(generateDemoCatalog({ seed: 7 })).not.toEqual(catalog);
  });

  it('has at least 200 products with unique SKUs and names in at least 8 categories', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(200);
    expect(new Set(catalog.map((p) => p.sku)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.name)).size).toBe(catalog.length);
    expect(new Set(catalog.map((p) => p.category)).size).toBeGreaterThanOrEqual(8);
  });

  it('has valid SKUs and prices in every price band', () => {
    for (const product of catalog) {
      expect(product.sku).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
      expect(Number.isSafeInteger(product.price.amount) && product.price.amount > 0).toBe(true);
    }
    const bands = [0, 2000, 5000, 10000, 20000, Infinity];
    for (let band = 0; band < bands.length - 1; band++) {
      const inBand = catalog.filter(
        (p) => p.price.amount >= bands[band]! && p.price.amount < bands[band + 1]!,
      );
      expect(inBand.length).toBeGreaterThan(0);
    }
  });

  it('has varied stock: sold out both ways, fewer than 10 units, and plenty', () => {
    const units = catalog.map((p) => availableUnits(p.stock));
    expect(catalog.filter((p) => p.stock.kind === 'none').length).toBeGreaterThan(0);
    expect(catalog.filter((p) => p.stock.kind === 'emptied').length).toBeGreaterThan(0);
    expect(units.filter((n) => n > 0 && n < 10).length).toBeGreaterThan(0);
    expect(units.filter((n) => n >= 100).length).toBeGreaterThan(0);
  });

  // The README walk-through and the browser test search for "sneker" and "blu shirt".
  it('has sneakers and blue shirts in stock, named so shoppers find them', () => {
    const inStock = catalog.filter((p) => availableUnits(p.stock) > 0);
    expect(inStock.some((p) => /\bSneakers\b/.test(p.name))).toBe(true);
    expect(inStock.some((p) => /^Blue .*Shirt$/.test(p.name))).toBe(true);
  });
});
