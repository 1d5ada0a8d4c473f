/**
 * A synthetic shop history for the replay and warehouse benchmarks and the warehouse's reconciliation test:
 * a catalog, stock, and thousands of shoppers who sign up, search, fill carts that become orders, payments
 * and stock movements, cancel and get refunds, written through `EventStore.append` (so every event gets its
 * real hash and position) by several concurrent appenders.
 *
 * Every payload is a domain event type of `@tally/domain`, shaped as the deciders (and checkout, and the
 * query API for searches) would emit it, so the projections apply them for real. The history advances in
 * ticks; each stream appears at most once per tick (one append with all its events of that tick), and a
 * tick starts only when the previous one has committed. A shopper's story is a list of steps, one per tick,
 * so that an event always follows what caused it in the log:
 *
 *   sign-up (newcomers only)  customer-email: reserved; then customer: registered
 *   cart      search: the shopper's search (about half of them, a few finding nothing); cart: opened, items
 *             added, a quantity changed, an item removed, checked out (or abandoned)
 *   place     order: placed, number assigned, stock reserved; order-numbers: allocation; stock: reserved
 *   settle    payment: initiated, authorized, captured (or declined); order: payment authorized, confirmed,
 *             captured, shipped, delivered (or cancelled on a decline); stock: committed (or released)
 *   then, for a few paid orders, either
 *   cancel    order: cancelled by the customer; stock: released; then payment: checkout's full refund
 *   refunds   order: refund requested (partial or full, once or twice); then payment: refunded; then
 *             order: refunded
 *
 * Payment events come a tick after `OrderPlaced` because the orders projection applies them only to a
 * known order. A step's events of one stream go in one append (as a command's events do); a stock item
 * gets one append per tick holding every order's movement, so appends average about four events.
 *
 * Alongside, merchants reprice, recategorise and rename products and count stock, and one stock item (the
 * as-of stream) receives exactly {@link AS_OF_STREAM_EVENTS} events spread over the whole run, one per
 * append, so that its events carry distinct `recordedAt` instants.
 *
 * Business time (`metadata.occurredAt`) is the wall clock, or, with `startAt`, a simulated clock that gives
 * each tick `tickMinutes`: a history of days in seconds. Merchants act at the very end of a tick's window,
 * so an order's prices are those its product had when it was placed.
 */
import { createHash } from 'node:crypto';
import {
  type Actor,
  cancellationRefundId,
  type CartEvent,
  type CartLineSnapshot,
  type CheckoutDetails,
  cartStreamId,
  type CustomerEmailReserved,
  type CustomerRegistered,
  customerEmailStreamId,
  customerStreamId,
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
  type SearchEvent,
  type SearchFilters,
  type ShippingMethodSnapshot,
  searchStreamId,
  type StockItemEvent,
  stockStreamId,
} from '@tally/domain';
import {
  type Checkpoint,
  type EventStore,
  type JsonValue,
  type NewEvent,
  START,
  uuidv7,
} from '@tally/event-store';
import { normalizeSearchQuery } from '@tally/read-models';

/** Events in the as-of stream: one `StockReceived` and then adjustments. */
export const AS_OF_STREAM_EVENTS = 1000;

/** Every event the generator writes. */
type ShopEvent =
  | ProductEvent
  | CartEvent
  | OrderEvent
  | OrderNumberAllocated
  | PaymentEvent
  | StockItemEvent
  | CustomerEmailReserved
  | CustomerRegistered
  | SearchEvent;

export interface ShopHistoryOptions {
  readonly store: EventStore;
  /** Write at least this many events (the last stories finish, so a few more are written). */
  readonly events?: number;
  /** Check out at least this many carts, each of which becomes an order (the last stories finish too). */
  readonly orders?: number;
  /** Concurrent appenders (each append is one call; each stream is written by one appender per tick). */
  readonly appenders: number;
  /** Seed of the pseudo-random choices (default 1), so that two runs write the same shape of history. */
  readonly seed?: number;
  /** Business time of the first event: events carry simulated instants instead of the wall clock. */
  readonly startAt?: Date;
  /** Simulated minutes per tick (default 60, at least 10); only with `startAt`. */
  readonly tickMinutes?: number;
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
  readonly customers: number;
  readonly eventsByType: ReadonlyMap<string, number>;
  /** The stream of {@link AS_OF_STREAM_EVENTS} events for the as-of measurement. */
  readonly asOfStreamId: string;
  /** The checkpoint of the last event written: wait for projections to reach it before reading them. */
  readonly checkpoint: Checkpoint;
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
const NAMES = ['Alex Martin', 'Sam Weber', 'Giulia Rossi', 'Lucía García', 'Noor Peeters', 'Jonas Klein'];
/** What shoppers look for that the bench catalog never sells. */
const UNSOLD = ['umbrella', 'swimsuit', 'sunglasses', 'pyjamas', 'raincoat kids', 'wool gloves', 'belt'];
const DECLINE_REASONS = ['card_declined', 'insufficient_funds', 'authentication_required'];
const REFUND_REASONS = ['returned item', 'damaged in transit', 'late delivery', 'goodwill'];
const CATALOG_STOCK = 10_000_000;
const EVENTS_PER_STORY_ESTIMATE = 20;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Product {
  readonly sku: string;
  name: string;
  category: string;
  price: Money;
}

interface Customer {
  readonly customerId: string;
  readonly email: string;
  readonly name: string;
}

/** What becomes of a checked-out cart. */
type Outcome = 'delivered' | 'declined' | 'cancelled';

/** One tick's share of a story, and how many events it writes. */
interface Step {
  readonly events: number;
  write(batch: Tick): void;
}

/** One shopper's visit, followed across the ticks of its steps. */
interface Story {
  readonly correlationId: string;
  readonly customer: Customer | null;
  readonly actor: Actor;
  /** Business time of the cart's opening, in ms (0 on the wall clock). */
  readonly at: number;
  readonly steps: Step[];
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

/**
 * Writes a shop history of at least `options.events` events and `options.orders` orders (one of them is
 * needed); see the module comment for its shape.
 */
export async function writeShopHistory(options: ShopHistoryOptions): Promise<ShopHistory> {
  const { store, appenders } = options;
  const eventTarget = options.events ?? 0;
  const orderTarget = options.orders ?? 0;
  if (eventTarget <= 0 && orderTarget <= 0) throw new RangeError('writeShopHistory needs events or orders');
  const random = mulberry32(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
  const chance = (p: number): boolean => random() < p;

  const size = Math.max(eventTarget, orderTarget * EVENTS_PER_STORY_ESTIMATE);
  const productCount = clamp(Math.round(size / 1000), 20, 1000);
  const storiesPerTick = clamp(Math.round(size / 400), 40, 3000);
  const startMs = options.startAt?.getTime();
  const tickMs = Math.max(10, options.tickMinutes ?? 60) * MINUTE;
  const versions = new Map<string, number>();
  const eventsByType = new Map<string, number>();
  const products: Product[] = [];
  const customers: Customer[] = [];
  const asOfSku = `ASOF-${uuidv7().slice(-12).toUpperCase()}`;
  const asOfStreamId = stockStreamId(asOfSku);
  let asOfOnHand = 500;
  let written = 0;
  let appends = 0;
  let carts = 0;
  let orders = 0;
  let checkouts = 0;
  let lastOrderNumber = 0;
  let lastCheckpoint: Checkpoint = START;
  let tick = 0;
  const admin: Actor = { id: 'merchant-bench', role: 'admin' };
  const system: Actor = { id: 'checkout', role: 'system' };
  /** Business time `ms` as ISO-8601 (the wall clock when no simulated start was given). */
  const instant = (ms: number): string => new Date(startMs === undefined ? Date.now() : ms).toISOString();
  const windowStart = (t: number): number => (startMs ?? 0) + t * tickMs;
  const command = (correlationId: string, actor: Actor, at: number): CommandContext => {
    const commandId = uuidv7();
    return { commandId, correlationId: correlationId || commandId, actor, occurredAt: instant(at) };
  };
  // Merchants act at the end of the tick's window, after every cart of the tick.
  const merchantCommand = () => command('', admin, windowStart(tick + 1) - SECOND);

  let active: Story[] = [];
  const estimatedTicks =
    Math.ceil(Math.max(eventTarget / EVENTS_PER_STORY_ESTIMATE, orderTarget / 0.85) / storiesPerTick) + 6;
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
      category: pick(CATEGORIES),
      price: { amount: between(9, 249) * 100 + pick([0, 50, 90, 95]), currency: CURRENCY },
    };
    products.push(product);
    opening.add(
      productStreamId(sku),
      command('', admin, windowStart(0)),
      {
        type: 'ProductCreated',
        data: {
          sku,
          name: product.name,
          description: `A ${color} ${kind} in ${material}, made to last. Item ${i + 1} of the bench catalog.`,
          category: product.category,
          attributes: { color, size: pick(SIZES), material },
          images: [`/images/products/${sku.toLowerCase()}.svg`],
          price: product.price,
        },
      },
      { type: 'ProductPublished', data: { sku } },
    );
    opening.add(stockStreamId(sku), command('', admin, windowStart(0)), {
      type: 'StockReceived',
      data: { sku, quantity: CATALOG_STOCK, reference: `PO-${i + 1}` },
    });
  }
  opening.add(asOfStreamId, command('', admin, windowStart(0)), {
    type: 'StockReceived',
    data: { sku: asOfSku, quantity: asOfOnHand, reference: 'PO-ASOF' },
  });
  let asOfWritten = 1;
  await flush(opening);

  for (tick = 1; ; tick++) {
    // Exact: what is written, plus what the stories under way and the as-of stream will still add.
    const promised =
      written +
      active.reduce((sum, story) => sum + story.steps.reduce((n, step) => n + step.events, 0), 0) +
      (AS_OF_STREAM_EVENTS - asOfWritten);
    const generating = promised < eventTarget || checkouts < orderTarget;
    if (!generating && active.length === 0 && asOfWritten >= AS_OF_STREAM_EVENTS) break;
    const batch = new Tick();
    if (generating) {
      for (let i = 0; i < storiesPerTick; i++) active.push(story());
    }
    for (const story of active) story.steps.shift()?.write(batch);
    active = active.filter((story) => story.steps.length > 0);
    if (generating) merchandise(batch);
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
    customers: customers.length,
    eventsByType,
    asOfStreamId,
    checkpoint: lastCheckpoint,
  };

  /**
   * A shopper's visit, planned now and written one step per tick: a newcomer signs up first; most carts
   * are checked out; most orders are paid and delivered, some declined, a few cancelled by the customer
   * or refunded in part or in full.
   */
  function story(): Story {
    const newcomer = chance(0.6) && (customers.length === 0 || chance(0.4));
    const customer: Customer | null = newcomer
      ? newCustomer()
      : customers.length > 0 && chance(0.6)
        ? pick(customers)
        : null;
    const cartId = uuidv7();
    const actor: Actor = customer
      ? { id: customer.customerId, role: 'customer' }
      : { id: `guest-${cartId}`, role: 'guest' };
    // The cart opens in the window of the tick that writes it (after the sign-up's two), early enough for
    // its checkout to fit.
    const at = windowStart(tick + (newcomer ? 2 : 0)) + Math.floor(random() * (tickMs - 5 * MINUTE));
    const visit: Story = { correlationId: uuidv7(), customer, actor, at, steps: [] };
    const cart = planCart(visit, cartId);
    if (newcomer && customer) visit.steps.push(...signUpSteps(customer, at));
    visit.steps.push(cart.step);
    if (cart.checkedOut) {
      checkouts++;
      visit.steps.push(...orderSteps(visit, cart.order));
    }
    return visit;
  }

  function newCustomer(): Customer {
    const customerId = uuidv7();
    return { customerId, email: `shopper-${customerId.slice(-12)}@example.com`, name: pick(NAMES) };
  }

  /**
   * The two appends of a sign-up, a tick apart (the email first, then the account), as command-api makes
   * them, minutes before the cart opening at `cartAt`. The account can shop again once registered.
   */
  function signUpSteps(customer: Customer, cartAt: number): Step[] {
    const { customerId } = customer;
    const self: Actor = { id: customerId, role: 'customer' };
    const commandId = uuidv7();
    const signingUp = (at: number): CommandContext => ({ ...command('', self, at), commandId });
    const reserve: Step = {
      events: 1,
      write(batch) {
        const digest = createHash('sha256').update(customer.email.trim().toLowerCase()).digest('hex');
        batch.add(customerEmailStreamId(digest), signingUp(cartAt - 10 * MINUTE), {
          type: 'CustomerEmailReserved',
          data: { customerId },
        });
      },
    };
    const register: Step = {
      events: 1,
      write(batch) {
        batch.add(customerStreamId(customerId), signingUp(cartAt - 10 * MINUTE + SECOND), {
          type: 'CustomerRegistered',
          data: { customerId, email: customer.email, name: customer.name, role: 'customer' },
        });
        customers.push(customer);
      },
    };
    return [reserve, register];
  }

  /**
   * The cart step: the shopper may search first, then fills a cart at the prices of the moment and checks
   * it out (or leaves it). The choices are made now; the prices are read when the step is written.
   */
  function planCart(visit: Story, cartId: string): { step: Step; checkedOut: boolean; order: PlannedOrder } {
    const chosen: { product: Product; quantity: number }[] = [];
    const wanted = between(1, 4);
    while (chosen.length < wanted) {
      const product = products[Math.floor(random() ** 2 * products.length)]!; // a few best sellers
      if (chosen.some((line) => line.product === product)) continue;
      chosen.push({ product, quantity: between(1, 3) });
    }
    const changeFirst = chance(0.5);
    const removeLast = chosen.length > 1 && chance(0.4);
    const abandoned = chance(0.15);
    const clearedOnLeaving = abandoned && chance(0.3);
    const search = chance(0.5) ? planSearch(chosen[0]!.product) : null;
    const kept = removeLast ? chosen.slice(0, -1) : chosen;
    const [city, country, postalCode] = pick(CITIES);
    const checkout: CheckoutDetails = {
      email: visit.customer?.email ?? `guest-${cartId.slice(-12)}@example.com`,
      shippingAddress: {
        name: visit.customer?.name ?? pick(NAMES),
        line1: `${between(1, 200)} Rue de la Bench`,
        city,
        postalCode,
        country,
      },
      shippingMethod: SHIPPING,
      paymentMethodId: 'pm_card_visa',
    };
    const order: PlannedOrder = {
      orderId: uuidv7(),
      cartId,
      checkout,
      lines: [],
      lineCount: kept.length,
      outcome: 'delivered',
      refunds: [],
    };
    const events =
      (search ? 1 : 0) +
      1 +
      chosen.length +
      (changeFirst ? 1 : 0) +
      (removeLast ? 1 : 0) +
      (abandoned ? (clearedOnLeaving ? 1 : 0) : 1);
    const step: Step = {
      events,
      write(batch) {
        const { customer, correlationId, actor, at } = visit;
        const customerId = customer?.customerId ?? null;
        let offset = 0;
        const as = () => command(correlationId, actor, at + offset++ * SECOND);
        if (search) search(batch, visit);
        const streamId = cartStreamId(cartId);
        carts++;
        batch.add(streamId, as(), { type: 'CartOpened', data: { cartId, customerId, currency: CURRENCY } });
        const quantities = chosen.map(({ product, quantity }) => {
          batch.add(streamId, as(), {
            type: 'CartItemAdded',
            data: { cartId, sku: product.sku, name: product.name, quantity, unitPrice: product.price },
          });
          return { product, quantity, unitPrice: product.price, name: product.name };
        });
        const first = quantities[0]!;
        if (changeFirst) {
          const quantity = first.quantity === 1 ? 2 : 1;
          batch.add(streamId, as(), {
            type: 'CartItemQuantityChanged',
            data: { cartId, sku: first.product.sku, quantity, previousQuantity: first.quantity },
          });
          first.quantity = quantity;
        }
        if (removeLast) {
          batch.add(streamId, as(), {
            type: 'CartItemRemoved',
            data: { cartId, sku: quantities.at(-1)!.product.sku },
          });
          quantities.pop();
        }
        if (abandoned) {
          if (clearedOnLeaving) batch.add(streamId, as(), { type: 'CartCleared', data: { cartId } });
          return;
        }
        order.lines = quantities.map(({ product, quantity, unitPrice, name }) => ({
          sku: product.sku,
          name,
          quantity,
          unitPrice,
          lineTotal: { amount: unitPrice.amount * quantity, currency: CURRENCY },
        }));
        const total = order.lines.reduce((sum, line) => sum + line.lineTotal.amount, 0);
        offset = 3 * 60; // the checkout form takes a few minutes
        batch.add(streamId, as(), {
          type: 'CartCheckedOut',
          data: {
            cartId,
            orderId: order.orderId,
            lines: order.lines,
            total: { amount: total, currency: CURRENCY },
            customerId,
            checkout,
          },
        });
      },
    };
    return { step, checkedOut: !abandoned, order };
  }

  /**
   * A search the shopper made before filling the cart, as query-api records it: most find the product
   * (some only through a typo's correction), a few look for what the shop does not sell.
   */
  function planSearch(product: Product): (batch: Tick, visit: Story) => void {
    // Bench names read "<Material> <kind> <color> <n>": shoppers type the kind, perhaps with the color.
    const [, kind = 'sweater', color = 'navy'] = product.name.toLowerCase().split(' ');
    const withColor = chance(0.5);
    const phrase = (word: string) => (withColor ? `${color} ${word}` : word);
    const roll = random();
    const typo = roll < 0.15;
    const unsold = roll >= 0.88;
    const wanted = phrase(kind);
    const query = unsold ? pick(UNSOLD) : typo ? phrase(misspell(kind)) : wanted;
    const results = between(1, 60);
    const filters: SearchFilters = {
      category: chance(0.2) ? [product.category] : [],
      minPrice: null,
      maxPrice: chance(0.1) ? 10_000 : null,
      inStock: chance(0.3),
    };
    return (batch, visit) => {
      const context = command(visit.correlationId, visit.actor, visit.at - 2 * MINUTE);
      const { occurredAt } = context;
      const seen = { query, normalizedQuery: normalizeSearchQuery(query), filters, occurredAt };
      batch.add(
        searchStreamId(occurredAt),
        context,
        unsold
          ? { type: 'ProductSearchReturnedNoResults', data: seen }
          : {
              type: 'ProductSearchReturnedResults',
              data: { ...seen, results, correctedQuery: typo && query !== wanted ? wanted : null },
            },
      );
    };
  }

  /** The order's steps after the cart: placed, then settled, then perhaps cancelled or refunded. */
  function orderSteps(visit: Story, order: PlannedOrder): Step[] {
    const roll = random();
    order.outcome = roll < 0.06 ? 'declined' : roll < 0.1 ? 'cancelled' : 'delivered';
    if (order.outcome === 'delivered') {
      const refund = random();
      // Shares of the amount paid, applied when the refund is asked for (the total is not known yet).
      if (refund < 0.05) order.refunds = [1];
      else if (refund < 0.13)
        order.refunds = chance(0.3) ? [between(10, 40) / 100, 0.25] : [between(5, 60) / 100];
    }
    const lines = order.lineCount;
    const step = (events: number, act: typeof place): Step => ({
      events,
      write(batch) {
        act(batch, visit, order);
      },
    });
    const settled = { declined: 3 + lines, cancelled: 6, delivered: 8 + lines }[order.outcome];
    const steps = [step(4 + lines, place), step(settled, settle)];
    if (order.outcome === 'cancelled') {
      steps.push(step(1 + lines, cancelByCustomer), step(1, refundCancelled));
    }
    const refunds = order.refunds.length;
    if (refunds > 0) {
      steps.push(step(refunds, requestRefunds), step(refunds, payRefunds), step(refunds, recordRefunds));
    }
    return steps;
  }

  /** The order is placed from the checked-out cart, numbered, and its lines reserved in stock. */
  function place(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId, lines, checkout } = order;
    const as = () => command(visit.correlationId, system, visit.at + 3 * MINUTE + SECOND);
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
          cartId: order.cartId,
          customerId: visit.customer?.customerId ?? null,
          email: checkout.email,
          lines,
          shippingAddress: checkout.shippingAddress,
          shippingMethod: checkout.shippingMethod,
          taxRateBasisPoints: TAX_RATE_BASIS_POINTS,
          totals: orderTotals(lines, checkout.shippingMethod, TAX_RATE_BASIS_POINTS),
          paymentMethodId: checkout.paymentMethodId,
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

  /**
   * The payment runs (checkout uses the order id as the payment id); a paid order is confirmed, and then
   * shipped and delivered unless its customer is about to cancel it; a declined one is cancelled.
   */
  function settle(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId, lines } = order;
    const paymentId = orderId;
    const paying = visit.at + 4 * MINUTE;
    const as = (at = paying) => command(visit.correlationId, system, at);
    const amount = totalOf(order);
    const providerPaymentId = `sim_${paymentId.slice(-12)}`;
    const initiated: PaymentEvent = {
      type: 'PaymentInitiated',
      data: {
        paymentId,
        orderId,
        amount,
        provider: 'simulated',
        paymentMethodId: order.checkout.paymentMethodId,
      },
    };
    if (order.outcome === 'declined') {
      const reason = pick(DECLINE_REASONS);
      batch.add(paymentStreamId(paymentId), as(), initiated, {
        type: 'PaymentDeclined',
        data: { paymentId, orderId, providerPaymentId, reason, message: 'Your card was declined.' },
      });
      batch.add(orderStreamId(orderId), as(), {
        type: 'OrderCancelled',
        data: { orderId, reason: 'payment_declined', detail: reason },
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
    const paid: OrderEvent[] = [
      { type: 'OrderPaymentAuthorized', data: { orderId, paymentId, amount } },
      { type: 'OrderConfirmed', data: { orderId } },
      { type: 'OrderPaymentCaptured', data: { orderId, paymentId, amount } },
    ];
    if (order.outcome === 'cancelled') {
      batch.add(orderStreamId(orderId), as(), ...paid);
      return;
    }
    batch.add(
      orderStreamId(orderId),
      as(),
      ...paid,
      {
        type: 'OrderShipped',
        data: { orderId, carrier: 'Colissimo', trackingNumber: `CO${orderId.slice(-10)}` },
      },
      { type: 'OrderDelivered', data: { orderId } },
    );
    for (const line of lines) {
      batch.add(stockStreamId(line.sku), as(paying + DAY), {
        type: 'StockReservationCommitted',
        data: { sku: line.sku, orderId, quantity: line.quantity },
      });
    }
  }

  /** The customer cancels the confirmed order before it ships; checkout releases its stock. */
  function cancelByCustomer(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId, lines } = order;
    const cancelling = visit.at + 30 * MINUTE;
    batch.add(orderStreamId(orderId), command(visit.correlationId, visit.actor, cancelling), {
      type: 'OrderCancelled',
      data: { orderId, reason: 'customer_request', detail: null },
    });
    for (const line of lines) {
      batch.add(stockStreamId(line.sku), command(visit.correlationId, system, cancelling + SECOND), {
        type: 'StockReservationReleased',
        data: { sku: line.sku, orderId, quantity: line.quantity },
      });
    }
  }

  /** Checkout gives the money of a cancelled order back in full, under its own refund id. */
  function refundCancelled(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId } = order;
    const refundId = cancellationRefundId(orderId);
    batch.add(paymentStreamId(orderId), command(visit.correlationId, system, visit.at + 31 * MINUTE), {
      type: 'PaymentRefunded',
      data: {
        paymentId: orderId,
        orderId,
        refundId,
        providerRefundId: `sim_re_${orderId.slice(-12)}`,
        amount: totalOf(order),
      },
    });
  }

  /** A merchant asks for the planned refunds, days after the delivery; shares become amounts now. */
  function requestRefunds(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId } = order;
    const captured = totalOf(order).amount;
    let left = captured;
    order.refundIds = order.refunds.map(() => uuidv7());
    order.refundAmounts = order.refunds.map((share) => {
      const amount = Math.min(left, Math.max(1, Math.round(captured * share)));
      left -= amount;
      return amount;
    });
    const events: OrderEvent[] = order.refundAmounts.map((amount, i) => ({
      type: 'OrderRefundRequested',
      data: {
        orderId,
        refundId: order.refundIds![i]!,
        amount: { amount, currency: CURRENCY },
        reason: pick(REFUND_REASONS),
      },
    }));
    batch.add(orderStreamId(orderId), command(visit.correlationId, admin, visit.at + 6 * DAY), ...events);
  }

  /** Checkout pays the requested refunds out through the provider. */
  function payRefunds(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId } = order;
    const events: PaymentEvent[] = refundsOf(order).map(({ refundId, amount }) => ({
      type: 'PaymentRefunded',
      data: {
        paymentId: orderId,
        orderId,
        refundId,
        providerRefundId: `sim_re_${refundId.slice(-12)}`,
        amount,
      },
    }));
    batch.add(
      paymentStreamId(orderId),
      command(visit.correlationId, system, visit.at + 6 * DAY + HOUR),
      ...events,
    );
  }

  /** Checkout records the paid refunds back on the order. */
  function recordRefunds(batch: Tick, visit: Story, order: PlannedOrder): void {
    const { orderId } = order;
    const events: OrderEvent[] = refundsOf(order).map(({ refundId, amount }) => ({
      type: 'OrderRefunded',
      data: { orderId, refundId, amount },
    }));
    const at = visit.at + 6 * DAY + HOUR + SECOND;
    batch.add(orderStreamId(orderId), command(visit.correlationId, system, at), ...events);
  }

  /** The merchant's share of a tick: repricing, recategorising, renaming, and count corrections. */
  function merchandise(batch: Tick): void {
    const touched = new Set<string>();
    const changes = Math.max(1, Math.round(productCount / 40));
    for (let i = 0; i < changes; i++) {
      const product = pick(products);
      if (touched.has(product.sku)) continue;
      touched.add(product.sku);
      const streamId = productStreamId(product.sku);
      const kind = random();
      if (kind < 0.6) {
        const previousPrice = product.price;
        product.price = {
          amount: Math.max(500, previousPrice.amount + pick([-1000, -500, -100, 100, 500, 1000])),
          currency: CURRENCY,
        };
        batch.add(streamId, merchantCommand(), {
          type: 'ProductPriceChanged',
          data: { sku: product.sku, price: product.price, previousPrice },
        });
      } else if (kind < 0.75) {
        product.category = pick(CATEGORIES.filter((category) => category !== product.category));
        batch.add(streamId, merchantCommand(), {
          type: 'ProductDetailsChanged',
          data: { sku: product.sku, category: product.category },
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
            const { nextVersion, checkpoint } = await store.append(streamId, chunk, {
              expectedVersion: version === 0 ? 'no_stream' : version,
            });
            versions.set(streamId, nextVersion);
            // Checkpoints order as strings (the port's promise).
            if (checkpoint > lastCheckpoint) lastCheckpoint = checkpoint;
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

/** An order as planned when its cart is checked out; lines and refund amounts are filled in on the way. */
interface PlannedOrder {
  readonly orderId: string;
  readonly cartId: string;
  readonly checkout: CheckoutDetails;
  lines: CartLineSnapshot[];
  readonly lineCount: number;
  outcome: Outcome;
  /** Shares of the amount paid to refund, one refund each (1 = in full). */
  refunds: readonly number[];
  refundIds?: readonly string[];
  refundAmounts?: readonly number[];
}

function totalOf(order: PlannedOrder): Money {
  return orderTotals(order.lines, order.checkout.shippingMethod, TAX_RATE_BASIS_POINTS).total;
}

function refundsOf(order: PlannedOrder): { refundId: string; amount: Money }[] {
  return (order.refundAmounts ?? []).map((amount, i) => ({
    refundId: order.refundIds?.[i] ?? '',
    amount: { amount, currency: CURRENCY },
  }));
}

/** The word with one letter dropped, as a hurried shopper types it. */
function misspell(word: string): string {
  const at = Math.max(1, Math.floor(word.length / 2));
  return word.slice(0, at) + word.slice(at + 1);
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
