import { Prng } from './prng';

/** How a demo product's stock is set up through the command path. */
export type DemoStock =
  /** Never received: sold out. */
  | { readonly kind: 'none' }
  /** Received, then counted to zero with an adjustment: sold out. */
  | { readonly kind: 'emptied'; readonly received: number }
  /** Received in one or two deliveries. */
  | { readonly kind: 'received'; readonly deliveries: readonly number[] };

/** One product of the demo catalog, in the shape of command-api's `POST /api/v1/products` body, plus stock. */
export interface DemoProduct {
  readonly sku: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly price: { readonly amount: number; readonly currency: 'EUR' };
  readonly attributes: Readonly<Record<string, string>>;
  readonly images: readonly string[];
  readonly stock: DemoStock;
}

interface CategorySpec {
  readonly name: string;
  readonly code: string;
  readonly nouns: readonly string[];
  readonly materials: readonly string[];
  /** Price range in minor units. */
  readonly price: readonly [number, number];
  /** An extra attribute that makes sense in this category. */
  readonly extra: readonly [string, readonly string[]];
  /** Products are named "<Colour> <Material> <Noun>" instead of "<Adjective> <Material> <Noun>". */
  readonly namedByColour?: boolean;
}

const CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'Kitchen',
    code: 'KIT',
    nouns: ['Mug', 'Teapot', 'Cutting Board', 'Salad Bowl', 'Chef Knife', 'Colander', 'Spice Rack', 'Kettle'],
    materials: ['Stoneware', 'Walnut', 'Steel', 'Porcelain', 'Bamboo', 'Cast Iron'],
    price: [499, 12999],
    extra: ['capacity', ['250 ml', '500 ml', '1 l', '1.5 l', '2 l']],
  },
  {
    name: 'Lighting',
    code: 'LGT',
    nouns: ['Desk Lamp', 'Floor Lamp', 'Pendant Light', 'Wall Sconce', 'Lantern', 'String Lights'],
    materials: ['Brass', 'Linen', 'Glass', 'Oak', 'Aluminium', 'Paper'],
    price: [1999, 34999],
    extra: ['bulb', ['E14', 'E27', 'GU10', 'integrated LED']],
  },
  {
    name: 'Furniture',
    code: 'FUR',
    nouns: ['Side Table', 'Bookshelf', 'Stool', 'Armchair', 'Bench', 'Coat Stand', 'Desk'],
    materials: ['Oak', 'Beech', 'Steel', 'Rattan', 'Walnut', 'Birch Plywood'],
    price: [4999, 89999],
    extra: ['assembly', ['none', 'easy', 'tools included']],
  },
  {
    name: 'Textiles',
    code: 'TEX',
    nouns: ['Throw Blanket', 'Cushion Cover', 'Table Runner', 'Tea Towel', 'Rug', 'Curtain'],
    materials: ['Linen', 'Wool', 'Cotton', 'Jute', 'Velvet', 'Alpaca'],
    price: [899, 24999],
    extra: ['size', ['S', 'M', 'L', 'XL']],
  },
  {
    name: 'Garden',
    code: 'GRD',
    nouns: ['Planter', 'Watering Can', 'Pruning Shears', 'Bird Feeder', 'Trowel', 'Seed Tray'],
    materials: ['Terracotta', 'Galvanised Steel', 'Ash', 'Recycled Plastic', 'Copper', 'Concrete'],
    price: [599, 7999],
    extra: ['use', ['indoor', 'outdoor', 'indoor and outdoor']],
  },
  {
    name: 'Stationery',
    code: 'STA',
    nouns: ['Notebook', 'Fountain Pen', 'Desk Organiser', 'Pencil Case', 'Planner', 'Letter Tray'],
    materials: ['Recycled Paper', 'Leather', 'Cork', 'Brass', 'Felt', 'Maple'],
    price: [299, 5999],
    extra: ['format', ['A4', 'A5', 'A6', 'pocket']],
  },
  {
    name: 'Audio',
    code: 'AUD',
    nouns: ['Bluetooth Speaker', 'Headphones', 'Turntable', 'Radio', 'Earbuds', 'Soundbar'],
    materials: ['Walnut', 'Aluminium', 'Fabric', 'Recycled Plastic', 'Bamboo'],
    price: [2499, 59999],
    extra: ['battery', ['none', '8 h', '12 h', '24 h', '40 h']],
  },
  {
    name: 'Outdoor',
    code: 'OUT',
    nouns: ['Backpack', 'Camping Mug', 'Picnic Blanket', 'Water Bottle', 'Hammock', 'Headlamp'],
    materials: ['Ripstop Nylon', 'Canvas', 'Steel', 'Titanium', 'Wool', 'Cork'],
    price: [999, 19999],
    extra: ['weight', ['120 g', '350 g', '800 g', '1.2 kg', '2 kg']],
  },
  {
    name: 'Apparel',
    code: 'APP',
    nouns: [
      'Shirt',
      'Oxford Shirt',
      'Sneakers',
      'Running Sneakers',
      'Hoodie',
      'Beanie',
      'Socks',
      'Overshirt',
    ],
    materials: ['Cotton', 'Organic Cotton', 'Linen', 'Merino', 'Canvas', 'Suede'],
    price: [1499, 14999],
    extra: ['size', ['XS', 'S', 'M', 'L', 'XL']],
    // Clothes are named by colour ("Blue Linen Shirt"): that is how shoppers search for them.
    namedByColour: true,
  },
  {
    name: 'Bath',
    code: 'BTH',
    nouns: ['Bath Towel', 'Soap Dish', 'Bath Mat', 'Toothbrush Holder', 'Shower Caddy', 'Robe'],
    materials: ['Cotton', 'Waffle Linen', 'Ceramic', 'Teak', 'Marble', 'Hinoki'],
    price: [599, 9999],
    extra: ['care', ['machine wash 40', 'machine wash 60', 'wipe clean', 'hand wash']],
  },
];

const ADJECTIVES = [
  'Nordic',
  'Classic',
  'Compact',
  'Everyday',
  'Heritage',
  'Modern',
  'Rustic',
  'Minimal',
  'Coastal',
  'Alpine',
  'Urban',
  'Soft',
];
const COLOURS = [
  'black',
  'white',
  'sand',
  'sage',
  'terracotta',
  'navy',
  'blue',
  'ochre',
  'charcoal',
  'natural',
];
const BRANDS = ['Fjord & Co', 'Atelier Nine', 'Linde', 'Northwind', 'Kobo', 'Maison Vert'];

export interface DemoCatalogOptions {
  /** PRNG seed; the same seed gives the same catalog. */
  readonly seed?: number;
  /** Number of products (at least 200 for the demo; spread evenly over the categories). */
  readonly count?: number;
}

/** The default size: 24 products in each of 10 categories. */
export const DEMO_CATALOG_SIZE = 240;

/**
 * Generates the demo catalog: deterministic for a seed, at least one product per category, varied prices
 * (every price band), attributes and stock. One product in twelve is never received, one in twelve is
 * received and then counted down to zero (both sold out), one in six has fewer than ten units.
 */
export function generateDemoCatalog(options: DemoCatalogOptions = {}): DemoProduct[] {
  const count = options.count ?? DEMO_CATALOG_SIZE;
  const random = new Prng(options.seed ?? 2026);
  const stockKinds = random.shuffle(
    Array.from({ length: count }, (_, index): 'none' | 'emptied' | 'low' | 'plenty' => {
      const slot = index % 12;
      if (slot === 0) return 'none';
      if (slot === 6) return 'emptied';
      if (slot === 3 || slot === 9) return 'low';
      return 'plenty';
    }),
  );
  const usedNames = new Set<string>();
  return Array.from({ length: count }, (_, index): DemoProduct => {
    const category = nth(CATEGORIES, index % CATEGORIES.length);
    const serial = Math.floor(index / CATEGORIES.length) + 1;
    const sku = `${category.code}-${String(serial).padStart(3, '0')}`;
    const material = random.pick(category.materials);
    const noun = random.pick(category.nouns);
    const adjective = random.pick(ADJECTIVES);
    const colour = random.pick(COLOURS);
    let name = `${category.namedByColour ? capitalise(colour) : adjective} ${material} ${noun}`;
    if (usedNames.has(name)) name = `${name} ${serial}`;
    usedNames.add(name);
    const [extraName, extraValues] = category.extra;
    const [low, high] = category.price;
    // Skewed towards the cheap end of the range, ending in 99 cents like a shop's prices.
    const amount = Math.max(199, Math.round((low + (high - low) * random.next() ** 2) / 100) * 100 - 1);
    const kind = stockKinds[index] ?? 'plenty';
    const stock: DemoStock =
      kind === 'none'
        ? { kind: 'none' }
        : kind === 'emptied'
          ? { kind: 'emptied', received: random.int(5, 40) }
          : kind === 'low'
            ? { kind: 'received', deliveries: [random.int(1, 9)] }
            : {
                kind: 'received',
                deliveries:
                  random.next() < 0.3 ? [random.int(10, 150), random.int(10, 150)] : [random.int(10, 400)],
              };
    return {
      sku,
      name,
      description: `A ${colour} ${noun.toLowerCase()} in ${material.toLowerCase()} by ${random.pick(BRANDS)}. ${
        random.next() < 0.5 ? 'Made to last and easy to care for.' : 'Designed for everyday use.'
      }`,
      category: category.name,
      price: { amount, currency: 'EUR' },
      attributes: {
        colour,
        material: material.toLowerCase(),
        [extraName]: random.pick(extraValues),
      },
      // The storefront draws each product's picture from its SKU (no files, nothing fetched).
      images: [`/images/products/${sku}.svg`],
      stock,
    };
  });
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function nth<T>(items: readonly T[], index: number): T {
  const item = items[index];
  if (item === undefined) throw new RangeError(`no item ${index}`);
  return item;
}

/** Units available once the product's stock commands have run. */
export function availableUnits(stock: DemoStock): number {
  return stock.kind === 'received' ? stock.deliveries.reduce((sum, units) => sum + units, 0) : 0;
}
