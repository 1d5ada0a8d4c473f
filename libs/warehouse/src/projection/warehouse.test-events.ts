import { randomUUID } from 'node:crypto';
import { migrate, type SqlClient } from '@tally/database';
import type { EventActor, JsonValue, RecordedEvent } from '@tally/event-store';
import type { Projection } from '@tally/read-models';
import { createTestSchema, testEvent, type TestSchema } from '@tally/testing';
import { warehouseTableMigrations } from '../warehouse.schema';

/** A fixed day, so that dates in assertions are stable: `at(m)` is `m` minutes after its 10:00 UTC. */
export const at = (minutes: number): string =>
  new Date(Date.UTC(2030, 0, 2, 10) + minutes * 60_000).toISOString();

const eur = (amount: number) => ({ amount, currency: 'EUR' });

/**
 * Builds a history of recorded events the way the store would deliver them: stream versions, a global
 * position, each event's business time as given.
 */
export class EventLog {
  readonly events: RecordedEvent[] = [];
  private readonly versions = new Map<string, number>();

  record(
    streamId: string,
    type: string,
    data: Record<string, JsonValue>,
    occurredAt: string,
    actor?: EventActor,
  ): RecordedEvent {
    const version = (this.versions.get(streamId) ?? 0) + 1;
    this.versions.set(streamId, version);
    const event: RecordedEvent = {
      ...testEvent(type, data, { occurredAt, ...(actor ? { actor } : {}) }),
      streamId,
      version,
      position: String(this.events.length + 1).padStart(12, '0'),
      recordedAt: occurredAt,
    };
    this.events.push(event);
    return event;
  }

  productCreated(sku: string, when: string, price: number, category = 'mugs', name = `Name of ${sku}`) {
    return this.record(
      `product-${sku}`,
      'ProductCreated',
      { sku, name, description: 'd', category, attributes: {}, images: [], price: eur(price) },
      when,
    );
  }

  priceChanged(sku: string, when: string, price: number, previous = 0) {
    return this.record(
      `product-${sku}`,
      'ProductPriceChanged',
      { sku, price: eur(price), previousPrice: eur(previous) },
      when,
    );
  }

  detailsChanged(sku: string, when: string, details: { name?: string; category?: string }) {
    return this.record(`product-${sku}`, 'ProductDetailsChanged', { sku, ...details }, when);
  }

  customerRegistered(customerId: string, when: string, email = `${customerId}@example.com`) {
    return this.record(
      `customer-${customerId}`,
      'CustomerRegistered',
      { customerId, email, name: `Person ${customerId}`, role: 'customer' },
      when,
    );
  }

  cart(cartId: string, type: string, when: string, data: Record<string, JsonValue> = {}) {
    return this.record(`cart-${cartId}`, type, { cartId, ...data }, when);
  }

  cartOpened(cartId: string, when: string, customerId: string | null = null) {
    return this.cart(cartId, 'CartOpened', when, { customerId, currency: 'EUR' });
  }

  itemAdded(cartId: string, when: string, sku: string, quantity: number, price = 1000) {
    return this.cart(cartId, 'CartItemAdded', when, { sku, name: sku, quantity, unitPrice: eur(price) });
  }

  orderPlaced(
    orderId: string,
    when: string,
    lines: readonly { sku: string; quantity: number; unitPrice: number }[],
    customerId: string | null = null,
    email = 'shopper@example.com',
  ) {
    const snapshots = lines.map((line) => ({
      sku: line.sku,
      name: `Name of ${line.sku}`,
      quantity: line.quantity,
      unitPrice: eur(line.unitPrice),
      lineTotal: eur(line.unitPrice * line.quantity),
    }));
    const subtotal = snapshots.reduce((sum, line) => sum + line.lineTotal.amount, 0);
    return this.record(
      `order-${orderId}`,
      'OrderPlaced',
      {
        orderId,
        cartId: randomUUID(),
        customerId,
        email,
        lines: snapshots,
        shippingAddress: {
          name: 'Ada Secretname',
          line1: '1 Hidden Street',
          city: 'Privacyville',
          postalCode: '12345',
          country: 'FR',
        },
        shippingMethod: { id: 'standard', name: 'Standard', price: eur(500) },
        taxRateBasisPoints: 0,
        totals: { subtotal: eur(subtotal), shipping: eur(500), tax: eur(0), total: eur(subtotal + 500) },
        paymentMethodId: 'pm_card_visa',
        placedAt: when,
      },
      when,
    );
  }

  payment(paymentId: string, type: string, when: string, data: Record<string, JsonValue>) {
    return this.record(`payment-${paymentId}`, type, { paymentId, ...data }, when);
  }

  stock(sku: string, type: string, when: string, data: Record<string, JsonValue>) {
    return this.record(`stock-${sku}`, type, { sku, ...data }, when);
  }

  search(
    when: string,
    query: string,
    results: number,
    actor?: EventActor,
    correctedQuery: string | null = null,
  ) {
    const data = {
      query,
      normalizedQuery: query.toLowerCase(),
      filters: { category: [], minPrice: null, maxPrice: null, inStock: false },
      occurredAt: when,
    };
    return results === 0
      ? this.record(`search-${when.slice(0, 10)}`, 'ProductSearchReturnedNoResults', data, when, actor)
      : this.record(
          `search-${when.slice(0, 10)}`,
          'ProductSearchReturnedResults',
          { ...data, results, correctedQuery },
          when,
          actor,
        );
  }
}

/** A fresh schema holding the warehouse tables. */
export async function warehouseSchema(): Promise<{ db: TestSchema; sql: SqlClient }> {
  const db = await createTestSchema('warehouse');
  await migrate(db.client, [{ module: 'warehouse', migrations: warehouseTableMigrations }]);
  return { db, sql: db.client };
}

/** Applies `events` in batches of `batchSize` (default: one batch), each in its own transaction. */
export async function project(
  sql: SqlClient,
  projection: Projection,
  events: readonly RecordedEvent[],
  batchSize = events.length,
): Promise<void> {
  for (let start = 0; start < events.length; start += Math.max(batchSize, 1)) {
    const batch = events.slice(start, start + Math.max(batchSize, 1));
    await sql.transaction((tx) => projection.apply(tx, batch));
  }
}
