/**
 * A synthetic shop history for the replay benchmark: a catalog, stock, and tens of thousands of shoppers
 * whose carts become orders, payments and stock movements, written through `EventStore.append` (so every
 * event gets its real hash and position) by several concurrent appenders.
 *
 * Every payload is a domain event type of `@tally/domain`, shaped as the deciders would emit it, so the
 * projections apply them for real. The history advances in ticks; each stream appears at most once per
 * tick (one append with all its events of that tick), and a tick starts only when the previous one has
 * committed, so each checkout story keeps its causal order across streams:
 *
 *   tick t     cart: opened, items added, a quantity changed, an item removed, checked out (or abandoned)
 *   tick t+1   order: placed, number assigned, stock reserved; order-numbers: allocation;
 *              stock: reserved per line
 *   tick t+2   payment: initiated, authorized, captured (or declined); order: payment authorized,
 *              confirmed, captured, shipped, delivered (or cancelled); stock: committed (or released)
 *
 * Payment events come a tick after `OrderPlaced` because the orders projection applies them only to a
 * known order. A stage's events of one stream go in one append (as a command's events do); a stock item
 * gets one append per tick holding every order's movement, so appends average about four events.
 *
 * Alongside, merchants reprice and edit products and count stock, and one stock item (the as-of stream)
 * receives exactly {@link AS_OF_STREAM_EVENTS} events spread over the whole run, one per append, so that
 * its events carry distinct `recordedAt` instants.
 */
import {
  type Actor,
  type CartEvent,
  type CartLineSnapshot,
  type CheckoutDetails,
  cartStreamId,
  formatOrderNumber,
  type Money,
  ORDER_NUMBER_STREAM,
  type OrderEvent,
  type OrderNumberAllocated,
  orderStreamId,
  orderTotals,
  type PaymentEvent,
  paymentStreamId,
  type ProductEvent,
  productStreamId,
  type ShippingMethodSnapshot,
  type StockItemEvent,
  stockStreamId,
} from '@tally/domain';
import { type EventStore, type JsonValue, type NewEvent, uuidv7 } from '@tally/event-store';

/** Events in the as-of stream: one `StockReceived` and then adjustments. */
export const AS_OF_STREAM_EVENTS = 1000;

/** Every event the generator writes. */
type ShopEvent = ProductEvent | CartEvent | OrderEvent | OrderNumberAllocated | PaymentEvent | StockItemEvent;

export interface ShopHistoryOptions {
  readonly store: EventStore;
  /** Write at least this many events (the last stories finish, so a few more are written). */
  readonly events: number;
  /** Concurrent appenders (each append is one call; each stream is written by one appender per tick). */
  readonly appenders: number;
  /** Seed of the pseudo-random choices (default 1), so that two runs write the same shape of history. */
  readonly seed?: number;
  /** Called after every tick with the events appended so far. */
  readonly onProgress?: (appended: number) => void;
}

export interface ShopHistory {
  readonly events: number;
  readonly appends: number;
  readonly seconds: number;
  readonly streams: number;
  readonly products: number;
  readonly carts: number;
  readonly orders: number;
  readonly eventsByType: ReadonlyMap<string, number>;
  /** The stream of {@link AS_OF_STREAM_EVENTS} events for the as-of measurement. */
  readonly asOfStreamId: string;
}

const CURRENCY = 'EUR';
const TAX_RATE_BASIS_POINTS = 2000;
const SHIPPING: ShippingMethodSnapshot = {
  id: 'standard',
  name: 'Standard delivery',
  price: { amount: 495, currency: CURRENCY },
};
const CATEGORIES = ['knitwear', 'outerwear', 'shirts', 'trousers', 'shoes', 'accessories', 'bags', 'socks'];
const MATERIALS = ['merino', 'cotton', 'linen', 'wool', 'denim', 'leather', 'cashmere', 'canvas'];
const KINDS = [
  'sweater',
  'jacket',
  'shirt',
  'chinos',
  'sneaker',
  'scarf',
  'tote',
  'beanie',
  'parka',
  'cardigan',
];
const COLORS = ['navy', 'black', 'grey', 'olive', 'cream', 'rust', 'forest', 'sand'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL'];
const CITIES = [
  ['Lyon', 'FR', '69002'],
  ['Berlin', 'DE', '10115'],
  ['Milano', 'IT', '20121'],
  ['Madrid', 'ES', '28013'],
  ['Gent', 'BE', '9000'],
] as const;
const CATALOG_STOCK = 10_000_000;
const EVENTS_PER_STORY_ESTIMATE = 20;

interface Product {
  readonly sku: string;
  name: string;
  price: Money;
}

/** One shopper's visit, followed across the ticks of its stages. */
interface Story {
  readonly correlationId: string;
  readonly cartId: string;
  readonly customerId: string | null;
  readonly lines: readonly CartLineSnapshot[];
  readonly orderId: string;
  readonly paymentId: string;
  readonly checkout: CheckoutDetails;
  readonly declined: boolean;
}

/** Who, when and why for the events of one command. */
interface CommandContext {
  readonly commandId: string;
  readonly correlationId: string;
  readonly actor: Actor;
  readonly occurredAt: string;
}

/** The appends of one tick: per stream, its events in order (and how many go in one append). */
class Tick {
  readonly streams = new Map<string, { events: NewEvent[]; perAppend: number }>();
  size = 0;

  add(streamId: string, context: CommandContext, ...events: ShopEvent[]): void {
    let entry = this.streams.get(streamId);
    if (!entry) {
      entry = { events: [], perAppend: Number.POSITIVE_INFINITY };
      this.streams.set(streamId, entry);
    }
    for (const event of events) {
      entry.events.push({
        eventId: uuidv7(),
        type: event.type,
        data: event.data as JsonValue,
        metadata: {
          commandId: context.commandId,
          correlationId: context.correlationId,
          causationId: context.commandId,
          actor: context.actor,
          occurredAt: context.occurredAt,
          schemaVersion: 1,
        },
      });
    }
    this.size += events.length;
  }

  /** Writes this stream's events of the tick `perAppend` at a time instead of in one append. */
  split(streamId: string, perAppend: number): void {
    const entry = this.streams.get(streamId);
    if (entry) entry.perAppend = perAppend;
  }
}

/** Writes a shop history of at least `options.events` events; see the module comment for its shape. */
export async function writeShopHistory(options: ShopHistoryOptions): Promise<ShopHistory> {
  const { store, appenders } = options;
  const random = mulberry32(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

  const productCount = clamp(Math.round(options.events / 1000), 20, 1000);
  const storiesPerTick = clamp(Math.round(options.events / 400), 40, 3000);
  const versions = new Map<string, number>();
  const eventsByType = new Map<string, number>();
  const products: Product[] = [];
  const asOfSku = `ASOF-${uuidv7().slice(-12).toUpperCase()}`;
  const asOfStreamId = stockStreamId(asOfSku);
  let asOfOnHand = 500;
  let written = 0;
  let appends = 0;
  let carts = 0;
  let orders = 0;
  let lastOrderNumber = 0;
  const admin: Actor = { id: 'merchant-bench', role: 'admin' };
  const system: Actor = { id: 'checkout', role: 'system' };
  const command = (correlationId: string, actor: Actor): CommandContext => {
    const commandId = uuidv7();
    return {
      commandId,
      correlationId: correlationId || commandId,
      actor,
      occurredAt: new Date().toISOString(),
    };
  };
  const merchantCommand = () => command('', admin);

  // Stage queues: stories whose next stage runs in the coming tick.
  let toPlace: Story[] = [];
  let toSettle: Story[] = [];
  const estimatedTicks = Math.ceil(options.events / (storiesPerTick * EVENTS_PER_STORY_ESTIMATE)) + 4;
  const asOfPerTick = Math.ceil((AS_OF_STREAM_EVENTS - 1) / estimatedTicks);

  const started = process.hrtime.bigint();

  // Tick 0: the catalog, its stock, and the as-of item's first delivery.
  const opening = new Tick();
  for (let i = 0; i < productCount; i++) {
    const sku = `BR-${String(i + 1).padStart(5, '0')}`;
    const material = pick(MATERIALS);
    const kind = pick(KINDS);
    const color = pick(COLORS);
    const product: Product = {
      sku,
      name: `${capitalize(material)} ${kind} ${color} ${i + 1}`,
      price: { amount: between(9, 249) * 100 + pick([0, 50, 90, 95]), currency: CURRENCY },
    };
    products.push(product);
    opening.add(
      productStreamId(sku),
      merchantCommand(),
      {
        type: 'ProductCreated',
        data: {
          sku,
          name: product.name,
          description: `A ${color} ${kind} in ${material}, made to last. Item ${i + 1} of the bench catalog.`,
          category: pick(CATEGORIES),
          attributes: { color, size: pick(SIZES), material },
          images: [`/images/products/${sku.toLowerCase()}.svg`],
          price: product.price,
        },
      },
      { type: 'ProductPublished', data: { sku } },
    );
    opening.add(stockStreamId(sku), merchantCommand(), {
      type: 'StockReceived',
      data: { sku, quantity: CATALOG_STOCK, reference: `PO-${i + 1}` },
    });
  }
  opening.add(asOfStreamId, merchantCommand(), {
    type: 'StockReceived',
    data: { sku: asOfSku, quantity: asOfOnHand, reference: 'PO-ASOF' },
  });
  let asOfWritten = 1;
  await flush(opening);

  for (let tick = 1; ; tick++) {
    // Exact: what is written, plus what the stories under way and the as-of stream will still add.
    const promised =
      written +
      toPlace.reduce((sum, story) => sum + placedEvents(story) + settledEvents(story), 0) +
      toSettle.reduce((sum, story) => sum + settledEvents(story), 0) +
      (AS_OF_STREAM_EVENTS - asOfWritten);
    const generating = promised < options.events;
    if (!generating && toPlace.length + toSettle.length === 0 && asOfWritten >= AS_OF_STREAM_EVENTS) {
      break;
    }
    const batch = new Tick();
    // Later stages first only for readability; a tick's appends are concurrent anyway.
    for (const story of toSettle) settle(batch, story);
    for (const story of toPlace) place(batch, story);
    toSettle = toPlace;
    toPlace = [];
    if (generating) {
      for (let i = 0; i < storiesPerTick; i++) {
        const story = shop(batch);
        if (story) toPlace.push(story);
      }
      merchandise(batch);
    }
    const asOfNow = generating
      ? Math.min(asOfPerTick, AS_OF_STREAM_EVENTS - asOfWritten)
      : AS_OF_STREAM_EVENTS - asOfWritten;
    for (let i = 0; i < asOfNow; i++) {
      // A cycle count: small corrections either way, never below zero.
      const delta = asOfOnHand < 20 ? between(1, 10) : pick([-3, -2, -1, 1, 2, 3]);
      asOfOnHand += delta;
      batch.add(asOfStreamId, merchantCommand(), {
        type: 'StockAdjusted',
        data: { sku: asOfSku, delta, reason: delta < 0 ? 'cycle count: shrinkage' : 'cycle count: found' },
      });
    }
    asOfWritten += asOfNow;
    batch.split(asOfStreamId, 1);
    await flush(batch);
  }

  return {
    events: written,
    appends,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    streams: versions.size,
    products: productCount,
    carts,
    orders,
    eventsByType,
    asOfStreamId,
  };

  /** A shopper's cart; returns the story when it is checked out (most are), undefined when abandoned. */
  function shop(batch: Tick): Story | undefined {
    const cartId = uuidv7();
    const customerId = random() < 0.6 ? uuidv7() : null;
    const actor: Actor = customerId
      ? { id: customerId, role: 'customer' }
      : { id: `guest-${cartId}`, role: 'guest' };
    const correlationId = uuidv7();
    const streamId = cartStreamId(cartId);
    const as = () => command(correlationId, actor);
    carts++;
    batch.add(streamId, as(), { type: 'CartOpened', data: { cartId, customerId, currency: CURRENCY } });
    const chosen = new Map<string, { product: Product; quantity: number }>();
    const wanted = between(1, 4);
    while (chosen.size < wanted) {
      const product = products[Math.floor(random() ** 2 * products.length)]!; // a few best sellers
      if (chosen.has(product.sku)) continue;
      const quantity = between(1, 3);
      chosen.set(product.sku, { product, quantity });
      batch.add(streamId, as(), {
        type: 'CartItemAdded',
        data: { cartId, sku: product.sku, name: product.name, quantity, unitPrice: product.price },
      });
    }
    const [first] = [...chosen.values()];
    if (first && random() < 0.5) {
      const quantity = first.quantity === 1 ? 2 : 1;
      batch.add(streamId, as(), {
        type: 'CartItemQuantityChanged',
        data: { cartId, sku: first.product.sku, quantity, previousQuantity: first.quantity },
      });
      first.quantity = quantity;
    }
    if (chosen.size > 1 && random() < 0.4) {
      const last = [...chosen.keys()].at(-1)!;
      batch.add(streamId, as(), { type: 'CartItemRemoved', data: { cartId, sku: last } });
      chosen.delete(last);
    }
    if (random() < 0.15) {
      if (random() < 0.3) {
        batch.add(streamId, as(), { type: 'CartCleared', data: { cartId } });
      }
      return undefined;
    }
    const lines: CartLineSnapshot[] = [...chosen.values()].map(({ product, quantity }) => ({
      sku: product.sku,
      name: product.name,
      quantity,
      unitPrice: product.price,
      lineTotal: { amount: product.price.amount * quantity, currency: CURRENCY },
    }));
    const orderId = uuidv7();
    const [city, country, postalCode] = pick(CITIES);
    const checkout: CheckoutDetails = {
      email: `shopper-${cartId.slice(-12)}@example.com`,
      shippingAddress: {
        name: 'Alex Martin',
        line1: `${between(1, 200)} Rue de la Bench`,
        city,
        postalCode,
        country,
      },
      shippingMethod: SHIPPING,
      paymentMethodId: 'pm_card_visa',
    };
    batch.add(streamId, as(), {
      type: 'CartCheckedOut',
      data: {
        cartId,
        orderId,
        lines,
        total: { amount: lines.reduce((sum, line) => sum + line.lineTotal.amount, 0), currency: CURRENCY },
        customerId,
        checkout,
      },
    });
    return {
      correlationId,
      cartId,
      customerId,
      lines,
      orderId,
      paymentId: uuidv7(),
      checkout,
      declined: random() < 0.05,
    };
  }

  /** Events {@link place} writes for the story. */
  function placedEvents(story: Story): number {
    return 1 + 3 + story.lines.length;
  }

  /** Events {@link settle} writes for the story. */
  function settledEvents(story: Story): number {
    return (story.declined ? 2 + 1 : 3 + 5) + story.lines.length;
  }

  /** The order is placed from the checked-out cart, numbered, and its lines reserved in stock. */
  function place(batch: Tick, story: Story): void {
    const { orderId, correlationId, lines } = story;
    const as = () => command(correlationId, system);
    const orderNumber = ++lastOrderNumber;
    orders++;
    batch.add(ORDER_NUMBER_STREAM, as(), { type: 'OrderNumberAllocated', data: { orderId } });
    const placing = as();
    batch.add(
      orderStreamId(orderId),
      placing,
      {
        type: 'OrderPlaced',
        data: {
          orderId,
          cartId: story.cartId,
          customerId: story.customerId,
          email: story.checkout.email,
          lines,
          shippingAddress: story.checkout.shippingAddress,
          shippingMethod: story.checkout.shippingMethod,
          taxRateBasisPoints: TAX_RATE_BASIS_POINTS,
          totals: orderTotals(lines, story.checkout.shippingMethod, TAX_RATE_BASIS_POINTS),
          paymentMethodId: story.checkout.paymentMethodId,
          placedAt: placing.occurredAt,
        },
      },
      {
        type: 'OrderNumberAssigned',
        data: { orderId, orderNumber, formatted: formatOrderNumber(orderNumber) },
      },
      { type: 'OrderStockReserved', data: { orderId } },
    );
    for (const line of lines) {
      batch.add(stockStreamId(line.sku), as(), {
        type: 'StockReserved',
        data: { sku: line.sku, orderId, quantity: line.quantity },
      });
    }
  }

  /** The payment runs; a paid order is confirmed, shipped and delivered, a declined one cancelled. */
  function settle(batch: Tick, story: Story): void {
    const { orderId, paymentId, correlationId, lines } = story;
    const as = () => command(correlationId, system);
    const amount = orderTotals(lines, story.checkout.shippingMethod, TAX_RATE_BASIS_POINTS).total;
    const providerPaymentId = `sim_${paymentId.slice(-12)}`;
    const initiated: PaymentEvent = {
      type: 'PaymentInitiated',
      data: {
        paymentId,
        orderId,
        amount,
        provider: 'simulated',
        paymentMethodId: story.checkout.paymentMethodId,
      },
    };
    if (story.declined) {
      batch.add(paymentStreamId(paymentId), as(), initiated, {
        type: 'PaymentDeclined',
        data: {
          paymentId,
          orderId,
          providerPaymentId,
          reason: 'card_declined',
          message: 'Your card was declined.',
        },
      });
      batch.add(orderStreamId(orderId), as(), {
        type: 'OrderCancelled',
        data: { orderId, reason: 'payment_declined', detail: 'card_declined' },
      });
      for (const line of lines) {
        batch.add(stockStreamId(line.sku), as(), {
          type: 'StockReservationReleased',
          data: { sku: line.sku, orderId, quantity: line.quantity },
        });
      }
      return;
    }
    batch.add(
      paymentStreamId(paymentId),
      as(),
      initiated,
      { type: 'PaymentAuthorized', data: { paymentId, orderId, providerPaymentId, amount } },
      { type: 'PaymentCaptured', data: { paymentId, orderId, providerPaymentId, amount } },
    );
    batch.add(
      orderStreamId(orderId),
      as(),
      { type: 'OrderPaymentAuthorized', data: { orderId, paymentId, amount } },
      { type: 'OrderConfirmed', data: { orderId } },
      { type: 'OrderPaymentCaptured', data: { orderId, paymentId, amount } },
      {
        type: 'OrderShipped',
        data: { orderId, carrier: 'Colissimo', trackingNumber: `CO${orderId.slice(-10)}` },
      },
      { type: 'OrderDelivered', data: { orderId } },
    );
    for (const line of lines) {
      batch.add(stockStreamId(line.sku), as(), {
        type: 'StockReservationCommitted',
        data: { sku: line.sku, orderId, quantity: line.quantity },
      });
    }
  }

  /** The merchant's share of a tick: repricing, copy edits, restocks and count corrections. */
  function merchandise(batch: Tick): void {
    const touched = new Set<string>();
    const changes = Math.max(1, Math.round(productCount / 40));
    for (let i = 0; i < changes; i++) {
      const product = pick(products);
      if (touched.has(product.sku)) continue;
      touched.add(product.sku);
      const streamId = productStreamId(product.sku);
      if (random() < 0.7) {
        const previousPrice = product.price;
        product.price = {
          amount: Math.max(500, previousPrice.amount + pick([-1000, -500, -100, 100, 500, 1000])),
          currency: CURRENCY,
        };
        batch.add(streamId, merchantCommand(), {
          type: 'ProductPriceChanged',
          data: { sku: product.sku, price: product.price, previousPrice },
        });
      } else {
        product.name = `${product.name.replace(/ \(new\)$/, '')} (new)`;
        batch.add(streamId, merchantCommand(), {
          type: 'ProductDetailsChanged',
          data: { sku: product.sku, name: product.name, description: `Now in a finer ${pick(MATERIALS)}.` },
        });
      }
      batch.add(stockStreamId(product.sku), merchantCommand(), {
        type: 'StockAdjusted',
        data: { sku: product.sku, delta: pick([-2, -1, 1, 2]), reason: 'cycle count' },
      });
    }
  }

  /** Appends a tick: each stream's events in order, streams spread over the appenders, biggest first. */
  async function flush(batch: Tick): Promise<void> {
    const tasks = [...batch.streams].sort(([, a], [, b]) => b.events.length - a.events.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: appenders }, async () => {
        while (next < tasks.length) {
          const [streamId, { events, perAppend }] = tasks[next++]!;
          for (let from = 0; from < events.length; from += perAppend) {
            const chunk = events.slice(from, from + perAppend);
            const version = versions.get(streamId) ?? 0;
            const { nextVersion } = await store.append(streamId, chunk, {
              expectedVersion: version === 0 ? 'no_stream' : version,
            });
            versions.set(streamId, nextVersion);
            appends++;
            written += chunk.length;
            for (const event of chunk) eventsByType.set(event.type, (eventsByType.get(event.type) ?? 0) + 1);
          }
        }
      }),
    );
    options.onProgress?.(written);
  }
}

/** A small, fast seeded generator (Mulberry32): the same seed gives the same history shape. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
